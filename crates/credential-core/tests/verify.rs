//! Key verification: the order of checks, every rejection row and its
//! public face, fail-closed store errors, and time rules on a manual clock.
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
use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use common::{START, fixture, forge, with_wrong_secret};
use credential_core::guard::Guard;
use credential_core::key::{Credits, NewKey};
use credential_core::rejection::ErrorCode;
use credential_core::scope::Requirement;
use credential_core::{
    CredentialKind, FaceConfig, Principal, PublicFace, Reason, Rejection, Verifier,
};
use time::Duration;

fn face(rejection: &Rejection) -> PublicFace {
    rejection.public_face(&FaceConfig::new("api").unwrap())
}

fn assert_invalid_token(rejection: &Rejection, reason: Reason) {
    assert_eq!(rejection.reason(), reason);
    let face = face(rejection);
    assert_eq!(face.status(), 401);
    assert_eq!(face.error(), Some(ErrorCode::InvalidToken));
    assert_eq!(
        face.www_authenticate(),
        Some(r#"Bearer realm="api", error="invalid_token""#)
    );
    assert_eq!(face.retry_after_secs(), None);
    assert_eq!(
        face.json_body(),
        r#"{"error":"invalid_token","error_description":"the credential is invalid"}"#
    );
}

#[tokio::test]
async fn a_valid_key_yields_its_principal() {
    let f = fixture();
    let created = f
        .manager
        .create(
            NewKey::new("acme", "repo:read billing:*".parse().unwrap())
                .expires_at(START + Duration::days(1)),
        )
        .await
        .unwrap();
    let principal = f
        .manager
        .verifier()
        .verify(created.key.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.kind(), CredentialKind::ApiKey);
    assert_eq!(principal.key_id(), Some(created.record.id));
    assert_eq!(principal.scopes().to_string(), "billing:* repo:read");
    assert_eq!(principal.expires_at(), Some(START + Duration::days(1)));
    assert!(principal.satisfies(&"billing:invoices:write AND repo:read".parse().unwrap()));
    assert!(!principal.satisfies(&"repo:write".parse().unwrap()));
    let rejection = principal
        .require(&"repo:write".parse().unwrap())
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::InsufficientScope);
}

