//! Base62 text for ids, secrets and checksums: only `[0-9A-Za-z]`, so a key
//! is URL-, header- and double-click-safe.

use ring::rand::{SecureRandom, SystemRandom};

/// The alphabet, in digit order.
pub(crate) const ALPHABET: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether `b` is a base62 digit.
pub(crate) fn is_digit(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Fills `out` with uniformly random base62 digits from the system CSPRNG.
///
/// Rejection sampling keeps every digit uniform: a random byte is used only
/// when it is below 248 (4 × 62), so `byte % 62` has no bias.
pub(crate) fn fill_random(
    rng: &SystemRandom,
    out: &mut [u8],
) -> Result<(), ring::error::Unspecified> {
    let mut pool = zeroize::Zeroizing::new([0u8; 64]);
    let mut filled = 0;
    while filled < out.len() {
        rng.fill(pool.as_mut())?;
        for &byte in pool.iter() {
            if byte < 248 {
                if let Some(slot) = out.get_mut(filled) {
                    *slot = ALPHABET
                        .get(usize::from(byte % 62))
                        .copied()
                        .unwrap_or(b'0');
                    filled += 1;
                } else {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Number of digits [`encode_u32`] writes: 62^6 > 2^32.
pub(crate) const U32_DIGITS: usize = 6;

/// Fixed-width, most-significant-first base62 encoding of a `u32`.
pub(crate) fn encode_u32(mut value: u32) -> [u8; U32_DIGITS] {
    let mut out = [b'0'; U32_DIGITS];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET.get((value % 62) as usize).copied().unwrap_or(b'0');
        value /= 62;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_u32_fixed_width() {
        assert_eq!(&encode_u32(0), b"000000");
        assert_eq!(&encode_u32(61), b"00000z");
        assert_eq!(&encode_u32(62), b"000010");
        assert_eq!(&encode_u32(u32::MAX), b"4gfFC3");
    }

    #[test]
    fn random_digits_are_base62_and_vary() {
        let rng = SystemRandom::new();
        let mut a = [0u8; 43];
        let mut b = [0u8; 43];
        fill_random(&rng, &mut a).unwrap();
        fill_random(&rng, &mut b).unwrap();
        assert!(a.iter().all(|&c| is_digit(c)));
        assert_ne!(a, b);
    }
}
