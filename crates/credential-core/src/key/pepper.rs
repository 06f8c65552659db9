//! Keyed hashing of key secrets: HMAC-SHA-256 under a versioned pepper.
//!
//! A store holds only `HMAC-SHA-256(pepper, secret)` and the pepper's
//! version. A stolen database therefore cannot be brute-forced without the
//! pepper, which lives in the application's configuration, not the database.
//!
//! Peppers rotate: [`Peppers`] holds one current pepper, which hashes every
//! new secret, and any number of previous ones, which still verify. A hash
//! made under a previous pepper is re-hashed under the current one after
//! its next successful verification.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// Shortest pepper accepted, in bytes: the HMAC-SHA-256 output size.
pub const MIN_PEPPER_LEN: usize = 32;

/// A server-side secret that keys the hash of every API key secret.
///
/// `Debug` shows only the version. The raw bytes and the HMAC state keyed
/// with them are wiped on drop.
///
/// ```
/// use credential_core::key::Pepper;
///
/// let pepper = Pepper::new(1, &[7u8; 32])?;
/// assert_eq!(format!("{pepper:?}"), "Pepper { version: 1, .. }");
/// assert!(Pepper::new(2, b"too short").is_err());
/// # Ok::<(), credential_core::key::InvalidPepper>(())
/// ```
pub struct Pepper {
    version: u32,
    bytes: Zeroizing<Vec<u8>>,
    /// HMAC-SHA-256 with the key already absorbed: each hash starts from a
    /// copy of it. RustCrypto's `hmac`, not `ring`'s: its state can be
    /// wiped (the `zeroize` feature), and every API-key request hashes, so
    /// its lighter path matters.
    key: Hmac<Sha256>,
}

/// A pepper that is too short, or randomness that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidPepper {
    /// Fewer than [`MIN_PEPPER_LEN`] bytes.
    #[error("a pepper needs at least {MIN_PEPPER_LEN} bytes")]
    TooShort,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

impl Pepper {
    /// A pepper from secret bytes (at least [`MIN_PEPPER_LEN`]) and the
    /// version recorded beside every hash it makes.
    pub fn new(version: u32, secret: &[u8]) -> Result<Self, InvalidPepper> {
        if secret.len() < MIN_PEPPER_LEN {
            return Err(InvalidPepper::TooShort);
        }
        // HMAC takes a key of any length: this cannot fail.
        let key = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| InvalidPepper::TooShort)?;
        Ok(Self {
            version,
            bytes: Zeroizing::new(secret.to_vec()),
            key,
        })
    }

    /// A new random 32-byte pepper from the system CSPRNG.
    pub fn generate(version: u32) -> Result<Self, InvalidPepper> {
        let mut bytes = Zeroizing::new([0u8; MIN_PEPPER_LEN]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| InvalidPepper::Random)?;
        Self::new(version, bytes.as_ref())
    }

    /// The version stored beside each hash this pepper makes.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The raw pepper bytes, to persist them in a secret manager.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }

    /// `HMAC-SHA-256(pepper, secret)`.
    pub fn hash(&self, secret: &[u8]) -> KeyHash {
        KeyHash {
            pepper_version: self.version,
            digest: self.mac(secret).finalize().into_bytes().into(),
        }
    }

    /// The HMAC over `secret`, not yet finalized.
    fn mac(&self, secret: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.key.clone();
        mac.update(secret);
        mac
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pepper")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Pepper {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && bool::from(self.bytes.as_slice().ct_eq(other.bytes.as_slice()))
    }
}

impl Eq for Pepper {}

// `Zeroizing` wipes the raw bytes on drop, and each part of the keyed HMAC
// state wipes itself: its two SHA-256 states (inner and outer key) and its
// block buffer, as checked here at compile time.
impl ZeroizeOnDrop for Pepper {}

const _: fn() = || {
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<<Sha256 as hmac::EagerHash>::Core>();
    wiped_on_drop::<hmac::digest::block_api::Buffer<hmac::block_api::HmacCore<Sha256>>>();
};

/// The stored form of a key secret: its HMAC and the pepper version used.
///
/// Comparison is constant-time.
#[derive(Clone, Copy)]
pub struct KeyHash {
    pepper_version: u32,
    digest: [u8; 32],
}

impl KeyHash {
    /// A hash read back from storage.
    pub fn from_parts(pepper_version: u32, digest: [u8; 32]) -> Self {
        Self {
            pepper_version,
            digest,
        }
    }

    /// The version of the pepper that made this hash.
    pub fn pepper_version(&self) -> u32 {
        self.pepper_version
    }

    /// The HMAC-SHA-256 digest, for storage.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

impl PartialEq for KeyHash {
    fn eq(&self, other: &Self) -> bool {
        self.pepper_version == other.pepper_version && bool::from(self.digest.ct_eq(&other.digest))
    }
}

impl Eq for KeyHash {}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyHash")
            .field("pepper_version", &self.pepper_version)
            .finish_non_exhaustive()
    }
}

/// Stored as `"v{version}:{hex digest}"`, so a record is plain JSON.
impl Serialize for KeyHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(12 + 64);
        // Writing to a String cannot fail.
        let _ = write!(text, "v{}:", self.pepper_version);
        for byte in self.digest {
            let _ = write!(text, "{byte:02x}");
        }
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for KeyHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_stored_hash(&text).ok_or_else(|| {
            serde::de::Error::custom("expected a key hash \"v{version}:{64 hex digits}\"")
        })
    }
}

