//! Verifying a presented API key.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::clock::{Clock, SystemClock};
use crate::key::format::{KeyFormat, KeyParseError, ParsedKey};
use crate::key::id::KeyId;
use crate::key::pepper::{HashCheck, KeyHash, Peppers};
use crate::key::record::{CreditSpend, KeyRecord};
use crate::key::store::KeyStore;
use crate::ratelimit::{MemoryRateLimiter, RateDecision, RateLimiter};
use crate::rejection::{Reason, Rejection};
use crate::scope::Requirement;
use crate::store::StoreError;
use crate::telemetry;
use crate::verify::{CredentialKind, Principal, Verification, Verifier};

/// How stale `last_used_at` may get before a verification writes it again.
pub const DEFAULT_LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// Verifies API keys against a [`KeyStore`].
///
/// Checks run in this order, and the first failure is the rejection:
///
/// 1. shape: length, alphabet, separators, prefix ([`Reason::Malformed`],
///    [`Reason::WrongPrefix`]);
/// 2. checksum ([`Reason::BadChecksum`]) — a key that fails it never
///    reaches the store;
/// 3. store lookup by id ([`Reason::UnknownKey`], or
///    [`Reason::StoreUnavailable`] when the store fails);
/// 4. constant-time comparison of the secret's keyed hash
///    ([`Reason::BadSecret`], [`Reason::UnknownPepper`]);
/// 5. revoked, disabled, expired, rolled past its grace period;
/// 6. the scope requirement, when given ([`Reason::InsufficientScope`]);
/// 7. the key's rate limit, if it has one ([`Reason::RateLimited`]);
/// 8. the key's usage credits, if it is metered
///    ([`Reason::CreditsExhausted`]) — a credit is spent only when every
///    other check passed.
///
/// A store or rate limiter that fails at any step is
/// [`Reason::StoreUnavailable`].
///
/// After a success it re-hashes the secret under the current pepper if the
/// stored hash used an older one, and records the use at most once per
/// granularity period (default one minute). Failures of these two writes
/// are logged and do not fail the request: the credential was valid.
#[derive(Debug)]
pub struct KeyVerifier<S: ?Sized> {
    store: Arc<S>,
    format: KeyFormat,
    peppers: Arc<Peppers>,
    clock: Arc<dyn Clock>,
    rate_limiter: Arc<dyn RateLimiter>,
    last_used_granularity: Duration,
}

impl<S: KeyStore + ?Sized> KeyVerifier<S> {
    /// A verifier for keys of `format` whose hashes `peppers` can check.
    pub fn new(store: Arc<S>, format: KeyFormat, peppers: Arc<Peppers>) -> Self {
        Self {
            store,
            format,
            peppers,
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::new(MemoryRateLimiter::new()),
            last_used_granularity: DEFAULT_LAST_USED_GRANULARITY,
        }
    }

