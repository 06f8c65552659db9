//! An in-memory [`KeyStore`]: for tests, examples and single-process
//! services that re-create their keys at start-up.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::key::id::KeyId;
use crate::key::pepper::KeyHash;
use crate::key::record::{CreditSpend, KeyRecord, KeyUpdate};
use crate::key::store::KeyStore;
use crate::store::StoreError;

/// A [`KeyStore`] in a hash map behind a read-write lock.
///
/// Reads (every verification) share the lock; records are handed out as
/// `Arc`s, so a lookup copies nothing. Writes replace a record's `Arc`, so a
/// reader holding the old one is never torn. The map uses the standard
/// library's randomly keyed hasher, so attacker-chosen ids cannot force
/// collisions.
///
/// ```
/// use std::sync::Arc;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::Verifier;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = Arc::new(MemoryKeyStore::new());
/// let manager = KeyManager::new(store, KeyFormat::new("sk_test")?, Peppers::new(Pepper::generate(1)?));
/// let created = manager.create(NewKey::new("acme", "repo:read".parse()?)).await?;
/// let principal = manager.verifier().verify(created.key.expose_secret(), None).await?;
/// assert_eq!(principal.subject(), "acme");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    records: RwLock<HashMap<KeyId, Arc<KeyRecord>>>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of records, revoked ones included.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    // A poisoned lock only means another thread panicked while holding it;
    // every write below replaces whole `Arc`s, so the map is never half
    // updated and is safe to keep using.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<KeyId, Arc<KeyRecord>>> {
        self.records.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<KeyId, Arc<KeyRecord>>> {
        self.records.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        let mut records = self.write();
        if records.contains_key(&record.id) {
            return Err(StoreError::Conflict("a key with this id exists"));
        }
        records.insert(record.id, Arc::new(record));
        Ok(())
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        Ok(self.read().get(id).cloned())
    }

    fn get_immediate(&self, id: &KeyId) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        Some(Ok(self.read().get(id).cloned()))
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        let mut found: Vec<_> = self
            .read()
            .values()
            .filter(|record| record.subject == subject)
            .cloned()
            .collect();
        KeyRecord::sort_oldest_first(&mut found);
        Ok(found)
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        let mut records = self.write();
        let slot = records.get_mut(id).ok_or(StoreError::NotFound)?;
        let mut record = KeyRecord::clone(slot);
        update.apply(&mut record);
        *slot = Arc::new(record);
        Ok(Arc::clone(slot))
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        let mut records = self.write();
        if records.contains_key(&new.id) {
            return Err(StoreError::Conflict("a key with this id exists"));
        }
        let slot = records.get_mut(old).ok_or(StoreError::NotFound)?;
        let mut rolled = KeyRecord::clone(slot);
        rolled.roll_into(new.id, grace_until)?;
        *slot = Arc::new(rolled);
        records.insert(new.id, Arc::new(new));
        Ok(())
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        let mut records = self.write();
        let slot = records.get_mut(id).ok_or(StoreError::NotFound)?;
        if slot.hash != *expected {
            return Ok(false);
        }
        let mut record = KeyRecord::clone(slot);
        record.hash = new;
        *slot = Arc::new(record);
        Ok(true)
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut records = self.write();
        let slot = records.get_mut(id).ok_or(StoreError::NotFound)?;
        let mut record = KeyRecord::clone(slot);
        if record.record_use(at) {
            *slot = Arc::new(record);
        }
        Ok(())
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        let mut records = self.write();
        let slot = records.get_mut(id).ok_or(StoreError::NotFound)?;
        let Some(mut credits) = slot.credits else {
            return Ok(CreditSpend::Unmetered);
        };
        let outcome = credits.spend(now);
        if slot.credits != Some(credits) {
            let mut record = KeyRecord::clone(slot);
            record.credits = Some(credits);
            *slot = Arc::new(record);
        }
        Ok(outcome)
    }
}
