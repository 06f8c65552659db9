//! JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037 §2): strict parsing and
//! serialization.

use std::fmt;

use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::{Algorithm, JoseError, StrictValue, b64, json};

/// Largest accepted JSON text for one JWK, in bytes.
pub const MAX_JWK_LEN: usize = 16 * 1024;

/// Shortest HMAC key accepted: RFC 7518 §3.2 wants at least the hash size.
pub(super) const MIN_HMAC_KEY_LEN: usize = 32;

const MIN_RSA_BITS: usize = 2048;
// The largest modulus `ring` verifies with.
const MAX_RSA_BITS: usize = 8192;
const RSA_PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// A parsed JSON Web Key: an HMAC secret (`oct`), an Ed25519 key (`OKP`),
/// a P-256 key (`EC`) or an RSA public key (`RSA`), with its `kid`, `alg`
/// and `use`.
///
/// Parsing is strict: binary members must be unpadded base64url of the
/// exact length their curve fixes, duplicate members and `alg` values
/// that contradict the key type are errors, and a `use` other than `sig`
/// is refused. Unknown members, including `key_ops`, are ignored and not
/// kept. Private members (`d`, `k`) are wiped on drop and never shown by
/// `Debug`.
///
/// ```
/// use credential_core::token::jose::{Algorithm, Jwk, VerifyingKey};
///
/// let jwk = Jwk::parse(br#"{"kty":"OKP","crv":"Ed25519","kid":"k1",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
/// assert_eq!(jwk.kid(), Some("k1"));
/// assert!(!jwk.is_private());
/// assert_eq!(VerifyingKey::from_jwk(&jwk)?.algorithm(), Algorithm::EdDSA);
///
/// // Padded base64 is not base64url-without-padding.
/// assert!(Jwk::parse(br#"{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#).is_err());
/// # Ok::<(), credential_core::token::jose::JoseError>(())
/// ```
#[derive(Clone)]
pub struct Jwk {
    kid: Option<String>,
    alg: Option<Algorithm>,
    sig_use: bool,
    material: Material,
}

/// The key itself, by type. Curves are fixed by the variant.
#[derive(Clone)]
pub(super) enum Material {
    /// An HMAC secret of at least [`MIN_HMAC_KEY_LEN`] bytes.
    Oct { k: Zeroizing<Vec<u8>> },
    /// Ed25519: the public key and, for a private key, the seed.
    Okp {
        x: [u8; 32],
        d: Option<Zeroizing<[u8; 32]>>,
    },
    /// P-256: the public point and, for a private key, the scalar.
    Ec {
        x: [u8; 32],
        y: [u8; 32],
        d: Option<Zeroizing<[u8; 32]>>,
    },
    /// An RSA public key, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

/// The `kty` values this crate implements.
#[derive(Clone, Copy)]
enum KeyType {
    Oct,
    Okp,
    Ec,
    Rsa,
}

impl Material {
    /// The algorithm a key of this type pins when its JWK has no `alg`;
    /// `None` for RSA, which fits two.
    pub(super) fn default_algorithm(&self) -> Option<Algorithm> {
        match self {
            Self::Oct { .. } => Some(Algorithm::HS256),
            Self::Okp { .. } => Some(Algorithm::EdDSA),
            Self::Ec { .. } => Some(Algorithm::ES256),
            Self::Rsa { .. } => None,
        }
    }

    /// Whether `alg` can be used with a key of this type.
    pub(super) fn fits(&self, alg: Algorithm) -> bool {
        match self {
            Self::Rsa { .. } => matches!(alg, Algorithm::RS256 | Algorithm::PS256),
            _ => self.default_algorithm() == Some(alg),
        }
    }

    fn kty(&self) -> &'static str {
        match self {
            Self::Oct { .. } => "oct",
            Self::Okp { .. } => "OKP",
            Self::Ec { .. } => "EC",
            Self::Rsa { .. } => "RSA",
        }
    }

    fn crv(&self) -> Option<&'static str> {
        match self {
            Self::Okp { .. } => Some("Ed25519"),
            Self::Ec { .. } => Some("P-256"),
            Self::Oct { .. } | Self::Rsa { .. } => None,
        }
    }
}

impl Jwk {
    /// Parses one JWK from JSON text of at most [`MAX_JWK_LEN`] bytes.
    pub fn parse(json: &[u8]) -> Result<Self, JoseError> {
        if json.len() > MAX_JWK_LEN {
            return Err(JoseError::TooLarge);
        }
        Self::from_members(json::parse_object(json)?)
    }

