//! Several servers on one Redis: pushed invalidations reach other servers'
//! caches, a lost channel makes them forget everything, and an unreachable
//! or silent server makes calls fail within their timeout.
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
use std::time::{Duration, Instant};

use credential_core::key::{
    CachedKeyStore, CreatedKey, KeyFormat, KeyId, KeyManager, KeyStore, NewKey, Pepper, Peppers,
};
use credential_core::ratelimit::{RateLimit, RateLimiter};
use credential_core::testing::TcpProxy;
use credential_core::token::RevocationStore;
use credential_core::{Reason, StoreError, Verifier};
use credential_redis::RedisStore;
use time::OffsetDateTime;

use common::Prefixes;

type Cached = CachedKeyStore<RedisStore>;

/// A cache that only a push or a minute can make forget.
fn cache(store: &RedisStore) -> Arc<Cached> {
    Arc::new(
        CachedKeyStore::new(Arc::new(store.clone()))
            .with_ttl(Duration::from_secs(60))
            .with_negative_ttl(Duration::from_secs(60)),
    )
}

/// A manager over `store`; every manager of a test shares the pepper.
fn manager(store: Arc<Cached>) -> KeyManager<Cached> {
    KeyManager::new(
        store,
        KeyFormat::new("sk_test").unwrap(),
        Peppers::new(Pepper::new(1, &[7; 32]).unwrap()),
    )
}

async fn verify(keys: &KeyManager<Cached>, key: &CreatedKey) -> Result<(), Reason> {
    keys.verifier()
        .verify(key.key.expose_secret(), None)
        .await
        .map(|_| ())
        .map_err(|rejection| rejection.reason())
}

