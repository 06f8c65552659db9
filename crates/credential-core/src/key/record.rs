//! What a store keeps about a key: never the secret, only its keyed hash.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::key::id::KeyId;
use crate::key::pepper::KeyHash;
use crate::ratelimit::RateLimit;
use crate::scope::ScopeSet;

/// Free-form metadata attached to a key: a small JSON object.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// Largest metadata accepted, in bytes of compact JSON.
pub const MAX_METADATA_BYTES: usize = 4096;

/// Everything known about one API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Public id, unique in its store.
    pub id: KeyId,
    /// The prefix the key was issued with. A key presented with another
    /// prefix is rejected even when its id and secret match, so a test key
    /// can never pass for a live one in a shared store.
    pub prefix: String,
    /// `HMAC-SHA-256(pepper, secret)` and the pepper's version.
    pub hash: KeyHash,
    /// The owner the key acts for (a user, a tenant, a service).
    pub subject: String,
    /// A human-readable label.
    pub name: String,
    /// The scopes the key grants.
    pub scopes: ScopeSet,
    /// When the key was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the key stops verifying, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// A disabled key is rejected until enabled again.
    pub disabled: bool,
    /// When the key was revoked; a revoked key never verifies again.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Free-form metadata.
    pub metadata: Metadata,
    /// Usage credits, when the key is metered.
    pub credits: Option<Credits>,
    /// Rate limit, when the key is throttled.
    pub rate_limit: Option<RateLimit>,
    /// Last successful verification, written at most once per the
    /// verifier's granularity so it stays off the hot path.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// The key this one replaced, when it was created by a roll.
    pub rolled_from: Option<KeyId>,
    /// The key that replaced this one, and until when this one still works.
    pub rolled_into: Option<Rollover>,
}

impl KeyRecord {
    /// Whether a key with this record may be used at `now`, ignoring its
    /// secret and scopes: the lifecycle checks, in the documented order.
    pub fn lifecycle_check(&self, now: OffsetDateTime) -> Result<(), crate::rejection::Reason> {
        use crate::rejection::Reason;
        if self.revoked_at.is_some() {
            return Err(Reason::Revoked);
        }
        if self.disabled {
            return Err(Reason::Disabled);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(Reason::Expired);
        }
        if self
            .rolled_into
            .as_ref()
            .is_some_and(|roll| roll.grace_until <= now)
        {
            return Err(Reason::RolledPastGrace);
        }
        Ok(())
    }
}

