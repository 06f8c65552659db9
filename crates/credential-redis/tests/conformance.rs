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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_key_store_conforms() {
    common::conforms("the_redis_key_store_conforms", |prefixes| {
        conformance::key_store(move || prefixes.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_rate_limiter_conforms() {
    common::conforms("the_redis_rate_limiter_conforms", |prefixes| {
        conformance::rate_limiter(move || prefixes.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_revocation_store_conforms() {
    common::conforms("the_redis_revocation_store_conforms", |prefixes| {
        conformance::revocation_store(move || prefixes.clone().fresh())
    })
    .await;
}
