//! [`RefreshStore`] for [`RedbStore`].

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::key::KeyId;
use credential_core::token::{Consume, RefreshRecord, RefreshStore};
use redb::{ReadableDatabase as _, ReadableTable, Table};
use time::OffsetDateTime;

use crate::error::unavailable;
use crate::{Inner, REFRESH, RedbStore, blocking, decode, encode};

type RefreshTable<'t> = Table<'t, &'static str, &'static [u8]>;

/// The stored record of `id` in `table`.
fn stored(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &KeyId,
) -> Result<Option<RefreshRecord>, StoreError> {
    match table.get(id.as_str()).map_err(unavailable)? {
        Some(value) => decode(value.value()).map(Some),
        None => Ok(None),
    }
}

fn put(table: &mut RefreshTable<'_>, record: &RefreshRecord) -> Result<(), StoreError> {
    table
        .insert(record.id.as_str(), encode(record)?.as_slice())
        .map_err(unavailable)?;
    Ok(())
}

impl Inner {
    /// Runs `change` on the refresh-token table in one write transaction
    /// and commits it, unless it fails.
    fn change_refresh<T>(
        &self,
        change: impl FnOnce(&mut RefreshTable<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _writing = self.write_lock();
        let tx = self.db.begin_write().map_err(unavailable)?;
        let out = {
            let mut table = tx.open_table(REFRESH).map_err(unavailable)?;
            change(&mut table)?
        };
        tx.commit().map_err(unavailable)?;
        Ok(out)
    }
}

#[async_trait]
impl RefreshStore for RedbStore {
    async fn insert(&self, record: RefreshRecord) -> Result<(), StoreError> {
        blocking(&self.inner, move |inner| {
            inner.change_refresh(|table| {
                if stored(table, &record.id)?.is_some() {
                    return Err(StoreError::Conflict("a refresh token with this id exists"));
                }
                put(table, &record)
            })
        })
        .await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<RefreshRecord>, StoreError> {
        let tx = self.inner.db.begin_read().map_err(unavailable)?;
        let table = tx.open_table(REFRESH).map_err(unavailable)?;
        stored(&table, id)
    }

    async fn consume(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        retry: String,
        successor: RefreshRecord,
    ) -> Result<Consume, StoreError> {
        let id = *id;
        blocking(&self.inner, move |inner| {
            inner.change_refresh(|table| {
                if stored(table, &successor.id)?.is_some() {
                    return Err(StoreError::Conflict("a refresh token with this id exists"));
                }
                let mut record = stored(table, &id)?.ok_or(StoreError::NotFound)?;
                if let Some(outcome) = record.consume(now, retry, successor.id) {
                    return Ok(outcome);
                }
                put(table, &record)?;
                put(table, &successor)?;
                Ok(Consume::Consumed)
            })
        })
        .await
    }

    async fn revoke_family(
        &self,
        family: &KeyId,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let family = *family;
        blocking(&self.inner, move |inner| {
            inner.change_refresh(|table| {
                let mut members = Vec::new();
                for entry in table.iter().map_err(unavailable)? {
                    let (_, value) = entry.map_err(unavailable)?;
                    let record: RefreshRecord = decode(value.value())?;
                    if record.family == family {
                        members.push(record);
                    }
                }
                let mut access = Vec::new();
                for mut record in members {
                    access.extend(record.revoke(now));
                    put(table, &record)?;
                }
                Ok(access)
            })
        })
        .await
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        blocking(&self.inner, move |inner| {
            inner.change_refresh(|table| {
                let mut expired = Vec::new();
                for entry in table.iter().map_err(unavailable)? {
                    let (id, value) = entry.map_err(unavailable)?;
                    let record: RefreshRecord = decode(value.value())?;
                    if record.expires_at <= now {
                        expired.push(id.value().to_owned());
                    }
                }
                for id in &expired {
                    table.remove(id.as_str()).map_err(unavailable)?;
                }
                Ok(expired.len())
            })
        })
        .await
    }
}
