//! [`RevocationStore`] for [`RedbStore`].

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::token::RevocationStore;
use redb::{ReadableDatabase as _, ReadableTable as _};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{RedbError, unavailable};
use crate::{Inner, REVOKED_CLIENTS, REVOKED_TOKENS, RedbStore, blocking, decode, encode};

/// A revoked token id, until its `exp`.
#[derive(Debug, Serialize, Deserialize)]
struct TokenEntry {
    #[serde(with = "time::serde::rfc3339")]
    until: OffsetDateTime,
}

/// A revoked client: its tokens issued up to a time, until a time.
#[derive(Debug, Serialize, Deserialize)]
struct ClientEntry {
    #[serde(with = "time::serde::rfc3339")]
    issued_up_to: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    until: OffsetDateTime,
}

/// The output of a future that completes without waiting, as the
/// in-memory store's always do; `None` if it would wait.
fn at_once<F: Future>(future: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// Copies a committed change into memory. The memory store answers at
/// once and never fails; anything else is reported as a failed write.
fn mirror<F: Future<Output = Result<T, StoreError>>, T>(change: F) -> Result<T, StoreError> {
    at_once(change)
        .unwrap_or_else(|| Err(StoreError::unavailable("the memory copy did not answer")))
}

impl Inner {
    /// Reads every revocation entry into memory.
    pub(crate) fn load_revocations(&self) -> Result<(), RedbError> {
        let tx = self.db.begin_read()?;
        for entry in tx.open_table(REVOKED_TOKENS)?.iter()? {
            let (jti, value) = entry?;
            let entry: TokenEntry = decode(value.value())?;
            mirror(self.revocations.revoke_token(jti.value(), entry.until))?;
        }
        for entry in tx.open_table(REVOKED_CLIENTS)?.iter()? {
            let (client, value) = entry?;
            let entry: ClientEntry = decode(value.value())?;
            mirror(self.revocations.revoke_client(
                client.value(),
                entry.issued_up_to,
                entry.until,
            ))?;
        }
        Ok(())
    }
}

#[async_trait]
impl RevocationStore for RedbStore {
    async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        let jti = jti.to_owned();
        blocking(&self.inner, move |inner| {
            let _writing = inner.write_lock();
            let tx = inner.db.begin_write().map_err(unavailable)?;
            {
                let mut table = tx.open_table(REVOKED_TOKENS).map_err(unavailable)?;
                let until = match table.get(jti.as_str()).map_err(unavailable)? {
                    Some(value) => decode::<TokenEntry>(value.value())?.until.max(until),
                    None => until,
                };
                table
                    .insert(jti.as_str(), encode(&TokenEntry { until })?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            mirror(inner.revocations.revoke_token(&jti, until))
        })
        .await
    }

    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let client = client_id.to_owned();
        blocking(&self.inner, move |inner| {
            let _writing = inner.write_lock();
            let tx = inner.db.begin_write().map_err(unavailable)?;
            {
                let mut table = tx.open_table(REVOKED_CLIENTS).map_err(unavailable)?;
                let entry = match table.get(client.as_str()).map_err(unavailable)? {
                    Some(value) => {
                        let stored: ClientEntry = decode(value.value())?;
                        ClientEntry {
                            issued_up_to: stored.issued_up_to.max(issued_up_to),
                            until: stored.until.max(until),
                        }
                    }
                    None => ClientEntry {
                        issued_up_to,
                        until,
                    },
                };
                table
                    .insert(client.as_str(), encode(&entry)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            mirror(
                inner
                    .revocations
                    .revoke_client(&client, issued_up_to, until),
            )
        })
        .await
    }

    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        self.inner
            .revocations
            .is_revoked(jti, client_id, issued_at)
            .await
    }

    fn is_revoked_immediate(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Option<Result<bool, StoreError>> {
        self.inner
            .revocations
            .is_revoked_immediate(jti, client_id, issued_at)
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        blocking(&self.inner, move |inner| {
            let _writing = inner.write_lock();
            let tx = inner.db.begin_write().map_err(unavailable)?;
            let mut purged = 0;
            {
                let mut tokens = tx.open_table(REVOKED_TOKENS).map_err(unavailable)?;
                let mut expired = Vec::new();
                for entry in tokens.iter().map_err(unavailable)? {
                    let (jti, value) = entry.map_err(unavailable)?;
                    if decode::<TokenEntry>(value.value())?.until <= now {
                        expired.push(jti.value().to_owned());
                    }
                }
                for jti in &expired {
                    tokens.remove(jti.as_str()).map_err(unavailable)?;
                }
                purged += expired.len();
                let mut clients = tx.open_table(REVOKED_CLIENTS).map_err(unavailable)?;
                let mut expired = Vec::new();
                for entry in clients.iter().map_err(unavailable)? {
                    let (client, value) = entry.map_err(unavailable)?;
                    if decode::<ClientEntry>(value.value())?.until <= now {
                        expired.push(client.value().to_owned());
                    }
                }
                for client in &expired {
                    clients.remove(client.as_str()).map_err(unavailable)?;
                }
                purged += expired.len();
            }
            tx.commit().map_err(unavailable)?;
            mirror(inner.revocations.purge_expired(now))?;
            Ok(purged)
        })
        .await
    }
}
