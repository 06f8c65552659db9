//! The API key format: `{prefix}_{id}_{secret}{checksum}`.
//!
//! - `prefix` names the issuer and environment (`sk_live`, `sk_test`); it
//!   follows `[a-z][a-z0-9]*(_[a-z0-9]+)*` and may itself contain `_`, so a
//!   key is always split from the right.
//! - `id` is 16 random base62 characters ([`KeyId`]), public.
//! - `secret` is 43 random base62 characters from `ring`'s `SystemRandom`:
//!   43 × log2(62) ≈ 256.03 bits.
//! - `checksum` is the CRC-32 of everything before it, as 6 base62
//!   characters. A typo or garbage is rejected before any store lookup, and
//!   secret scanners can match keys with almost no false positives.
//!
//! Only `[0-9A-Za-z_]` appear, so a key is URL-, header- and
//! double-click-safe; a whole key is at most [`MAX_KEY_LEN`] characters.

use ring::rand::SystemRandom;

use crate::base62;
use crate::key::id::{ID_LEN, KeyId};
use crate::secret::{ApiKey, KeySecret};

/// Number of base62 characters in the secret part (≥ 256 bits).
pub const SECRET_LEN: usize = 43;
/// Number of base62 characters in the checksum.
pub const CHECKSUM_LEN: usize = base62::U32_DIGITS;
/// Longest key accepted, prefix included.
pub const MAX_KEY_LEN: usize = 96;
/// Longest prefix that still fits in [`MAX_KEY_LEN`].
pub const MAX_PREFIX_LEN: usize = MAX_KEY_LEN - ID_LEN - SECRET_LEN - CHECKSUM_LEN - 2;

/// A regular expression that matches any key of this format, whatever its
/// prefix, for secret scanners (GitHub secret scanning, gitleaks,
/// trufflehog). [`KeyFormat::scanner_regex`] gives the tighter one for a
/// single prefix.
pub const SCANNER_REGEX: &str =
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}\b";

/// Why a string is not a well-formed key of a [`KeyFormat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyParseError {
    /// Longer than [`MAX_KEY_LEN`].
    #[error("longer than {MAX_KEY_LEN} characters")]
    TooLong,
    /// A character outside `[0-9A-Za-z_]`.
    #[error("a character outside [0-9A-Za-z_]")]
    InvalidCharacter,
    /// Separators or part lengths are not those of a key.
    #[error("not shaped like prefix_id_secret")]
    Shape,
    /// Well-formed, but for another prefix (issuer or environment).
    #[error("a key for another prefix")]
    WrongPrefix,
    /// The checksum does not match: a typo, truncation or forgery.
    #[error("checksum mismatch")]
    BadChecksum,
}

/// Why a prefix cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid key prefix {prefix:?}: must match [a-z][a-z0-9]*(_[a-z0-9]+)* and be at most {MAX_PREFIX_LEN} characters"
)]
pub struct InvalidPrefix {
    prefix: String,
}

/// The id and secret of a presented key that passed every syntactic check
/// (shape, prefix, checksum). It says nothing yet about whether the key
/// exists or the secret is right.
#[derive(Debug, Clone)]
pub struct ParsedKey {
    id: KeyId,
    secret: KeySecret,
}

impl ParsedKey {
    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key's secret part.
    pub fn secret(&self) -> &KeySecret {
        &self.secret
    }
}

/// A freshly generated key: the string for its owner and its parts.
#[derive(Debug)]
pub(crate) struct GeneratedKey {
    pub(crate) key: ApiKey,
    pub(crate) id: KeyId,
    pub(crate) secret: KeySecret,
}

/// The format of one issuer's keys, fixed by its prefix.
///
/// ```
/// use credential_core::key::KeyFormat;
///
/// let format = KeyFormat::new("sk_live")?;
/// assert_eq!(
///     format.scanner_regex(),
///     r"\bsk_live_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}\b"
/// );
/// assert!(format.parse("sk_live_not_a_key").is_err());
/// # Ok::<(), credential_core::key::InvalidPrefix>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFormat {
    prefix: String,
}

