//! The scripts decide exactly as core's pure rules and in-memory stores:
//! GCRA and credit refills to the nanosecond, purges at `until`, subject
//! order, compare-and-set under concurrency, and unreadable data reported
//! as corrupt.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use credential_core::StoreError;
use credential_core::key::{
    CreditSpend, Credits, KeyHash, KeyId, KeyRecord, KeyStore, KeyUpdate, MemoryKeyStore, Refill,
};
use credential_core::ratelimit::{MemoryRateLimiter, RateLimit, RateLimiter};
use credential_core::testing::START;
use credential_core::token::{MemoryRevocationStore, RevocationStore};
use credential_redis::{REVOCATION_EXPIRY_MARGIN, RedisStore};
use time::{Duration, OffsetDateTime};
use tokio::task::JoinSet;

use common::Prefixes;

/// A deterministic sequence of pseudo-random numbers.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 17
    }
}

/// An instant before 1970, where whole seconds floor below zero.
fn before_1970() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(-315_619_200_123_456_789).unwrap()
}

fn id(n: u32) -> KeyId {
    format!("k{n:015}").parse().unwrap()
}

fn record(id: KeyId, subject: &str, created_at: OffsetDateTime) -> KeyRecord {
    KeyRecord {
        id,
        prefix: "sk_test".into(),
        hash: KeyHash::from_parts(1, [1; 32]),
        subject: subject.into(),
        name: String::new(),
        scopes: "reports:read".parse().unwrap(),
        created_at,
        expires_at: None,
        disabled: false,
        revoked_at: None,
        metadata: credential_core::key::Metadata::new(),
        credits: None,
        rate_limit: None,
        last_used_at: None,
        rolled_from: None,
        rolled_into: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcra_decides_as_the_pure_rule() {
    let Some(url) = common::url("gcra_decides_as_the_pure_rule") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let memory = MemoryRateLimiter::new();
    let limits = [
        RateLimit::new(3, Duration::minutes(1)).unwrap(),
        RateLimit::new(7, Duration::milliseconds(1500)).unwrap(),
        RateLimit::new(1000, Duration::seconds(1)).unwrap(),
        // 10 ns / 3: the emission interval is rounded down as in `gcra`.
        RateLimit::new(3, Duration::nanoseconds(10)).unwrap(),
        RateLimit::new(5, Duration::days(1) + Duration::nanoseconds(1)).unwrap(),
        RateLimit::new(u32::MAX, Duration::seconds(1)).unwrap(),
    ];
    let mut random = Lcg(7);
    let mut decisions = 0;
    for (start, era) in [(START, "2030"), (before_1970(), "1960")] {
        let mut now = start;
        for step in 0..400 {
            now += match random.next() % 4 {
                0 => Duration::ZERO,
                1 => Duration::nanoseconds((random.next() % 20) as i64),
                2 => Duration::nanoseconds((random.next() % 3_000_000_000) as i64),
                _ => Duration::milliseconds((random.next() % 30_000) as i64),
            };
            for (n, limit) in limits.iter().enumerate() {
                let key = format!("{era}-{n}");
                let expected = memory.acquire(&key, limit, now).await.unwrap();
                let got = store.acquire(&key, limit, now).await.unwrap();
                assert_eq!(got, expected, "{era} step {step}, limit {limit:?} at {now}");
                decisions += 1;
            }
        }
    }
    eprintln!("{decisions} GCRA decisions matched the pure rule");
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_spend_as_the_pure_rule() {
    let Some(url) = common::url("credits_spend_as_the_pure_rule") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let memory = MemoryKeyStore::new();
    let t0 = START + Duration::nanoseconds(123_456_789);
    let credits = [
        Credits::refilled(3, Duration::seconds(7), t0).unwrap(),
        Credits::refilled(2, Duration::minutes(1), before_1970()).unwrap(),
        Credits::new(2),
        Credits::new(u64::MAX),
        // Above what the script decrements itself.
        Credits::new(1_000_000_000_000_000_000),
        // A refill that never comes, read back from elsewhere.
        Credits {
            remaining: 1,
            refill: Some(Refill {
                amount: 5,
                interval: Duration::ZERO,
                last_refill_at: t0,
            }),
        },
        Credits {
            remaining: 0,
            refill: Some(Refill {
                amount: 1,
                interval: Duration::seconds(-3),
                last_refill_at: t0,
            }),
        },
    ];
    for (n, credits) in credits.iter().enumerate() {
        let mut key = record(id(n as u32), "acme", t0);
        key.credits = Some(*credits);
        store.insert(key.clone()).await.unwrap();
        memory.insert(key).await.unwrap();
    }
    let mut random = Lcg(11);
    let mut now = t0;
    let mut spends = 0;
    for step in 0..300 {
        now += match random.next() % 5 {
            0 => Duration::ZERO,
            1 => Duration::nanoseconds((random.next() % 1000) as i64),
            2 => Duration::seconds(7),
            3 => Duration::milliseconds((random.next() % 20_000) as i64),
            _ => Duration::days((random.next() % 3) as i64),
        };
        for n in 0..credits.len() {
            let id = id(n as u32);
            let expected = memory.spend_credit(&id, now).await.unwrap();
            let got = store.spend_credit(&id, now).await.unwrap();
            assert_eq!(got, expected, "step {step}, credits {n} at {now}");
            let stored = store.get(&id).await.unwrap().unwrap().credits;
            let kept = memory.get(&id).await.unwrap().unwrap().credits;
            assert_eq!(stored, kept, "step {step}, credits {n} at {now}");
            spends += 1;
        }
    }
    eprintln!("{spends} credit spends matched the pure rule");
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_refill_under_concurrency_passes_exactly_its_amount() {
    let Some(url) = common::url("a_due_refill_under_concurrency_passes_exactly_its_amount") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let mut key = record(id(1), "acme", START);
    let mut credits = Credits::refilled(10, Duration::minutes(1), START).unwrap();
    credits.remaining = 0;
    key.credits = Some(credits);
    store.insert(key).await.unwrap();
    let due = START + Duration::minutes(1);
    let mut tasks = JoinSet::new();
    for _ in 0..60 {
        let store = Arc::clone(&store);
        tasks.spawn(async move { store.spend_credit(&id(1), due).await.unwrap() });
    }
    let mut spent = Vec::new();
    let mut exhausted = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap() {
            CreditSpend::Spent { remaining } => spent.push(remaining),
            CreditSpend::Exhausted { refill_at } => {
                assert_eq!(refill_at, Some(START + Duration::minutes(2)));
                exhausted += 1;
            }
            CreditSpend::Unmetered => panic!("metered key reported unmetered"),
        }
    }
    spent.sort_unstable();
    assert_eq!(spent, (0..10).collect::<Vec<u64>>());
    assert_eq!(exhausted, 50);
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_rolls_and_upgrades_have_one_winner() {
    let Some(url) = common::url("concurrent_rolls_and_upgrades_have_one_winner") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let old = record(id(0), "acme", START);
    store.insert(old.clone()).await.unwrap();

    let mut tasks = JoinSet::new();
    for n in 1..=20 {
        let store = Arc::clone(&store);
        let mut new = record(id(n), "acme", START + Duration::seconds(1));
        new.rolled_from = Some(id(0));
        tasks.spawn(async move {
            // Concurrent uses of the old key race the rolls.
            store
                .record_use(&id(0), START + Duration::seconds(i64::from(n)))
                .await
                .unwrap();
            (n, store.roll(&id(0), START + Duration::hours(1), new).await)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (n, Ok(())) => winners.push(n),
            (_, Err(StoreError::Conflict(_))) => {}
            (n, other) => panic!("roll {n} gave {other:?}"),
        }
    }
    let [winner] = winners[..] else {
        panic!("exactly one roll must win: {winners:?}");
    };
    let stored = store.get(&id(0)).await.unwrap().unwrap();
    assert_eq!(stored.rolled_into.map(|roll| roll.key), Some(id(winner)));
    assert_eq!(
        stored.last_used_at,
        Some(START + Duration::seconds(20)),
        "no use may be lost to a roll"
    );
    let listed: Vec<KeyId> = store
        .list_by_subject("acme")
        .await
        .unwrap()
        .iter()
        .map(|record| record.id)
        .collect();
    assert_eq!(listed, [id(0), id(winner)]);

    let expected = stored.hash;
    let mut tasks = JoinSet::new();
    for n in 0..20u8 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .upgrade_hash(&id(0), &expected, KeyHash::from_parts(2, [n; 32]))
                .await
                .unwrap()
        });
    }
    let mut replaced = 0;
    while let Some(joined) = tasks.join_next().await {
        replaced += usize::from(joined.unwrap());
    }
    assert_eq!(replaced, 1, "a compare-and-set has one winner");
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subjects_list_by_creation_time_then_id() {
    let Some(url) = common::url("subjects_list_by_creation_time_then_id") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let memory = MemoryKeyStore::new();
    let times = [
        START + Duration::nanoseconds(2),
        START,
        before_1970(),
        START + Duration::nanoseconds(1),
        START,
        before_1970() - Duration::nanoseconds(1),
        START + Duration::days(20_000),
    ];
    for (n, created) in times.iter().enumerate().rev() {
        let key = record(id(n as u32), "acme", *created);
        store.insert(key.clone()).await.unwrap();
        memory.insert(key).await.unwrap();
    }
    store
        .insert(record(id(99), "acme:other", START))
        .await
        .unwrap();
    let ids = |records: Vec<Arc<KeyRecord>>| records.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_by_subject("acme").await.unwrap()),
        ids(memory.list_by_subject("acme").await.unwrap())
    );
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_purge_at_until_to_the_nanosecond() {
    let Some(url) = common::url("revocations_purge_at_until_to_the_nanosecond") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store = prefixes.store().await.unwrap();
    let memory = MemoryRevocationStore::new();
    let until = START + Duration::nanoseconds(500);
    for revocations in [&*store as &dyn RevocationStore, &memory] {
        revocations.revoke_token("a", until).await.unwrap();
        // A second revocation never shortens an entry.
        revocations
            .revoke_token("a", until - Duration::hours(1))
            .await
            .unwrap();
        revocations
            .revoke_token("b", until + Duration::seconds(1))
            .await
            .unwrap();
        revocations
            .revoke_client("c", START, until + Duration::seconds(2))
            .await
            .unwrap();
        revocations
            .revoke_client("c", START - Duration::hours(1), until)
            .await
            .unwrap();
    }
    let steps = [
        until - Duration::nanoseconds(1),
        until,
        until + Duration::seconds(1) - Duration::nanoseconds(1),
        until + Duration::seconds(1),
        until + Duration::seconds(3),
    ];
    for now in steps {
        let expected = memory.purge_expired(now).await.unwrap();
        let purged = store.purge_expired(now).await.unwrap();
        assert_eq!(purged, expected, "purge at {now}");
        for (jti, client, issued) in [
            (Some("a"), None, None),
            (Some("b"), None, None),
            (None, Some("c"), Some(START)),
            (None, Some("c"), Some(START + Duration::nanoseconds(1))),
            (None, Some("c"), None),
        ] {
            assert_eq!(
                store.is_revoked(jti, client, issued).await.unwrap(),
                memory.is_revoked(jti, client, issued).await.unwrap(),
                "is_revoked({jti:?}, {client:?}, {issued:?}) after a purge at {now}"
            );
        }
    }

    // Redis itself drops an entry a margin after its `until`, never before.
    let far = START + Duration::days(400);
    store.revoke_token("d", far).await.unwrap();
    let mut connection = prefixes.connection().await;
    let expires: i64 = redis::cmd("EXPIRETIME")
        .arg(format!("{}rev:t:d", store.prefix()))
        .query_async(&mut connection)
        .await
        .unwrap();
    let margin = i64::try_from(REVOCATION_EXPIRY_MARGIN.as_secs()).unwrap();
    assert_eq!(expires, far.unix_timestamp() + 1 + margin);
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_data_is_corrupt_not_missing() {
    let Some(url) = common::url("unreadable_data_is_corrupt_not_missing") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let store: Arc<RedisStore> = prefixes.store().await.unwrap();
    let mut key = record(id(1), "acme", START);
    key.credits = Some(Credits::new(5));
    store.insert(key).await.unwrap();
    store.insert(record(id(2), "acme", START)).await.unwrap();
    let mut connection = prefixes.connection().await;
    let set = |key: String, value: &'static str| redis::cmd("SET").arg(key).arg(value).clone();
    let _: () = set(format!("{}key:{}", store.prefix(), id(2)), "{not json")
        .query_async(&mut connection)
        .await
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(format!("{}credits:{}", store.prefix(), id(1)))
        .arg("remaining")
        .arg("lots")
        .query_async(&mut connection)
        .await
        .unwrap();

    let got = store.get(&id(2)).await;
    assert!(matches!(got, Err(StoreError::Corrupt(_))), "{got:?}");
    let got = store.get(&id(1)).await;
    assert!(matches!(got, Err(StoreError::Corrupt(_))), "{got:?}");
    let spent = store.spend_credit(&id(1), START).await;
    assert!(matches!(spent, Err(StoreError::Corrupt(_))), "{spent:?}");
    let listed = store.list_by_subject("acme").await;
    assert!(matches!(listed, Err(StoreError::Corrupt(_))), "{listed:?}");
    let updated = store.update(&id(2), KeyUpdate::Disabled(true)).await;
    assert!(
        matches!(updated, Err(StoreError::Corrupt(_))),
        "{updated:?}"
    );

    // Numbers the scripts compare, and keys of another type.
    let _: () = redis::cmd("HSET")
        .arg(format!("{}rev:t:j", store.prefix()))
        .arg("u_s")
        .arg("soon")
        .arg("u_n")
        .arg("0")
        .query_async(&mut connection)
        .await
        .unwrap();
    let revoked = store.revoke_token("j", START).await;
    assert!(
        matches!(revoked, Err(StoreError::Corrupt(_))),
        "{revoked:?}"
    );
    let _: () = redis::cmd("HSET")
        .arg(format!("{}rate:r", store.prefix()))
        .arg("s")
        .arg("later")
        .arg("n")
        .arg("0")
        .query_async(&mut connection)
        .await
        .unwrap();
    let limit = RateLimit::new(1, Duration::seconds(1)).unwrap();
    let acquired = store.acquire("r", &limit, START).await;
    assert!(
        matches!(acquired, Err(StoreError::Corrupt(_))),
        "{acquired:?}"
    );
    let _: () = redis::cmd("RPUSH")
        .arg(format!("{}key:{}", store.prefix(), id(3)))
        .arg("a list")
        .query_async(&mut connection)
        .await
        .unwrap();
    let got = store.get(&id(3)).await;
    assert!(matches!(got, Err(StoreError::Corrupt(_))), "{got:?}");
    prefixes.delete_all().await;
}

/// A credits hash that is gone (evicted, lost in a failover) is an error,
/// never an unmetered key; setting credits writes them even when they
/// look unchanged; an entry Redis expired on its own still counts in a
/// purge; the builder's `Debug` shows no password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_state_fails_closed_and_writes_are_exact() {
    let Some(url) = common::url("lost_state_fails_closed_and_writes_are_exact") else {
        return;
    };
    let prefixes = Prefixes::new(url.clone());
    let prefix = prefixes.prefix();
    let store = prefixes.store_at(&prefix).await;
    let mut connection = prefixes.connection().await;
    let make = |id: &[u8]| {
        let mut record = record(KeyId::from_bytes(id).unwrap(), "acme", START);
        record.credits = None;
        record
    };

    // Unmetered, then its credits hash lost: read and spend both fail.
    let plain = make(b"p000000000000001");
    store.insert(plain.clone()).await.unwrap();
    assert_eq!(
        store.spend_credit(&plain.id, START).await.unwrap(),
        CreditSpend::Unmetered
    );
    let () = redis::cmd("DEL")
        .arg(format!("{prefix}credits:{}", plain.id))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(matches!(
        KeyStore::get(&store, &plain.id).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.spend_credit(&plain.id, START).await,
        Err(StoreError::Corrupt(_))
    ));

    // Credits set to the count read before spends: the set value wins.
    let mut metered = make(b"m000000000000001");
    metered.credits = Some(Credits::new(100));
    store.insert(metered.clone()).await.unwrap();
    for _ in 0..3 {
        store.spend_credit(&metered.id, START).await.unwrap();
    }
    let updated = store
        .update(&metered.id, KeyUpdate::Credits(Some(Credits::new(100))))
        .await
        .unwrap();
    assert_eq!(updated.credits.map(|c| c.remaining), Some(100));
    let stored = KeyStore::get(&store, &metered.id).await.unwrap().unwrap();
    assert_eq!(stored.credits.map(|c| c.remaining), Some(100));

    // An entry long past its `until` (Redis dropped it at once) still
    // counts when purged, as in the memory store.
    let now = OffsetDateTime::now_utc();
    store
        .revoke_token("long-gone", now - Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(store.purge_expired(now).await.unwrap(), 1);

    let builder = RedisStore::builder("redis+unix:///run/redis.sock?pass=s3cret", "p:");
    assert!(!format!("{builder:?}").contains("s3cret"));
    let builder = RedisStore::builder("redis://user:s3cret@host:6379/0?db=1", "p:");
    assert!(!format!("{builder:?}").contains("s3cret"));
    prefixes.delete_all().await;
}
