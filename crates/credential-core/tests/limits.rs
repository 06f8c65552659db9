//! Rate limits and usage credits, enforced by the key verifier after every
//! other check, with an injected clock.
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

use async_trait::async_trait;
use common::{START, fixture};
use credential_core::key::{Credits, ManageError, NewKey};
use credential_core::ratelimit::{RateDecision, RateLimit, RateLimiter};
use credential_core::rejection::ErrorCode;
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Reason, StoreError, Verifier};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn a_rate_limited_key_gets_429_with_retry_after() {
    let f = fixture();
    let limit = RateLimit::new(3, Duration::seconds(10)).unwrap();
    let created = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).rate_limit(limit))
        .await
        .unwrap();
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();
    for _ in 0..3 {
        verifier.verify(key, None).await.unwrap();
    }
    let rejection = verifier.verify(key, None).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::RateLimited);
    let face = rejection.public_face(&FaceConfig::default());
    assert_eq!(face.status(), 429);
    assert_eq!(face.error(), Some(ErrorCode::RateLimited));
    // 10 s / 3 requests: the next slot opens in 3.33 s, rounded up.
    assert_eq!(face.retry_after_secs(), Some(4));
    assert_eq!(face.www_authenticate(), None);

    f.clock.advance(Duration::milliseconds(3334));
    verifier.verify(key, None).await.unwrap();
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::RateLimited
    );
}

#[tokio::test]
async fn rate_limits_are_per_key() {
    let f = fixture();
    let limit = RateLimit::new(1, Duration::minutes(1)).unwrap();
    let new = || NewKey::new("acme", "a".parse().unwrap()).rate_limit(limit);
    let a = f.manager.create(new()).await.unwrap();
    let b = f.manager.create(new()).await.unwrap();
    let verifier = f.manager.verifier();
    verifier.verify(a.key.expose_secret(), None).await.unwrap();
    verifier.verify(b.key.expose_secret(), None).await.unwrap();
    assert!(verifier.verify(a.key.expose_secret(), None).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_are_never_over_spent_under_concurrency() {
    let f = fixture();
    let created = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).credits(Credits::new(10)))
        .await
        .unwrap();
    let verifier = Arc::new(f.manager.verifier());
    let key = Arc::new(created.key.expose_secret().to_owned());
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let verifier = Arc::clone(&verifier);
            let key = Arc::clone(&key);
            tokio::spawn(async move { verifier.verify(&key, None).await })
        })
        .collect();
    let mut passed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => passed += 1,
            Err(rejection) => {
                assert_eq!(rejection.reason(), Reason::CreditsExhausted);
                let face = rejection.public_face(&FaceConfig::default());
                assert_eq!(face.status(), 429);
                assert_eq!(face.retry_after_secs(), None);
            }
        }
    }
    assert_eq!(passed, 10);
    let record = f.manager.get(&created.record.id).await.unwrap();
    assert_eq!(record.credits.unwrap().remaining, 0);
}

#[tokio::test]
async fn a_credit_is_spent_only_when_every_other_check_passed() {
    let f = fixture();
    let limit = RateLimit::new(1, Duration::minutes(1)).unwrap();
    let created = f
        .manager
        .create(
            NewKey::new("acme", "a".parse().unwrap())
                .credits(Credits::new(5))
                .rate_limit(limit),
        )
        .await
        .unwrap();
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();
    let remaining = || async {
        f.manager
            .get(&created.record.id)
            .await
            .unwrap()
            .credits
            .unwrap()
            .remaining
    };

    let need_b: Requirement = "b".parse().unwrap();
    assert_eq!(
        verifier
            .verify(key, Some(&need_b))
            .await
            .unwrap_err()
            .reason(),
        Reason::InsufficientScope
    );
    assert_eq!(remaining().await, 5);

    verifier.verify(key, None).await.unwrap();
    assert_eq!(remaining().await, 4);

    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::RateLimited
    );
    assert_eq!(remaining().await, 4);

    f.manager.disable(&created.record.id).await.unwrap();
    f.clock.advance(Duration::minutes(1));
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::Disabled
    );
    assert_eq!(remaining().await, 4);
}

