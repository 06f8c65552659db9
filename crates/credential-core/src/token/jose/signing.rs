//! Keys that sign: HS256, EdDSA (Ed25519) and ES256 (P-256).

use std::fmt;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::jwk::{MIN_HMAC_KEY_LEN, Material};
use super::verifying::p256_point;
use super::{Algorithm, JoseError, Jwk, VerifyingKey};

/// A private key that signs JWS signing inputs.
///
/// `Debug` shows only the algorithm. The key bytes this type holds are
/// wiped on drop; `ring` keeps what it derives from them (the HMAC key
/// schedule, the expanded Ed25519 and P-256 scalars) in its own types,
/// which it does not expose for wiping.
///
/// ```
/// use credential_core::token::jose::{Algorithm, SigningKey, VerifyingKey};
///
/// let key = SigningKey::generate(Algorithm::ES256)?;
/// let signature = key.sign(b"header.payload")?;
/// assert_eq!(signature.len(), 64);
/// assert!(key.verifying_key().verify(b"header.payload", &signature));
///
/// // Persist the key as a private JWK, and load it back.
/// let jwk = key.to_private_jwk("2030-01");
/// let loaded = SigningKey::from_jwk(&jwk)?;
/// assert!(key.verifying_key().verify(b"m", &loaded.sign(b"m")?));
/// assert_eq!(format!("{key:?}"), "SigningKey { algorithm: ES256, .. }");
///
/// // Publish only the public part.
/// let public = key.verifying_key().to_public_jwk("2030-01").expect("not symmetric");
/// assert!(!public.is_private());
/// assert!(VerifyingKey::from_jwk(&public)?.verify(b"header.payload", &signature));
/// # Ok::<(), credential_core::token::jose::JoseError>(())
/// ```
pub struct SigningKey {
    inner: Inner,
}

enum Inner {
    Hs256 {
        secret: Zeroizing<Vec<u8>>,
        key: hmac::Key,
    },
    EdDsa {
        seed: Zeroizing<[u8; 32]>,
        pair: Ed25519KeyPair,
    },
    Es256 {
        scalar: Zeroizing<[u8; 32]>,
        x: [u8; 32],
        y: [u8; 32],
        pair: EcdsaKeyPair,
    },
}

