//! [`KeyStore`] for [`PostgresStore`].

use std::sync::Arc;

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::key::{CreditSpend, KeyHash, KeyId, KeyRecord, KeyStore, KeyUpdate};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::types::Json;

use crate::store::{PostgresStore, corrupt, execute, query, query_one, query_opt, unavailable};

/// Reads the record in column 0 of `row`, which must have id `id` when
/// given.
pub(crate) fn decode_key(
    row: &tokio_postgres::Row,
    id: Option<&KeyId>,
) -> Result<KeyRecord, StoreError> {
    let Json(record) = row
        .try_get::<_, Json<KeyRecord>>(0)
        .map_err(|error| corrupt("key record", error))?;
    match id {
        Some(id) if record.id != *id => Err(StoreError::Corrupt(format!(
            "the row of key {id} holds the record of key {}",
            record.id
        ))),
        _ => Ok(record),
    }
}

impl PostgresStore {
    /// The record of `id`, locked until the transaction ends.
    async fn key_for_update(
        &self,
        tx: &impl GenericClient,
        id: &KeyId,
    ) -> Result<KeyRecord, StoreError> {
        let row = query_opt(tx, &self.inner.sql.key_get_for_update, &[&id.as_str()])
            .await?
            .ok_or(StoreError::NotFound)?;
        decode_key(&row, Some(id))
    }

    /// Writes `record` over its row and notifies its change.
    async fn write_key(
        &self,
        tx: &impl GenericClient,
        record: &KeyRecord,
    ) -> Result<(), StoreError> {
        let written = execute(
            tx,
            &self.inner.sql.key_write,
            &[&record.id.as_str(), &Json(record), &self.inner.channel],
        )
        .await?;
        if written == 1 {
            Ok(())
        } else {
            Err(unavailable(format!(
                "key {} vanished under its row lock",
                record.id
            )))
        }
    }

    /// Writes `record` over its row without notifying: for changes no
    /// cache keeps (last use, credits left).
    async fn write_key_quietly(
        &self,
        tx: &impl GenericClient,
        record: &KeyRecord,
    ) -> Result<(), StoreError> {
        execute(
            tx,
            &self.inner.sql.key_write_quietly,
            &[&record.id.as_str(), &Json(record)],
        )
        .await?;
        Ok(())
    }

    /// Inserts `record` unless its id exists; whether it was inserted.
    async fn insert_key(
        &self,
        client: &impl GenericClient,
        record: &KeyRecord,
    ) -> Result<bool, StoreError> {
        let inserted = execute(
            client,
            &self.inner.sql.key_insert,
            &[
                &record.id.as_str(),
                &record.subject,
                &record.created_at,
                &Json(record),
                &self.inner.channel,
            ],
        )
        .await?;
        Ok(inserted == 1)
    }

    async fn key_exists(&self, tx: &impl GenericClient, id: &KeyId) -> Result<bool, StoreError> {
        query_one(tx, &self.inner.sql.key_exists, &[&id.as_str()])
            .await?
            .try_get(0)
            .map_err(unavailable)
    }
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        self.run("insert key", async {
            let client = self.client().await?;
            if self.insert_key(&client, &record).await? {
                Ok(())
            } else {
                Err(StoreError::Conflict("a key with this id exists"))
            }
        })
        .await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.run("get key", async {
            let client = self.client().await?;
            let row = query_opt(&client, &self.inner.sql.key_get, &[&id.as_str()]).await?;
            row.map(|row| decode_key(&row, Some(id)).map(Arc::new))
                .transpose()
        })
        .await
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.run("list keys", async {
            let client = self.client().await?;
            let rows = query(&client, &self.inner.sql.key_list, &[&subject]).await?;
            let mut records = rows
                .iter()
                .map(|row| decode_key(row, None))
                .collect::<Result<Vec<_>, _>>()?;
            // The column holds microseconds; the records hold the exact
            // creation time, which decides the order.
            records.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
            Ok(records.into_iter().map(Arc::new).collect())
        })
        .await
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        self.run("update key", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            let mut record = self.key_for_update(&tx, id).await?;
            update.apply(&mut record);
            self.write_key(&tx, &record).await?;
            tx.commit().await.map_err(unavailable)?;
            Ok(Arc::new(record))
        })
        .await
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        self.run("roll key", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            if self.key_exists(&tx, &new.id).await? {
                return Err(StoreError::Conflict("a key with this id exists"));
            }
            let mut rolled = self.key_for_update(&tx, old).await?;
            rolled.roll_into(new.id, grace_until)?;
            // Dropping the transaction unapplied rolls it back.
            if !self.insert_key(&tx, &new).await? {
                return Err(StoreError::Conflict("a key with this id exists"));
            }
            self.write_key(&tx, &rolled).await?;
            tx.commit().await.map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        self.run("upgrade key hash", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            let mut record = self.key_for_update(&tx, id).await?;
            if record.hash != *expected {
                return Ok(false);
            }
            record.hash = new;
            self.write_key(&tx, &record).await?;
            tx.commit().await.map_err(unavailable)?;
            Ok(true)
        })
        .await
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.run("record key use", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            let mut record = self.key_for_update(&tx, id).await?;
            if record.record_use(at) {
                self.write_key_quietly(&tx, &record).await?;
                tx.commit().await.map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        self.run("spend credit", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            let mut record = self.key_for_update(&tx, id).await?;
            let Some(mut credits) = record.credits else {
                return Ok(CreditSpend::Unmetered);
            };
            let outcome = credits.spend(now);
            if record.credits != Some(credits) {
                record.credits = Some(credits);
                self.write_key_quietly(&tx, &record).await?;
                tx.commit().await.map_err(unavailable)?;
            }
            Ok(outcome)
        })
        .await
    }
}
