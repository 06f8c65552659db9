//! JWK Sets (RFC 7517 §5): the `{"keys": [...]}` document of a JWKS
//! endpoint.

use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{JoseError, Jwk, StrictValue, json};

/// Largest accepted JSON text for a JWK Set, in bytes.
pub const MAX_JWK_SET_LEN: usize = 256 * 1024;

/// A set of JSON Web Keys.
///
/// Parsing skips a key whose `kty`, `crv`, `alg` or `use` this crate does
/// not implement, as RFC 7517 §5 allows, so one exotic key does not break
/// a provider's whole set; a malformed key of a supported type is an error.
/// Keys keep their order; two keys may share a `kid`.
///
/// ```
/// use credential_core::token::jose::{Algorithm, JwkSet, SigningKey};
///
/// let signing = SigningKey::generate(Algorithm::EdDSA)?;
/// let hmac = SigningKey::generate(Algorithm::HS256)?;
/// let set: JwkSet = [signing.to_private_jwk("ed-1"), hmac.to_private_jwk("hs-1")]
///     .into_iter()
///     .collect();
///
/// // Published: only the Ed25519 public key, without `d`.
/// let published = JwkSet::parse(set.to_public_json().as_bytes())?;
/// assert_eq!(published.keys().len(), 1);
/// assert_eq!(published.keys()[0].kid(), Some("ed-1"));
/// assert!(!published.keys()[0].is_private());
///
/// // An unsupported key is skipped, not an error.
/// let foreign = JwkSet::parse(br#"{"keys":[{"kty":"EC","crv":"P-384","x":"..","y":".."}]}"#)?;
/// assert!(foreign.keys().is_empty());
/// # Ok::<(), credential_core::token::jose::JoseError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

impl JwkSet {
    /// A set of these keys.
    pub fn new(keys: Vec<Jwk>) -> Self {
        Self { keys }
    }

    /// Parses a JWK Set from JSON text of at most [`MAX_JWK_SET_LEN`] bytes.
    pub fn parse(json: &[u8]) -> Result<Self, JoseError> {
        if json.len() > MAX_JWK_SET_LEN {
            return Err(JoseError::TooLarge);
        }
        Self::from_members(json::parse_object(json)?)
    }

    fn from_members(mut members: Map<String, Value>) -> Result<Self, JoseError> {
        let Some(entries) = members.remove("keys") else {
            return Err(JoseError::MissingMember("keys"));
        };
        let Value::Array(entries) = entries else {
            return Err(JoseError::InvalidMember("keys"));
        };
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Object(key_members) = entry else {
                return Err(JoseError::InvalidMember("keys"));
            };
            match Jwk::from_members(key_members) {
                Ok(key) => keys.push(key),
                Err(error) if error.is_unsupported() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(Self { keys })
    }

    /// The keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The set as JSON text, private members included: use
    /// [`to_public_json`](Self::to_public_json) to publish.
    pub fn to_json(&self) -> String {
        let bound = self.keys.iter().map(Jwk::json_len_bound).sum::<usize>() + 16;
        // Sized up front so private members are never left behind by a
        // reallocation.
        let mut out = Vec::with_capacity(bound);
        // Writing to a Vec cannot fail, and no member here fails to serialize.
        let _ = serde_json::to_writer(&mut out, self);
        String::from_utf8(out).unwrap_or_default()
    }

    /// The public parts of the keys as a JWK Set document, for a JWKS
    /// endpoint: private members are dropped and symmetric keys are left
    /// out entirely.
    pub fn to_public_json(&self) -> String {
        let public: Self = self.keys.iter().filter_map(Jwk::to_public).collect();
        public.to_json()
    }
}

impl FromIterator<Jwk> for JwkSet {
    fn from_iter<I: IntoIterator<Item = Jwk>>(keys: I) -> Self {
        Self::new(keys.into_iter().collect())
    }
}

impl From<Vec<Jwk>> for JwkSet {
    fn from(keys: Vec<Jwk>) -> Self {
        Self::new(keys)
    }
}

/// Serialized as `{"keys":[...]}`, private members included.
impl Serialize for JwkSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("keys", &self.keys)?;
        map.end()
    }
}

