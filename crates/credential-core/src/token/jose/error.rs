//! Why a JOSE operation failed.

use super::json::MAX_DEPTH;

/// A key or JSON document that was rejected, or a signing operation that
/// failed.
///
/// Variants name the rule that was broken and, for JWK members, the member
/// name; they never carry key material or echo input values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The input is not well-formed JSON (or not UTF-8).
    #[error("the input is not valid JSON")]
    InvalidJson,
    /// An object names the same member twice (RFC 7515 §5.2, RFC 8259 §4).
    #[error("duplicate JSON member {0:?}")]
    DuplicateMember(String),
    /// Objects and arrays nest deeper than [`MAX_JSON_DEPTH`](super::MAX_JSON_DEPTH).
    #[error("JSON nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// The top-level JSON value is not an object.
    #[error("the JSON value is not an object")]
    NotAnObject,
    /// The input is larger than the limit for its kind.
    #[error("the input exceeds its size limit")]
    TooLarge,
    /// A required member is absent.
    #[error("member `{0}` is missing")]
    MissingMember(&'static str),
    /// A member has the wrong JSON type.
    #[error("member `{0}` has the wrong JSON type")]
    InvalidMember(&'static str),
    /// A binary member is not unpadded, canonical base64url.
    #[error("member `{0}` is not unpadded base64url")]
    InvalidBase64(&'static str),
    /// A binary member does not have the length its curve requires.
    #[error("member `{0}` has the wrong length")]
    InvalidLength(&'static str),
    /// The `kty` is not one of `oct`, `OKP`, `EC`, `RSA`.
    #[error("unsupported key type")]
    UnsupportedKeyType,
    /// The `crv` is not `Ed25519` (for `OKP`) or `P-256` (for `EC`).
    #[error("unsupported curve")]
    UnsupportedCurve,
    /// The `alg` is not one this crate implements, or the algorithm can
    /// only verify.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The `use` member is present and is not `sig`.
    #[error("the key is not for signatures")]
    UnsupportedUse,
    /// An RSA key carries private members. This crate only verifies RSA
    /// signatures, and a key set that carries RSA private keys is a leak
    /// worth stopping.
    #[error("RSA private keys are not accepted")]
    RsaPrivateKey,
    /// The algorithm does not fit the key type, or contradicts the key's
    /// own `alg`.
    #[error("the algorithm does not match the key")]
    AlgorithmMismatch,
    /// An RSA key without `alg`: RS256 and PS256 both fit, and a key must
    /// pin exactly one algorithm.
    #[error("the key must name its algorithm")]
    AlgorithmRequired,
    /// A key shorter than its algorithm allows (HMAC under 32 bytes, RSA
    /// under 2048 bits).
    #[error("the key is too short")]
    KeyTooShort,
    /// Key material that is malformed or inconsistent (a public key that
    /// does not match the private key, an RSA modulus over 8192 bits, an
    /// invalid exponent).
    #[error("the key is invalid")]
    InvalidKey,
    /// A key id that is empty, too long or contains control characters.
    #[error("the key id is empty, too long or contains control characters")]
    InvalidKeyId,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The signature could not be computed.
    #[error("signing failed")]
    Signing,
}

impl JoseError {
    /// Whether the key is well-formed but of a kind this crate does not
    /// implement; RFC 7517 §5 lets a JWK Set skip such keys.
    pub(super) fn is_unsupported(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedKeyType
                | Self::UnsupportedCurve
                | Self::UnsupportedAlgorithm
                | Self::UnsupportedUse
        )
    }
}
