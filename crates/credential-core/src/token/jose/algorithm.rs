//! JWS signature algorithms (RFC 7518 §3, RFC 8037 §3.1).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JWS algorithm this crate implements.
///
/// `none` is not one: an unsecured token has no algorithm to verify.
///
/// ```
/// use credential_core::token::jose::Algorithm;
///
/// assert_eq!(Algorithm::from_name("ES256"), Some(Algorithm::ES256));
/// assert_eq!(Algorithm::from_name("none"), None);
/// assert_eq!(Algorithm::from_name("hs256"), None);
/// assert_eq!(Algorithm::EdDSA.as_str(), "EdDSA");
/// assert!(!Algorithm::RS256.can_sign());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256, over a shared secret of at least 32 bytes.
    HS256,
    /// Ed25519 signatures (RFC 8037).
    EdDSA,
    /// ECDSA over P-256 with SHA-256, signatures in the fixed `r || s` form.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; verification only.
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256; verification only.
    PS256,
}

impl Algorithm {
    /// Every algorithm, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::HS256,
        Self::EdDSA,
        Self::ES256,
        Self::RS256,
        Self::PS256,
    ];

    /// The JOSE name, as in a header's `alg`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
        }
    }

    /// The algorithm with this exact JOSE name. Matching is case-sensitive
    /// and exact, as RFC 7515 §4.1.1 requires: `hs256`, `"HS256 "` and
    /// `none` are `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == name)
    }

    /// Whether this crate can sign with the algorithm. RSA keys are only
    /// verified, so tokens of external identity providers can be checked.
    pub const fn can_sign(self) -> bool {
        matches!(self, Self::HS256 | Self::EdDSA | Self::ES256)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its JOSE name.
impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| serde::de::Error::custom("unsupported JWS algorithm"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.as_str()), Some(alg));
            assert_eq!(alg.to_string(), alg.as_str());
        }
        for bad in [
            "none", "None", "hs256", "HS256 ", " HS256", "EDDSA", "ES384", "", "HS256\0",
        ] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_hs_ed_and_es_sign() {
        let signers: Vec<_> = Algorithm::ALL
            .into_iter()
            .filter(|a| a.can_sign())
            .collect();
        assert_eq!(
            signers,
            [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256]
        );
    }

    #[test]
    fn serde_uses_the_name() {
        assert_eq!(
            serde_json::to_string(&Algorithm::PS256).unwrap(),
            "\"PS256\""
        );
        let alg: Algorithm = serde_json::from_str("\"EdDSA\"").unwrap();
        assert_eq!(alg, Algorithm::EdDSA);
        assert!(serde_json::from_str::<Algorithm>("\"none\"").is_err());
        assert!(serde_json::from_str::<Algorithm>("1").is_err());
    }
}
