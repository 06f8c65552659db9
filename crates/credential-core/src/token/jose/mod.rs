//! JOSE building blocks: JWS algorithms, JSON Web Keys and key sets, and
//! the keys that sign and verify.
//!
//! - [`Algorithm`]: HS256, EdDSA and ES256 sign and verify; RS256 and PS256
//!   only verify, so tokens of external identity providers can be checked.
//! - [`SigningKey`]: generate, load from or save to a private JWK, sign.
//! - [`VerifyingKey`]: pinned to exactly one algorithm; verify, publish.
//! - [`Jwk`], [`JwkSet`]: strict parsing (RFC 7517, RFC 7518 §6, RFC 8037)
//!   and serialization; [`JwkSet::to_public_json`] is a JWKS endpoint body.
//!
//! ```
//! use credential_core::token::jose::{Algorithm, JwkSet, SigningKey, VerifyingKey};
//!
//! // The issuer.
//! let signing = SigningKey::generate(Algorithm::ES256)?;
//! let signature = signing.sign(b"header.payload")?;
//! let jwks: JwkSet = [signing.to_private_jwk("2030-01")].into_iter().collect();
//! let published = jwks.to_public_json();
//!
//! // A verifier that fetched the JWKS.
//! let fetched = JwkSet::parse(published.as_bytes())?;
//! let key = VerifyingKey::from_jwk(&fetched.keys()[0])?;
//! assert_eq!(key.algorithm(), Algorithm::ES256);
//! assert!(key.verify(b"header.payload", &signature));
//! # Ok::<(), credential_core::token::jose::JoseError>(())
//! ```
//!
//! All cryptography and randomness come from `ring`
//! (`ring::rand::SystemRandom`). Parsers return errors and never panic.

mod algorithm;
pub(crate) mod b64;
mod error;
pub(crate) mod json;
mod jwk;
mod jwk_set;
mod signing;
mod verifying;

pub use algorithm::Algorithm;
pub use error::JoseError;
pub use json::MAX_DEPTH as MAX_JSON_DEPTH;
pub(crate) use json::StrictValue;
pub use jwk::{Jwk, MAX_JWK_LEN};
pub use jwk_set::{JwkSet, MAX_JWK_SET_LEN};
pub use signing::SigningKey;
pub use verifying::VerifyingKey;