#[tokio::test]
async fn credits_refill_on_schedule() {
    let f = fixture();
    let credits = Credits::refilled(2, Duration::hours(1), START).unwrap();
    let created = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).credits(credits))
        .await
        .unwrap();
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();
    verifier.verify(key, None).await.unwrap();
    verifier.verify(key, None).await.unwrap();
    f.clock.advance(Duration::minutes(45));
    let rejection = verifier.verify(key, None).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::CreditsExhausted);
    // Refills at START + 1 h, 15 minutes from now.
    assert_eq!(
        rejection
            .public_face(&FaceConfig::default())
            .retry_after_secs(),
        Some(15 * 60)
    );

    // Two and a half intervals later: refilled once, on the hour.
    f.clock.advance(Duration::minutes(15 + 90));
    verifier.verify(key, None).await.unwrap();
    let record = f.manager.get(&created.record.id).await.unwrap();
    let credits = record.credits.unwrap();
    assert_eq!(credits.remaining, 1);
    assert_eq!(
        credits.refill.unwrap().last_refill_at,
        START + Duration::hours(2)
    );
}

#[tokio::test]
async fn credits_and_limits_can_be_changed_and_are_validated() {
    let f = fixture();
    let created = f.key("a").await;
    let id = created.record.id;
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();

    f.manager
        .set_credits(&id, Some(Credits::new(0)))
        .await
        .unwrap();
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::CreditsExhausted
    );
    f.manager
        .set_credits(&id, Some(Credits::new(1)))
        .await
        .unwrap();
    verifier.verify(key, None).await.unwrap();
    f.manager.set_credits(&id, None).await.unwrap();
    verifier.verify(key, None).await.unwrap();

    let bad_limit = RateLimit {
        requests: 0,
        period: Duration::seconds(1),
    };
    assert!(matches!(
        f.manager.set_rate_limit(&id, Some(bad_limit)).await,
        Err(ManageError::InvalidInput(_))
    ));
    let mut bad_credits = Credits::refilled(1, Duration::hours(1), START).unwrap();
    bad_credits.refill.as_mut().unwrap().interval = Duration::ZERO;
    assert!(matches!(
        f.manager.set_credits(&id, Some(bad_credits)).await,
        Err(ManageError::InvalidInput(_))
    ));
    assert!(matches!(
        f.manager
            .create(NewKey::new("acme", "a".parse().unwrap()).rate_limit(bad_limit))
            .await,
        Err(ManageError::InvalidInput(_))
    ));
    assert!(Credits::refilled(1, Duration::ZERO, START).is_err());
}

#[derive(Debug)]
struct BrokenLimiter;

#[async_trait]
impl RateLimiter for BrokenLimiter {
    async fn acquire(
        &self,
        _: &str,
        _: &RateLimit,
        _: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        Err(StoreError::unavailable("limiter down"))
    }
}

#[tokio::test]
async fn a_failing_rate_limiter_or_credit_store_is_503() {
    let f = fixture();
    let limit = RateLimit::new(10, Duration::seconds(1)).unwrap();
    let limited = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).rate_limit(limit))
        .await
        .unwrap();
    let unlimited = f.key("a").await;
    let verifier = f
        .manager
        .verifier()
        .with_rate_limiter(Arc::new(BrokenLimiter));
    let rejection = verifier
        .verify(limited.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
    assert_eq!(rejection.public_face(&FaceConfig::default()).status(), 503);
    // Keys without a limit never ask the limiter.
    verifier
        .verify(unlimited.key.expose_secret(), None)
        .await
        .unwrap();

    // Credits live in the key store: when it fails the spend, 503.
    let metered = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).credits(Credits::new(3)))
        .await
        .unwrap();
    f.store.set_writes_down(true);
    let verifier = f.manager.verifier();
    let rejection = verifier
        .verify(metered.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
    verifier
        .verify(unlimited.key.expose_secret(), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_verifier_of_a_manager_shares_one_rate_limit() {
    let f = fixture();
    let limit = RateLimit::new(1, Duration::minutes(1)).unwrap();
    let created = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).rate_limit(limit))
        .await
        .unwrap();
    let key = created.key.expose_secret();
    f.manager.verifier().verify(key, None).await.unwrap();
    let rejection = f.manager.verifier().verify(key, None).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::RateLimited);
}

#[tokio::test]
async fn a_stored_rate_limit_that_makes_no_sense_fails_closed() {
    use credential_core::key::{KeyStore, KeyUpdate};
    let f = fixture();
    let created = f.key("a").await;
    let broken = RateLimit {
        requests: 1,
        period: Duration::ZERO,
    };
    f.store
        .update(&created.record.id, KeyUpdate::RateLimit(Some(broken)))
        .await
        .unwrap();
    let rejection = f
        .manager
        .verifier()
        .verify(created.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
}
