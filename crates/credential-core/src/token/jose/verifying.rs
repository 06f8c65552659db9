//! Keys that verify: HS256, EdDSA, ES256, RS256 and PS256.

use std::fmt;
use std::sync::Arc;

use ring::hmac;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
    RsaPublicKeyComponents, UnparsedPublicKey,
};

use super::jwk::Material;
use super::{Algorithm, JoseError, Jwk};

/// A key that checks signatures for exactly one algorithm.
///
/// Cheap to clone. Everything that can be prepared ahead of a verification
/// is prepared when the key is built. An HS256 key holds the shared secret
/// (as `ring`'s HMAC key schedule), so `Debug` shows only the algorithm
/// and [`to_public_jwk`](Self::to_public_jwk) never exports it.
///
/// ```
/// use credential_core::token::jose::{Algorithm, Jwk, SigningKey, VerifyingKey};
///
/// // What an issuer publishes, and what a verifier loads.
/// let signing = SigningKey::generate(Algorithm::EdDSA)?;
/// let published = signing.verifying_key().to_public_jwk("ed-1").expect("asymmetric").to_json();
/// let key = VerifyingKey::from_jwk(&Jwk::parse(published.as_bytes())?)?;
/// assert_eq!(key.algorithm(), Algorithm::EdDSA);
///
/// let signature = signing.sign(b"header.payload")?;
/// assert!(key.verify(b"header.payload", &signature));
/// assert!(!key.verify(b"header.payload!", &signature));
/// assert!(!key.verify(b"header.payload", &signature[..63]));
///
/// // An RSA key fits RS256 and PS256, so it must be pinned to one.
/// let rsa = Jwk::parse(br#"{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}"#)?;
/// assert!(VerifyingKey::from_jwk(&rsa).is_err());
/// assert_eq!(VerifyingKey::from_jwk_with_algorithm(&rsa, Algorithm::RS256)?.algorithm(), Algorithm::RS256);
/// # Ok::<(), credential_core::token::jose::JoseError>(())
/// ```
#[derive(Clone)]
pub struct VerifyingKey {
    inner: Arc<Inner>,
}

enum Inner {
    Hs256(hmac::Key),
    EdDsa(UnparsedPublicKey<[u8; 32]>),
    Es256 {
        x: [u8; 32],
        y: [u8; 32],
        key: UnparsedPublicKey<[u8; 65]>,
    },
    // `ring` 0.17 has no public type for a parsed RSA public key, so the
    // components are parsed on each verification.
    Rsa {
        alg: Algorithm,
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl VerifyingKey {
    /// A key from a JWK (public or private), for the algorithm the JWK
    /// names in `alg` or, without `alg`, the one its type implies: `oct` →
    /// HS256, Ed25519 → EdDSA, P-256 → ES256. An RSA JWK without `alg` is
    /// [`JoseError::AlgorithmRequired`], since RS256 and PS256 both fit;
    /// use [`from_jwk_with_algorithm`](Self::from_jwk_with_algorithm).
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        let alg = match jwk.algorithm() {
            Some(alg) => alg,
            None => jwk
                .material()
                .default_algorithm()
                .ok_or(JoseError::AlgorithmRequired)?,
        };
        Self::from_jwk_with_algorithm(jwk, alg)
    }

    /// A key from a JWK for `alg`, which must fit the key type (RS256 or
    /// PS256 for RSA, the one algorithm of every other type) and agree
    /// with the JWK's own `alg` if it has one
    /// ([`JoseError::AlgorithmMismatch`] otherwise).
    pub fn from_jwk_with_algorithm(jwk: &Jwk, alg: Algorithm) -> Result<Self, JoseError> {
        let material = jwk.material();
        if !material.fits(alg) || jwk.algorithm().is_some_and(|named| named != alg) {
            return Err(JoseError::AlgorithmMismatch);
        }
        Ok(match material {
            Material::Oct { k } => Self::from_hmac(hmac::Key::new(hmac::HMAC_SHA256, k)),
            Material::Okp { x, .. } => Self::from_ed25519(*x),
            Material::Ec { x, y, .. } => Self::from_p256(*x, *y),
            Material::Rsa { n, e } => Self::new(Inner::Rsa {
                alg,
                n: n.clone(),
                e: e.clone(),
            }),
        })
    }

    fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    pub(super) fn from_hmac(key: hmac::Key) -> Self {
        Self::new(Inner::Hs256(key))
    }

    pub(super) fn from_ed25519(x: [u8; 32]) -> Self {
        Self::new(Inner::EdDsa(UnparsedPublicKey::new(&ED25519, x)))
    }

    pub(super) fn from_p256(x: [u8; 32], y: [u8; 32]) -> Self {
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, p256_point(&x, &y));
        Self::new(Inner::Es256 { x, y, key })
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match &*self.inner {
            Inner::Hs256(_) => Algorithm::HS256,
            Inner::EdDsa(_) => Algorithm::EdDSA,
            Inner::Es256 { .. } => Algorithm::ES256,
            Inner::Rsa { alg, .. } => *alg,
        }
    }

