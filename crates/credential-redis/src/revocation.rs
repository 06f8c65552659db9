//! [`RevocationStore`] over Redis: a hash per entry that Redis expires
//! after its `until`, and an index by `until` for exact purges.

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::token::RevocationStore;
use time::OffsetDateTime;

use crate::scripts;
use crate::store::reply::{self, corrupt};
use crate::store::{RedisStore, instant};

/// Key kinds, after the prefix: entries are `rev:` followed by their
/// index member, `t:{jti}` or `c:{client_id}`.
const ENTRY: &str = "rev:";
const INDEX: &str = "rev:index";
const TOKEN: &str = "t:";
const CLIENT: &str = "c:";

/// Index entries a purge handles per script call, so that a long purge
/// does not block Redis.
const PURGE_BATCH: usize = 1000;

impl RedisStore {
    fn entry_key(&self, kind: &str, name: &str) -> String {
        self.key(ENTRY, &format!("{kind}{name}"))
    }
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        let (seconds, nanos) = instant::of(until);
        let mut invocation = scripts::REVOKE_TOKEN.prepare_invoke();
        invocation
            .key(self.entry_key(TOKEN, jti))
            .key(self.key(INDEX, ""))
            .arg(seconds.to_string())
            .arg(nanos.to_string())
            .arg(format!("{TOKEN}{jti}"))
            .arg(self.revocation_margin_seconds());
        self.eval(&invocation).await?;
        Ok(())
    }

    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (issued_seconds, issued_nanos) = instant::of(issued_up_to);
        let (seconds, nanos) = instant::of(until);
        let mut invocation = scripts::REVOKE_CLIENT.prepare_invoke();
        invocation
            .key(self.entry_key(CLIENT, client_id))
            .key(self.key(INDEX, ""))
            .arg(issued_seconds.to_string())
            .arg(issued_nanos.to_string())
            .arg(seconds.to_string())
            .arg(nanos.to_string())
            .arg(format!("{CLIENT}{client_id}"))
            .arg(self.revocation_margin_seconds());
        self.eval(&invocation).await?;
        Ok(())
    }

    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        if jti.is_none() && client_id.is_none() {
            return Ok(false);
        }
        let mut invocation = scripts::IS_REVOKED.prepare_invoke();
        invocation
            .key(self.entry_key(TOKEN, jti.unwrap_or_default()))
            .key(self.entry_key(CLIENT, client_id.unwrap_or_default()))
            .arg(if jti.is_some() { "1" } else { "0" })
            .arg(if client_id.is_some() { "1" } else { "0" });
        let mut items = reply::items(self.eval(&invocation).await?)?.into_iter();
        if reply::int(reply::next(&mut items))? == 1 {
            return Ok(true);
        }
        let Some(seconds) = reply::text(reply::next(&mut items))? else {
            return Ok(false);
        };
        // A token without `iat` cannot prove it came after the revocation,
        // so it is revoked too.
        let Some(issued_at) = issued_at else {
            return Ok(true);
        };
        let nanos = reply::int(reply::next(&mut items))?;
        let seconds: i64 = seconds
            .parse()
            .map_err(|_| corrupt(format!("client revocation time {seconds:?}")))?;
        let issued_up_to = instant::from_parts(seconds, nanos)
            .ok_or_else(|| corrupt("client revocation time out of range"))?;
        Ok(issued_at <= issued_up_to)
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let (seconds, nanos) = instant::of(now);
        let mut purged = 0usize;
        loop {
            let mut invocation = scripts::PURGE.prepare_invoke();
            invocation
                .key(self.key(INDEX, ""))
                .arg(seconds.to_string())
                .arg(nanos.to_string())
                .arg(self.key(ENTRY, ""))
                .arg(PURGE_BATCH);
            let mut items = reply::items(self.eval(&invocation).await?)?.into_iter();
            let dropped = reply::int(reply::next(&mut items))?;
            purged = purged.saturating_add(
                usize::try_from(dropped).map_err(|_| corrupt("negative purge count"))?,
            );
            if reply::int(reply::next(&mut items))? == 0 {
                return Ok(purged);
            }
        }
    }
}

impl RedisStore {
    /// The margin after `until` before Redis drops an entry, in whole
    /// seconds, rounded up.
    fn revocation_margin_seconds(&self) -> u64 {
        let margin = self.shared.revocation_margin;
        margin.as_secs() + u64::from(margin.subsec_nanos() > 0)
    }
}
