//! Time as the verifier sees it.
//!
//! Every time rule (expiry, rotation grace, last-used granularity) reads the
//! clock through [`Clock`], so tests can move time instead of sleeping.

use std::cell::Cell;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Debug + Send + Sync {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system's wall clock.
///
/// Each thread remembers the calendar date and time of the last whole
/// second it read, so that a reading within the same second only sets the
/// nanoseconds: the answer is exactly [`OffsetDateTime::now_utc`]'s, for
/// half the work.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

thread_local! {
    /// The last whole second read on this thread: seconds since the Unix
    /// epoch, and that moment as a date and time.
    static LAST_SECOND: Cell<Option<(u64, OffsetDateTime)>> = const { Cell::new(None) };
}

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        let now = SystemTime::now();
        let Ok(since_epoch) = now.duration_since(SystemTime::UNIX_EPOCH) else {
            return OffsetDateTime::from(now);
        };
        let second = since_epoch.as_secs();
        let nanos = since_epoch.subsec_nanos();
        if let Some((last, at)) = LAST_SECOND.get()
            && last == second
            && let Ok(now) = at.replace_nanosecond(nanos)
        {
            return now;
        }
        let at = OffsetDateTime::from(now);
        if let Ok(start) = at.replace_nanosecond(0) {
            LAST_SECOND.set(Some((second, start)));
        }
        at
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// A clock that stands still until told to move; for tests and simulations.
///
/// Clones share the same time, so a test can keep one handle and give another
/// to the code under test.
///
/// ```
/// use credential_core::clock::{Clock, ManualClock};
/// use time::{Duration, macros::datetime};
///
/// let clock = ManualClock::new(datetime!(2030-01-01 0:00 UTC));
/// let shared = clock.clone();
/// clock.advance(Duration::minutes(5));
/// assert_eq!(shared.now(), datetime!(2030-01-01 0:05 UTC));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_what_the_system_time_says_across_seconds() {
        let read = || {
            let start = std::time::Instant::now();
            let mut seconds_seen = 0;
            let mut last = None;
            while start.elapsed() < std::time::Duration::from_millis(1100) {
                let before = OffsetDateTime::now_utc();
                let now = SystemClock.now();
                let after = OffsetDateTime::now_utc();
                assert!(before <= now && now <= after, "{before} {now} {after}");
                if last != Some(now.unix_timestamp()) {
                    seconds_seen += 1;
                    last = Some(now.unix_timestamp());
                }
            }
            // At least one whole second changed while reading.
            assert!(seconds_seen >= 2, "{seconds_seen}");
        };
        let other = std::thread::spawn(read);
        read();
        other.join().unwrap();
    }
}
