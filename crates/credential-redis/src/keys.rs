//! [`KeyStore`] over Redis: a JSON string per record, its credits in a
//! hash beside it, and a lexicographically ordered index per subject.

use std::sync::Arc;

use async_trait::async_trait;
use credential_core::StoreError;
use credential_core::key::{
    CreditSpend, Credits, KeyHash, KeyId, KeyRecord, KeyStore, KeyUpdate, Refill, Rollover,
};
use redis::{ScriptInvocation, Value};
use time::OffsetDateTime;

use crate::scripts;
use crate::store::reply::{self, corrupt};
use crate::store::{Contention, MAX_ATTEMPTS, RedisStore, instant};

/// Key kinds, after the prefix.
const RECORD: &str = "key:";
const CREDITS: &str = "credits:";
const SUBJECT: &str = "subject:";

/// Added to `created_at` in nanoseconds so that every representable time
/// is a positive number of [`CREATED_DIGITS`] digits, which sort as text
/// in time order.
const CREATED_OFFSET: i128 = 1_000_000_000_000_000_000_000_000;
const CREATED_DIGITS: usize = 25;

/// How a write treats the credits hash.
enum CreditsWrite {
    Keep,
    Delete,
    Set(CreditFields),
}

/// The stored form of [`Credits`].
struct CreditFields {
    /// The count, in decimal.
    remaining: String,
    /// The refill as JSON, or empty.
    refill: String,
    /// When the next refill is due, `(seconds, nanoseconds)`, if ever.
    due: Option<(i128, i128)>,
}

/// A record as read: its JSON exactly as stored (for compare-and-set) and
/// its decoded form.
struct Read {
    json: String,
    record: KeyRecord,
}

/// What a change decided: write the record, or stop with a value.
enum Step<T> {
    Write {
        value: T,
        credits: CreditsWrite,
        publish: bool,
    },
    Stop(T),
}

/// What a compare-and-set of a record came to.
enum Replaced {
    /// Written; the key's credits as they now are.
    Done(Option<Credits>),
    Missing,
    Changed,
}

impl CreditsWrite {
    /// What to write for `credits`.
    fn of(credits: Option<&Credits>) -> Result<Self, StoreError> {
        credits.map_or(Ok(Self::Delete), |credits| {
            CreditFields::of(credits).map(Self::Set)
        })
    }

    /// The five script arguments: mode, remaining, refill, due seconds,
    /// due nanoseconds.
    fn push(&self, invocation: &mut ScriptInvocation<'_>) {
        let (mode, fields) = match self {
            Self::Keep => ("keep", None),
            Self::Delete => ("del", None),
            Self::Set(fields) => ("set", Some(fields)),
        };
        invocation.arg(mode);
        match fields {
            Some(fields) => fields.push(invocation),
            None => {
                invocation.arg("").arg("").arg("").arg("");
            }
        }
    }
}

impl CreditFields {
    fn of(credits: &Credits) -> Result<Self, StoreError> {
        let refill = match &credits.refill {
            Some(refill) => serde_json::to_string(refill)
                .map_err(|error| corrupt(format!("credits refill: {error}")))?,
            None => String::new(),
        };
        // The schedule is the one read back, so that the script and
        // `Credits::spend` on a read-back record agree on when it is due.
        let due = decode_refill(&refill)?.and_then(|refill| {
            refill.interval.is_positive().then(|| {
                instant::split(
                    refill.last_refill_at.unix_timestamp_nanos()
                        + refill.interval.whole_nanoseconds(),
                )
            })
        });
        Ok(Self {
            remaining: credits.remaining.to_string(),
            refill,
            due,
        })
    }

    /// The four field arguments: remaining, refill, due seconds, due
    /// nanoseconds.
    fn push(&self, invocation: &mut ScriptInvocation<'_>) {
        invocation.arg(&self.remaining).arg(&self.refill);
        match self.due {
            Some((seconds, nanos)) => invocation.arg(seconds.to_string()).arg(nanos.to_string()),
            None => invocation.arg("").arg(""),
        };
    }
}

