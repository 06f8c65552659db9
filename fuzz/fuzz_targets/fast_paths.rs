#![no_main]
//! The fast paths of token verification against their references on
//! arbitrary bytes: the plain header and claims readers accept nothing the
//! strict parsers refuse and read the same values; the base64url table
//! decodes exactly what the `base64` crate decodes; the eight-byte string
//! and dot scans find what byte-by-byte scans find.

#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    credential_core::fuzzing::check_fast_paths(data);
});