    /// A JWK from its members, already parsed strictly.
    ///
    /// Whether the key is of a supported kind (`kty`, `crv`, `alg`, `use`)
    /// is settled before any other member is checked, so a JWK Set can
    /// skip a foreign key however its other members look.
    pub(super) fn from_members(mut members: Map<String, Value>) -> Result<Self, JoseError> {
        // Take the secrets out first, so that whatever fails below, the
        // text of a private member is wiped when it is dropped.
        let d_text = take_secret(&mut members, "d");
        let k_text = take_secret(&mut members, "k");

        let kty = match string_member(&members, "kty")?.ok_or(JoseError::MissingMember("kty"))? {
            "oct" => KeyType::Oct,
            "OKP" => KeyType::Okp,
            "EC" => KeyType::Ec,
            "RSA" => KeyType::Rsa,
            _ => return Err(JoseError::UnsupportedKeyType),
        };
        let alg = match string_member(&members, "alg")? {
            Some(name) => Some(Algorithm::from_name(name).ok_or(JoseError::UnsupportedAlgorithm)?),
            None => None,
        };
        let sig_use = match string_member(&members, "use")? {
            Some("sig") => true,
            Some(_) => return Err(JoseError::UnsupportedUse),
            None => false,
        };
        match kty {
            KeyType::Okp => curve(&members, "Ed25519")?,
            KeyType::Ec => curve(&members, "P-256")?,
            KeyType::Oct | KeyType::Rsa => {}
        }

        let kid = string_member(&members, "kid")?.map(str::to_owned);
        let material = match kty {
            KeyType::Oct => {
                let k = secret_bytes(k_text.ok_or(JoseError::MissingMember("k"))?, "k")?;
                if k.len() < MIN_HMAC_KEY_LEN {
                    return Err(JoseError::KeyTooShort);
                }
                Material::Oct { k }
            }
            KeyType::Okp => Material::Okp {
                x: fixed_member(&members, "x")?,
                d: d_text.map(secret_array).transpose()?,
            },
            KeyType::Ec => Material::Ec {
                x: fixed_member(&members, "x")?,
                y: fixed_member(&members, "y")?,
                d: d_text.map(secret_array).transpose()?,
            },
            KeyType::Rsa => {
                let private = RSA_PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m));
                if d_text.is_some() || private {
                    return Err(JoseError::RsaPrivateKey);
                }
                rsa_material(&members)?
            }
        };
        if alg.is_some_and(|alg| !material.fits(alg)) {
            return Err(JoseError::AlgorithmMismatch);
        }
        Ok(Self {
            kid,
            alg,
            sig_use,
            material,
        })
    }

    /// A JWK built by this crate from a key, with `alg` and `use: "sig"`.
    pub(super) fn from_material(kid: &str, alg: Algorithm, material: Material) -> Self {
        Self {
            kid: Some(kid.to_owned()),
            alg: Some(alg),
            sig_use: true,
            material,
        }
    }

    pub(super) fn material(&self) -> &Material {
        &self.material
    }

    /// The key id (`kid`), if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm the JWK names in `alg`, if any.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg
    }

    /// Whether the JWK holds secret material: an `oct` key, or a `d`.
    pub fn is_private(&self) -> bool {
        match &self.material {
            Material::Oct { .. } => true,
            Material::Okp { d, .. } | Material::Ec { d, .. } => d.is_some(),
            Material::Rsa { .. } => false,
        }
    }

    /// The same key without its private members, to publish; `None` for a
    /// symmetric (`oct`) key, which has no public part.
    pub fn to_public(&self) -> Option<Self> {
        let material = match &self.material {
            Material::Oct { .. } => return None,
            Material::Okp { x, .. } => Material::Okp { x: *x, d: None },
            Material::Ec { x, y, .. } => Material::Ec {
                x: *x,
                y: *y,
                d: None,
            },
            Material::Rsa { n, e } => Material::Rsa {
                n: n.clone(),
                e: e.clone(),
            },
        };
        Some(Self {
            kid: self.kid.clone(),
            alg: self.alg,
            sig_use: self.sig_use,
            material,
        })
    }

    /// The JWK as JSON text, private members included if it has them: use
    /// [`to_public`](Self::to_public) first to publish a key.
    pub fn to_json(&self) -> String {
        // Sized up front so the buffer holding private members is never
        // reallocated, which would leave a copy behind in freed memory.
        let mut out = Vec::with_capacity(self.json_len_bound());
        // Writing to a Vec cannot fail, and no member here fails to serialize.
        let _ = serde_json::to_writer(&mut out, self);
        String::from_utf8(out).unwrap_or_default()
    }

    pub(super) fn json_len_bound(&self) -> usize {
        let b64 = |len: usize| len.div_ceil(3) * 4 + 16;
        let material = match &self.material {
            Material::Oct { k } => b64(k.len()),
            Material::Okp { .. } => 2 * b64(32),
            Material::Ec { .. } => 3 * b64(32),
            Material::Rsa { n, e } => b64(n.len()) + b64(e.len()),
        };
        // A kid escapes to at most six bytes a byte ("\u001f").
        128 + material + self.kid.as_ref().map_or(0, |kid| kid.len() * 6)
    }
}

/// Removes a private member, keeping its text in a buffer that is wiped
/// on drop. A value that is not a string is an error only if the member
/// is used.
fn take_secret(
    members: &mut Map<String, Value>,
    name: &'static str,
) -> Option<Result<Zeroizing<String>, JoseError>> {
    members.remove(name).map(|value| match value {
        Value::String(text) => Ok(Zeroizing::new(text)),
        _ => Err(JoseError::InvalidMember(name)),
    })
}

