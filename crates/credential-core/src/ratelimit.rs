//! Per-credential rate limits with the generic cell rate algorithm (GCRA).
//!
//! GCRA keeps one timestamp per limited credential — the theoretical
//! arrival time (TAT) of the next request — instead of a window of counters.
//! It allows bursts of up to `requests`, then spaces requests
//! `period / requests` apart, and tells a refused caller exactly when to
//! retry.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::store::StoreError;

/// A rate limit: at most `requests` per `period`, with bursts up to
/// `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per period (at least 1).
    pub requests: u32,
    /// The period (positive).
    #[serde(with = "crate::serde_time::seconds")]
    pub period: Duration,
}

/// A [`RateLimit`] whose numbers make no sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a rate limit needs at least one request per positive period")]
pub struct InvalidRateLimit;

impl RateLimit {
    /// `requests` per `period`.
    pub fn new(requests: u32, period: Duration) -> Result<Self, InvalidRateLimit> {
        let limit = Self { requests, period };
        limit.validate()?;
        Ok(limit)
    }

    /// Checks the numbers of a limit built field by field or read back.
    pub fn validate(&self) -> Result<(), InvalidRateLimit> {
        if self.requests == 0 || !self.period.is_positive() {
            return Err(InvalidRateLimit);
        }
        Ok(())
    }

    /// The GCRA step: given the stored theoretical arrival time (`None` for
    /// a credential not seen yet), decide on a request at `now`. Returns
    /// the new TAT to store, or how long to wait.
    ///
    /// Pure, so every backend applies the same rule inside its own atomic
    /// update.
    pub fn gcra(
        &self,
        tat: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, Duration> {
        let emission = self.period / self.requests.max(1);
        let tat = tat.map_or(now, |tat| tat.max(now));
        // Past the last representable time no request can be spaced out:
        // refuse rather than let a saturated time allow everything.
        let Some(next) = tat.checked_add(emission) else {
            return Err(self.period);
        };
        let allowed_from = next.saturating_sub(self.period);
        if now < allowed_from {
            Err(allowed_from - now)
        } else {
            Ok(next)
        }
    }
}

/// Whether a request may proceed under its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Proceed.
    Allowed,
    /// Refused; a retry after this long may succeed.
    Limited {
        /// Time until the next request would be allowed.
        retry_after: Duration,
    },
}

/// Shared state for rate limits.
///
/// # Contract
///
/// `acquire` must be atomic per `key`: two concurrent calls never both see
/// the same state. Errors are reported, never turned into `Allowed`; the
/// verifier answers them with a `503`.
#[async_trait]
pub trait RateLimiter: Debug + Send + Sync {
    /// Counts one request of `key` against `limit` at `now`.
    async fn acquire(
        &self,
        key: &str,
        limit: &RateLimit,
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError>;
}

/// Entries kept before stale ones are swept.
const SWEEP_AT: usize = 4096;

/// A [`RateLimiter`] in process memory: exact for one process; a fleet
/// shares limits through a networked implementation.
#[derive(Debug, Default)]
pub struct MemoryRateLimiter {
    tats: Mutex<HashMap<Box<str>, OffsetDateTime>>,
}

impl MemoryRateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn acquire(
        &self,
        key: &str,
        limit: &RateLimit,
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        // The map only ever holds whole timestamps, so a poisoned lock
        // leaves nothing half-written.
        let mut tats = self.tats.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tat) = tats.get_mut(key) {
            return Ok(match limit.gcra(Some(*tat), now) {
                Ok(next) => {
                    *tat = next;
                    RateDecision::Allowed
                }
                Err(retry_after) => RateDecision::Limited { retry_after },
            });
        }
        match limit.gcra(None, now) {
            Ok(next) => {
                if tats.len() >= SWEEP_AT {
                    // A TAT in the past means the same as no entry.
                    tats.retain(|_, tat| *tat > now);
                }
                tats.insert(key.into(), next);
                Ok(RateDecision::Allowed)
            }
            Err(retry_after) => Ok(RateDecision::Limited { retry_after }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

    #[test]
    fn allows_a_burst_then_spaces_requests() {
        let limit = RateLimit::new(5, Duration::seconds(10)).unwrap();
        let mut tat = None;
        for _ in 0..5 {
            tat = Some(limit.gcra(tat, T0).unwrap());
        }
        assert_eq!(limit.gcra(tat, T0), Err(Duration::seconds(2)));
        // One emission interval later exactly one more fits.
        let later = T0 + Duration::seconds(2);
        tat = Some(limit.gcra(tat, later).unwrap());
        assert_eq!(limit.gcra(tat, later), Err(Duration::seconds(2)));
        // After a whole idle period the full burst is back.
        let idle = later + Duration::seconds(10);
        for _ in 0..5 {
            tat = Some(limit.gcra(tat, idle).unwrap());
        }
        assert!(limit.gcra(tat, idle).is_err());
    }

    #[test]
    fn a_limit_past_the_representable_time_refuses() {
        let limit = RateLimit::new(1, Duration::days(365 * 9000)).unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(limit.gcra(None, now).is_err());
        let last = time::PrimitiveDateTime::MAX.assume_utc();
        assert!(limit.gcra(Some(last), now).is_err());
    }

    #[test]
    fn rejects_nonsense_limits() {
        assert!(RateLimit::new(0, Duration::seconds(1)).is_err());
        assert!(RateLimit::new(1, Duration::ZERO).is_err());
        assert!(RateLimit::new(1, Duration::seconds(-1)).is_err());
    }
}
