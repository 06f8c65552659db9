//! The store conformance suite: what every implementation of the store
//! traits must do, as checks any store crate runs against its own store.
//!
//! Each entry point takes a factory that makes a fresh, empty store per
//! check (its own schema, file or key prefix) and runs every check of one
//! trait, on a [`ManualClock`] for every time rule. The first check that
//! fails is returned as a [`Failure`] naming it:
//!
//! ```
//! use credential_core::key::MemoryKeyStore;
//! use credential_core::testing::conformance;
//! use std::sync::Arc;
//!
//! # tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?.block_on(async {
//! conformance::key_store(|| async { Ok(Arc::new(MemoryKeyStore::new())) }).await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Concurrency checks spawn tokio tasks: run them on a multi-threaded
//! runtime so that they race for real.

use std::future::Future;
use std::sync::Arc;

use time::Duration;
use tokio::task::JoinSet;

use crate::clock::{Clock as _, ManualClock};
use crate::key::{
    CreditSpend, Credits, KeyFormat, KeyHash, KeyId, KeyManager, KeyRecord, KeyStore, KeyUpdate,
    ManageError, NewKey, Pepper, Peppers,
};
use crate::ratelimit::{RateDecision, RateLimit, RateLimiter};
use crate::rejection::Reason;
use crate::scope::ScopeSet;
use crate::store::StoreError;
use crate::testing::{PREFIX, START, SetupError};
use crate::token::{Consume, RefreshRecord, RefreshStore, RevocationStore};
use crate::verify::{Principal, Verifier};

/// A conformance check that failed: which one, and what it saw.
#[derive(Debug, thiserror::Error)]
#[error("conformance check `{check}` failed: {detail}")]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What was expected and what was seen.
    pub detail: String,
}

/// The outcome of a suite or a check.
pub type Outcome = Result<(), Failure>;

/// `Err(Failure)` unless `ok`.
fn ensure(check: &'static str, ok: bool, detail: impl FnOnce() -> String) -> Outcome {
    if ok {
        Ok(())
    } else {
        Err(Failure {
            check,
            detail: detail(),
        })
    }
}

/// A failure from an error the check did not expect.
fn failed(check: &'static str, error: impl std::fmt::Display) -> Failure {
    Failure {
        check,
        detail: error.to_string(),
    }
}

