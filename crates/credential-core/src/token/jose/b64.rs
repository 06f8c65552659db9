//! Strict base64url without padding (RFC 7515 §2, RFC 4648 §5).
//!
//! JWS segments and JWK members have exactly one valid encoding, so
//! decoding rejects padding, the `+` and `/` of standard base64, whitespace
//! and non-zero trailing bits: a token or key cannot be re-encoded into a
//! second accepted form.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Decodes unpadded base64url, or `None` if `segment` is not in its one
/// canonical encoding.
pub(crate) fn decode(segment: &[u8]) -> Option<Vec<u8>> {
    ENGINE.decode(segment).ok()
}

/// Decodes unpadded base64url into `out`, replacing its contents, so a
/// caller can reuse a buffer or decode straight into a zeroizing one.
/// Returns `false`, with `out` empty, if `segment` is not canonical.
pub(crate) fn decode_into(segment: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    if ENGINE.decode_vec(segment, out).is_ok() {
        true
    } else {
        out.clear();
        false
    }
}

/// Encodes as unpadded base64url.
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
    fn encode_into_appends() {
        let mut out = String::from("x.");
        encode_into(b"AB", &mut out);
        assert_eq!(out, "x.QUI");
    }
}
