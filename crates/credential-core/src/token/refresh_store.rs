//! Where refresh tokens live, and what a store must promise.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::key::{KeyHash, KeyId};
use crate::scope::ScopeSet;
use crate::store::StoreError;

/// One refresh token of a family. A family starts when a client exchanges
/// its API key and grows by one token per redemption; at most one member
/// is unconsumed at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// The token's public id.
    pub id: KeyId,
    /// `HMAC-SHA-256(pepper, secret)`.
    pub hash: KeyHash,
    /// The id of the family's first token.
    pub family: KeyId,
    /// The API key the family was issued to.
    pub client_id: KeyId,
    /// The subject the tokens act for.
    pub subject: String,
    /// The scope originally granted; redemptions may narrow, never widen.
    pub scope: ScopeSet,
    /// When the token was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the token stops being redeemable.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The access token issued alongside this refresh token, so revoking
    /// the family can revoke it too.
    pub access_jti: Option<String>,
    /// That access token's expiry.
    #[serde(with = "time::serde::rfc3339::option")]
    pub access_expires_at: Option<OffsetDateTime>,
    /// When the token was redeemed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub consumed_at: Option<OffsetDateTime>,
    /// The token issued in exchange.
    pub successor: Option<KeyId>,
    /// The response of the redemption, sealed under a key only the holder
    /// of this token's secret can derive, so an honest retry within the
    /// grace period gets the same pair back.
    pub retry: Option<String>,
    /// When the family was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl RefreshRecord {
    /// The store rule of [`RefreshStore::consume`] for the presented
    /// token: `None` when it is consumed now (at `now`, answering a retry
    /// with `retry`, succeeded by `successor`, which the store then
    /// stores), or the outcome that leaves it as it is. Every store applies
    /// this one rule inside its atomic update.
    pub fn consume(
        &mut self,
        now: OffsetDateTime,
        retry: String,
        successor: KeyId,
    ) -> Option<Consume> {
        if self.revoked_at.is_some() {
            return Some(Consume::Revoked);
        }
        if self.consumed_at.is_some() {
            return Some(Consume::AlreadyConsumed(Box::new(self.clone())));
        }
        self.consumed_at = Some(now);
        self.successor = Some(successor);
        self.retry = Some(retry);
        None
    }

    /// The store rule of [`RefreshStore::revoke_family`] for one member:
    /// revoked at `now` (or when it was first), its sealed retry answer
    /// dropped; returns the access token issued with it (`jti`, `exp`), to
    /// revoke as well.
    pub fn revoke(&mut self, now: OffsetDateTime) -> Option<(String, OffsetDateTime)> {
        self.revoked_at.get_or_insert(now);
        // The sealed retry response is useless once revoked; drop it.
        self.retry = None;
        match (&self.access_jti, self.access_expires_at) {
            (Some(jti), Some(exp)) => Some((jti.clone(), exp)),
            _ => None,
        }
    }
}

/// The outcome of [`RefreshStore::consume`].
#[derive(Debug, Clone, PartialEq)]
pub enum Consume {
    /// This call consumed the token and stored its successor.
    Consumed,
    /// The token had been consumed already; here is its record as stored.
    AlreadyConsumed(Box<RefreshRecord>),
    /// The token's family is revoked.
    Revoked,
}

/// Persistence for refresh tokens.
///
/// # Security contract
///
/// - [`consume`](Self::consume) is atomic: of any number of concurrent
///   calls for one token, exactly one returns [`Consume::Consumed`], and
///   the successor it stores is the only live member of the family.
/// - [`revoke_family`](Self::revoke_family) marks every member, and any
///   later `consume` of a member returns [`Consume::Revoked`].
/// - Ids come from presented tokens and are untrusted; errors are
///   reported, never swallowed.
#[async_trait]
pub trait RefreshStore: Debug + Send + Sync {
    /// Stores the first token of a new family.
    async fn insert(&self, record: RefreshRecord) -> Result<(), StoreError>;

    /// The token with this id.
    async fn get(&self, id: &KeyId) -> Result<Option<RefreshRecord>, StoreError>;

    /// Marks `id` consumed at `now` with `retry` as its sealed response and
    /// stores `successor`, unless it was consumed or revoked before.
    async fn consume(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        retry: String,
        successor: RefreshRecord,
    ) -> Result<Consume, StoreError>;

    /// Revokes every token of `family` at `now`, and returns the access
    /// tokens issued with them (`jti`, `exp`) so they can be revoked too.
    async fn revoke_family(
        &self,
        family: &KeyId,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError>;

    /// Drops tokens that expired at or before `now`. Returns how many.
    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError>;
}

/// A [`RefreshStore`] in process memory.
#[derive(Debug, Default)]
pub struct MemoryRefreshStore {
    records: RwLock<HashMap<KeyId, RefreshRecord>>,
}

impl MemoryRefreshStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RefreshStore for MemoryRefreshStore {
    async fn insert(&self, record: RefreshRecord) -> Result<(), StoreError> {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        if records.contains_key(&record.id) {
            return Err(StoreError::Conflict("a refresh token with this id exists"));
        }
        records.insert(record.id, record);
        Ok(())
    }

    async fn get(&self, id: &KeyId) -> Result<Option<RefreshRecord>, StoreError> {
        Ok(self
            .records
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned())
    }

    async fn consume(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        retry: String,
        successor: RefreshRecord,
    ) -> Result<Consume, StoreError> {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        if records.contains_key(&successor.id) {
            return Err(StoreError::Conflict("a refresh token with this id exists"));
        }
        let record = records.get_mut(id).ok_or(StoreError::NotFound)?;
        if let Some(outcome) = record.consume(now, retry, successor.id) {
            return Ok(outcome);
        }
        records.insert(successor.id, successor);
        Ok(Consume::Consumed)
    }

    async fn revoke_family(
        &self,
        family: &KeyId,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        Ok(records
            .values_mut()
            .filter(|record| record.family == *family)
            .filter_map(|record| record.revoke(now))
            .collect())
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        let before = records.len();
        records.retain(|_, record| record.expires_at > now);
        Ok(before - records.len())
    }
}