/// A refill as stored: empty for none.
fn decode_refill(text: &str) -> Result<Option<Refill>, StoreError> {
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| corrupt(format!("credits refill: {error}")))
}

/// Credits from the `remaining` and `refill` fields, `None` when the key
/// has none.
fn decode_credits(remaining: Value, refill: Value) -> Result<Option<Credits>, StoreError> {
    // Every key has a credits hash; an unmetered one has an empty count.
    // A hash that is gone was evicted or lost: never read that as
    // "unmetered".
    let Some(remaining) = reply::text(remaining)? else {
        return Err(corrupt("the credits of a key are missing".to_owned()));
    };
    if remaining.is_empty() {
        return Ok(None);
    }
    let refill = reply::required(refill, "the credits' refill field")?;
    Ok(Some(Credits {
        remaining: parse_count(&remaining)?,
        refill: decode_refill(&refill)?,
    }))
}

fn parse_count(text: &str) -> Result<u64, StoreError> {
    text.parse()
        .map_err(|_| corrupt(format!("credit count {text:?}")))
}

/// A record from `[json, remaining, refill]`.
fn decode(value: Value) -> Result<Read, StoreError> {
    let mut items = reply::items(value)?.into_iter();
    let json = reply::required(reply::next(&mut items), "a key record")?;
    let mut record: KeyRecord =
        serde_json::from_str(&json).map_err(|error| corrupt(format!("key record: {error}")))?;
    record.credits = decode_credits(reply::next(&mut items), reply::next(&mut items))?;
    Ok(Read { json, record })
}

/// The JSON stored for a record: everything but its credits, which live
/// in their own hash.
fn encode(record: &KeyRecord) -> Result<String, StoreError> {
    let mut stored = record.clone();
    stored.credits = None;
    serde_json::to_string(&stored).map_err(|error| corrupt(format!("key record: {error}")))
}

/// The member of a subject's index: `created_at` as fixed-width digits,
/// then the id, so that the index sorts by creation time, then id.
fn member(record: &KeyRecord) -> String {
    let created = record.created_at.unix_timestamp_nanos() + CREATED_OFFSET;
    format!("{created:0CREATED_DIGITS$}:{}", record.id)
}

impl RedisStore {
    fn record_key(&self, id: &KeyId) -> String {
        self.key(RECORD, id.as_str())
    }

    fn credits_key(&self, id: &KeyId) -> String {
        self.key(CREDITS, id.as_str())
    }

    fn subject_key(&self, subject: &str) -> String {
        self.key(SUBJECT, subject)
    }

    /// The record of `id`, as stored and decoded.
    async fn read(&self, id: &KeyId) -> Result<Option<Read>, StoreError> {
        let mut invocation = scripts::GET.prepare_invoke();
        invocation
            .key(self.record_key(id))
            .key(self.credits_key(id));
        match self.eval(&invocation).await? {
            Value::Nil => Ok(None),
            value => decode(value).map(Some),
        }
    }

    /// Writes `record` (and `credits`) if the stored JSON is still
    /// `expected`, publishing the id when `publish`.
    async fn replace(
        &self,
        expected: &str,
        record: &KeyRecord,
        credits: &CreditsWrite,
        publish: bool,
    ) -> Result<Replaced, StoreError> {
        let json = encode(record)?;
        let mut invocation = scripts::REPLACE.prepare_invoke();
        invocation
            .key(self.record_key(&record.id))
            .key(self.credits_key(&record.id))
            .arg(expected)
            .arg(json)
            .arg(self.channel())
            .arg(if publish { record.id.as_str() } else { "" });
        credits.push(&mut invocation);
        let mut items = reply::items(self.eval(&invocation).await?)?.into_iter();
        match reply::status(&mut items)?.as_str() {
            "ok" => {
                let remaining = reply::next(&mut items);
                let refill = reply::next(&mut items);
                Ok(Replaced::Done(decode_credits(remaining, refill)?))
            }
            "missing" => Ok(Replaced::Missing),
            "changed" => Ok(Replaced::Changed),
            other => Err(corrupt(format!("unexpected script status {other:?}"))),
        }
    }

