#![no_main]
//! `KeyRing::verify` with a fixed EdDSA (Ed25519) ring on arbitrary tokens,
//! and on tokens signed over arbitrary header and claims JSON, never panics;
//! what verifies names the ring's key, its issuer and audience and is
//! unexpired, and the strict validation never accepts what a laxer one
//! refuses.

#![forbid(unsafe_code)]

use credential_core::token::jose::Algorithm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| credential_fuzz::fuzz_verify(Algorithm::EdDSA, data));
