//! [`RevocationStore`] and [`RefreshStore`] for [`PostgresStore`].

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::key::KeyId;
use credential_core::token::{Consume, RefreshRecord, RefreshStore, RevocationStore};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::types::Json;

use crate::schema::lock_key;
use crate::store::{
    PostgresStore, ceil_micros, corrupt, count, execute, floor_micros, query, query_one, query_opt,
    unavailable,
};

/// Reads the refresh record in column 0 of `row`, which must have id `id`
/// when given.
fn decode_refresh(
    row: &tokio_postgres::Row,
    id: Option<&KeyId>,
) -> Result<RefreshRecord, StoreError> {
    let Json(record) = row
        .try_get::<_, Json<RefreshRecord>>(0)
        .map_err(|error| corrupt("refresh record", error))?;
    match id {
        Some(id) if record.id != *id => Err(StoreError::Corrupt(format!(
            "the row of refresh token {id} holds the record of {}",
            record.id
        ))),
        _ => Ok(record),
    }
}

#[async_trait]
impl RevocationStore for PostgresStore {
    async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        self.run("revoke token", async {
            let client = self.client().await?;
            execute(
                &client,
                &self.inner.sql.revoke_token,
                &[&jti, &ceil_micros(until), &self.inner.channel],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.run("revoke client", async {
            let client = self.client().await?;
            execute(
                &client,
                &self.inner.sql.revoke_client,
                &[
                    &client_id,
                    &ceil_micros(issued_up_to),
                    &ceil_micros(until),
                    &self.inner.channel,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        self.run("check revocation", async {
            let client = self.client().await?;
            // Rounded down, a token issued within the revocation's
            // microsecond counts as issued before it.
            let issued_at = issued_at.map(floor_micros);
            query_one(
                &client,
                &self.inner.sql.is_revoked,
                &[&jti, &client_id, &issued_at],
            )
            .await?
            .try_get::<_, Option<bool>>(0)
            .map_err(|error| corrupt("revocation check", error))?
            .ok_or_else(|| StoreError::Corrupt("the revocation check gave NULL".into()))
        })
        .await
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.run("purge revocations", async {
            let client = self.client().await?;
            let purged: i64 = query_one(
                &client,
                &self.inner.sql.purge_revocations,
                &[&floor_micros(now)],
            )
            .await?
            .try_get(0)
            .map_err(|error| corrupt("purge count", error))?;
            Ok(usize::try_from(purged).unwrap_or(0))
        })
        .await
    }
}

impl PostgresStore {
    /// Takes the lock that serialises redemptions and revocations within
    /// one refresh-token family until the transaction ends, so that a
    /// successor stored by a redemption is always seen by a concurrent
    /// revocation of its family.
    async fn lock_family(&self, tx: &impl GenericClient, family: &KeyId) -> Result<(), StoreError> {
        let key = lock_key(&[
            "credential-refresh-family",
            self.inner.schema.as_str(),
            family.as_str(),
        ]);
        execute(tx, "SELECT pg_advisory_xact_lock($1)", &[&key]).await?;
        Ok(())
    }

    async fn refresh_exists(
        &self,
        tx: &impl GenericClient,
        id: &KeyId,
    ) -> Result<bool, StoreError> {
        query_one(tx, &self.inner.sql.refresh_exists, &[&id.as_str()])
            .await?
            .try_get(0)
            .map_err(unavailable)
    }

    async fn refresh_get(
        &self,
        client: &impl GenericClient,
        id: &KeyId,
        for_update: bool,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let sql = if for_update {
            &self.inner.sql.refresh_get_for_update
        } else {
            &self.inner.sql.refresh_get
        };
        query_opt(client, sql, &[&id.as_str()])
            .await?
            .map(|row| decode_refresh(&row, Some(id)))
            .transpose()
    }

    async fn refresh_insert(
        &self,
        client: &impl GenericClient,
        record: &RefreshRecord,
    ) -> Result<bool, StoreError> {
        let inserted = execute(
            client,
            &self.inner.sql.refresh_insert,
            &[
                &record.id.as_str(),
                &record.family.as_str(),
                // Rounded up: a purge never drops a token before it
                // expired.
                &ceil_micros(record.expires_at),
                &Json(record),
            ],
        )
        .await?;
        Ok(inserted == 1)
    }

    async fn refresh_write(
        &self,
        tx: &impl GenericClient,
        record: &RefreshRecord,
    ) -> Result<(), StoreError> {
        execute(
            tx,
            &self.inner.sql.refresh_write,
            &[&record.id.as_str(), &Json(record)],
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl RefreshStore for PostgresStore {
    async fn insert(&self, record: RefreshRecord) -> Result<(), StoreError> {
        self.run("insert refresh token", async {
            let client = self.client().await?;
            if self.refresh_insert(&client, &record).await? {
                Ok(())
            } else {
                Err(StoreError::Conflict("a refresh token with this id exists"))
            }
        })
        .await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<RefreshRecord>, StoreError> {
        self.run("get refresh token", async {
            let client = self.client().await?;
            self.refresh_get(&client, id, false).await
        })
        .await
    }

    async fn consume(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        retry: String,
        successor: RefreshRecord,
    ) -> Result<Consume, StoreError> {
        self.run("consume refresh token", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            if self.refresh_exists(&tx, &successor.id).await? {
                return Err(StoreError::Conflict("a refresh token with this id exists"));
            }
            // The family never changes, so it can be read before the lock.
            let family = self
                .refresh_get(&tx, id, false)
                .await?
                .ok_or(StoreError::NotFound)?
                .family;
            self.lock_family(&tx, &family).await?;
            let mut record = self
                .refresh_get(&tx, id, true)
                .await?
                .ok_or(StoreError::NotFound)?;
            if let Some(outcome) = record.consume(now, retry, successor.id) {
                return Ok(outcome);
            }
            // Dropping the transaction unapplied rolls it back.
            if !self.refresh_insert(&tx, &successor).await? {
                return Err(StoreError::Conflict("a refresh token with this id exists"));
            }
            self.refresh_write(&tx, &record).await?;
            tx.commit().await.map_err(unavailable)?;
            Ok(Consume::Consumed)
        })
        .await
    }

    async fn revoke_family(
        &self,
        family: &KeyId,
        now: OffsetDateTime,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        self.run("revoke refresh family", async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(unavailable)?;
            self.lock_family(&tx, family).await?;
            let rows = query(
                &tx,
                &self.inner.sql.refresh_family_for_update,
                &[&family.as_str()],
            )
            .await?;
            let mut access = Vec::new();
            for row in &rows {
                let mut record = decode_refresh(row, None)?;
                if record.family != *family {
                    return Err(StoreError::Corrupt(format!(
                        "refresh token {} is filed under family {family} but names {}",
                        record.id, record.family
                    )));
                }
                let unchanged = record.revoked_at.is_some() && record.retry.is_none();
                access.extend(record.revoke(now));
                if !unchanged {
                    self.refresh_write(&tx, &record).await?;
                }
            }
            tx.commit().await.map_err(unavailable)?;
            Ok(access)
        })
        .await
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.run("purge refresh tokens", async {
            let client = self.client().await?;
            let purged = execute(
                &client,
                &self.inner.sql.refresh_purge,
                &[&floor_micros(now)],
            )
            .await?;
            Ok(count(purged))
        })
        .await
    }
}
