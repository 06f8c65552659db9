//! API tokens: signed, short-lived JWT access tokens (RFC 9068), the key
//! ring that signs and verifies them, refresh tokens, and revocation.
//!
//! - [`KeyRing`] maps `kid` to a key pinned to one algorithm, rotates
//!   signing keys and publishes a JWKS.
//! - [`TokenIssuer`] mints access tokens for verified API keys, narrowing
//!   scope only.
//! - [`UntrustedToken`] exposes only the header; [`VerifiedToken`] and its
//!   [`Claims`] exist only after [`KeyRing::verify`] checked the signature
//!   and the [`Validation`] rules.
//! - [`TokenVerifier`] is the [`Verifier`](crate::Verifier) for access
//!   tokens, with revocation through a [`RevocationStore`].
//! - [`Refresher`] issues and redeems single-use refresh tokens with reuse
//!   detection.
//!
//! Supported algorithms: HS256, EdDSA (Ed25519) and ES256 sign and verify;
//! RS256 and PS256 verify, for identity providers' tokens.

mod cache;
mod claims;
mod error;
mod fields;
mod header;
mod issuer;
pub mod jose;
mod keyring;
pub(crate) mod plain;
mod refresh;
mod refresh_store;
mod revocation;
pub(crate) mod scan;
mod untrusted;
mod validation;
mod verifier;

pub use cache::DEFAULT_CACHE_CAPACITY;
pub use claims::Claims;
pub use error::TokenError;
pub use header::Header;
pub use issuer::{DEFAULT_LIFETIME, IssueError, IssuedToken, TokenIssuer};
pub use keyring::KeyRing;
pub use refresh::{
    DEFAULT_REFRESH_LIFETIME, DEFAULT_REUSE_GRACE, RedeemError, Refresher, SamePrefix, TokenPair,
};
pub use refresh_store::{Consume, MemoryRefreshStore, RefreshRecord, RefreshStore};
pub use revocation::{MemoryRevocationStore, RevocationStore};
pub use untrusted::{UntrustedToken, VerifiedToken};
pub use validation::{ACCESS_TOKEN_TYPE, DEFAULT_MAX_SIZE, Validation};
pub use verifier::TokenVerifier;
