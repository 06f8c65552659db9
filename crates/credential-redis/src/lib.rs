//! # credential-redis
//!
//! Redis stores for `credential-core`: API key records, access-token
//! revocations, usage credits and rate limits shared by every process of a
//! fleet, with pub/sub invalidation for caches.
//!
//! [`RedisStore`] implements
//! [`KeyStore`](credential_core::key::KeyStore),
//! [`RevocationStore`](credential_core::token::RevocationStore) and
//! [`RateLimiter`](credential_core::ratelimit::RateLimiter) over one
//! multiplexed connection, and passes core's store conformance suite.
//!
//! ```no_run
//! use std::sync::Arc;
//! use credential_core::key::{CachedKeyStore, KeyFormat, KeyManager, NewKey, Pepper, Peppers};
//! use credential_core::Verifier;
//! use credential_redis::RedisStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::connect("redis://cache.internal:6379/", "credential:").await?;
//! // A cache in front of Redis, told by the other servers what they change.
//! let cached = CachedKeyStore::new(Arc::new(store.clone()));
//! let _following = store.follow(cached.invalidator());
//! # let pepper = Pepper::generate(1)?;
//! let manager = KeyManager::new(Arc::new(cached), KeyFormat::new("sk_live")?, Peppers::new(pepper))
//!     // Rate limits counted once for the whole fleet, not per process.
//!     .with_rate_limiter(Arc::new(store.clone()))
//!     // Revoking a key also revokes the access tokens minted from it.
//!     .with_token_revocation(Arc::new(store.clone()), time::Duration::minutes(15));
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
//! ## Key layout
//!
//! Every key starts with the prefix the store was made with (`{p}` below),
//! so several stores share a database without seeing each other's data.
//!
//! | Key | Type | Holds |
//! |-----|------|-------|
//! | `{p}key:{id}` | string | the [`KeyRecord`](credential_core::KeyRecord) as JSON, without its credits |
//! | `{p}credits:{id}` | hash | `remaining`, `refill` (JSON, empty for none), `due_s`/`due_n` (when the next refill is due) |
//! | `{p}subject:{subject}` | sorted set | one member per key, `{created_at}:{id}`, ordered as text |
//! | `{p}rev:t:{jti}` | hash | a revoked token id: `until` |
//! | `{p}rev:c:{client_id}` | hash | a revoked client: `issued_up_to` and `until` |
//! | `{p}rev:index` | sorted set | every revocation entry, scored by `until` |
//! | `{p}rate:{key}` | hash | a rate-limited key's theoretical arrival time |
//!
//! Times are stored as whole Unix seconds and nanoseconds within the
//! second, so that scripts compare them exactly. Records never expire.
//! Revocation entries expire on their own ([`REVOCATION_EXPIRY_MARGIN`]
//! after their `until`, or [`RedisStoreBuilder::revocation_margin`]);
//! `purge_expired(now)` drops them exactly at `until` on the caller's
//! clock, through the index, whose members stay until a purge: call it
//! now and then (hourly, say). A rate limit's state expires about a
//! second after it stops limiting anything. An unmetered key has a
//! credits hash with an empty count, so a hash that is gone is an error,
//! never "unmetered".
//!
//! ## What Redis must be set up for
//!
//! Revocations and credits are security state, and Redis drops keys it is
//! told to: run it with `maxmemory-policy noeviction` (under a `volatile-*`
//! policy the revocation entries, which have an expiry, are the first to
//! go, and the tokens they stop verify again) and with persistence (AOF),
//! and know that a failover to a replica can lose the last acknowledged
//! writes. This crate cannot check these settings on managed services that
//! hide `CONFIG`.
//!
//! ## Atomicity
//!
//! Every write and every read of more than one key is one Lua script,
//! which Redis runs atomically:
//!
//! - inserting a record writes its JSON, its credits and its subject's
//!   index together, or reports the id taken;
//! - `update`, `upgrade_hash`, `record_use` and `roll` read the record,
//!   apply the change with core's own rules
//!   ([`KeyUpdate::apply`](credential_core::key::KeyUpdate::apply) and the
//!   roll's conflict rules) and write it with a compare-and-set script
//!   that checks the JSON is still the one read, retrying when a
//!   concurrent write got in between; a roll writes both keys in the same
//!   script;
//! - `spend_credit` is one script that decrements the count; when a refill
//!   is due, the refill rule of
//!   [`Credits::spend`](credential_core::key::Credits::spend) runs in Rust
//!   and its result is written by compare-and-set, so `n` credits pass
//!   exactly `n` times under any concurrency;
//! - `acquire` is one GCRA step per script, with the exact arithmetic of
//!   [`RateLimit::gcra`](credential_core::ratelimit::RateLimit::gcra).
//!
//! The scripts touch keys derived from the prefix besides those they are
//! passed, so a Redis Cluster must keep them in one slot: give the prefix
//! a hash tag, such as `"{credential}:"`.
//!
//! ## Failures and timeouts
//!
//! Connecting fails within the connection timeout, and every round trip
//! within [`RedisStore::call_timeout`] (connection plus response timeout,
//! 2 s each by default, see [`RedisStoreBuilder`]). Most calls are one
//! round trip; a compare-and-set that loses a race is retried (at most 32
//! times), a spend that refills takes two, and a purge one per thousand
//! entries, so those can take a few times as long, never forever. A call that cannot reach
//! Redis fails with
//! [`StoreError::Unavailable`](credential_core::StoreError::Unavailable),
//! which the verifier answers with `503`; the next call reconnects. Data
//! that cannot be read back is
//! [`StoreError::Corrupt`](credential_core::StoreError::Corrupt). No
//! failure is ever reported as "unknown key", "not revoked" or "allowed".
//!
//! The store runs on Tokio and bounds its calls with Tokio's timers: use
//! it within a runtime that has the time driver enabled (as
//! `#[tokio::main]` does).
//!
//! ## Invalidation
//!
//! Writes that change what a verifier decides on (insert, update, roll,
//! hash upgrade) publish the key's id on [`RedisStore::channel`] from the
//! same script. Recording a use and spending a credit do not: every server
//! sends those to Redis anyway, and a cached record's last-use time or
//! credit count decides nothing. [`RedisStore::follow`] applies the
//! messages to a [`CachedKeyStore`](credential_core::key::CachedKeyStore)
//! and forgets everything whenever the channel is lost; see
//! [`RedisStore::follower`] for the staleness this leaves.
#![forbid(unsafe_code)]

mod follow;
mod keys;
mod ratelimit;
mod revocation;
mod scripts;
mod store;

pub use follow::{FOLLOW_MAX_BACKOFF, FOLLOW_MIN_BACKOFF, FOLLOW_PING_INTERVAL};
pub use redis::RedisError;
pub use store::{DEFAULT_TIMEOUT, REVOCATION_EXPIRY_MARGIN, RedisStore, RedisStoreBuilder};