    /// Reads the record of `id`, lets `change` decide, and writes the
    /// result with a compare-and-set, again while concurrent writes get
    /// in between.
    ///
    /// `change` either stops with a value, writing nothing, or asks for
    /// the changed record to be written (with its credits, publishing the
    /// id or not).
    async fn modify<T>(
        &self,
        id: &KeyId,
        mut change: impl FnMut(&mut KeyRecord) -> Result<Step<T>, StoreError> + Send,
    ) -> Result<(T, KeyRecord), StoreError>
    where
        T: Send,
    {
        for _ in 0..MAX_ATTEMPTS {
            let Some(Read { json, mut record }) = self.read(id).await? else {
                return Err(StoreError::NotFound);
            };
            let (value, credits, publish) = match change(&mut record)? {
                Step::Write {
                    value,
                    credits,
                    publish,
                } => (value, credits, publish),
                Step::Stop(value) => return Ok((value, record)),
            };
            match self.replace(&json, &record, &credits, publish).await? {
                Replaced::Done(now) => {
                    record.credits = now;
                    return Ok((value, record));
                }
                Replaced::Missing => return Err(StoreError::NotFound),
                Replaced::Changed => {}
            }
        }
        Err(StoreError::unavailable(Contention(MAX_ATTEMPTS)))
    }

    /// Applies the refill rule and spends with [`Credits::spend`], writing
    /// with a compare-and-set of the fields read. `None` when they changed
    /// in between.
    async fn spend_exactly(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        remaining: String,
        refill: String,
    ) -> Result<Option<CreditSpend>, StoreError> {
        let mut credits = Credits {
            remaining: parse_count(&remaining)?,
            refill: decode_refill(&refill)?,
        };
        let outcome = credits.spend(now);
        let fields = CreditFields::of(&credits)?;
        let mut invocation = scripts::SET_CREDITS.prepare_invoke();
        invocation
            .key(self.record_key(id))
            .key(self.credits_key(id))
            .arg(remaining)
            .arg(refill);
        fields.push(&mut invocation);
        match reply::required(self.eval(&invocation).await?, "a script status")?.as_str() {
            "ok" => Ok(Some(outcome)),
            "missing" => Err(StoreError::NotFound),
            "changed" => Ok(None),
            other => Err(corrupt(format!("unexpected script status {other:?}"))),
        }
    }
}