fn string_member<'m>(
    members: &'m Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'m str>, JoseError> {
    match members.get(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(JoseError::InvalidMember(name)),
    }
}

fn curve(members: &Map<String, Value>, expected: &str) -> Result<(), JoseError> {
    match string_member(members, "crv")? {
        Some(crv) if crv == expected => Ok(()),
        Some(_) => Err(JoseError::UnsupportedCurve),
        None => Err(JoseError::MissingMember("crv")),
    }
}

fn bytes_member(members: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JoseError> {
    let text = string_member(members, name)?.ok_or(JoseError::MissingMember(name))?;
    b64::decode(text.as_bytes()).ok_or(JoseError::InvalidBase64(name))
}

fn fixed_member(members: &Map<String, Value>, name: &'static str) -> Result<[u8; 32], JoseError> {
    bytes_member(members, name)?
        .try_into()
        .map_err(|_| JoseError::InvalidLength(name))
}

fn secret_bytes(
    text: Result<Zeroizing<String>, JoseError>,
    name: &'static str,
) -> Result<Zeroizing<Vec<u8>>, JoseError> {
    let text = text?;
    let mut bytes = Zeroizing::new(Vec::new());
    if b64::decode_into(text.as_bytes(), &mut bytes) {
        Ok(bytes)
    } else {
        Err(JoseError::InvalidBase64(name))
    }
}

fn secret_array(
    text: Result<Zeroizing<String>, JoseError>,
) -> Result<Zeroizing<[u8; 32]>, JoseError> {
    let bytes = secret_bytes(text, "d")?;
    let mut array = Zeroizing::new([0u8; 32]);
    if bytes.len() != array.len() {
        return Err(JoseError::InvalidLength("d"));
    }
    array.copy_from_slice(&bytes);
    Ok(array)
}

fn rsa_material(members: &Map<String, Value>) -> Result<Material, JoseError> {
    // RFC 7518 §6.3.1.1 asks producers to drop the leading zero octet some
    // libraries add; accepting it costs nothing and the key is the same.
    let n = without_leading_zeros(bytes_member(members, "n")?);
    let e = without_leading_zeros(bytes_member(members, "e")?);
    let bits = n
        .first()
        .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err(JoseError::KeyTooShort);
    }
    if bits > MAX_RSA_BITS || n.last().is_none_or(|low| low % 2 == 0) {
        return Err(JoseError::InvalidKey);
    }
    // `ring` verifies with odd exponents from 3 to 2^33 - 1.
    let exponent = if e.len() <= 8 {
        e.iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))
    } else {
        u64::MAX
    };
    if exponent < 3 || exponent % 2 == 0 || exponent > (1 << 33) - 1 {
        return Err(JoseError::InvalidKey);
    }
    Ok(Material::Rsa { n, e })
}

fn without_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|byte| **byte == 0).count();
    bytes.drain(..zeros);
    bytes
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Jwk");
        out.field("kty", &self.material.kty());
        if let Some(crv) = self.material.crv() {
            out.field("crv", &crv);
        }
        out.field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &self.is_private())
            .finish_non_exhaustive()
    }
}

// `Zeroizing` wipes `k` and `d` on drop.
impl ZeroizeOnDrop for Jwk {}

/// Serialized as a JWK JSON object, private members included.
impl Serialize for Jwk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kty", self.material.kty())?;
        if let Some(kid) = &self.kid {
            map.serialize_entry("kid", kid)?;
        }
        if self.sig_use {
            map.serialize_entry("use", "sig")?;
        }
        if let Some(alg) = self.alg {
            map.serialize_entry("alg", alg.as_str())?;
        }
        if let Some(crv) = self.material.crv() {
            map.serialize_entry("crv", crv)?;
        }
        match &self.material {
            Material::Oct { k } => {
                map.serialize_entry("k", secret_text(k).as_str())?;
            }
            Material::Okp { x, d } => {
                map.serialize_entry("x", &b64::encode(x))?;
                if let Some(d) = d {
                    map.serialize_entry("d", secret_text(d.as_slice()).as_str())?;
                }
            }
            Material::Ec { x, y, d } => {
                map.serialize_entry("x", &b64::encode(x))?;
                map.serialize_entry("y", &b64::encode(y))?;
                if let Some(d) = d {
                    map.serialize_entry("d", secret_text(d.as_slice()).as_str())?;
                }
            }
            Material::Rsa { n, e } => {
                map.serialize_entry("n", &b64::encode(n))?;
                map.serialize_entry("e", &b64::encode(e))?;
            }
        }
        map.end()
    }
}

fn secret_text(bytes: &[u8]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(3) * 4));
    b64::encode_into(bytes, &mut text);
    text
}

/// Deserialized with the same rules as [`Jwk::parse`], except the size
/// limit, which belongs to whoever reads the input.
impl<'de> Deserialize<'de> for Jwk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde::de::DeserializeSeed::deserialize(StrictValue, deserializer)? {
            Value::Object(members) => Self::from_members(members).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(JoseError::NotAnObject)),
        }
    }
}

#[cfg(test)]
mod tests;
