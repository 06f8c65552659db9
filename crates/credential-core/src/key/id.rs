//! The public id of a key.

use std::fmt;
use std::str::FromStr;

use ring::rand::SystemRandom;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::base62;

/// Number of base62 characters in a [`KeyId`] (about 95 random bits).
pub const ID_LEN: usize = 16;

/// The public, random, unique id of an API key (16 base62 characters).
///
/// It is the store lookup key and what logs, audit trails and dashboards show.
/// It is not secret. It is `Copy` and needs no allocation.
///
/// ```
/// use credential_core::KeyId;
///
/// let id: KeyId = "0123456789abcdef".parse()?;
/// assert_eq!(id.as_str(), "0123456789abcdef");
/// assert!("0123456789abcde_".parse::<KeyId>().is_err());
/// # Ok::<(), credential_core::key::InvalidKeyId>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; ID_LEN]);

/// A string that is not a [`KeyId`]: it must be exactly 16 base62 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a key id is exactly 16 characters of [0-9A-Za-z]")]
pub struct InvalidKeyId;

impl KeyId {
    /// A new random id from the system CSPRNG.
    pub(crate) fn generate(rng: &SystemRandom) -> Result<Self, ring::error::Unspecified> {
        let mut id = [0u8; ID_LEN];
        base62::fill_random(rng, &mut id)?;
        Ok(Self(id))
    }

    /// An id from bytes the caller has already checked.
    pub(crate) fn from_checked(id: [u8; ID_LEN]) -> Self {
        Self(id)
    }

    /// Reads an id from bytes, checking length and alphabet.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidKeyId> {
        let id: [u8; ID_LEN] = bytes.try_into().map_err(|_| InvalidKeyId)?;
        if id.iter().all(|&b| base62::is_digit(b)) {
            Ok(Self(id))
        } else {
            Err(InvalidKeyId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Always valid: the constructor admits only ASCII digits and letters.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for KeyId {
    type Err = InvalidKeyId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(s.as_bytes())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.as_str())
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