    /// Replaces the clock (for tests and simulations).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the rate limiter (by default one in this process's memory;
    /// a fleet shares one through a networked store).
    #[must_use]
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = limiter;
        self
    }

    /// Sets how stale `last_used_at` may get before it is written again.
    #[must_use]
    pub fn with_last_used_granularity(mut self, granularity: Duration) -> Self {
        self.last_used_granularity = granularity;
        self
    }

    /// Steps 4 and 5 on the store's answer for `parsed`: secret, prefix,
    /// lifecycle, scope.
    fn check_found(
        &self,
        parsed: &ParsedKey,
        found: Result<Option<Arc<KeyRecord>>, StoreError>,
        required: Option<&Requirement>,
        now: OffsetDateTime,
    ) -> Result<Passed, Rejection> {
        let record = match found {
            Ok(Some(record)) => record,
            Ok(None) => return Err(Rejection::new(Reason::UnknownKey)),
            Err(_) => return Err(Rejection::new(Reason::StoreUnavailable)),
        };
        let upgrade = match self
            .peppers
            .check(parsed.secret().expose_secret(), &record.hash)
        {
            HashCheck::Match => None,
            HashCheck::MatchNeedsUpgrade(hash) => Some(hash),
            HashCheck::Mismatch => return Err(Rejection::new(Reason::BadSecret)),
            HashCheck::UnknownPepper => return Err(Rejection::new(Reason::UnknownPepper)),
        };
        if record.prefix != self.format.prefix() {
            return Err(Rejection::new(Reason::WrongPrefix));
        }
        record.lifecycle_check(now).map_err(Rejection::new)?;
        if let Some(missing) = required.and_then(|requirement| requirement.missing(&record.scopes))
        {
            return Err(Rejection::insufficient_scope(missing));
        }
        Ok(Passed {
            record,
            upgrade,
            now,
        })
    }

    /// Step 6 (rate limit, then the credit) and the writes after a
    /// success. Nothing to do when the record is unlimited, unmetered,
    /// current and recently used.
    async fn finish(&self, id: KeyId, passed: Passed) -> Result<Arc<KeyRecord>, Rejection> {
        let Passed {
            record,
            upgrade,
            now,
        } = passed;
        if let Some(limit) = &record.rate_limit {
            // A stored limit that makes no sense would never limit: treat
            // the record as unreadable.
            if limit.validate().is_err() {
                return Err(Rejection::new(Reason::StoreUnavailable));
            }
            match self.rate_limiter.acquire(id.as_str(), limit, now).await {
                Ok(RateDecision::Allowed) => {}
                Ok(RateDecision::Limited { retry_after }) => {
                    return Err(Rejection::rate_limited(retry_after.unsigned_abs()));
                }
                Err(_) => return Err(Rejection::new(Reason::StoreUnavailable)),
            }
        }
        if record.credits.is_some() {
            match self.store.spend_credit(&id, now).await {
                Ok(CreditSpend::Spent { .. } | CreditSpend::Unmetered) => {}
                Ok(CreditSpend::Exhausted { refill_at }) => {
                    let refill_in = refill_at.map(|at| (at - now).unsigned_abs());
                    return Err(Rejection::credits_exhausted(refill_in));
                }
                Err(_) => return Err(Rejection::new(Reason::StoreUnavailable)),
            }
        }

        if let Some(new_hash) = upgrade
            && let Err(error) = self.store.upgrade_hash(&id, &record.hash, new_hash).await
        {
            telemetry::store_write_failed("upgrade_hash", &id, &error);
        }
        if self.is_stale(&record, now)
            && let Err(error) = self.store.record_use(&id, now).await
        {
            telemetry::store_write_failed("record_use", &id, &error);
        }
        Ok(record)
    }

    /// Whether `last_used_at` is due to be written.
    fn is_stale(&self, record: &KeyRecord, now: OffsetDateTime) -> bool {
        record
            .last_used_at
            // `last + granularity <= now`, which is `now - last >=
            // granularity` with one date addition instead of a subtraction
            // of two; a sum past the calendar's end is never due.
            .is_none_or(|last| {
                last.checked_add(self.last_used_granularity)
                    .is_some_and(|due| due <= now)
            })
    }

    /// Whether a success for `record` needs the rate limiter or a store
    /// write (a spent credit, a hash under an older pepper, a use to
    /// record): known before the secret is checked.
    fn needs_more(&self, record: &KeyRecord, now: OffsetDateTime) -> bool {
        record.rate_limit.is_some()
            || record.credits.is_some()
            || record.hash.pepper_version() != self.peppers.current().version()
            || self.is_stale(record, now)
    }

    /// Reports the outcome for key `id` and makes the principal.
    fn conclude(
        id: KeyId,
        outcome: Result<Arc<KeyRecord>, Rejection>,
    ) -> Result<Principal, Rejection> {
        match outcome {
            Ok(record) => {
                telemetry::accepted(CredentialKind::ApiKey, &record.id);
                Ok(Principal::from_key(record))
            }
            Err(rejection) => {
                telemetry::rejected(CredentialKind::ApiKey, rejection.reason(), Some(&id));
                Err(rejection)
            }
        }
    }
}

/// A record that passed every check that needs no store write, and what
/// is left to do for it.
struct Passed {
    record: Arc<KeyRecord>,
    /// The hash under the current pepper, when the stored one is older.
    upgrade: Option<KeyHash>,
    now: OffsetDateTime,
}

impl<S: KeyStore + ?Sized> Verifier for KeyVerifier<S> {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        let parsed = match self.format.parse(credential) {
            Ok(parsed) => parsed,
            Err(error) => {
                let reason = match error {
                    KeyParseError::BadChecksum => Reason::BadChecksum,
                    KeyParseError::WrongPrefix => Reason::WrongPrefix,
                    _ => Reason::Malformed,
                };
                // Nothing of a string that failed the syntax checks is
                // logged: it may be a secret pasted into the wrong header.
                telemetry::rejected(CredentialKind::ApiKey, reason, None);
                return Verification::ready(Err(Rejection::new(reason)));
            }
        };
        let id = parsed.id();
        // A store that answers at once (in memory, a cache hit) and a
        // record that needs no write complete without a boxed future. A
        // record that does waits before its secret is checked, so that a
        // caller that cannot wait and starts over does not hash twice.
        // The clock is read once, after the record is at hand.
        let found = self
            .store
            .get_immediate(&id)
            .map(|found| (found, self.clock.now()));
        let found = match found {
            Some((found, now)) if !matches!(&found, Ok(Some(record)) if self.needs_more(record, now)) =>
            {
                let outcome = self
                    .check_found(&parsed, found, required, now)
                    .map(|passed| passed.record);
                return Verification::ready(Self::conclude(id, outcome));
            }
            found => found,
        };
        Verification::waiting(async move {
            let (found, now) = match found {
                Some(found) => found,
                None => (self.store.get(&id).await, self.clock.now()),
            };
            let outcome = match self.check_found(&parsed, found, required, now) {
                Ok(passed) => self.finish(id, passed).await,
                Err(rejection) => Err(rejection),
            };
            Self::conclude(id, outcome)
        })
    }
}