/// Waits until `channel` has at least `count` subscribers.
async fn subscribers(prefixes: &Prefixes, channel: &str, count: i64) {
    let mut connection = prefixes.connection().await;
    let started = Instant::now();
    loop {
        let (_, subscribed): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut connection)
            .await
            .unwrap();
        if subscribed >= count {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{subscribed} of {count} followers subscribed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls `check` until it holds, every `pause` (zero: as often as the
/// runtime lets it); how long it took.
async fn within<F, Fut>(limit: Duration, pause: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what} did not happen in {limit:?}"
        );
        if pause.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(pause).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_another_servers_cache() {
    let Some(url) = common::url("a_revocation_reaches_another_servers_cache") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let prefix = prefixes.prefix();
    let (a, b, c) = (
        prefixes.store_at(&prefix).await,
        prefixes.store_at(&prefix).await,
        prefixes.store_at(&prefix).await,
    );
    let (cache_a, cache_b, cache_c) = (cache(&a), cache(&b), cache(&c));
    let following = [
        a.follow(cache_a.invalidator()),
        b.follow(cache_b.invalidator()),
    ];
    // The third server follows nothing: only its TTL would make it see a
    // change.
    subscribers(&prefixes, a.channel(), 2).await;
    let (keys_a, keys_b, keys_c) = (
        manager(Arc::clone(&cache_a)),
        manager(Arc::clone(&cache_b)),
        manager(Arc::clone(&cache_c)),
    );

    let created = keys_a
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    for keys in [&keys_b, &keys_c] {
        // Read, then served from the cache.
        assert_eq!(verify(keys, &created).await, Ok(()));
        assert_eq!(verify(keys, &created).await, Ok(()));
    }

    keys_a.revoke(&created.record.id).await.unwrap();
    let delay = within(
        Duration::from_secs(2),
        Duration::ZERO,
        "the push",
        || async { verify(&keys_b, &created).await == Err(Reason::Revoked) },
    )
    .await;
    eprintln!("a revocation reached another server's cache after {delay:?}");
    assert_eq!(
        verify(&keys_c, &created).await,
        Ok(()),
        "without a push the cache serves its record until the TTL"
    );

    // An insert is pushed too: an id remembered as unknown is forgotten.
    let id: KeyId = "0000000000000042".parse().unwrap();
    assert!(cache_b.get(&id).await.unwrap().is_none());
    let mut record = credential_core::KeyRecord::clone(&created.record);
    record.id = id;
    record.revoked_at = None;
    cache_a.insert(record).await.unwrap();
    within(
        Duration::from_secs(2),
        Duration::ZERO,
        "the insert's push",
        || async { cache_b.get(&id).await.unwrap().is_some() },
    )
    .await;

    for task in following {
        task.abort();
    }
    prefixes.delete_all().await;
}

/// A proxy to the Redis server of `url`, on loopback.
async fn proxy(url: &str) -> TcpProxy {
    let target = tokio::net::lookup_host(authority(url))
        .await
        .unwrap()
        .next()
        .unwrap();
    TcpProxy::start(target).await.unwrap()
}

/// `url` with `proxy`'s address instead of the server's.
fn through(proxy: &TcpProxy, url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}{}/{path}", proxy.addr())
}

/// `host:port` of a Redis URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_channel_forgets_everything_and_fails_closed() {
    let Some(url) = common::url("a_lost_channel_forgets_everything_and_fails_closed") else {
        return;
    };
    let prefixes = Prefixes::new(url.clone());
    let prefix = prefixes.prefix();
    let proxy = proxy(&url).await;
    let a = prefixes.store_at(&prefix).await;
    let b = RedisStore::builder(through(&proxy, &url), prefix.as_str())
        .timeout(Duration::from_millis(500))
        .connect()
        .await
        .unwrap();
    let (cache_a, cache_b) = (cache(&a), cache(&b));
    let following = b.follow(cache_b.invalidator());
    subscribers(&prefixes, a.channel(), 1).await;
    let (keys_a, keys_b) = (manager(cache_a), manager(cache_b));
    let created = keys_a
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(verify(&keys_b, &created).await, Ok(()));

    // Cut off from Redis, B forgets what it cached and refuses to verify
    // rather than trust it.
    proxy.cut();
    keys_a.revoke(&created.record.id).await.unwrap();
    let forgot = within(
        Duration::from_secs(3),
        Duration::ZERO,
        "failing closed",
        || async { verify(&keys_b, &created).await == Err(Reason::StoreUnavailable) },
    )
    .await;
    eprintln!("a lost channel made the cache forget after {forgot:?}");

    // Back on line, B sees the revocation it missed the push of.
    proxy.restore();
    within(
        Duration::from_secs(5),
        Duration::from_millis(10),
        "recovering",
        || async { verify(&keys_b, &created).await == Err(Reason::Revoked) },
    )
    .await;

    following.abort();
    prefixes.delete_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_fail_as_unavailable_while_redis_is_unreachable() {
    let Some(url) = common::url("calls_fail_as_unavailable_while_redis_is_unreachable") else {
        return;
    };
    let prefixes = Prefixes::new(url.clone());
    let proxy = proxy(&url).await;
    let store = RedisStore::builder(through(&proxy, &url), prefixes.prefix())
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let id: KeyId = "0000000000000001".parse().unwrap();
    let now = OffsetDateTime::now_utc();
    let limit = RateLimit::new(1, time::Duration::seconds(1)).unwrap();
    assert!(store.get(&id).await.unwrap().is_none());

    proxy.cut();
    let bound = store.call_timeout() + Duration::from_millis(500);
    for _ in 0..3 {
        let started = Instant::now();
        let got = store.get(&id).await;
        assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
        let revoked = store.is_revoked(Some("jti"), None, None).await;
        assert!(
            matches!(revoked, Err(StoreError::Unavailable(_))),
            "{revoked:?}"
        );
        let acquired = store.acquire("k", &limit, now).await;
        assert!(
            matches!(acquired, Err(StoreError::Unavailable(_))),
            "{acquired:?}"
        );
        assert!(
            started.elapsed() < bound * 3,
            "took {:?}",
            started.elapsed()
        );
    }

    proxy.restore();
    within(
        Duration::from_secs(5),
        Duration::from_millis(10),
        "reconnecting",
        || async { store.get(&id).await.is_ok() },
    )
    .await;
    prefixes.delete_all().await;
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_within_the_timeout() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let outcome = RedisStore::builder(format!("redis://127.0.0.1:{port}/"), "closed:")
        .timeout(timeout)
        .connect()
        .await;
    let took = started.elapsed();
    assert!(outcome.is_err(), "connected to a closed port");
    assert!(took < timeout + Duration::from_millis(250), "took {took:?}");
    eprintln!("a closed port failed after {took:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_fails_within_the_timeout() {
    // Connections complete in the listener's backlog, and nothing ever
    // answers them.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let outcome = RedisStore::builder(url, "silent:")
        .timeout(timeout)
        .connect()
        .await;
    let took = started.elapsed();
    match outcome {
        Err(_) => assert!(took < timeout + Duration::from_millis(250), "took {took:?}"),
        Ok(store) => {
            assert!(took < timeout + Duration::from_millis(250), "took {took:?}");
            let started = Instant::now();
            let got = store.get(&"0000000000000001".parse().unwrap()).await;
            assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
            let took = started.elapsed();
            assert!(
                took < store.call_timeout() + Duration::from_millis(250),
                "took {took:?}"
            );
        }
    }
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_keep_a_live_subscription_and_catch_a_dead_one() {
    let Some(url) = common::url("pings_keep_a_live_subscription_and_catch_a_dead_one") else {
        return;
    };
    let prefixes = Prefixes::new(url.clone());
    let prefix = prefixes.prefix();
    let proxy = proxy(&url).await;
    let a = prefixes.store_at(&prefix).await;
    let b = RedisStore::builder(through(&proxy, &url), prefix.as_str())
        .timeout(Duration::from_millis(300))
        .ping_interval(Duration::from_millis(50))
        .connect()
        .await
        .unwrap();
    let cache_b = cache(&b);
    let following = b.follow(cache_b.invalidator());
    subscribers(&prefixes, a.channel(), 1).await;
    let keys_a = manager(cache(&a));
    let keys_b = manager(Arc::clone(&cache_b));
    let created = keys_a
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    // The insert's own push may still be on its way: let it arrive before
    // B caches the record.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(verify(&keys_b, &created).await, Ok(()));

    // Disabled behind every cache's back: only a cache that forgot would
    // see it.
    let mut connection = prefixes.connection().await;
    let record_key = format!("{prefix}key:{}", created.record.id);
    let json: String = redis::cmd("GET")
        .arg(&record_key)
        .query_async(&mut connection)
        .await
        .unwrap();
    let disabled = json.replace("\"disabled\":false", "\"disabled\":true");
    assert_ne!(json, disabled);
    let _: () = redis::cmd("SET")
        .arg(&record_key)
        .arg(disabled)
        .query_async(&mut connection)
        .await
        .unwrap();
    // Ten pings answered: nothing forgotten.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(verify(&keys_b, &created).await, Ok(()));

    // A connection that stops answering without closing is given up
    // within a ping and a response timeout, and the cache forgets.
    proxy.freeze();
    let noticed = within(
        Duration::from_secs(3),
        Duration::from_millis(10),
        "noticing a dead subscription",
        || async { verify(&keys_b, &created).await != Ok(()) },
    )
    .await;
    eprintln!("a silent subscription was given up after {noticed:?}");
    proxy.restore();
    within(
        Duration::from_secs(5),
        Duration::from_millis(10),
        "recovering",
        || async { verify(&keys_b, &created).await == Err(Reason::Disabled) },
    )
    .await;

    following.abort();
    prefixes.delete_all().await;
}
