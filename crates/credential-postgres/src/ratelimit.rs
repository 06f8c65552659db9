//! [`RateLimiter`] for [`PostgresStore`].

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::ratelimit::{RateDecision, RateLimit, RateLimiter};
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;

use crate::store::{PostgresStore, ceil_micros, corrupt, execute, query_opt, unavailable};

/// Attempts at finding or creating a key's row before giving up: a row
/// can only vanish between attempts through a concurrent purge.
const ATTEMPTS: usize = 3;

#[async_trait]
impl RateLimiter for PostgresStore {
    async fn acquire(
        &self,
        key: &str,
        limit: &RateLimit,
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        self.run("acquire rate limit", async {
            let mut client = self.client().await?;
            let sql = &self.inner.sql;
            for _ in 0..ATTEMPTS {
                let tx = client.transaction().await.map_err(unavailable)?;
                let tat: Option<OffsetDateTime> = query_opt(&tx, &sql.rate_get_for_update, &[&key])
                    .await?
                    .map(|row| row.try_get(0))
                    .transpose()
                    .map_err(|error| corrupt("rate-limit state", error))?;
                let decision = limit.gcra(tat, now);
                let Ok(next) = decision else {
                    // Refused: nothing changes.
                    return Ok(decided(decision));
                };
                // Rounded up: the next request waits at least as long as
                // the rule says.
                let next = ceil_micros(next);
                if tat.is_some() {
                    execute(&tx, &sql.rate_write, &[&key, &next]).await?;
                } else {
                    let inserted = execute(&tx, &sql.rate_insert, &[&key, &next]).await?;
                    if inserted == 0 {
                        // A concurrent first request created the row:
                        // start over and lock it.
                        tx.rollback().await.map_err(unavailable)?;
                        continue;
                    }
                }
                tx.commit().await.map_err(unavailable)?;
                return Ok(decided(decision));
            }
            Err(unavailable(
                "the rate-limit row kept changing under concurrent purges",
            ))
        })
        .await
    }
}

fn decided(decision: Result<OffsetDateTime, time::Duration>) -> RateDecision {
    match decision {
        Ok(_) => RateDecision::Allowed,
        Err(retry_after) => RateDecision::Limited { retry_after },
    }
}
