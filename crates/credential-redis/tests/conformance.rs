//! The Redis store passes core's store conformance suite.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use credential_core::testing::conformance;

use common::Prefixes;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_key_store_conforms() {
    let Some(url) = common::url("the_redis_key_store_conforms") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let outcome = conformance::key_store(|| {
        let prefixes = prefixes.clone();
        async move { prefixes.store().await }
    })
    .await;
    prefixes.delete_all().await;
    outcome.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_rate_limiter_conforms() {
    let Some(url) = common::url("the_redis_rate_limiter_conforms") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let outcome = conformance::rate_limiter(|| {
        let prefixes = prefixes.clone();
        async move { prefixes.store().await }
    })
    .await;
    prefixes.delete_all().await;
    outcome.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_revocation_store_conforms() {
    let Some(url) = common::url("the_redis_revocation_store_conforms") else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let outcome = conformance::revocation_store(|| {
        let prefixes = prefixes.clone();
        async move { prefixes.store().await }
    })
    .await;
    prefixes.delete_all().await;
    outcome.unwrap();
}