#[tokio::test]
async fn malformed_credentials_are_400_invalid_request() {
    let f = fixture();
    let verifier = f.manager.verifier();
    for garbage in [
        "",
        "Bearer x",
        "sk_live_",
        "sk_live_abc_def",
        "eyJhbGciOiJIUzI1NiJ9.e30.x",
        &"a".repeat(10_000),
    ] {
        let rejection = verifier.verify(garbage, None).await.unwrap_err();
        assert_eq!(rejection.reason(), Reason::Malformed, "{garbage:?}");
        let face = face(&rejection);
        assert_eq!(face.status(), 400);
        assert_eq!(face.error(), Some(ErrorCode::InvalidRequest));
        assert_eq!(
            face.www_authenticate(),
            Some(r#"Bearer realm="api", error="invalid_request""#)
        );
    }
    assert_eq!(f.store.gets(), 0, "a malformed key reached the store");
}

#[tokio::test]
async fn a_bad_checksum_is_401_and_never_reaches_the_store() {
    let f = fixture();
    let created = f.key("a").await;
    let key = created.key.expose_secret();
    // Swap the last checksum character for another base62 character.
    let last = key.chars().last().unwrap();
    let tampered = format!(
        "{}{}",
        &key[..key.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    let verifier = f.manager.verifier();
    let rejection = verifier.verify(&tampered, None).await.unwrap_err();
    assert_invalid_token(&rejection, Reason::BadChecksum);
    // A change inside the secret is caught the same way.
    let mut chars: Vec<char> = key.chars().collect();
    let at = chars.len() - 20;
    chars[at] = if chars[at] == 'Q' { 'R' } else { 'Q' };
    let tampered: String = chars.into_iter().collect();
    assert_invalid_token(
        &verifier.verify(&tampered, None).await.unwrap_err(),
        Reason::BadChecksum,
    );
    assert_eq!(
        f.store.gets(),
        0,
        "a key with a bad checksum reached the store"
    );
}

#[tokio::test]
async fn unknown_key_and_wrong_secret_are_401() {
    let f = fixture();
    let created = f.key("a").await;
    let verifier = f.manager.verifier();

    let unknown = forge("sk_live", "0123456789abcdef", &"x".repeat(43));
    assert_invalid_token(
        &verifier.verify(&unknown, None).await.unwrap_err(),
        Reason::UnknownKey,
    );
    assert_eq!(f.store.gets(), 1);

    let wrong = with_wrong_secret(created.key.expose_secret(), "sk_live");
    assert_invalid_token(
        &verifier.verify(&wrong, None).await.unwrap_err(),
        Reason::BadSecret,
    );
    assert_eq!(f.store.gets(), 2);
}

#[tokio::test]
async fn a_key_of_another_prefix_is_401() {
    let f = fixture();
    let key = forge("sk_test", "0123456789abcdef", &"x".repeat(43));
    let rejection = f.manager.verifier().verify(&key, None).await.unwrap_err();
    assert_invalid_token(&rejection, Reason::WrongPrefix);
    assert_eq!(f.store.gets(), 0);
}

#[tokio::test]
async fn expiry_follows_the_injected_clock() {
    let f = fixture();
    let created = f
        .manager
        .create(NewKey::new("acme", "a".parse().unwrap()).expires_at(START + Duration::hours(1)))
        .await
        .unwrap();
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();
    f.clock
        .advance(Duration::hours(1) - Duration::nanoseconds(1));
    assert!(verifier.verify(key, None).await.is_ok());
    f.clock.advance(Duration::nanoseconds(1));
    assert_invalid_token(
        &verifier.verify(key, None).await.unwrap_err(),
        Reason::Expired,
    );
}

#[tokio::test]
async fn revoked_disabled_and_rolled_keys_share_one_public_face() {
    let f = fixture();
    let verifier = f.manager.verifier();
    let new = || NewKey::new("acme", "a".parse().unwrap());

    let revoked = f.manager.create(new()).await.unwrap();
    f.manager.revoke(&revoked.record.id).await.unwrap();
    let disabled = f.manager.create(new()).await.unwrap();
    f.manager.disable(&disabled.record.id).await.unwrap();
    let rolled = f.manager.create(new()).await.unwrap();
    f.manager
        .roll(&rolled.record.id, Duration::ZERO)
        .await
        .unwrap();

    let mut faces = Vec::new();
    for (key, reason) in [
        (&revoked.key, Reason::Revoked),
        (&disabled.key, Reason::Disabled),
        (&rolled.key, Reason::RolledPastGrace),
    ] {
        let rejection = verifier
            .verify(key.expose_secret(), None)
            .await
            .unwrap_err();
        assert_invalid_token(&rejection, reason);
        faces.push(face(&rejection));
    }
    let unknown = verifier
        .verify(&forge("sk_live", "0123456789abcdef", &"x".repeat(43)), None)
        .await
        .unwrap_err();
    faces.push(face(&unknown));
    assert!(faces.windows(2).all(|w| w[0] == w[1]), "{faces:#?}");
}

#[tokio::test]
async fn a_missing_scope_is_403_with_the_scopes_that_would_do() {
    let f = fixture();
    let created = f
        .manager
        .create(NewKey::new(
            "acme",
            "reports:read billing:*".parse().unwrap(),
        ))
        .await
        .unwrap();
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();

    let ok: Requirement = "reports:read AND billing:invoices:write".parse().unwrap();
    assert!(verifier.verify(key, Some(&ok)).await.is_ok());

    let need: Requirement = "reports:read AND (reports:write OR admin:x:y)"
        .parse()
        .unwrap();
    let rejection = verifier.verify(key, Some(&need)).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::InsufficientScope);
    assert_eq!(
        rejection.missing_scopes().unwrap().to_string(),
        "reports:write"
    );
    let face = face(&rejection);
    assert_eq!(face.status(), 403);
    assert_eq!(face.error(), Some(ErrorCode::InsufficientScope));
    assert_eq!(
        face.www_authenticate(),
        Some(r#"Bearer realm="api", error="insufficient_scope", scope="reports:write""#)
    );
    assert_eq!(
        face.json_body(),
        r#"{"error":"insufficient_scope","error_description":"the credential lacks a required scope"}"#
    );
    // `billing:*` does not grant `billing` itself.
    let bare: Requirement = "billing".parse().unwrap();
    assert_eq!(
        verifier
            .verify(key, Some(&bare))
            .await
            .unwrap_err()
            .reason(),
        Reason::InsufficientScope
    );
}

#[tokio::test]
async fn scope_is_checked_only_after_the_credential_is_valid() {
    let f = fixture();
    let created = f.key("a").await;
    f.manager.revoke(&created.record.id).await.unwrap();
    let need: Requirement = "b".parse().unwrap();
    let rejection = f
        .manager
        .verifier()
        .verify(created.key.expose_secret(), Some(&need))
        .await
        .unwrap_err();
    // A revoked key must not learn which scopes a route needs.
    assert_eq!(rejection.reason(), Reason::Revoked);
    assert!(rejection.missing_scopes().is_none());
}

#[tokio::test]
async fn a_store_outage_is_503_never_401_and_never_allow() {
    let f = fixture();
    let created = f.key("a").await;
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();

    f.store.set_down(true);
    let rejection = verifier.verify(key, None).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
    let face = face(&rejection);
    assert_eq!(face.status(), 503);
    assert_eq!(face.www_authenticate(), None);
    assert_eq!(face.error(), Some(ErrorCode::TemporarilyUnavailable));
    // Even a forged key gets 503, not 401: the verifier cannot know.
    let forged = forge("sk_live", "0123456789abcdef", &"x".repeat(43));
    assert_eq!(
        verifier.verify(&forged, None).await.unwrap_err().reason(),
        Reason::StoreUnavailable
    );
    // A bad checksum needs no store, so it is still a plain 401.
    let bad = format!("{}0", &key[..key.len() - 1]);
    let bad = if bad == key {
        format!("{}1", &key[..key.len() - 1])
    } else {
        bad
    };
    assert_eq!(
        verifier.verify(&bad, None).await.unwrap_err().reason(),
        Reason::BadChecksum
    );

    f.store.set_down(false);
    assert!(verifier.verify(key, None).await.is_ok());
}

#[tokio::test]
async fn failed_writes_after_a_valid_verify_do_not_fail_it() {
    let f = fixture();
    let created = f.key("a").await;
    f.store.set_writes_down(true);
    // A rotated pepper makes the verifier try a hash upgrade, and a zero
    // granularity makes it record every use: both writes fail.
    let verifier = credential_core::key::KeyManager::new(
        Arc::clone(&f.store),
        f.manager.format().clone(),
        credential_core::key::Peppers::new(common::pepper(2)).with_previous(common::pepper(1)),
    )
    .verifier()
    .with_last_used_granularity(Duration::ZERO);
    for _ in 0..2 {
        assert!(
            verifier
                .verify(created.key.expose_secret(), None)
                .await
                .is_ok()
        );
    }
    assert_eq!(f.store.upgrades.load(Ordering::SeqCst), 2);
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), 2);
    let stored = f.manager.get(&created.record.id).await.unwrap();
    assert_eq!(stored.hash.pepper_version(), 1);
    assert_eq!(stored.last_used_at, None);
}

#[tokio::test]
async fn last_used_is_written_at_most_once_per_granularity() {
    let f = fixture();
    let created = f.key("a").await;
    let verifier = f.manager.verifier();
    let key = created.key.expose_secret();
    for _ in 0..10 {
        verifier.verify(key, None).await.unwrap();
    }
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), 1);
    assert_eq!(
        f.manager
            .get(&created.record.id)
            .await
            .unwrap()
            .last_used_at,
        Some(START)
    );

    f.clock.advance(Duration::seconds(59));
    verifier.verify(key, None).await.unwrap();
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), 1);
    f.clock.advance(Duration::seconds(1));
    verifier.verify(key, None).await.unwrap();
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), 2);
    assert_eq!(
        f.manager
            .get(&created.record.id)
            .await
            .unwrap()
            .last_used_at,
        Some(START + Duration::minutes(1))
    );
    // Rejected attempts are not uses.
    f.clock.advance(Duration::hours(1));
    f.manager.disable(&created.record.id).await.unwrap();
    assert!(verifier.verify(key, None).await.is_err());
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_is_seen_by_every_verification_that_starts_after_it() {
    let f = fixture();
    let created = f.key("a").await;
    let verifier = Arc::new(f.manager.verifier());
    let key = Arc::new(created.key.expose_secret().to_owned());

    let mut tasks = Vec::new();
    for _ in 0..4 {
        let verifier = Arc::clone(&verifier);
        let key = Arc::clone(&key);
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                verifier.verify(&key, None).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    f.manager.revoke(&created.record.id).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let verifier = Arc::clone(&verifier);
        let key = Arc::clone(&key);
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                assert_eq!(
                    verifier.verify(&key, None).await.unwrap_err().reason(),
                    Reason::Revoked
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[test]
fn the_public_face_of_every_reason() {
    let config = FaceConfig::new("api").unwrap();
    let missing = Rejection::new(Reason::Missing).public_face(&config);
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.error(), None);
    assert_eq!(missing.www_authenticate(), Some(r#"Bearer realm="api""#));
    assert_eq!(
        missing.json_body(),
        r#"{"error":"unauthorized","error_description":"authentication is required"}"#
    );

    let limited = Rejection::rate_limited(StdDuration::from_millis(1200)).public_face(&config);
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.retry_after_secs(), Some(2));
    assert_eq!(limited.www_authenticate(), None);
    assert_eq!(limited.error(), Some(ErrorCode::RateLimited));
    assert_eq!(
        Rejection::rate_limited(StdDuration::ZERO)
            .public_face(&config)
            .retry_after_secs(),
        Some(1)
    );

    let credits = Rejection::credits_exhausted(None).public_face(&config);
    assert_eq!(credits.status(), 429);
    assert_eq!(credits.retry_after_secs(), None);
    assert_eq!(credits.www_authenticate(), None);
    let paid = config.clone().with_credits_status(402).unwrap();
    let credits = Rejection::credits_exhausted(Some(StdDuration::from_secs(60))).public_face(&paid);
    assert_eq!(credits.status(), 402);
    assert_eq!(credits.retry_after_secs(), Some(60));
    assert!(config.clone().with_credits_status(200).is_err());
    assert!(config.clone().with_credits_status(503).is_err());

    let down = Rejection::new(Reason::StoreUnavailable).public_face(&config);
    assert_eq!(down.status(), 503);
    assert_eq!(down.www_authenticate(), None);
}

#[test]
fn realms_are_quoted_and_validated() {
    let config = FaceConfig::new(r#"my "special" \ realm"#).unwrap();
    let face = Rejection::new(Reason::Missing).public_face(&config);
    assert_eq!(
        face.www_authenticate(),
        Some(r#"Bearer realm="my \"special\" \\ realm""#)
    );
    for bad in [
        "",
        "a\r\nSet-Cookie: x=1",
        "tab\there",
        "ünï",
        &"r".repeat(129),
    ] {
        assert!(FaceConfig::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn reasons_have_stable_names() {
    assert_eq!(Reason::BadChecksum.as_str(), "bad_checksum");
    assert_eq!(Reason::StoreUnavailable.to_string(), "store_unavailable");
    assert_eq!(
        Rejection::new(Reason::Expired).to_string(),
        "credential rejected: expired"
    );
}

#[tokio::test]
async fn a_key_cannot_change_environment_by_changing_its_prefix() {
    // Test and live keys in one store: a test key re-prefixed as a live
    // one, with its (public) checksum recomputed, must not verify.
    let f = fixture();
    let test_keys = credential_core::key::KeyManager::new(
        Arc::clone(&f.store),
        credential_core::key::KeyFormat::new("sk_test").unwrap(),
        credential_core::key::Peppers::new(common::pepper(1)),
    );
    let created = test_keys
        .create(NewKey::new("acme", "a".parse().unwrap()))
        .await
        .unwrap();
    let key = created.key.expose_secret();
    let (id, secret) = (&key[8..24], &key[25..68]);
    let relabelled = forge("sk_live", id, secret);
    let live = f.manager.verifier();
    let rejection = live.verify(&relabelled, None).await.unwrap_err();
    assert_invalid_token(&rejection, Reason::WrongPrefix);
    assert!(test_keys.verifier().verify(key, None).await.is_ok());
}

/// A store that answers at once lets a verification finish without
/// waiting, except when a write is due; a store that cannot is awaited.
#[tokio::test]
async fn verification_waits_only_for_stores_and_writes_that_must_wait() {
    let f = fixture();
    let created = f.key("reports:read").await;
    let key = created.key.expose_secret();
    let verifier = f.manager.verifier();

    // The probe answers only through `get`: the outcome must be awaited.
    let waiting = verifier.verify(key, None).now().unwrap_err();
    assert_eq!(waiting.await.unwrap().subject(), "acme");

    f.store.immediate.store(true, Ordering::SeqCst);
    // `last_used_at` was just written, so nothing is left to do.
    let ready = verifier.verify(key, None).now().unwrap();
    assert_eq!(ready.unwrap().subject(), "acme");
    let wrong = with_wrong_secret(key, "sk_live");
    let refused = verifier.verify(&wrong, None).now().unwrap();
    assert_eq!(refused.unwrap_err().reason(), Reason::BadSecret);
    let required: Requirement = "reports:write".parse().unwrap();
    let refused = verifier.verify(key, Some(&required)).now().unwrap();
    assert_eq!(refused.unwrap_err().reason(), Reason::InsufficientScope);

    // A due write of `last_used_at` still happens, so that outcome waits.
    f.clock.advance(Duration::minutes(2));
    let uses = f.store.record_uses.load(Ordering::SeqCst);
    let due = verifier.verify(key, None).now().unwrap_err();
    assert!(due.await.is_ok());
    assert_eq!(f.store.record_uses.load(Ordering::SeqCst), uses + 1);

    // A metered key waits for its credit before its secret is checked,
    // so a wrong secret waits too, and is refused once awaited.
    let metered = f
        .manager
        .create(NewKey::new("acme", "reports:read".parse().unwrap()).credits(Credits::new(5)))
        .await
        .unwrap();
    let metered = metered.key.expose_secret();
    let wrong = with_wrong_secret(metered, "sk_live");
    let waiting = verifier.verify(&wrong, None).now().unwrap_err();
    assert_eq!(waiting.await.unwrap_err().reason(), Reason::BadSecret);
    let waiting = verifier.verify(metered, None).now().unwrap_err();
    assert!(waiting.await.is_ok());

    // A store that answers at once with an error is still a 503.
    f.store.set_down(true);
    let down = verifier.verify(key, None).now().unwrap();
    assert_eq!(down.unwrap_err().reason(), Reason::StoreUnavailable);
}

/// A guard answers without waiting when its verifier does; when it cannot,
/// `check_values` does the whole check.
#[tokio::test]
async fn a_guard_answers_at_once_when_its_verifier_does() {
    let f = fixture();
    f.store.immediate.store(true, Ordering::SeqCst);
    let created = f.key("reports:read").await;
    let key = created.key.expose_secret().as_bytes();
    let guard = Guard::new(f.manager.verifier())
        .require("reports:read")
        .unwrap();
    let none: [&[u8]; 0] = [];

    // A first use is recorded, which waits; after it nothing is left to
    // write.
    assert!(guard.check_values_now(None, none, [key], None).is_none());
    assert!(guard.check_values(None, none, [key], None).await.is_ok());
    let ready = guard.check_values_now(None, none, [key], None).unwrap();
    assert_eq!(ready.unwrap().unwrap().subject(), "acme");
    let missing = guard.check_values_now(None, none, none, None).unwrap();
    assert_eq!(missing.unwrap_err().reason(), Reason::Missing);
    let twice = guard
        .check_values_now(None, none, [key, key], None)
        .unwrap();
    assert_eq!(twice.unwrap_err().reason(), Reason::Malformed);
    let optional = guard.clone().optional();
    assert!(
        optional
            .check_values_now(None, none, none, None)
            .unwrap()
            .unwrap()
            .is_none()
    );

    // A principal verified further out is only held to the requirement.
    let principal = ready_principal(&guard, key);
    let stricter = guard.require("reports:write").unwrap();
    let refused = stricter
        .check_values_now(Some(principal.clone()), none, none, None)
        .unwrap();
    assert_eq!(refused.unwrap_err().reason(), Reason::InsufficientScope);
    let kept = guard
        .check_values_now(Some(principal), none, none, None)
        .unwrap();
    assert_eq!(kept.unwrap().unwrap().subject(), "acme");

    // A store that cannot answer at once: no outcome now, the same one
    // when awaited.
    f.store.immediate.store(false, Ordering::SeqCst);
    assert!(guard.check_values_now(None, none, [key], None).is_none());
    let awaited = guard.check_values(None, none, [key], None).await;
    assert_eq!(awaited.unwrap().unwrap().subject(), "acme");
}

fn ready_principal(guard: &Guard, key: &[u8]) -> Principal {
    let none: [&[u8]; 0] = [];
    guard
        .check_values_now(None, none, [key], None)
        .unwrap()
        .unwrap()
        .unwrap()
}