/// Makes a fresh store, or fails the check that asked for it.
async fn fresh<S, F, Fut>(check: &'static str, make: &F) -> Result<Arc<S>, Failure>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Arc<S>, SetupError>>,
{
    make()
        .await
        .map_err(|error| failed(check, format!("making a store: {error}")))
}

/// The pepper the suite hashes with (version `version`).
fn pepper(version: u32) -> Result<Pepper, SetupError> {
    Ok(Pepper::new(
        version,
        &[u8::try_from(version % 251).unwrap_or(7); 32],
    )?)
}

/// A manager over `store` on `clock`, with pepper 1.
fn manager<S: KeyStore + ?Sized>(
    store: Arc<S>,
    clock: &ManualClock,
) -> Result<KeyManager<S>, SetupError> {
    Ok(
        KeyManager::new(store, KeyFormat::new(PREFIX)?, Peppers::new(pepper(1)?))
            .with_clock(Arc::new(clock.clone())),
    )
}

fn scopes(text: &str) -> Result<ScopeSet, SetupError> {
    Ok(text.parse()?)
}

/// Runs every check of [`KeyStore`]: create, get and list; each update;
/// revoke; roll with grace; hash upgrade after a pepper rotation; uses
/// recorded; credits never over-spent under concurrent verification, and
/// refilled on schedule; rate limits through the verifier.
///
/// # Errors
///
/// The first check that failed.
pub async fn key_store<S, F, Fut>(make: F) -> Outcome
where
    S: KeyStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Arc<S>, SetupError>>,
{
    create_get_and_list(fresh("create_get_and_list", &make).await?).await?;
    updates(fresh("updates", &make).await?).await?;
    roll_with_grace(fresh("roll_with_grace", &make).await?).await?;
    hash_upgrade(fresh("hash_upgrade", &make).await?).await?;
    credits_under_concurrency(fresh("credits_under_concurrency", &make).await?).await?;
    credits_refill(fresh("credits_refill", &make).await?).await?;
    rate_limit_through_the_verifier(fresh("rate_limit_through_the_verifier", &make).await?).await?;
    Ok(())
}

async fn create_get_and_list<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "create_get_and_list";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = manager(Arc::clone(&store), &clock)?;
        let first = keys
            .create(NewKey::new("acme", scopes("reports:read")?).name("first"))
            .await?;
        clock.advance(Duration::seconds(1));
        let other = keys
            .create(NewKey::new("globex", scopes("reports:read")?))
            .await?;
        clock.advance(Duration::seconds(1));
        let second = keys
            .create(
                NewKey::new("acme", scopes("billing:*")?)
                    .expires_at(START + Duration::days(30))
                    .credits(Credits::new(3))
                    .rate_limit(RateLimit::new(5, Duration::minutes(1))?),
            )
            .await?;

        let got = store.get(&first.record.id).await?;
        ensure(CHECK, got.as_deref() == Some(&*first.record), || {
            format!("get returned {got:?}, expected {:?}", first.record)
        })?;
        let got = store.get(&second.record.id).await?;
        ensure(CHECK, got.as_deref() == Some(&*second.record), || {
            format!("every field must round-trip: got {got:?}")
        })?;
        let unknown = KeyId::from_bytes(b"0000000000000000")?;
        let missing = store.get(&unknown).await?;
        ensure(CHECK, missing.is_none(), || {
            format!("unknown id gave {missing:?}")
        })?;

        let mut impostor = KeyRecord::clone(&first.record);
        impostor.subject = "mallory".into();
        let again = store.insert(impostor).await;
        ensure(CHECK, matches!(again, Err(StoreError::Conflict(_))), || {
            format!("a second insert of one id must conflict, got {again:?}")
        })?;
        let kept = store.get(&first.record.id).await?;
        ensure(CHECK, kept.as_deref() == Some(&*first.record), || {
            format!("a conflicting insert must change nothing, found {kept:?}")
        })?;
        immediate_agrees(CHECK, &*store, &first.record.id).await?;
        immediate_agrees(CHECK, &*store, &unknown).await?;

        let listed: Vec<KeyId> = store
            .list_by_subject("acme")
            .await?
            .iter()
            .map(|record| record.id)
            .collect();
        ensure(CHECK, listed == [first.record.id, second.record.id], || {
            format!("list_by_subject must give acme's keys oldest first, got {listed:?}")
        })?;
        let nobody = store.list_by_subject("initech").await?;
        ensure(CHECK, nobody.is_empty(), || {
            format!("unknown subject gave {nobody:?}")
        })?;

        let principal = verify(&keys, first.key.expose_secret()).await;
        ensure(
            CHECK,
            principal.as_ref().is_ok_and(|p| p.subject() == "acme"),
            || format!("a created key must verify, got {principal:?}"),
        )?;
        let used = store
            .get(&first.record.id)
            .await?
            .and_then(|r| r.last_used_at);
        ensure(CHECK, used == Some(clock.now()), || {
            format!("a verification must record the use, last_used_at is {used:?}")
        })?;
        let theirs: Vec<KeyId> = store
            .list_by_subject("globex")
            .await?
            .iter()
            .map(|record| record.id)
            .collect();
        ensure(CHECK, theirs == [other.record.id], || {
            format!("list_by_subject must give only globex's key, got {theirs:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

/// A store that answers at once must answer as `get` does.
async fn immediate_agrees<S: KeyStore + ?Sized>(
    check: &'static str,
    store: &S,
    id: &KeyId,
) -> Result<(), SetupError> {
    if let Some(immediate) = store.get_immediate(id) {
        let immediate = immediate?;
        let waited = store.get(id).await?;
        ensure(check, immediate == waited, || {
            format!("get_immediate gave {immediate:?} where get gave {waited:?}")
        })?;
    }
    Ok(())
}

async fn verify<S: KeyStore + ?Sized>(
    keys: &KeyManager<S>,
    key: &str,
) -> Result<Principal, Reason> {
    keys.verifier()
        .verify(key, None)
        .await
        .map_err(|rejection| rejection.reason())
}

async fn updates<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "updates";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = manager(Arc::clone(&store), &clock)?;
        let created = keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        let id = created.record.id;
        let key = created.key.expose_secret().to_owned();

        let mut metadata = crate::key::Metadata::new();
        metadata.insert("team".into(), "billing".into());
        let changes = [
            KeyUpdate::Scopes(scopes("reports:write")?),
            KeyUpdate::Metadata(metadata),
            KeyUpdate::Credits(Some(Credits::new(9))),
            KeyUpdate::RateLimit(Some(RateLimit::new(2, Duration::seconds(10))?)),
        ];
        for change in changes {
            let mut expected = KeyRecord::clone(&*store.get(&id).await?.ok_or("key vanished")?);
            change.apply(&mut expected);
            let updated = store.update(&id, change).await?;
            ensure(CHECK, *updated == expected, || {
                format!("update returned {updated:?}, expected {expected:?}")
            })?;
            let stored = store.get(&id).await?;
            ensure(CHECK, stored.as_deref() == Some(&expected), || {
                format!("get after update gave {stored:?}")
            })?;
        }

        keys.disable(&id).await?;
        let refused = verify(&keys, &key).await;
        ensure(
            CHECK,
            refused.as_ref().err() == Some(&Reason::Disabled),
            || format!("a disabled key must be refused, got {refused:?}"),
        )?;
        keys.enable(&id).await?;
        clock.advance(Duration::minutes(1));
        let revoked_at = clock.now();
        keys.revoke(&id).await?;
        clock.advance(Duration::minutes(1));
        let again = store.update(&id, KeyUpdate::Revoke(clock.now())).await?;
        ensure(CHECK, again.revoked_at == Some(revoked_at), || {
            format!(
                "a second revoke must keep the first time, got {:?}",
                again.revoked_at
            )
        })?;
        let refused = verify(&keys, &key).await;
        ensure(
            CHECK,
            refused.as_ref().err() == Some(&Reason::Revoked),
            || format!("a revoked key must be refused, got {refused:?}"),
        )?;

        let unknown = KeyId::from_bytes(b"0000000000000000")?;
        let missing = store.update(&unknown, KeyUpdate::Disabled(true)).await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("updating an unknown id must be NotFound, got {missing:?}")
        })?;
        let missing = store.record_use(&unknown, clock.now()).await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("recording a use of an unknown id must be NotFound, got {missing:?}")
        })?;
        let missing = store
            .upgrade_hash(
                &unknown,
                &KeyHash::from_parts(1, [0; 32]),
                KeyHash::from_parts(2, [0; 32]),
            )
            .await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("upgrading the hash of an unknown id must be NotFound, got {missing:?}")
        })?;
        store.record_use(&id, clock.now()).await?;
        store.record_use(&id, START).await?;
        let used = store.get(&id).await?.and_then(|record| record.last_used_at);
        ensure(CHECK, used == Some(clock.now()), || {
            format!("record_use must never move last_used_at back, found {used:?}")
        })?;
        let missing = store.spend_credit(&unknown, clock.now()).await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("spending a credit of an unknown id must be NotFound, got {missing:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

async fn roll_with_grace<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "roll_with_grace";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = manager(Arc::clone(&store), &clock)?;
        let old = keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        let old_key = old.key.expose_secret().to_owned();
        let new = keys.roll(&old.record.id, Duration::hours(1)).await?;
        let new_key = new.key.expose_secret().to_owned();

        let stored = store.get(&old.record.id).await?.ok_or("old key vanished")?;
        let roll = stored.rolled_into;
        ensure(
            CHECK,
            roll.is_some_and(|r| {
                r.key == new.record.id && r.grace_until == START + Duration::hours(1)
            }),
            || format!("the old key must point to the new one until the grace ends, got {roll:?}"),
        )?;
        let from = store.get(&new.record.id).await?.and_then(|r| r.rolled_from);
        ensure(CHECK, from == Some(old.record.id), || {
            format!("the new key must name the old one, got {from:?}")
        })?;

        for key in [&old_key, &new_key] {
            let during = verify(&keys, key).await;
            ensure(CHECK, during.is_ok(), || {
                format!("both keys must verify during the grace period, got {during:?}")
            })?;
        }
        let twice = keys.roll(&old.record.id, Duration::hours(1)).await;
        ensure(
            CHECK,
            matches!(twice, Err(ManageError::AlreadyRolled)),
            || format!("a key rolls once, a second roll gave {twice:?}"),
        )?;
        // A record of a new id, so that only the roll itself can conflict.
        let unused = |id: &[u8]| -> Result<KeyRecord, SetupError> {
            let mut record = KeyRecord::clone(&new.record);
            record.id = KeyId::from_bytes(id)?;
            Ok(record)
        };
        let raw = store
            .roll(&old.record.id, clock.now(), unused(b"1111111111111111")?)
            .await;
        ensure(CHECK, matches!(raw, Err(StoreError::Conflict(_))), || {
            format!("the store must refuse a second roll, got {raw:?}")
        })?;

        clock.advance(Duration::hours(1));
        let after = verify(&keys, &old_key).await;
        ensure(
            CHECK,
            after.as_ref().err() == Some(&Reason::RolledPastGrace),
            || format!("the old key must stop when the grace ends, got {after:?}"),
        )?;
        let after = verify(&keys, &new_key).await;
        ensure(CHECK, after.is_ok(), || {
            format!("the new key must go on, got {after:?}")
        })?;

        let revoked = keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        keys.revoke(&revoked.record.id).await?;
        let refused = keys.roll(&revoked.record.id, Duration::ZERO).await;
        ensure(CHECK, refused.is_err(), || {
            format!("a revoked key must not roll, got {refused:?}")
        })?;
        // The store itself refuses, whatever its caller checked before.
        let refused = store
            .roll(
                &revoked.record.id,
                clock.now(),
                unused(b"3333333333333333")?,
            )
            .await;
        ensure(
            CHECK,
            matches!(refused, Err(StoreError::Conflict(_))),
            || format!("the store must refuse to roll a revoked key, got {refused:?}"),
        )?;
        let stray = store.get(&KeyId::from_bytes(b"3333333333333333")?).await?;
        ensure(CHECK, stray.is_none(), || {
            format!("a refused roll must not store the new key, found {stray:?}")
        })?;

        // A roll whose new id is taken changes nothing.
        let fresh = keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        let taken = store
            .roll(&fresh.record.id, clock.now(), KeyRecord::clone(&new.record))
            .await;
        let untouched = store.get(&fresh.record.id).await?;
        ensure(
            CHECK,
            matches!(taken, Err(StoreError::Conflict(_)))
                && untouched.is_some_and(|record| record.rolled_into.is_none()),
            || format!("a roll onto a taken id must conflict and change nothing, got {taken:?}"),
        )?;

        // Of concurrent rolls of one key, exactly one succeeds.
        let mut tasks = JoinSet::new();
        for n in 0..10u8 {
            let store = Arc::clone(&store);
            let id = [b'4' + n % 6; 16];
            let record = unused(&id)?;
            let old = fresh.record.id;
            let now = clock.now();
            tasks.spawn(async move { store.roll(&old, now, record).await });
        }
        let mut rolled = 0;
        while let Some(outcome) = tasks.join_next().await {
            match outcome? {
                Ok(()) => rolled += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        ensure(CHECK, rolled == 1, || {
            format!("10 concurrent rolls of one key: {rolled} succeeded")
        })?;
        let unknown = KeyId::from_bytes(b"0000000000000000")?;
        let missing = store
            .roll(&unknown, clock.now(), unused(b"2222222222222222")?)
            .await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("rolling an unknown id must be NotFound, got {missing:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

async fn hash_upgrade<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "hash_upgrade";
    let run = async {
        let clock = ManualClock::new(START);
        let old_keys = manager(Arc::clone(&store), &clock)?;
        let created = old_keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        let key = created.key.expose_secret().to_owned();

        // The pepper rotates: 2 is current, 1 still checks.
        let rotated = KeyManager::new(
            Arc::clone(&store),
            KeyFormat::new(PREFIX)?,
            Peppers::new(pepper(2)?).with_previous(pepper(1)?),
        )
        .with_clock(Arc::new(clock.clone()));
        let verified = verify(&rotated, &key).await;
        ensure(CHECK, verified.is_ok(), || {
            format!("a key hashed under the previous pepper must verify, got {verified:?}")
        })?;
        let version = store
            .get(&created.record.id)
            .await?
            .map(|record| record.hash.pepper_version());
        ensure(CHECK, version == Some(2), || {
            format!("the hash must be upgraded to pepper 2, found version {version:?}")
        })?;
        let again = verify(&rotated, &key).await;
        ensure(CHECK, again.is_ok(), || {
            format!("the upgraded hash must verify, got {again:?}")
        })?;
        // Pepper 1 alone no longer knows the stored hash.
        let stale = verify(&old_keys, &key).await;
        ensure(
            CHECK,
            stale.as_ref().err() == Some(&Reason::UnknownPepper),
            || format!("a verifier without pepper 2 must not know the hash, got {stale:?}"),
        )?;

        // The upgrade is a compare-and-set.
        let current = store
            .get(&created.record.id)
            .await?
            .ok_or("key vanished")?
            .hash;
        let outdated = KeyHash::from_parts(1, [0; 32]);
        let replaced = store
            .upgrade_hash(
                &created.record.id,
                &outdated,
                KeyHash::from_parts(3, [1; 32]),
            )
            .await?;
        let kept = store
            .get(&created.record.id)
            .await?
            .map(|record| record.hash);
        ensure(CHECK, !replaced && kept == Some(current), || {
            format!("an upgrade from a stale hash must change nothing, got {replaced} and {kept:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

async fn credits_under_concurrency<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "credits_under_concurrency";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = Arc::new(manager(Arc::clone(&store), &clock)?);
        let created = keys
            .create(NewKey::new("acme", scopes("reports:read")?).credits(Credits::new(10)))
            .await?;
        let key: Arc<str> = created.key.expose_secret().into();
        let mut tasks = JoinSet::new();
        for _ in 0..100 {
            let keys = Arc::clone(&keys);
            let key = Arc::clone(&key);
            tasks.spawn(async move { verify(&keys, &key).await });
        }
        let (mut passed, mut exhausted, mut other) = (0, 0, Vec::new());
        while let Some(outcome) = tasks.join_next().await {
            match outcome? {
                Ok(_) => passed += 1,
                Err(Reason::CreditsExhausted) => exhausted += 1,
                Err(reason) => other.push(reason),
            }
        }
        ensure(CHECK, passed == 10 && exhausted == 90, || {
            format!(
                "100 concurrent verifications against 10 credits: {passed} passed, \
                 {exhausted} exhausted, others {other:?}"
            )
        })?;
        let left = store.get(&created.record.id).await?.and_then(|r| r.credits);
        ensure(CHECK, left.is_some_and(|c| c.remaining == 0), || {
            format!("no credit may be left, found {left:?}")
        })?;
        let spend = store.spend_credit(&created.record.id, clock.now()).await?;
        ensure(
            CHECK,
            spend == CreditSpend::Exhausted { refill_at: None },
            || format!("spending past zero must be refused, got {spend:?}"),
        )?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

async fn credits_refill<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "credits_refill";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = manager(Arc::clone(&store), &clock)?;
        let credits = Credits::refilled(2, Duration::minutes(1), START)?;
        let created = keys
            .create(NewKey::new("acme", scopes("reports:read")?).credits(credits))
            .await?;
        let id = created.record.id;
        let plain = keys
            .create(NewKey::new("acme", scopes("reports:read")?))
            .await?;
        let unmetered = store.spend_credit(&plain.record.id, clock.now()).await?;
        ensure(CHECK, unmetered == CreditSpend::Unmetered, || {
            format!("a key without credits is unmetered, got {unmetered:?}")
        })?;

        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(store.spend_credit(&id, clock.now()).await?);
        }
        clock.advance(Duration::seconds(90));
        seen.push(store.spend_credit(&id, clock.now()).await?);
        let expected = [
            CreditSpend::Spent { remaining: 1 },
            CreditSpend::Spent { remaining: 0 },
            CreditSpend::Exhausted {
                refill_at: Some(START + Duration::minutes(1)),
            },
            CreditSpend::Spent { remaining: 1 },
        ];
        ensure(CHECK, seen == expected, || {
            format!("spend, spend, exhausted until the refill, then refilled: got {seen:?}")
        })?;
        let refill = store
            .get(&id)
            .await?
            .and_then(|record| record.credits)
            .and_then(|credits| credits.refill)
            .map(|refill| refill.last_refill_at);
        ensure(CHECK, refill == Some(START + Duration::minutes(1)), || {
            format!("refills keep to whole intervals, last refill at {refill:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

async fn rate_limit_through_the_verifier<S: KeyStore + 'static>(store: Arc<S>) -> Outcome {
    const CHECK: &str = "rate_limit_through_the_verifier";
    let run = async {
        let clock = ManualClock::new(START);
        let keys = manager(Arc::clone(&store), &clock)?;
        let created = keys
            .create(
                NewKey::new("acme", scopes("reports:read")?)
                    .rate_limit(RateLimit::new(2, Duration::minutes(1))?),
            )
            .await?;
        let key = created.key.expose_secret().to_owned();
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(verify(&keys, &key).await.map(|_| ()));
        }
        clock.advance(Duration::seconds(30));
        seen.push(verify(&keys, &key).await.map(|_| ()));
        let expected = [Ok(()), Ok(()), Err(Reason::RateLimited), Ok(())];
        ensure(CHECK, seen == expected, || {
            format!("2 per minute: pass, pass, limited, and again 30 s later; got {seen:?}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

/// Runs every check of [`RateLimiter`]: a burst up to the limit, then
/// refusals with the wait until the next request may pass; limits per
/// key; exactly the limit admitted under concurrent use.
///
/// # Errors
///
/// The first check that failed.
pub async fn rate_limiter<L, F, Fut>(make: F) -> Outcome
where
    L: RateLimiter + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Arc<L>, SetupError>>,
{
    const CHECK: &str = "rate_limiter";
    let limiter = fresh(CHECK, &make).await?;
    let run = async {
        let limit = RateLimit::new(3, Duration::minutes(1))?;
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(limiter.acquire("a", &limit, START).await?);
        }
        let expected = [
            RateDecision::Allowed,
            RateDecision::Allowed,
            RateDecision::Allowed,
            RateDecision::Limited {
                retry_after: Duration::seconds(20),
            },
        ];
        ensure(CHECK, seen == expected, || {
            format!("3 per minute from one instant: 3 allowed, then wait 20 s; got {seen:?}")
        })?;
        let other = limiter.acquire("b", &limit, START).await?;
        ensure(CHECK, other == RateDecision::Allowed, || {
            format!("limits are per key, another key got {other:?}")
        })?;
        let later = limiter
            .acquire("a", &limit, START + Duration::seconds(20))
            .await?;
        ensure(CHECK, later == RateDecision::Allowed, || {
            format!("after the wait a request passes, got {later:?}")
        })?;

        let limit = RateLimit::new(10, Duration::hours(1))?;
        let mut tasks = JoinSet::new();
        for _ in 0..100 {
            let limiter = Arc::clone(&limiter);
            tasks.spawn(async move { limiter.acquire("burst", &limit, START).await });
        }
        let mut allowed = 0;
        while let Some(decision) = tasks.join_next().await {
            if decision?? == RateDecision::Allowed {
                allowed += 1;
            }
        }
        ensure(CHECK, allowed == 10, || {
            format!("100 concurrent requests against a burst of 10: {allowed} allowed")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

/// Runs every check of [`RevocationStore`]: a revoked token id and a
/// revoked client are seen at once; entries are kept until their `until`
/// and gone after a purge at that time.
///
/// # Errors
///
/// The first check that failed.
pub async fn revocation_store<R, F, Fut>(make: F) -> Outcome
where
    R: RevocationStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Arc<R>, SetupError>>,
{
    const CHECK: &str = "revocation_store";
    let store = fresh(CHECK, &make).await?;
    let run = async {
        let until = START + Duration::minutes(15);
        store.revoke_token("jti-1", until).await?;
        store
            .revoke_client("client-1", START, START + Duration::hours(1))
            .await?;
        let cases = [
            (Some("jti-1"), None, None, true),
            (Some("jti-2"), None, None, false),
            (Some("jti-2"), Some("client-1"), Some(START), true),
            (
                Some("jti-2"),
                Some("client-1"),
                Some(START - Duration::hours(1)),
                true,
            ),
            (
                Some("jti-2"),
                Some("client-1"),
                Some(START + Duration::seconds(1)),
                false,
            ),
            (Some("jti-2"), Some("client-2"), Some(START), false),
            // No `iat`: it cannot prove it came after the revocation.
            (None, Some("client-1"), None, true),
        ];
        // A later, narrower revocation never narrows an entry.
        store
            .revoke_token("jti-1", until - Duration::minutes(10))
            .await?;
        store
            .revoke_client(
                "client-1",
                START - Duration::hours(1),
                START + Duration::minutes(30),
            )
            .await?;
        for (jti, client, issued, expected) in cases {
            let revoked = store.is_revoked(jti, client, issued).await?;
            ensure(CHECK, revoked == expected, || {
                format!("is_revoked({jti:?}, {client:?}, {issued:?}) gave {revoked}")
            })?;
            if let Some(immediate) = store.is_revoked_immediate(jti, client, issued) {
                let immediate = immediate?;
                ensure(CHECK, immediate == expected, || {
                    format!(
                        "is_revoked_immediate({jti:?}, {client:?}, {issued:?}) gave {immediate}"
                    )
                })?;
            }
        }
        let purged = store.purge_expired(until - Duration::seconds(1)).await?;
        let kept = store.is_revoked(Some("jti-1"), None, None).await?;
        ensure(CHECK, purged == 0 && kept, || {
            format!("an entry is kept until its `until`: purged {purged}, revoked {kept}")
        })?;
        let purged = store.purge_expired(until).await?;
        let gone = !store.is_revoked(Some("jti-1"), None, None).await?;
        let client_kept = store
            .is_revoked(Some("jti-3"), Some("client-1"), Some(START))
            .await?;
        ensure(CHECK, purged == 1 && gone && client_kept, || {
            format!(
                "a purge at `until` drops that entry only: purged {purged}, gone {gone}, \
                 client entry kept {client_kept}"
            )
        })?;
        let purged = store.purge_expired(START + Duration::hours(1)).await?;
        let gone = !store
            .is_revoked(Some("jti-3"), Some("client-1"), Some(START))
            .await?;
        ensure(CHECK, purged == 1 && gone, || {
            format!("the client entry goes at its `until`: purged {purged}, gone {gone}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}

/// A refresh record of `family`, with id `id`.
fn refresh_record(id: KeyId, family: KeyId, access: &str) -> Result<RefreshRecord, SetupError> {
    Ok(RefreshRecord {
        id,
        hash: KeyHash::from_parts(1, [7; 32]),
        family,
        client_id: KeyId::from_bytes(b"c000000000000001")?,
        subject: "acme".into(),
        scope: scopes("reports:read")?,
        created_at: START,
        expires_at: START + Duration::days(1),
        access_jti: Some(access.into()),
        access_expires_at: Some(START + Duration::minutes(15)),
        consumed_at: None,
        successor: None,
        retry: None,
        revoked_at: None,
    })
}

/// A fresh id for the `n`th record of a check.
fn record_id(n: u32) -> Result<KeyId, SetupError> {
    Ok(KeyId::from_bytes(format!("r{n:015}").as_bytes())?)
}

/// Runs every check of [`RefreshStore`]: insert and get; of concurrent
/// redemptions of one token exactly one wins and the others see its
/// successor; a revoked family refuses every member and hands back its
/// access tokens; expired tokens are purged.
///
/// # Errors
///
/// The first check that failed.
pub async fn refresh_store<R, F, Fut>(make: F) -> Outcome
where
    R: RefreshStore + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Arc<R>, SetupError>>,
{
    const CHECK: &str = "refresh_store";
    let store = fresh(CHECK, &make).await?;
    let run = async {
        let root_id = record_id(0)?;
        let root = refresh_record(root_id, root_id, "access-0")?;
        store.insert(root.clone()).await?;
        let got = store.get(&root_id).await?;
        ensure(CHECK, got.as_ref() == Some(&root), || {
            format!("get returned {got:?}, expected {root:?}")
        })?;
        let again = store.insert(root.clone()).await;
        ensure(CHECK, matches!(again, Err(StoreError::Conflict(_))), || {
            format!("a second insert of one id must conflict, got {again:?}")
        })?;
        let unknown = store.get(&record_id(999)?).await?;
        ensure(CHECK, unknown.is_none(), || {
            format!("unknown id gave {unknown:?}")
        })?;

        // A redemption whose successor id is taken changes nothing.
        let taken = store
            .consume(&root_id, START, "retry".into(), root.clone())
            .await;
        let untouched = store.get(&root_id).await?;
        ensure(
            CHECK,
            matches!(taken, Err(StoreError::Conflict(_)))
                && untouched.is_some_and(|record| record.consumed_at.is_none()),
            || {
                format!(
                    "a redemption onto a taken id must conflict and change nothing, got {taken:?}"
                )
            },
        )?;
        let missing = store
            .consume(
                &record_id(998)?,
                START,
                "retry".into(),
                refresh_record(record_id(997)?, root_id, "x")?,
            )
            .await;
        ensure(CHECK, matches!(missing, Err(StoreError::NotFound)), || {
            format!("redeeming an unknown id must be NotFound, got {missing:?}")
        })?;

        let store = Arc::clone(&store);
        let mut tasks = JoinSet::new();
        for n in 1..=50 {
            let store = Arc::clone(&store);
            let successor = refresh_record(record_id(n)?, root_id, &format!("access-{n}"))?;
            tasks.spawn(async move {
                let outcome = store
                    .consume(
                        &root_id,
                        START + Duration::seconds(1),
                        format!("retry-{n}"),
                        successor,
                    )
                    .await;
                (n, outcome)
            });
        }
        let (mut winners, mut losers) = (Vec::new(), Vec::new());
        while let Some(joined) = tasks.join_next().await {
            match joined? {
                (n, Ok(Consume::Consumed)) => winners.push(n),
                (_, Ok(Consume::AlreadyConsumed(record))) => losers.push(record),
                (n, other) => {
                    return Err(format!("redemption {n} gave {other:?}").into());
                }
            }
        }
        let &[winner] = winners.as_slice() else {
            return Err(format!("exactly one redemption must win, these did: {winners:?}").into());
        };
        let successor = record_id(winner)?;
        ensure(
            CHECK,
            losers.len() == 49
                && losers.iter().all(|record| {
                    record.successor == Some(successor)
                        && record.retry.as_deref() == Some(&*format!("retry-{winner}"))
                }),
            || format!("every loser must see the winner's successor and retry: {losers:?}"),
        )?;
        let stored = store.get(&successor).await?;
        ensure(CHECK, stored.is_some_and(|r| r.family == root_id), || {
            "the winner's successor must be stored in the family".into()
        })?;
        for n in (1..=50).filter(|&n| n != winner) {
            let stray = store.get(&record_id(n)?).await?;
            ensure(CHECK, stray.is_none(), || {
                format!("a losing redemption's successor was stored: {stray:?}")
            })?;
        }

        let access = store
            .revoke_family(&root_id, START + Duration::seconds(2))
            .await?;
        let mut jtis: Vec<&str> = access.iter().map(|(jti, _)| jti.as_str()).collect();
        jtis.sort_unstable();
        let mut expected = vec!["access-0".to_owned(), format!("access-{winner}")];
        expected.sort_unstable();
        ensure(CHECK, jtis == expected, || {
            format!("revoking the family must hand back {expected:?}, got {jtis:?}")
        })?;
        let after = store
            .consume(
                &successor,
                START + Duration::seconds(3),
                "retry".into(),
                refresh_record(record_id(100)?, root_id, "access-100")?,
            )
            .await?;
        ensure(CHECK, after == Consume::Revoked, || {
            format!("a member of a revoked family must not redeem, got {after:?}")
        })?;
        let replayed = store
            .consume(
                &root_id,
                START + Duration::seconds(3),
                "retry".into(),
                refresh_record(record_id(101)?, root_id, "access-101")?,
            )
            .await?;
        ensure(CHECK, replayed == Consume::Revoked, || {
            format!("a consumed member of a revoked family is revoked first, got {replayed:?}")
        })?;
        for id in [root_id, successor] {
            let member = store.get(&id).await?;
            ensure(
                CHECK,
                member
                    .as_ref()
                    .is_some_and(|record| record.revoked_at.is_some() && record.retry.is_none()),
                || format!("every member is revoked and its retry answer dropped: {member:?}"),
            )?;
        }

        let purged = store.purge_expired(START + Duration::hours(23)).await?;
        ensure(CHECK, purged == 0, || {
            format!("nothing had expired, purged {purged}")
        })?;
        let purged = store.purge_expired(START + Duration::days(1)).await?;
        let gone = store.get(&root_id).await?.is_none() && store.get(&successor).await?.is_none();
        ensure(CHECK, purged == 2 && gone, || {
            format!("both tokens expired: purged {purged}, gone {gone}")
        })?;
        Ok::<_, SetupError>(())
    };
    run.await.map_err(|error| failed(CHECK, error))?;
    Ok(())
}
