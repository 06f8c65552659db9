//! [`RateLimiter`] over Redis: one GCRA step per call, as one script.

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::ratelimit::{RateDecision, RateLimit, RateLimiter};
use time::{Duration, OffsetDateTime};

use crate::scripts;
use crate::store::reply::{self, corrupt};
use crate::store::{RedisStore, instant};

/// Key kind, after the prefix.
const RATE: &str = "rate:";

#[async_trait]
impl RateLimiter for RedisStore {
    /// The step of [`RateLimit::gcra`], with the same emission interval
    /// (`period / requests`) and the same nanosecond arithmetic, inside
    /// one script; the TAT expires about a second after it has passed,
    /// when it no longer limits anything.
    async fn acquire(
        &self,
        key: &str,
        limit: &RateLimit,
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        let emission = limit.period / limit.requests.max(1);
        let (now_seconds, now_nanos) = instant::of(now);
        let (emission_seconds, emission_nanos) = instant::of_duration(emission);
        let (period_seconds, period_nanos) = instant::of_duration(limit.period);
        let mut invocation = scripts::GCRA.prepare_invoke();
        invocation
            .key(self.key(RATE, key))
            .arg(now_seconds.to_string())
            .arg(now_nanos.to_string())
            .arg(emission_seconds.to_string())
            .arg(emission_nanos.to_string())
            .arg(period_seconds.to_string())
            .arg(period_nanos.to_string());
        let mut items = reply::items(self.eval(&invocation).await?)?.into_iter();
        if reply::int(reply::next(&mut items))? == 1 {
            return Ok(RateDecision::Allowed);
        }
        let seconds = reply::int(reply::next(&mut items))?;
        let nanos = reply::int(reply::next(&mut items))?;
        let nanos = i32::try_from(nanos)
            .ok()
            .filter(|nanos| (0..1_000_000_000).contains(nanos))
            .ok_or_else(|| corrupt("a wait out of range"))?;
        Ok(RateDecision::Limited {
            retry_after: Duration::new(seconds, nanos),
        })
    }
}
