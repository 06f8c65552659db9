//! Revoking tokens before they expire.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::store::StoreError;

/// Revocation entries for access tokens, kept until the tokens they stop
/// would have expired anyway.
///
/// Two kinds of entry exist:
/// - a token id (`jti`), revoked until its `exp`;
/// - a client (`client_id`, the API key id for tokens minted here): every
///   token issued to it at or before the revocation time is revoked. This
///   is how revoking an API key stops the access tokens minted from it
///   without tracking each of their ids.
///
/// # Contract
///
/// Errors are reported, never turned into "not revoked": the verifier
/// answers them with a `503`. An entry must be visible to every check that
/// starts after `revoke_*` returned. Entries may be dropped once `until`
/// has passed, never before.
#[async_trait]
pub trait RevocationStore: Debug + Send + Sync {
    /// Revokes the token with id `jti` until `until` (its `exp`).
    async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError>;

    /// Revokes every token issued to `client_id` at or before `issued_up_to`;
    /// the entry is kept until `until` (the latest `exp` such a token can
    /// have).
    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Whether a token with this id, client and issue time is revoked.
    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError>;

    /// Drops entries whose `until` is at or before `now`. Returns how many.
    ///
    /// A verifier with leeway accepts a token until `exp + leeway`: record
    /// such tokens with that `until`, or purge with `now - leeway`.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError>;

    /// [`is_revoked`](Self::is_revoked)'s answer when the store has it at
    /// hand without waiting (in memory, a cache hit), or `None` to be
    /// asked through `is_revoked`. Verification tries this first, which
    /// spares the boxed future of an async call on the hot path. An answer
    /// given here follows the same contract as `is_revoked`. The default
    /// answers nothing.
    fn is_revoked_immediate(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Option<Result<bool, StoreError>> {
        let _ = (jti, client_id, issued_at);
        None
    }
}

/// A [`RevocationStore`] in process memory.
///
/// Checks take a shared lock and, while nothing is revoked, no lock at all.
#[derive(Debug, Default)]
pub struct MemoryRevocationStore {
    any: AtomicBool,
    entries: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    tokens: HashMap<String, OffsetDateTime>,
    clients: HashMap<String, ClientEntry>,
}

#[derive(Debug, Clone, Copy)]
struct ClientEntry {
    issued_up_to: OffsetDateTime,
    until: OffsetDateTime,
}

impl MemoryRevocationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of live entries of both kinds.
    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.tokens.len() + entries.clients.len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a token with these claims is revoked.
    fn lookup(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        if jti.is_some_and(|jti| entries.tokens.contains_key(jti)) {
            return true;
        }
        client_id
            .and_then(|client| entries.clients.get(client))
            .is_some_and(|entry| {
                // A token without `iat` cannot prove it came after the
                // revocation, so it is revoked too.
                issued_at.is_none_or(|iat| iat <= entry.issued_up_to)
            })
    }
}

#[async_trait]
impl RevocationStore for MemoryRevocationStore {
    async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let slot = entries.tokens.entry(jti.to_owned()).or_insert(until);
        *slot = (*slot).max(until);
        self.any.store(true, Ordering::Release);
        Ok(())
    }

    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let entry = entries
            .clients
            .entry(client_id.to_owned())
            .or_insert(ClientEntry {
                issued_up_to,
                until,
            });
        entry.issued_up_to = entry.issued_up_to.max(issued_up_to);
        entry.until = entry.until.max(until);
        self.any.store(true, Ordering::Release);
        Ok(())
    }

    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        Ok(self.lookup(jti, client_id, issued_at))
    }

    fn is_revoked_immediate(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Option<Result<bool, StoreError>> {
        Some(Ok(self.lookup(jti, client_id, issued_at)))
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let before = entries.tokens.len() + entries.clients.len();
        entries.tokens.retain(|_, until| *until > now);
        entries.clients.retain(|_, entry| entry.until > now);
        Ok(before - entries.tokens.len() - entries.clients.len())
    }
}
