//! Secret values: an API key as presented to its owner, and the secret part
//! inside it.
//!
//! Each secret type redacts its `Debug` output, wipes its memory on drop and
//! compares in constant time, so a secret cannot leak through a log line, a
//! heap dump of freed memory or a timing side channel on `==`.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::key::format::{CHECKSUM_LEN, MAX_KEY_LEN, SECRET_LEN};

/// A whole API key string such as `sk_live_1a2B…_9xY…`: what the key's owner
/// sends in a header.
///
/// It is returned exactly once, when the key is created or rolled; the store
/// keeps only a keyed hash of its secret part. `Debug` shows the prefix and
/// the public id, never the secret.
///
/// ```
/// use credential_core::ApiKey;
///
/// let secret = "S".repeat(49);
/// let key = ApiKey::new(format!("sk_live_0123456789abcdef_{secret}"));
/// assert_eq!(format!("{key:?}"), r#"ApiKey("sk_live_0123456789abcdef_…")"#);
/// assert_eq!(key, ApiKey::new(format!("sk_live_0123456789abcdef_{secret}")));
/// // Anything not shaped like a key shows nothing at all.
/// assert_eq!(format!("{:?}", ApiKey::new("my_db_password")), r#"ApiKey("…")"#);
/// ```
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    /// Wraps a key string, for example one read from configuration.
    pub fn new(key: impl Into<String>) -> Self {
        Self(Zeroizing::new(key.into()))
    }

    /// The key string, to show its owner once or to send in a request.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The part before the secret (`prefix_id_`), safe to show and log;
    /// empty when the string is not shaped like a key, since then nothing
    /// in it is known to be public.
    pub fn public_part(&self) -> &str {
        public_part(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiKey")
            .field(&format_args!("\"{}…\"", self.public_part()))
            .finish()
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for ApiKey {}

// `Zeroizing` wipes the string's buffer when the key is dropped.
impl ZeroizeOnDrop for ApiKey {}

/// `prefix_id_` of a string shaped like a key (at most 96 characters of
/// `[0-9A-Za-z_]`, ending in `_` and 49 characters), else "".
fn public_part(text: &str) -> &str {
    let shaped =
        text.len() <= MAX_KEY_LEN && text.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric());
    match text.rfind('_') {
        Some(cut) if shaped && text.len() - cut - 1 == SECRET_LEN + CHECKSUM_LEN => {
            text.get(..=cut).unwrap_or("")
        }
        _ => "",
    }
}

/// The secret part of an API key: the base62 characters between the id and
/// the checksum. Only its keyed hash is stored.
#[derive(Clone)]
pub struct KeySecret(Zeroizing<[u8; SECRET_LEN]>);

impl KeySecret {
    pub(crate) fn from_array(bytes: [u8; SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret's bytes (base62 ASCII), as hashed.
    pub fn expose_secret(&self) -> &[u8] {
        self.0.as_ref()
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(<redacted>)")
    }
}

impl PartialEq for KeySecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

impl Eq for KeySecret {}

impl ZeroizeOnDrop for KeySecret {}

/// An opaque refresh token (same shape as an API key, with its own prefix).
///
/// Single use: redeeming it returns a new one. `Debug` shows only the part
/// before the secret.
///
/// ```
/// use credential_core::RefreshToken;
///
/// let token = RefreshToken::new(format!("rt_0123456789abcdef_{}", "S".repeat(49)));
/// assert_eq!(format!("{token:?}"), r#"RefreshToken("rt_0123456789abcdef_…")"#);
/// ```
#[derive(Clone)]
pub struct RefreshToken(Zeroizing<String>);

impl RefreshToken {
    /// Wraps a refresh token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Zeroizing::new(token.into()))
    }

    /// The token string, to send to the client or present to the server.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    fn public_part(&self) -> &str {
        public_part(&self.0)
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RefreshToken")
            .field(&format_args!("\"{}…\"", self.public_part()))
            .finish()
    }
}

impl PartialEq for RefreshToken {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for RefreshToken {}

impl ZeroizeOnDrop for RefreshToken {}

/// A signed access token (a JWT) as sent in `Authorization: Bearer`.
///
/// It is a bearer credential, so it is handled like a secret: `Debug` is
/// redacted, memory is wiped on drop, equality is constant-time.
///
/// ```
/// use credential_core::AccessToken;
///
/// let token = AccessToken::new("eyJhbGciOiJIUzI1NiJ9.e30.sig");
/// assert_eq!(format!("{token:?}"), "AccessToken(<redacted>)");
/// ```
#[derive(Clone)]
pub struct AccessToken(Zeroizing<String>);

impl AccessToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Zeroizing::new(token.into()))
    }

    /// The compact JWS string.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for AccessToken {}

impl ZeroizeOnDrop for AccessToken {}