    /// Whether `signature` is this key's signature of `message`. HMAC tags
    /// are compared in constant time. A signature of the wrong length, or
    /// an ES256 signature in DER rather than the fixed `r || s` form, is
    /// simply `false`; so is every signature for a P-256 or Ed25519 public
    /// key that is not a valid point.
    #[must_use]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &*self.inner {
            Inner::Hs256(key) => hmac::verify(key, message, signature).is_ok(),
            Inner::EdDsa(key) => key.verify(message, signature).is_ok(),
            Inner::Es256 { key, .. } => key.verify(message, signature).is_ok(),
            Inner::Rsa { alg, n, e } => {
                let params = if *alg == Algorithm::PS256 {
                    &RSA_PSS_2048_8192_SHA256
                } else {
                    &RSA_PKCS1_2048_8192_SHA256
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, signature)
                    .is_ok()
            }
        }
    }

    /// The key as a public JWK with `kid`, `alg` and `use: "sig"`, for a
    /// JWKS endpoint; `None` for HS256, whose key is a shared secret.
    pub fn to_public_jwk(&self, kid: &str) -> Option<Jwk> {
        let material = match &*self.inner {
            Inner::Hs256(_) => return None,
            Inner::EdDsa(key) => {
                let mut x = [0u8; 32];
                x.copy_from_slice(key.as_ref());
                Material::Okp { x, d: None }
            }
            Inner::Es256 { x, y, .. } => Material::Ec {
                x: *x,
                y: *y,
                d: None,
            },
            Inner::Rsa { n, e, .. } => Material::Rsa {
                n: n.clone(),
                e: e.clone(),
            },
        };
        Some(Jwk::from_material(kid, self.algorithm(), material))
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// The SEC 1 uncompressed encoding of a P-256 point: `0x04 || x || y`.
pub(super) fn p256_point(x: &[u8; 32], y: &[u8; 32]) -> [u8; 65] {
    let mut point = [0x04; 65];
    for (slot, byte) in point.iter_mut().skip(1).zip(x.iter().chain(y)) {
        *slot = *byte;
    }
    point
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_is_uncompressed_x_then_y() {
        let point = p256_point(&[1; 32], &[2; 32]);
        assert_eq!(point[0], 4);
        assert_eq!(&point[1..33], &[1; 32]);
        assert_eq!(&point[33..], &[2; 32]);
    }

    #[test]
    fn hmac_verify_rejects_truncated_and_extended_tags() {
        let key = VerifyingKey::from_hmac(hmac::Key::new(hmac::HMAC_SHA256, &[3; 32]));
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &[3; 32]), b"m");
        assert!(key.verify(b"m", tag.as_ref()));
        assert!(!key.verify(b"m", &tag.as_ref()[..31]));
        let mut longer = tag.as_ref().to_vec();
        longer.push(0);
        assert!(!key.verify(b"m", &longer));
        assert!(!key.verify(b"m", &[]));
    }

    #[test]
    fn invalid_points_never_verify() {
        let ed = VerifyingKey::from_ed25519([0xff; 32]);
        assert!(!ed.verify(b"m", &[0; 64]));
        let ec = VerifyingKey::from_p256([0; 32], [0; 32]);
        assert!(!ec.verify(b"m", &[1; 64]));
    }

    #[test]
    fn debug_shows_only_the_algorithm() {
        let key = VerifyingKey::from_hmac(hmac::Key::new(hmac::HMAC_SHA256, &[0xab; 32]));
        assert_eq!(format!("{key:?}"), "VerifyingKey { algorithm: HS256, .. }");
    }
}