impl KeyFormat {
    /// A format for keys that start with `prefix`.
    pub fn new(prefix: &str) -> Result<Self, InvalidPrefix> {
        if is_valid_prefix(prefix) {
            Ok(Self {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(InvalidPrefix {
                prefix: prefix.chars().take(MAX_KEY_LEN).collect(),
            })
        }
    }

    /// The prefix, without the trailing `_`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The regular expression that matches this format's keys and, in
    /// practice, nothing else.
    pub fn scanner_regex(&self) -> String {
        format!(
            r"\b{}_[0-9A-Za-z]{{{ID_LEN}}}_[0-9A-Za-z]{{{}}}\b",
            self.prefix,
            SECRET_LEN + CHECKSUM_LEN
        )
    }

    /// Generates a new key with a random id and secret.
    pub(crate) fn generate(
        &self,
        rng: &SystemRandom,
    ) -> Result<GeneratedKey, ring::error::Unspecified> {
        let id = KeyId::generate(rng)?;
        let mut secret = [0u8; SECRET_LEN];
        base62::fill_random(rng, &mut secret)?;
        let secret = KeySecret::from_array(secret);

        let mut key =
            String::with_capacity(self.prefix.len() + 2 + ID_LEN + SECRET_LEN + CHECKSUM_LEN);
        key.push_str(&self.prefix);
        key.push('_');
        key.push_str(id.as_str());
        key.push('_');
        // Base62 is ASCII, so each byte is one char.
        key.extend(secret.expose_secret().iter().map(|&b| char::from(b)));
        let checksum = base62::encode_u32(crc32fast::hash(key.as_bytes()));
        key.extend(checksum.iter().map(|&b| char::from(b)));
        Ok(GeneratedKey {
            key: ApiKey::new(key),
            id,
            secret,
        })
    }

    /// Checks a presented string syntactically: length, alphabet, shape,
    /// prefix and checksum, in that order, without touching any store.
    pub fn parse(&self, presented: &str) -> Result<ParsedKey, KeyParseError> {
        let bytes = presented.as_bytes();
        let Some((id, secret)) = self.split_exact(bytes) else {
            return Err(self.classify(bytes));
        };
        let signed = bytes
            .get(..bytes.len() - CHECKSUM_LEN)
            .ok_or(KeyParseError::Shape)?;
        let checksum = bytes.get(signed.len()..).ok_or(KeyParseError::Shape)?;
        if base62::encode_u32(crc32fast::hash(signed)).as_slice() != checksum {
            return Err(KeyParseError::BadChecksum);
        }
        Ok(ParsedKey {
            id: KeyId::from_checked(*id),
            secret: KeySecret::from_array(*secret),
        })
    }

    /// The id and secret of a key of exactly this format's shape, read at
    /// fixed offsets: this prefix, `_`, 16 base62 characters, `_`, 49
    /// base62 characters. `None` for anything else.
    fn split_exact<'a>(&self, bytes: &'a [u8]) -> Option<(&'a [u8; ID_LEN], &'a [u8; SECRET_LEN])> {
        let rest = bytes
            .strip_prefix(self.prefix.as_bytes())?
            .strip_prefix(b"_")?;
        let (id, rest) = rest.split_first_chunk::<ID_LEN>()?;
        let tail = rest.strip_prefix(b"_")?;
        let (secret, checksum) = tail.split_first_chunk::<SECRET_LEN>()?;
        // The secret and the checksum are read as one run of digits. No
        // early exit: each fold compiles to a branch-free, vectorized loop.
        let base62 = |part: &[u8]| part.iter().fold(true, |ok, &b| ok & base62::is_digit(b));
        ((checksum.len() == CHECKSUM_LEN) & base62(id) & base62(tail)).then_some((id, secret))
    }

    /// Why `bytes` is not a key of this format, by the checks in order:
    /// length, alphabet, shape, prefix.
    fn classify(&self, bytes: &[u8]) -> KeyParseError {
        if bytes.len() > MAX_KEY_LEN {
            return KeyParseError::TooLong;
        }
        if !bytes.iter().all(|&b| b == b'_' || base62::is_digit(b)) {
            return KeyParseError::InvalidCharacter;
        }
        // Split from the right: the prefix may contain `_`, the id and the
        // secret never do.
        let mut parts = bytes.rsplitn(3, |&b| b == b'_');
        let (Some(tail), Some(id), Some(prefix)) = (parts.next(), parts.next(), parts.next())
        else {
            return KeyParseError::Shape;
        };
        if tail.len() != SECRET_LEN + CHECKSUM_LEN || id.len() != ID_LEN || prefix.is_empty() {
            return KeyParseError::Shape;
        }
        if prefix != self.prefix.as_bytes() {
            return KeyParseError::WrongPrefix;
        }
        // Every part has the expected shape, which `split_exact` accepts.
        KeyParseError::Shape
    }
}

fn is_valid_prefix(prefix: &str) -> bool {
    let bytes = prefix.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_PREFIX_LEN {
        return false;
    }
    if !bytes.first().is_some_and(u8::is_ascii_lowercase) {
        return false;
    }
    prefix.split('_').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format() -> KeyFormat {
        KeyFormat::new("sk_live").unwrap()
    }

    #[test]
    fn generated_key_parses_back() {
        let rng = SystemRandom::new();
        let generated = format().generate(&rng).unwrap();
        let key = generated.key.expose_secret();
        assert_eq!(key.len(), 7 + 1 + ID_LEN + 1 + SECRET_LEN + CHECKSUM_LEN);
        let parsed = format().parse(key).unwrap();
        assert_eq!(parsed.id(), generated.id);
        assert_eq!(parsed.secret(), &generated.secret);
    }

    #[test]
    fn prefixes() {
        for ok in ["sk", "sk_live", "a1_b2_c3", "x"] {
            assert!(KeyFormat::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Sk",
            "1sk",
            "sk_",
            "_sk",
            "sk__live",
            "sk-live",
            "ſk",
            &"a".repeat(MAX_PREFIX_LEN + 1),
        ] {
            assert!(KeyFormat::new(bad).is_err(), "{bad}");
        }
        assert!(KeyFormat::new(&"a".repeat(MAX_PREFIX_LEN)).is_ok());
    }

    #[test]
    fn longest_prefix_key_fits_the_limit() {
        let rng = SystemRandom::new();
        let format = KeyFormat::new(&"a".repeat(MAX_PREFIX_LEN)).unwrap();
        let generated = format.generate(&rng).unwrap();
        assert_eq!(generated.key.expose_secret().len(), MAX_KEY_LEN);
        assert!(format.parse(generated.key.expose_secret()).is_ok());
    }
}
