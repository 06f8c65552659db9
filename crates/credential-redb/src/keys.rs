//! [`KeyStore`] for [`RedbStore`].

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::key::{CreditSpend, KeyHash, KeyId, KeyRecord, KeyStore, KeyUpdate};
use redb::{ReadableDatabase as _, ReadableTable as _, Table};
use time::OffsetDateTime;

use crate::error::{RedbError, unavailable};
use crate::{Inner, KEYS, RedbStore, blocking, decode, encode};

type KeyTable<'t> = Table<'t, &'static str, &'static [u8]>;

impl Inner {
    /// Reads every key record into memory.
    pub(crate) fn load_keys(&self) -> Result<(), RedbError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(KEYS)?;
        let mut keys = HashMap::new();
        for entry in table.iter()? {
            let (_, value) = entry?;
            let record: KeyRecord = decode(value.value())?;
            keys.insert(record.id, Arc::new(record));
        }
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(())
    }

    /// Runs `change` on the keys table in one write transaction, commits
    /// it, and puts the records it wrote into memory.
    fn change_keys<T>(
        &self,
        change: impl FnOnce(&mut KeyTable<'_>) -> Result<(T, Vec<KeyRecord>), StoreError>,
    ) -> Result<T, StoreError> {
        let _writing = self.write_lock();
        let tx = self.db.begin_write().map_err(unavailable)?;
        let (out, written) = {
            let mut table = tx.open_table(KEYS).map_err(unavailable)?;
            let (out, written) = change(&mut table)?;
            for record in &written {
                table
                    .insert(record.id.as_str(), encode(record)?.as_slice())
                    .map_err(unavailable)?;
            }
            (out, written)
        };
        tx.commit().map_err(unavailable)?;
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        for record in written {
            keys.insert(record.id, Arc::new(record));
        }
        Ok(out)
    }

    fn key(&self, id: &KeyId) -> Option<Arc<KeyRecord>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }
}

/// The stored record of `id`, read inside a write transaction.
fn stored(table: &KeyTable<'_>, id: &KeyId) -> Result<Option<KeyRecord>, StoreError> {
    match table.get(id.as_str()).map_err(unavailable)? {
        Some(value) => decode(value.value()).map(Some),
        None => Ok(None),
    }
}

fn existing(table: &KeyTable<'_>, id: &KeyId) -> Result<KeyRecord, StoreError> {
    stored(table, id)?.ok_or(StoreError::NotFound)
}

#[async_trait]
impl KeyStore for RedbStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                if stored(table, &record.id)?.is_some() {
                    return Err(StoreError::Conflict("a key with this id exists"));
                }
                Ok(((), vec![record]))
            })
        })
        .await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        Ok(self.inner.key(id))
    }

    fn get_immediate(&self, id: &KeyId) -> Option<Result<Option<Arc<KeyRecord>>, StoreError>> {
        Some(Ok(self.inner.key(id)))
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        let mut found: Vec<_> = self
            .inner
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|record| record.subject == subject)
            .cloned()
            .collect();
        KeyRecord::sort_oldest_first(&mut found);
        Ok(found)
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        let id = *id;
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                let mut record = existing(table, &id)?;
                update.apply(&mut record);
                Ok((Arc::new(record.clone()), vec![record]))
            })
        })
        .await
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        let old = *old;
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                if stored(table, &new.id)?.is_some() {
                    return Err(StoreError::Conflict("a key with this id exists"));
                }
                let mut rolled = existing(table, &old)?;
                rolled.roll_into(new.id, grace_until)?;
                Ok(((), vec![rolled, new]))
            })
        })
        .await
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        let (id, expected) = (*id, *expected);
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                let mut record = existing(table, &id)?;
                if record.hash != expected {
                    return Ok((false, Vec::new()));
                }
                record.hash = new;
                Ok((true, vec![record]))
            })
        })
        .await
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        let id = *id;
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                let mut record = existing(table, &id)?;
                if !record.record_use(at) {
                    return Ok(((), Vec::new()));
                }
                Ok(((), vec![record]))
            })
        })
        .await
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        let id = *id;
        blocking(&self.inner, move |inner| {
            inner.change_keys(|table| {
                let mut record = existing(table, &id)?;
                let Some(mut credits) = record.credits else {
                    return Ok((CreditSpend::Unmetered, Vec::new()));
                };
                let outcome = credits.spend(now);
                if record.credits == Some(credits) {
                    return Ok((outcome, Vec::new()));
                }
                record.credits = Some(credits);
                Ok((outcome, vec![record]))
            })
        })
        .await
    }
}
