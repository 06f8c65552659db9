//! Key verification through the shared stores beside the in-memory one:
//! a hit of the cache in front of PostgreSQL (and Redis), against the
//! in-memory store (target: within 1.5×), and the uncached path's median
//! and p99 on loopback.
//!
//! Reads `CREDENTIAL_TEST_POSTGRES_URL` and `CREDENTIAL_TEST_REDIS_URL`;
//! a store whose variable is unset is left out, with a line saying so.
// Setup that fails must stop the bench, so setup may unwrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use credential_benches::{interleaved, ready};
use credential_core::Verifier;
use credential_core::key::{
    CachedKeyStore, KeyFormat, KeyManager, KeyStore, KeyVerifier, MemoryKeyStore, NewKey, Pepper,
    Peppers,
};
use credential_postgres::PostgresStore;
use credential_redis::RedisStore;
use criterion::{Criterion, criterion_group, criterion_main};

const PEPPER: [u8; 32] = [0x42; 32];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A key created through `store`, verified once so its first use is
/// recorded, and the verifier.
fn prepared<S: KeyStore + ?Sized>(
    rt: &tokio::runtime::Runtime,
    store: Arc<S>,
) -> (KeyVerifier<S>, String) {
    let manager = KeyManager::new(
        store,
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(Pepper::new(1, &PEPPER).unwrap()),
    );
    let key = rt
        .block_on(manager.create(NewKey::new(
            "acme",
            "reports:read reports:write".parse().unwrap(),
        )))
        .unwrap()
        .key
        .expose_secret()
        .to_owned();
    let verifier = manager.verifier();
    rt.block_on(verifier.verify(&key, None)).unwrap();
    (verifier, key)
}

/// Median and 99th percentile of `runs` sequential calls of `call`.
fn percentiles(name: &str, runs: usize, mut call: impl FnMut()) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            call();
            start.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{name}: {runs} sequential calls, median {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        at(1.0).as_secs_f64() * 1e6,
    );
}

/// The in-memory store, a cache hit in front of `store`, and `store`
/// itself, in one group; the hit against memory interleaved, and the
/// uncached path's percentiles. `name` names the store in the output.
fn compare<S: KeyStore + Clone + 'static>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
) {
    let (memory, memory_key) = prepared(rt, Arc::new(MemoryKeyStore::new()));
    let cached =
        Arc::new(CachedKeyStore::new(Arc::new(store.clone())).with_ttl(Duration::from_secs(3600)));
    let (cached, cached_key) = prepared(rt, cached);
    let (direct, direct_key) = prepared(rt, Arc::new(store.clone()));

    let mut group = c.benchmark_group("key_verify_store");
    group.bench_function("memory", |b| {
        b.iter(|| ready(memory.verify(black_box(&memory_key), None)).unwrap());
    });
    group.bench_function(format!("{}_cached_hit", name.to_lowercase()), |b| {
        b.iter(|| ready(cached.verify(black_box(&cached_key), None)).unwrap());
    });
    group.bench_function(format!("{}_uncached", name.to_lowercase()), |b| {
        b.iter(|| {
            rt.block_on(direct.verify(black_box(&direct_key), None))
                .unwrap()
        });
    });
    group.finish();

    interleaved(
        &format!("key verify, cached {name} hit vs memory"),
        1000,
        || ready(cached.verify(&cached_key, None)).unwrap(),
        || ready(memory.verify(&memory_key, None)).unwrap(),
    );
    percentiles(
        &format!("key verify, {name} uncached (loopback)"),
        5000,
        || {
            rt.block_on(direct.verify(&direct_key, None)).unwrap();
        },
    );
}

fn postgres(c: &mut Criterion) {
    let Ok(url) = std::env::var("CREDENTIAL_TEST_POSTGRES_URL") else {
        println!("stores: CREDENTIAL_TEST_POSTGRES_URL is unset, PostgreSQL left out");
        return;
    };
    let rt = runtime();
    let schema = format!("credential_bench_{}", std::process::id());
    let store = rt
        .block_on(PostgresStore::builder(&url).schema(&schema).connect())
        .unwrap();
    compare(c, &rt, "PostgreSQL", &store);
    rt.block_on(async {
        let client = store.pool().get().await.unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .unwrap();
    });
}

fn redis(c: &mut Criterion) {
    let Ok(url) = std::env::var("CREDENTIAL_TEST_REDIS_URL") else {
        println!("stores: CREDENTIAL_TEST_REDIS_URL is unset, Redis left out");
        return;
    };
    let rt = runtime();
    let prefix = format!("credential-bench:{}:", std::process::id());
    let store = rt
        .block_on(RedisStore::connect(url.clone(), prefix.clone()))
        .unwrap();
    compare(c, &rt, "Redis", &store);
    rt.block_on(async {
        let client = redis::Client::open(url).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut connection)
            .await
            .unwrap();
        if !keys.is_empty() {
            let () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    });
}

criterion_group! {
    name = stores;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = postgres, redis
}
criterion_main!(stores);
