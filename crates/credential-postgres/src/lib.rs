//! # credential-postgres
//!
//! PostgreSQL stores for `credential-core`: API keys, access-token
//! revocations, refresh tokens, usage credits and rate limits, shared by
//! every process of a fleet, with LISTEN/NOTIFY invalidation for caches.
//!
//! [`PostgresStore`] implements
//! [`KeyStore`](credential_core::key::KeyStore),
//! [`RevocationStore`](credential_core::token::RevocationStore),
//! [`RefreshStore`](credential_core::token::RefreshStore) and
//! [`RateLimiter`](credential_core::ratelimit::RateLimiter) over one
//! connection pool, and passes core's store conformance suite.
//!
//! ```no_run
//! use std::sync::Arc;
//! use credential_core::key::{KeyFormat, KeyManager, NewKey, Pepper, Peppers};
//! use credential_core::Verifier;
//! use credential_postgres::PostgresStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Connects, creates the schema if missing and applies the migrations.
//! let store = Arc::new(PostgresStore::connect("postgres://app@db.internal/app", "credential").await?);
//! # let pepper = Pepper::generate(1)?;
//! let manager = KeyManager::new(Arc::clone(&store), KeyFormat::new("sk_live")?, Peppers::new(pepper))
//!     // Rate limits counted once for the whole fleet, not per process.
//!     .with_rate_limiter(store.clone())
//!     // Revoking a key also revokes the access tokens minted from it.
//!     .with_token_revocation(store.clone(), time::Duration::minutes(15));
//!
//! let created = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?;
//! let principal = manager.verifier().verify(created.key.expose_secret(), None).await?;
//! assert_eq!(principal.subject(), "acme");
//! manager.revoke(&created.record.id).await?;
//! # Ok(())
//! # }
//! ```
//!
//! In production the pepper comes from a secret manager, never from
//! `Pepper::generate` at start-up.
//!
//! ## Schema
//!
//! Everything lives in one schema (default `credential`), created if
//! missing: `keys`, `revoked_tokens`, `revoked_clients`, `refresh_tokens`
//! and `rate_limits`, plus `credential_migrations`, which records the
//! versioned migrations embedded in this crate. [`PostgresStore::connect`]
//! applies the missing ones, each in a transaction under an advisory lock,
//! so any number of servers may start at once. Records are stored as JSON
//! beside the columns that queries use. Several schemas in one database
//! keep separate sets of credentials (tests use one per run).
//!
//! ## Failures and timeouts
//!
//! Every call is bounded by the store's timeout (2 s by default, see
//! [`PostgresBuilder::timeout`]); a server that cannot be reached or does
//! not answer makes calls fail with
//! [`StoreError::Unavailable`](credential_core::StoreError::Unavailable),
//! which the verifier answers with `503`. No failure is ever reported as
//! "unknown key", "not revoked" or "allowed".
//!
//! ## Invalidation
//!
//! Writes that change a key record or add a revocation send a
//! notification on the channel `credential_<schema>`.
//! [`PostgresStore::subscribe`] listens on a dedicated connection and
//! yields [`Notification`]s; [`PostgresStore::follow`] applies them to a
//! [`CachedKeyStore`](credential_core::key::CachedKeyStore), so that a
//! server sees a key revoked by another within a notification's delay
//! instead of the cache's TTL:
//!
//! ```no_run
//! use credential_core::key::{CachedKeyStore, KeyFormat, KeyManager, Pepper, Peppers};
//! use credential_postgres::PostgresStore;
//! use std::sync::Arc;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let store = PostgresStore::connect("postgres://app@db/app", "credential").await?;
//! let cached = CachedKeyStore::new(Arc::new(store.clone()));
//! let listening = store.follow(cached.invalidator()).await?;
//! let manager = KeyManager::new(Arc::new(cached), KeyFormat::new("sk_live")?, Peppers::new(Pepper::generate(1)?));
//! # drop((manager, listening));
//! # Ok(())
//! # }
//! ```
//!
//! ## Crate features
//!
//! - `tracing` (default): log store failures through `tracing`.

#![forbid(unsafe_code)]

mod error;
mod keys;
mod listen;
mod ratelimit;
mod schema;
mod store;
mod tokens;

pub use deadpool_postgres;
pub use error::PostgresError;
pub use listen::{LISTEN_PING_INTERVAL, Notification, SUBSCRIPTION_CAPACITY};
pub use store::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_SCHEMA, DEFAULT_TIMEOUT, PostgresBuilder, PostgresStore,
};
pub use tokio_postgres;