impl KeyRecord {
    /// The store rule of [`KeyStore::roll`](crate::key::KeyStore::roll)
    /// for the old record: marks it rolled into `new` until `grace_until`.
    /// Every store applies this one rule inside its atomic update.
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`](crate::StoreError::Conflict) when the key
    /// is revoked or was already rolled.
    pub fn roll_into(
        &mut self,
        new: KeyId,
        grace_until: OffsetDateTime,
    ) -> Result<(), crate::StoreError> {
        if self.revoked_at.is_some() {
            return Err(crate::StoreError::Conflict("the key is revoked"));
        }
        if self.rolled_into.is_some() {
            return Err(crate::StoreError::Conflict("the key was already rolled"));
        }
        self.rolled_into = Some(Rollover {
            key: new,
            grace_until,
        });
        Ok(())
    }

    /// The store rule of
    /// [`KeyStore::record_use`](crate::key::KeyStore::record_use): moves
    /// `last_used_at` forward to `at`, never back. Returns whether it
    /// changed, so a store can skip the write.
    pub fn record_use(&mut self, at: OffsetDateTime) -> bool {
        if self.last_used_at.is_some_and(|last| last >= at) {
            return false;
        }
        self.last_used_at = Some(at);
        true
    }

    /// Orders records as
    /// [`KeyStore::list_by_subject`](crate::key::KeyStore::list_by_subject)
    /// returns them: oldest first, then by id.
    pub fn sort_oldest_first<R: std::ops::Deref<Target = Self>>(records: &mut [R]) {
        records.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    }
}

/// A roll of a key into a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollover {
    /// The new key.
    pub key: KeyId,
    /// The old key is rejected from this moment on.
    #[serde(with = "time::serde::rfc3339")]
    pub grace_until: OffsetDateTime,
}

/// Usage credits: a remaining count, optionally refilled on a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    /// Verifications left before the key is refused.
    pub remaining: u64,
    /// How the count is topped up, if it is.
    pub refill: Option<Refill>,
}

/// The outcome of spending one credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditSpend {
    /// The key is not metered.
    Unmetered,
    /// One credit was spent; this many are left.
    Spent {
        /// Credits left after this one.
        remaining: u64,
    },
    /// No credit was left; none was spent.
    Exhausted {
        /// When the credits refill, if they do.
        refill_at: Option<OffsetDateTime>,
    },
}

/// Credits whose numbers make no sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a credit refill needs a positive interval")]
pub struct InvalidCredits;

impl Credits {
    /// `remaining` credits that are never refilled.
    pub fn new(remaining: u64) -> Self {
        Self {
            remaining,
            refill: None,
        }
    }

    /// `amount` credits, set back to `amount` every `interval` from `now`.
    pub fn refilled(
        amount: u64,
        interval: Duration,
        now: OffsetDateTime,
    ) -> Result<Self, InvalidCredits> {
        let credits = Self {
            remaining: amount,
            refill: Some(Refill {
                amount,
                interval,
                last_refill_at: now,
            }),
        };
        credits.validate()?;
        Ok(credits)
    }

    /// Checks the numbers of credits built field by field or read back.
    pub fn validate(&self) -> Result<(), InvalidCredits> {
        match self.refill {
            Some(refill) if !refill.interval.is_positive() => Err(InvalidCredits),
            _ => Ok(()),
        }
    }

    /// Refills if a refill is due at `now`, then spends one credit if any
    /// is left. Pure, so every store applies the same rule inside its own
    /// atomic update.
    pub fn spend(&mut self, now: OffsetDateTime) -> CreditSpend {
        if let Some(refill) = self.refill.as_mut()
            && refill.interval.is_positive()
        {
            let elapsed = now - refill.last_refill_at;
            if elapsed >= refill.interval {
                // Advance by whole intervals only, so the schedule does not
                // drift with the times requests happen to arrive.
                let late = elapsed.whole_nanoseconds() % refill.interval.whole_nanoseconds();
                let late = i64::try_from(late).map_or(Duration::ZERO, Duration::nanoseconds);
                refill.last_refill_at = now.saturating_sub(late);
                self.remaining = refill.amount;
            }
        }
        match self.remaining.checked_sub(1) {
            Some(left) => {
                self.remaining = left;
                CreditSpend::Spent { remaining: left }
            }
            None => CreditSpend::Exhausted {
                refill_at: self
                    .refill
                    .map(|refill| refill.last_refill_at.saturating_add(refill.interval)),
            },
        }
    }
}

/// A periodic reset of a key's credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refill {
    /// The count is set back to this.
    pub amount: u64,
    /// Every this long.
    #[serde(with = "crate::serde_time::seconds")]
    pub interval: Duration,
    /// When it was last set back.
    #[serde(with = "time::serde::rfc3339")]
    pub last_refill_at: OffsetDateTime,
}

/// What to create: the fields of a new key that its creator chooses.
///
/// ```
/// use credential_core::key::NewKey;
///
/// let new = NewKey::new("acme", "reports:read reports:write".parse()?).name("ci pipeline");
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub(crate) subject: String,
    pub(crate) name: String,
    pub(crate) scopes: ScopeSet,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) metadata: Metadata,
    pub(crate) credits: Option<Credits>,
    pub(crate) rate_limit: Option<RateLimit>,
}

impl NewKey {
    /// A key for `subject` granting `scopes`, with no expiry or limits.
    pub fn new(subject: impl Into<String>, scopes: ScopeSet) -> Self {
        Self {
            subject: subject.into(),
            name: String::new(),
            scopes,
            expires_at: None,
            metadata: Metadata::new(),
            credits: None,
            rate_limit: None,
        }
    }

    /// Sets a human-readable label.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Makes the key expire at `at`.
    #[must_use]
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Attaches metadata (at most [`MAX_METADATA_BYTES`] as JSON).
    #[must_use]
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Meters the key with usage credits.
    #[must_use]
    pub fn credits(mut self, credits: Credits) -> Self {
        self.credits = Some(credits);
        self
    }

    /// Throttles the key.
    #[must_use]
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }
}

/// One change to a stored key.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KeyUpdate {
    /// Replace the granted scopes.
    Scopes(ScopeSet),
    /// Replace the metadata.
    Metadata(Metadata),
    /// Disable (`true`) or enable (`false`) the key.
    Disabled(bool),
    /// Revoke the key at this time; a key already revoked keeps its first
    /// revocation time.
    Revoke(OffsetDateTime),
    /// Set or remove usage credits.
    Credits(Option<Credits>),
    /// Set or remove the rate limit.
    RateLimit(Option<RateLimit>),
}

impl KeyUpdate {
    /// Applies the change to a record; stores that keep whole records use
    /// this so every store means the same by each change.
    pub fn apply(&self, record: &mut KeyRecord) {
        match self {
            Self::Scopes(scopes) => record.scopes = scopes.clone(),
            Self::Metadata(metadata) => record.metadata = metadata.clone(),
            Self::Disabled(disabled) => record.disabled = *disabled,
            Self::Revoke(at) => {
                record.revoked_at.get_or_insert(*at);
            }
            Self::Credits(credits) => record.credits = *credits,
            Self::RateLimit(limit) => record.rate_limit = *limit,
        }
    }
}
