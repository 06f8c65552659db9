//! Strict base64url without padding (RFC 7515 §2, RFC 4648 §5).
//!
//! JWS segments and JWK members have exactly one valid encoding, so
//! decoding rejects padding, the `+` and `/` of standard base64, whitespace
//! and non-zero trailing bits: a token or key cannot be re-encoded into a
//! second accepted form.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

// Encoding goes through the `base64` crate; decoding, on every token's
// path, is the table below, checked against the crate in tests and fuzzing.
pub(crate) const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Marks a byte outside the alphabet; every valid value is below 64.
const INVALID: u8 = 0xff;

/// The 6-bit value of each base64url character.
// Built during compilation: an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn value(c: u8) -> u8 {
    // A u8 always indexes a 256-entry table.
    VALUES.get(usize::from(c)).copied().unwrap_or(INVALID)
}

pub(crate) fn decode(segment: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(segment, &mut out).then_some(out)
}

pub(crate) fn decode_into(segment: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let Some(len) = decoded_len(segment.len()) else {
        return false;
    };
    out.resize(len, 0);
    if decode_exact(segment, out) {
        true
    } else {
        out.clear();
        false
    }
}

/// Calls `f` with the decoded bytes of `segment`, decoded on the stack
/// when they fit in `N` bytes; `None` when `segment` is not canonical.
pub(crate) fn with_decoded<const N: usize, R>(
    segment: &[u8],
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    let len = decoded_len(segment.len())?;
    if len <= N {
        let mut buffer = [0u8; N];
        let out = buffer.get_mut(..len)?;
        decode_exact(segment, out).then(|| f(out))
    } else {
        decode(segment).map(|bytes| f(&bytes))
    }
}

/// The number of bytes `len` characters decode to; `None` for a length
/// no unpadded encoding has.
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        rest => Some(len / 4 * 3 + rest.saturating_sub(1)),
    }
}

/// Decodes `segment` into `out`, which holds exactly
/// [`decoded_len`]`(segment.len())` bytes; `false` (with `out` partly
/// written) when `segment` is not canonical unpadded base64url.
pub(crate) fn decode_exact(segment: &[u8], out: &mut [u8]) -> bool {
    let (quads, tail) = segment.as_chunks::<4>();
    let (triples, rest) = out.as_chunks_mut::<3>();
    if triples.len() != quads.len() || rest.len() != tail.len().saturating_sub(1) {
        return false;
    }
    // Invalid characters are collected, not branched on, per quad.
    let mut seen = 0u8;
    for (&[a, b, c, d], [x, y, z]) in quads.iter().zip(triples) {
        let (a, b, c, d) = (value(a), value(b), value(c), value(d));
        seen |= a | b | c | d;
        *x = a << 2 | b >> 4;
        *y = b << 4 | c >> 2;
        *z = c << 6 | d;
    }
    // The last 2 or 3 characters carry 1 or 2 bytes; their spare low bits
    // must be zero, so that one byte string has one encoding.
    match (tail, rest) {
        ([], []) => {}
        (&[a, b], [x]) => {
            let (a, b) = (value(a), value(b));
            seen |= a | b;
            if b & 0x0f != 0 {
                return false;
            }
            *x = a << 2 | b >> 4;
        }
        (&[a, b, c], [x, y]) => {
            let (a, b, c) = (value(a), value(b), value(c));
            seen |= a | b | c;
            if c & 0x03 != 0 {
                return false;
            }
            *x = a << 2 | b >> 4;
            *y = b << 4 | c >> 2;
        }
        _ => return false,
    }
    seen & 0xc0 == 0
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Appends the unpadded base64url encoding of `bytes` to `out`.
pub(crate) fn encode_into(bytes: &[u8], out: &mut String) {
    ENGINE.encode_string(bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            let slice = bytes.get(..len).unwrap();
            let text = encode(slice);
            assert!(!text.contains('='));
            assert_eq!(decode(text.as_bytes()).unwrap(), slice);
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode(b"-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn rejects_padding() {
        assert!(decode(b"QQ").is_some());
        assert!(decode(b"QQ==").is_none());
        assert!(decode(b"QUI=").is_none());
        assert!(decode(b"QUJD").is_some());
        assert!(decode(b"QUJD====").is_none());
    }

    #[test]
    fn rejects_standard_alphabet() {
        assert!(decode(b"-_8").is_some());
        assert!(decode(b"+/8").is_none());
        assert!(decode(b"ab+c").is_none());
        assert!(decode(b"ab/c").is_none());
    }

    #[test]
    fn rejects_whitespace_and_other_bytes() {
        for bad in [
            &b"QU JD"[..],
            b" QUJD",
            b"QUJD ",
            b"QUJD\n",
            b"QU\tJD",
            b"QUJD\r\n",
            b"QU.D",
            b"\xc3\xa9",
        ] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "QQ" is 0x41; "QR".."QV" carry the same byte with non-zero spare bits.
        assert_eq!(decode(b"QQ").unwrap(), b"A");
        for bad in [&b"QR"[..], b"QS", b"QT", b"QV", b"QUJ", b"QUK"] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
        assert_eq!(decode(b"QUI").unwrap(), b"AB");
    }

    #[test]
    fn rejects_impossible_lengths() {
        assert!(decode(b"Q").is_none());
        assert!(decode(b"QUJDR").is_none());
        assert_eq!(decode(b"").unwrap(), b"");
    }

    #[test]
    fn decode_into_replaces_and_clears_on_failure() {
        let mut out = b"old contents".to_vec();
        assert!(decode_into(b"QUI", &mut out));
        assert_eq!(out, b"AB");
        assert!(!decode_into(b"QUI=", &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn decodes_exactly_what_the_base64_crate_decodes() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"AQgw-_=+/ .\x00\xffzZ09";
        for _ in 0..20_000 {
            let len = usize::try_from(next() % 12).unwrap();
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    if next() % 4 == 0 {
                        alphabet[usize::try_from(next()).unwrap() % alphabet.len()]
                    } else {
                        let i = usize::try_from(next() % 64).unwrap();
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i]
                    }
                })
                .collect();
            assert_eq!(decode(&text), ENGINE.decode(&text).ok(), "{text:?}");
        }
    }

    #[test]
    fn encode_into_appends() {
        let mut out = String::from("x.");
        encode_into(b"AB", &mut out);
        assert_eq!(out, "x.QUI");
    }
}