/// Deserialized with the same rules as [`JwkSet::parse`], except the size
/// limit, which belongs to whoever reads the input.
impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde::de::DeserializeSeed::deserialize(StrictValue, deserializer)? {
            Value::Object(members) => Self::from_members(members).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(JoseError::NotAnObject)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED_PUBLIC: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    fn set(keys: &[&str]) -> String {
        format!(r#"{{"keys":[{}]}}"#, keys.join(","))
    }

    #[test]
    fn parses_supported_keys_in_order() {
        let oct = r#"{"kty":"oct","kid":"hs","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#;
        let parsed = JwkSet::parse(set(&[ED_PUBLIC, oct]).as_bytes()).unwrap();
        let kids: Vec<_> = parsed.keys().iter().map(|k| k.kid().unwrap()).collect();
        assert_eq!(kids, ["ed", "hs"]);
    }

    #[test]
    fn skips_unsupported_keys() {
        let skipped = [
            r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
            r#"{"kty":"OKP","crv":"X25519","x":"AA"}"#,
            r#"{"kty":"oct","alg":"HS512","k":"AA"}"#,
            r#"{"kty":"RSA","alg":"RSA-OAEP","n":"AA","e":"AQAB"}"#,
            r#"{"kty":"RSA","use":"enc","n":"AA","e":"AQAB"}"#,
            r#"{"kty":"AKP","alg":"ML-DSA-44","pub":"AA"}"#,
            // Foreign keys are skipped whatever their other members look like.
            r#"{"kty":"foo","kid":7,"d":1,"k":[]}"#,
            r#"{"kty":"EC","crv":"P-384","x":1,"d":{}}"#,
            r#"{"kty":"oct","alg":"A128KW","k":"short","kid":null}"#,
        ];
        let mut keys = skipped.to_vec();
        keys.push(ED_PUBLIC);
        let parsed = JwkSet::parse(set(&keys).as_bytes()).unwrap();
        assert_eq!(parsed.keys().len(), 1);
        assert_eq!(parsed.keys()[0].kid(), Some("ed"));
    }

    #[test]
    fn malformed_supported_key_fails_the_set() {
        for bad in [
            r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#,
            r#"{"kty":"OKP","crv":"Ed25519"}"#,
            r#"{"crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            r#"{"kty":"oct","alg":"EdDSA","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
            r#""not an object""#,
        ] {
            assert!(
                JwkSet::parse(set(&[ED_PUBLIC, bad]).as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn requires_a_keys_array() {
        assert_eq!(
            JwkSet::parse(b"{}").unwrap_err(),
            JoseError::MissingMember("keys")
        );
        assert_eq!(
            JwkSet::parse(br#"{"keys":{}}"#).unwrap_err(),
            JoseError::InvalidMember("keys")
        );
        assert_eq!(JwkSet::parse(b"[]").unwrap_err(), JoseError::NotAnObject);
        assert!(JwkSet::parse(br#"{"keys":[]}"#).unwrap().keys().is_empty());
    }

    #[test]
    fn rejects_duplicates_and_oversize() {
        assert_eq!(
            JwkSet::parse(br#"{"keys":[],"keys":[]}"#).unwrap_err(),
            JoseError::DuplicateMember("keys".into())
        );
        let big = format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWK_SET_LEN));
        assert_eq!(
            JwkSet::parse(big.as_bytes()).unwrap_err(),
            JoseError::TooLarge
        );
    }

    #[test]
    fn serde_round_trip() {
        let parsed: JwkSet = serde_json::from_str(&set(&[ED_PUBLIC])).unwrap();
        assert_eq!(parsed.keys().len(), 1);
        let again: JwkSet = serde_json::from_str(&parsed.to_json()).unwrap();
        assert_eq!(again.to_json(), parsed.to_json());
        assert!(serde_json::from_str::<JwkSet>(r#"{"keys":[{"kty":"oct","kty":"oct"}]}"#).is_err());
    }
}