impl SigningKey {
    /// A new random key for `alg` from the system CSPRNG: 32 bytes for
    /// HS256, an Ed25519 seed for EdDSA, a P-256 scalar for ES256.
    ///
    /// RS256 and PS256 are [`JoseError::UnsupportedAlgorithm`]: this crate
    /// only verifies RSA.
    pub fn generate(alg: Algorithm) -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        match alg {
            Algorithm::HS256 => {
                let mut secret = Zeroizing::new([0u8; MIN_HMAC_KEY_LEN]);
                rng.fill(secret.as_mut()).map_err(|_| JoseError::Random)?;
                Self::hs256(secret.as_ref())
            }
            Algorithm::EdDSA => {
                let mut seed = Zeroizing::new([0u8; 32]);
                rng.fill(seed.as_mut()).map_err(|_| JoseError::Random)?;
                let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_ref())
                    .map_err(|_| JoseError::InvalidKey)?;
                Ok(Self {
                    inner: Inner::EdDsa { seed, pair },
                })
            }
            Algorithm::ES256 => {
                // `ring` draws a P-256 scalar only inside a PKCS#8 document,
                // so read the scalar and point back out of it.
                let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| JoseError::Random)?;
                let parts = p256_pkcs8::split(document.as_ref()).ok_or(JoseError::InvalidKey)?;
                Self::es256(parts.scalar, &parts.x, &parts.y)
            }
            Algorithm::RS256 | Algorithm::PS256 => Err(JoseError::UnsupportedAlgorithm),
        }
    }

    /// An HS256 key from a shared secret of at least 32 bytes
    /// ([`JoseError::KeyTooShort`] otherwise).
    pub fn hs256(secret: &[u8]) -> Result<Self, JoseError> {
        if secret.len() < MIN_HMAC_KEY_LEN {
            return Err(JoseError::KeyTooShort);
        }
        Ok(Self {
            inner: Inner::Hs256 {
                secret: Zeroizing::new(secret.to_vec()),
                key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            },
        })
    }

    /// A key from a private JWK: `k` for `oct`, `d` and `x` for Ed25519,
    /// `d`, `x` and `y` for P-256. The public members must match the
    /// private ones ([`JoseError::InvalidKey`]); a public JWK is
    /// [`JoseError::MissingMember`]`("d")`; an RSA JWK is
    /// [`JoseError::UnsupportedAlgorithm`].
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, JoseError> {
        let material = jwk.material();
        if let Some(alg) = jwk.algorithm()
            && !material.fits(alg)
        {
            return Err(JoseError::AlgorithmMismatch);
        }
        match material {
            Material::Oct { k } => Self::hs256(k),
            Material::Okp { x, d } => {
                let seed = d.as_ref().ok_or(JoseError::MissingMember("d"))?;
                let pair = Ed25519KeyPair::from_seed_and_public_key(seed.as_ref(), x)
                    .map_err(|_| JoseError::InvalidKey)?;
                Ok(Self {
                    inner: Inner::EdDsa {
                        seed: seed.clone(),
                        pair,
                    },
                })
            }
            Material::Ec { x, y, d } => {
                let scalar = d.as_ref().ok_or(JoseError::MissingMember("d"))?;
                Self::es256(scalar.clone(), x, y)
            }
            Material::Rsa { .. } => Err(JoseError::UnsupportedAlgorithm),
        }
    }

    fn es256(scalar: Zeroizing<[u8; 32]>, x: &[u8; 32], y: &[u8; 32]) -> Result<Self, JoseError> {
        let point = p256_point(x, y);
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar.as_ref(),
            &point,
            &SystemRandom::new(),
        )
        .map_err(|_| JoseError::InvalidKey)?;
        Ok(Self {
            inner: Inner::Es256 {
                scalar,
                x: *x,
                y: *y,
                pair,
            },
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self.inner {
            Inner::Hs256 { .. } => Algorithm::HS256,
            Inner::EdDsa { .. } => Algorithm::EdDSA,
            Inner::Es256 { .. } => Algorithm::ES256,
        }
    }

    /// Signs `message` (a JWS signing input): 32 bytes for HS256, 64 for
    /// EdDSA, and for ES256 the 64-byte `r || s` form RFC 7518 §3.4
    /// requires, not DER.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        match &self.inner {
            Inner::Hs256 { key, .. } => Ok(hmac::sign(key, message).as_ref().to_vec()),
            Inner::EdDsa { pair, .. } => Ok(pair.sign(message).as_ref().to_vec()),
            Inner::Es256 { pair, .. } => pair
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| JoseError::Signing),
        }
    }

    /// The key that verifies this key's signatures. For HS256 it holds the
    /// same secret.
    pub fn verifying_key(&self) -> VerifyingKey {
        match &self.inner {
            Inner::Hs256 { key, .. } => VerifyingKey::from_hmac(key.clone()),
            Inner::EdDsa { pair, .. } => {
                let mut x = [0u8; 32];
                x.copy_from_slice(pair.public_key().as_ref());
                VerifyingKey::from_ed25519(x)
            }
            Inner::Es256 { x, y, .. } => VerifyingKey::from_p256(*x, *y),
        }
    }

    /// The key as a private JWK with `kid`, `alg` and `use: "sig"`, to
    /// persist it; [`from_jwk`](Self::from_jwk) loads it back.
    pub fn to_private_jwk(&self, kid: &str) -> Jwk {
        let material = match &self.inner {
            Inner::Hs256 { secret, .. } => Material::Oct { k: secret.clone() },
            Inner::EdDsa { seed, pair } => {
                let mut x = [0u8; 32];
                x.copy_from_slice(pair.public_key().as_ref());
                Material::Okp {
                    x,
                    d: Some(seed.clone()),
                }
            }
            Inner::Es256 { scalar, x, y, .. } => Material::Ec {
                x: *x,
                y: *y,
                d: Some(scalar.clone()),
            },
        };
        Jwk::from_material(kid, self.algorithm(), material)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

// `Zeroizing` wipes the secret, seed and scalar on drop.
impl ZeroizeOnDrop for SigningKey {}

/// The fixed layout of the PKCS#8 v1 document `ring` generates for P-256
/// (RFC 5915 `ECPrivateKey` inside RFC 5208 `PrivateKeyInfo`):
/// `PREFIX || scalar (32) || MIDDLE || 0x04 || x (32) || y (32)`.
mod p256_pkcs8 {
    use zeroize::Zeroizing;

    const PREFIX: [u8; 36] = [
        0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
        0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30,
        0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
    ];
    const MIDDLE: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];
    const UNCOMPRESSED: u8 = 0x04;

    /// The private scalar and the public point of a P-256 key.
    pub(super) struct Parts {
        pub(super) scalar: Zeroizing<[u8; 32]>,
        pub(super) x: [u8; 32],
        pub(super) y: [u8; 32],
    }

    /// The key in `document`, or `None` if it does not have exactly this
    /// layout.
    pub(super) fn split(document: &[u8]) -> Option<Parts> {
        let rest = document.strip_prefix(&PREFIX)?;
        let (scalar, rest) = rest.split_first_chunk::<32>()?;
        let rest = rest.strip_prefix(&MIDDLE)?.strip_prefix(&[UNCOMPRESSED])?;
        let (x, y) = rest.split_first_chunk::<32>()?;
        Some(Parts {
            scalar: Zeroizing::new(*scalar),
            x: *x,
            y: y.try_into().ok()?,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn split_rejects_other_layouts() {
            let mut document = PREFIX.to_vec();
            document.extend_from_slice(&[7; 32]);
            document.extend_from_slice(&MIDDLE);
            document.push(UNCOMPRESSED);
            document.extend_from_slice(&[8; 32]);
            document.extend_from_slice(&[9; 32]);
            let parts = split(&document).unwrap();
            assert_eq!(
                (*parts.scalar, parts.x, parts.y),
                ([7; 32], [8; 32], [9; 32])
            );

            assert!(split(&document[..document.len() - 1]).is_none());
            let mut longer = document.clone();
            longer.push(0);
            assert!(split(&longer).is_none());
            let mut compressed = document.clone();
            compressed[PREFIX.len() + 32 + MIDDLE.len()] = 0x02;
            assert!(split(&compressed).is_none());
            assert!(split(&[]).is_none());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_with_their_algorithm() {
        for (alg, len) in [
            (Algorithm::HS256, 32),
            (Algorithm::EdDSA, 64),
            (Algorithm::ES256, 64),
        ] {
            let key = SigningKey::generate(alg).unwrap();
            assert_eq!(key.algorithm(), alg);
            let signature = key.sign(b"input").unwrap();
            assert_eq!(signature.len(), len, "{alg}");
            assert!(key.verifying_key().verify(b"input", &signature), "{alg}");
        }
    }

    #[test]
    fn rsa_cannot_sign() {
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            assert_eq!(
                SigningKey::generate(alg).unwrap_err(),
                JoseError::UnsupportedAlgorithm
            );
        }
    }

    #[test]
    fn short_hmac_secret_is_rejected() {
        assert_eq!(
            SigningKey::hs256(&[1; 31]).unwrap_err(),
            JoseError::KeyTooShort
        );
        assert!(SigningKey::hs256(&[1; 32]).is_ok());
    }

    #[test]
    fn generated_p256_document_has_the_expected_layout() {
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let p256_pkcs8::Parts { scalar, x, y } = p256_pkcs8::split(document.as_ref()).unwrap();
        let from_document = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            document.as_ref(),
            &SystemRandom::new(),
        )
        .unwrap();
        assert_eq!(from_document.public_key().as_ref(), p256_point(&x, &y));
        assert!(SigningKey::es256(scalar, &x, &y).is_ok());
    }
}