fn parse_stored_hash(text: &str) -> Option<KeyHash> {
    let (version, hex) = text.strip_prefix('v')?.split_once(':')?;
    let pepper_version = version.parse().ok()?;
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (slot, pair) in digest.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *slot = (hex_value(*hi)? << 4) | hex_value(*lo)?;
    }
    Some(KeyHash {
        pepper_version,
        digest,
    })
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// The outcome of checking a secret against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCheck {
    /// The secret matches and the hash uses the current pepper.
    Match,
    /// The secret matches under a previous pepper; store this new hash.
    MatchNeedsUpgrade(KeyHash),
    /// The secret does not match.
    Mismatch,
    /// The hash was made by a pepper that is no longer configured.
    UnknownPepper,
}

/// The current pepper and the previous ones that still verify.
///
/// ```
/// use credential_core::key::{HashCheck, Pepper, Peppers};
///
/// let old = Peppers::new(Pepper::new(1, &[1u8; 32])?);
/// let hash = old.hash(b"secret");
///
/// let rotated = Peppers::new(Pepper::new(2, &[2u8; 32])?).with_previous(Pepper::new(1, &[1u8; 32])?);
/// assert!(matches!(rotated.check(b"secret", &hash), HashCheck::MatchNeedsUpgrade(h) if h.pepper_version() == 2));
/// assert_eq!(rotated.check(b"wrong", &hash), HashCheck::Mismatch);
/// # Ok::<(), credential_core::key::InvalidPepper>(())
/// ```
#[derive(Debug)]
pub struct Peppers {
    current: Pepper,
    previous: Vec<Pepper>,
}

impl Peppers {
    /// A set whose only pepper is `current`.
    pub fn new(current: Pepper) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds a retired pepper that still verifies. A previous pepper with
    /// the current pepper's version is ignored: the current one wins.
    #[must_use]
    pub fn with_previous(mut self, pepper: Pepper) -> Self {
        if pepper.version != self.current.version {
            self.previous.retain(|p| p.version != pepper.version);
            self.previous.push(pepper);
        }
        self
    }

    /// The pepper that hashes new secrets.
    pub fn current(&self) -> &Pepper {
        &self.current
    }

    /// Hashes a secret under the current pepper.
    pub fn hash(&self, secret: &[u8]) -> KeyHash {
        self.current.hash(secret)
    }

    /// Checks a secret against a stored hash in constant time.
    pub fn check(&self, secret: &[u8], stored: &KeyHash) -> HashCheck {
        let pepper = if stored.pepper_version == self.current.version {
            &self.current
        } else {
            match self
                .previous
                .iter()
                .find(|p| p.version == stored.pepper_version)
            {
                Some(pepper) => pepper,
                None => return HashCheck::UnknownPepper,
            }
        };
        // `verify_slice` compares the tags in constant time.
        if pepper.mac(secret).verify_slice(&stored.digest).is_err() {
            HashCheck::Mismatch
        } else if pepper.version == self.current.version {
            HashCheck::Match
        } else {
            HashCheck::MatchNeedsUpgrade(self.current.hash(secret))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hash_round_trips_through_json() {
        let hash = Pepper::new(7, &[9u8; 32]).unwrap().hash(b"abc");
        let json = serde_json::to_string(&hash).unwrap();
        assert!(json.starts_with("\"v7:"), "{json}");
        let back: KeyHash = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hash);
        for bad in [
            "\"v7:zz\"",
            "\"7:00\"",
            "\"vx:00\"",
            "\"v1:\"",
            &format!("\"v1:{}\"", "G".repeat(64)),
        ] {
            assert!(serde_json::from_str::<KeyHash>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hash_is_hmac_sha256_of_the_secret() {
        // RFC 4231, test case 6: a key longer than the block.
        let pepper = Pepper::new(1, &[0xaa; 131]).unwrap();
        let digest = pepper.hash(b"Test Using Larger Than Block-Size Key - Hash Key First");
        let hex: String = digest.digest().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );

        // The same tags as ring's HMAC, over keys and secrets of every
        // length around the block and padding boundaries.
        for key_len in [32, 55, 56, 63, 64, 65, 128] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let pepper = Pepper::new(1, &key).unwrap();
            let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
            for secret_len in 0..=130 {
                let secret: Vec<u8> = (0..secret_len).map(|i| (i * 13 + key_len) as u8).collect();
                let expected = ring::hmac::sign(&ring_key, &secret);
                let hash = pepper.hash(&secret);
                assert_eq!(hash.digest(), expected.as_ref(), "{key_len} {secret_len}");
                let peppers = Peppers::new(Pepper::new(1, &key).unwrap());
                assert_eq!(peppers.check(&secret, &hash), HashCheck::Match);
                let mut wrong = *hash.digest();
                wrong[31] ^= 1;
                let wrong = KeyHash::from_parts(1, wrong);
                assert_eq!(peppers.check(&secret, &wrong), HashCheck::Mismatch);
            }
        }
    }

    #[test]
    fn unknown_pepper_version_does_not_verify() {
        let a = Peppers::new(Pepper::new(1, &[1; 32]).unwrap());
        let b = Peppers::new(Pepper::new(2, &[2; 32]).unwrap());
        assert_eq!(b.check(b"s", &a.hash(b"s")), HashCheck::UnknownPepper);
    }
}