#[async_trait]
impl KeyStore for RedisStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        let credits = CreditsWrite::of(record.credits.as_ref())?;
        let mut invocation = scripts::INSERT.prepare_invoke();
        invocation
            .key(self.record_key(&record.id))
            .key(self.credits_key(&record.id))
            .key(self.subject_key(&record.subject))
            .arg(encode(&record)?)
            .arg(member(&record))
            .arg(self.channel())
            .arg(record.id.as_str());
        credits.push(&mut invocation);
        match reply::int(self.eval(&invocation).await?)? {
            1 => Ok(()),
            0 => Err(StoreError::Conflict("a key with this id exists")),
            other => Err(corrupt(format!("unexpected insert reply {other}"))),
        }
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        Ok(self.read(id).await?.map(|read| Arc::new(read.record)))
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        let mut invocation = scripts::LIST.prepare_invoke();
        invocation
            .key(self.subject_key(subject))
            .arg(self.key(RECORD, ""))
            .arg(self.key(CREDITS, ""));
        reply::items(self.eval(&invocation).await?)?
            .into_iter()
            .map(|value| decode(value).map(|read| Arc::new(read.record)))
            .collect()
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        let ((), record) = self
            .modify(id, |record| {
                update.apply(record);
                // Setting credits writes them even when they look
                // unchanged: spends may have moved the stored count since
                // it was read.
                let credits = if matches!(update, KeyUpdate::Credits(_)) {
                    CreditsWrite::of(record.credits.as_ref())?
                } else {
                    CreditsWrite::Keep
                };
                Ok(Step::Write {
                    value: (),
                    credits,
                    publish: true,
                })
            })
            .await?;
        Ok(Arc::new(record))
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        let new_json = encode(&new)?;
        let new_credits = CreditsWrite::of(new.credits.as_ref())?;
        for _ in 0..MAX_ATTEMPTS {
            let (expected, rolled, refusal) = match self.read(old).await? {
                // The script still checks the new id first.
                None => (String::new(), String::new(), ""),
                Some(read) if read.record.revoked_at.is_some() => {
                    (read.json, String::new(), "revoked")
                }
                Some(read) if read.record.rolled_into.is_some() => {
                    (read.json, String::new(), "rolled")
                }
                Some(Read { json, mut record }) => {
                    record.rolled_into = Some(Rollover {
                        key: new.id,
                        grace_until,
                    });
                    (json, encode(&record)?, "")
                }
            };
            let mut invocation = scripts::ROLL.prepare_invoke();
            invocation
                .key(self.record_key(old))
                .key(self.record_key(&new.id))
                .key(self.credits_key(&new.id))
                .key(self.subject_key(&new.subject))
                .arg(expected)
                .arg(rolled)
                .arg(refusal)
                .arg(&new_json)
                .arg(member(&new))
                .arg(self.channel())
                .arg(old.as_str())
                .arg(new.id.as_str());
            new_credits.push(&mut invocation);
            match reply::required(self.eval(&invocation).await?, "a script status")?.as_str() {
                "ok" => return Ok(()),
                "exists" => return Err(StoreError::Conflict("a key with this id exists")),
                "missing" => return Err(StoreError::NotFound),
                "revoked" => return Err(StoreError::Conflict("the key is revoked")),
                "rolled" => return Err(StoreError::Conflict("the key was already rolled")),
                "changed" => {}
                other => return Err(corrupt(format!("unexpected script status {other:?}"))),
            }
        }
        Err(StoreError::unavailable(Contention(MAX_ATTEMPTS)))
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        let (replaced, _) = self
            .modify(id, |record| {
                if record.hash != *expected {
                    return Ok(Step::Stop(false));
                }
                record.hash = new;
                Ok(Step::Write {
                    value: true,
                    credits: CreditsWrite::Keep,
                    publish: true,
                })
            })
            .await?;
        Ok(replaced)
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.modify(id, |record| {
            if record.last_used_at.is_some_and(|last| last >= at) {
                return Ok(Step::Stop(()));
            }
            record.last_used_at = Some(at);
            // Bookkeeping: no cache needs to forget the key for it.
            Ok(Step::Write {
                value: (),
                credits: CreditsWrite::Keep,
                publish: false,
            })
        })
        .await?;
        Ok(())
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        let (seconds, nanos) = instant::of(now);
        for _ in 0..MAX_ATTEMPTS {
            let mut invocation = scripts::SPEND.prepare_invoke();
            invocation
                .key(self.record_key(id))
                .key(self.credits_key(id))
                .arg(seconds.to_string())
                .arg(nanos.to_string());
            let mut items = reply::items(self.eval(&invocation).await?)?.into_iter();
            match reply::status(&mut items)?.as_str() {
                "missing" => return Err(StoreError::NotFound),
                "unmetered" => return Ok(CreditSpend::Unmetered),
                "spent" => {
                    let remaining = reply::required(reply::next(&mut items), "credits left")?;
                    return Ok(CreditSpend::Spent {
                        remaining: parse_count(&remaining)?,
                    });
                }
                "exhausted" => {
                    let refill = reply::required(reply::next(&mut items), "a refill")?;
                    return Ok(CreditSpend::Exhausted {
                        refill_at: decode_refill(&refill)?
                            .map(|refill| refill.last_refill_at.saturating_add(refill.interval)),
                    });
                }
                "defer" => {
                    let remaining = reply::required(reply::next(&mut items), "credits left")?;
                    let refill = reply::required(reply::next(&mut items), "a refill")?;
                    if let Some(outcome) = self.spend_exactly(id, now, remaining, refill).await? {
                        return Ok(outcome);
                    }
                }
                other => return Err(corrupt(format!("unexpected script status {other:?}"))),
            }
        }
        Err(StoreError::unavailable(Contention(MAX_ATTEMPTS)))
    }
}
