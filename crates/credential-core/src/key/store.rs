//! Where key records live, and what a store must promise.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::key::id::KeyId;
use crate::key::pepper::KeyHash;
use crate::key::record::{CreditSpend, KeyRecord, KeyUpdate};
use crate::store::StoreError;

/// Persistence for [`KeyRecord`]s.
///
/// # Security contract
///
/// - Ids passed to [`get`](Self::get) are untrusted: they come from
///   presented keys that passed only the checksum, so an attacker chooses
///   them. A lookup must not create, lock or log anything per id, and must
///   cost the same whether or not the id exists as far as the backend allows.
/// - Errors are reported, never swallowed: a backend that cannot answer
///   returns [`StoreError::Unavailable`], and the verifier then refuses the
///   request. Returning `Ok(None)` on failure would turn an outage into
///   "unknown key"; returning a stale record would resurrect revoked keys.
/// - A revocation, disable or roll is visible to every later `get` on the
///   same store (a cache in front of a store documents its own staleness).
/// - [`roll`](Self::roll) is atomic: either the new key exists and the old
///   key points to it, or nothing changed. Two concurrent rolls of one key
///   cannot both succeed.
/// - [`upgrade_hash`](Self::upgrade_hash) is a compare-and-set, so a
///   concurrent change of the hash is never overwritten.
/// - Records hold no secret; the store never sees one.
#[async_trait]
pub trait KeyStore: Debug + Send + Sync {
    /// Inserts a new record; [`StoreError::Conflict`] if the id exists.
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError>;

    /// The record with this id, if any.
    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError>;

    /// [`get`](Self::get)'s answer when the store has it at hand without
    /// waiting (an in-memory map, a cache hit), or `None` to be asked
    /// through `get`. Verification tries this first, which spares the
    /// boxed future of an async call on the hot path.
    ///
    /// An answer given here follows the same contract as `get`: the same
    /// record, the same freshness, errors reported. The default answers
    /// nothing.
    fn get_immediate(&self, id: &KeyId) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        let _ = id;
        None
    }

    /// Every record of `subject`, oldest first.
    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError>;

    /// Applies `update` and returns the updated record;
    /// [`StoreError::NotFound`] if the id does not exist.
    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError>;

    /// Atomically inserts `new` and marks `old` as rolled into it until
    /// `grace_until`. [`StoreError::Conflict`] if `old` is revoked or
    /// already rolled, or `new`'s id exists; [`StoreError::NotFound`] if
    /// `old` does not exist.
    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError>;

    /// Replaces the hash of `id` with `new` if it is still `expected`.
    /// Returns whether it was replaced.
    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError>;

    /// Records a successful use at `at`. The verifier calls this at most
    /// once per key per granularity period.
    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError>;

    /// Atomically applies [`Credits::spend`](crate::key::Credits::spend)
    /// to the key's credits at `now`: concurrent calls never spend the same
    /// credit twice, so a key with `n` credits passes exactly `n` times.
    /// [`StoreError::NotFound`] if the id does not exist.
    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError>;
}
