//! Entry points for the fuzz targets in `fuzz/`: each fast path checked
//! against its reference on arbitrary bytes. Built only under
//! `--cfg fuzzing` (which `cargo fuzz` sets); not part of the API.

use base64::Engine as _;

use crate::token::{Claims, Header, jose::b64, plain, scan};

/// Panics unless every fast path agrees with its reference on `data`:
/// the plain claims and header readers with the strict parsers, the
/// base64url table with the `base64` crate, and the eight-byte scans with
/// byte-by-byte ones.
#[allow(clippy::panic)]
pub fn check_fast_paths(data: &[u8]) {
    if let Some(fast) = plain::claims(data) {
        match Claims::parse_strict(data) {
            Ok(strict) => assert_eq!(fast, strict, "claims differ"),
            Err(error) => {
                panic!("the plain reader accepted claims the strict parser refuses: {error}")
            }
        }
    }
    if let Some(fast) = plain::header(data) {
        match Header::parse_strict(data) {
            Ok(strict) => assert_eq!(fast, strict, "headers differ"),
            Err(error) => {
                panic!("the plain reader accepted a header the strict parser refuses: {error}")
            }
        }
    }
    assert_eq!(
        b64::decode(data),
        b64::ENGINE.decode(data).ok(),
        "base64url differs"
    );

    let quote = data.iter().position(|&b| b == b'"').and_then(|len| {
        let plain = data.get(..len)?.iter().all(|&b| b != b'\\' && b >= 0x20);
        Some((len, plain))
    });
    assert_eq!(scan::scan_string(data), quote, "string scan differs");

    let at: Vec<usize> = (0..data.len())
        .filter(|&i| data.get(i) == Some(&b'.'))
        .collect();
    let dots = scan::dots(data).map(|dots| (dots.first, dots.last, dots.count));
    let expected = at
        .first()
        .zip(at.last())
        .map(|(&first, &last)| (first, last, at.len()));
    assert_eq!(dots, expected, "dot scan differs");
}
