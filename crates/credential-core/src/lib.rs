//! # credential-core
//!
//! Issue, verify, scope, rotate and revoke API keys and API tokens
//! in-process, with no auth server to run. This crate holds the vocabulary,
//! the formats, the [`Verifier`] contract, the OAuth 2.0 endpoint logic and
//! in-memory stores; HTTP adapters and database stores live in their own
//! crates and depend on this one.
//!
//! ```
//! use std::sync::Arc;
//! use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
//! use credential_core::scope::Requirement;
//! use credential_core::{FaceConfig, Reason, Verifier};
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let manager = KeyManager::new(
//!     Arc::new(MemoryKeyStore::new()),
//!     KeyFormat::new("sk_live")?,
//!     Peppers::new(Pepper::generate(1)?),
//! );
//! let created = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?;
//! let verifier = manager.verifier();
//!
//! // Parse route requirements once, at start-up.
//! let read: Requirement = "reports:read".parse()?;
//! let write: Requirement = "reports:write OR reports:admin".parse()?;
//!
//! let principal = verifier.verify(created.key.expose_secret(), Some(&read)).await?;
//! assert_eq!(principal.subject(), "acme");
//!
//! let rejection = verifier.verify(created.key.expose_secret(), Some(&write)).await.unwrap_err();
//! assert_eq!(rejection.reason(), Reason::InsufficientScope);
//! let face = rejection.public_face(&FaceConfig::new("reports")?);
//! assert_eq!(face.status(), 403);
//! assert_eq!(
//!     face.www_authenticate(),
//!     Some(r#"Bearer realm="reports", error="insufficient_scope", scope="reports:write""#)
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where things are
//!
//! - [`key`]: the API key format, peppered hashing, records, the
//!   [`KeyStore`](key::KeyStore) contract, [`KeyManager`](key::KeyManager)
//!   and [`KeyVerifier`](key::KeyVerifier).
//! - [`token`]: JWT access tokens (RFC 9068): the [`KeyRing`](token::KeyRing),
//!   [`TokenIssuer`](token::TokenIssuer), [`TokenVerifier`](token::TokenVerifier),
//!   refresh tokens with reuse detection, revocation, and the
//!   [`jose`](token::jose) building blocks (JWK, JWKS, keys).
//! - [`CredentialVerifier`]: API keys and access tokens from one header.
//! - [`extract`]: which credential a request presents (`Authorization:
//!   Bearer`, an API-key header, opt-in query parameter), for adapters.
//! - [`oauth`]: framework-free OAuth 2.0 token, introspection, revocation
//!   and JWKS endpoints and their request and response types.
//! - [`scope`]: scopes, granted sets with wildcards, requirement expressions.
//! - [`rejection`]: internal reasons and the public face of a refusal.
//! - [`render`]: a refusal as status, headers and body, for adapters.
//! - [`guard`]: what an HTTP middleware checks and how it answers.
//! - [`verify`]: the [`Verifier`] trait and the verified [`Principal`].
//! - [`ratelimit`]: per-credential rate limits (GCRA) and the
//!   [`RateLimiter`](ratelimit::RateLimiter) contract.
//! - [`clock`]: the injectable clock behind every time rule.
//!
//! ## Crate features
//!
//! - `tracing` (default): emit a `tracing` event for every verification
//!   outcome, with the internal reason, the credential kind and the public
//!   key id — never a secret.
//!
//! ## Security properties
//!
//! - Secrets ([`ApiKey`], [`KeySecret`], [`RefreshToken`], [`AccessToken`],
//!   [`key::Pepper`], [`token::jose::SigningKey`]) redact `Debug`, are wiped
//!   on drop, and the credential strings compare in constant time.
//! - A token's claims are reachable only after its signature verified;
//!   every key pins one algorithm, `none` never verifies, an unknown `kid`
//!   fails closed.
//! - Randomness comes only from `ring::rand::SystemRandom`.
//! - Stores keep `HMAC-SHA-256(pepper, secret)`, never the secret.
//! - Every failure is a rejection: a store error is a `503`, never a pass
//!   and never a `401`.
//! - No `unsafe`; parsers return errors and never panic.

#![forbid(unsafe_code)]

mod base62;
pub mod clock;
mod dispatch;
pub mod extract;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod key;
pub mod oauth;
pub mod ratelimit;
pub mod rejection;
pub mod render;
pub mod scope;
mod secret;
mod serde_time;
mod store;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
pub mod verify;

pub use dispatch::CredentialVerifier;
pub use key::{KeyId, KeyRecord};
pub use rejection::{FaceConfig, PublicFace, Reason, Rejection};
pub use secret::{AccessToken, ApiKey, KeySecret, RefreshToken};
pub use store::StoreError;
pub use verify::{CredentialKind, Principal, Verification, Verifier};
