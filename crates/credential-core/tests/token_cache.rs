//! The verified-token cache: a token presented again skips its signature
//! check but nothing that depends on the moment, and any change to the key
//! ring, or any other byte, means a full verification.
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

use common::START;
use common::tokens::{AUDIENCE, ISSUER, TokenFixture, claims_json, craft, token_fixture};
use credential_core::clock::Clock;
use credential_core::clock::ManualClock;
use credential_core::scope::Requirement;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{DEFAULT_CACHE_CAPACITY, RevocationStore, TokenVerifier};
use credential_core::{Reason, Verifier};
use time::Duration;

/// The fixture with its verifier keeping `capacity` tokens (0: none).
fn fixture(alg: Algorithm, capacity: usize) -> TokenFixture {
    let mut f = token_fixture(alg);
    f.verifier = f.verifier.clone().with_cache_capacity(capacity);
    f
}

async fn reason(
    verifier: &TokenVerifier,
    token: &str,
    required: Option<&Requirement>,
) -> Option<Reason> {
    verifier
        .verify(token, required)
        .await
        .err()
        .map(|r| r.reason())
}

#[test]
fn the_cache_is_on_by_default_and_can_be_turned_off() {
    let f = token_fixture(Algorithm::HS256);
    assert_eq!(f.verifier.cache_capacity(), DEFAULT_CACHE_CAPACITY);
    assert_eq!(
        f.verifier.clone().with_cache_capacity(0).cache_capacity(),
        0
    );
    assert_eq!(
        f.verifier.clone().with_cache_capacity(10).cache_capacity(),
        16
    );
}

#[tokio::test]
async fn a_token_seen_before_is_still_checked_for_scope_revocation_and_time() {
    for capacity in [0, 4, DEFAULT_CACHE_CAPACITY] {
        let f = fixture(Algorithm::EdDSA, capacity);
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        let token = issued.token.expose_secret();
        for _ in 0..3 {
            let principal = f.verifier.verify(token, None).await.unwrap();
            assert_eq!(principal.subject(), "acme");
        }
        let b: Requirement = "b".parse().unwrap();
        assert_eq!(
            reason(&f.verifier, token, Some(&b)).await,
            Some(Reason::InsufficientScope)
        );

        f.clock.advance(Duration::minutes(5));
        assert_eq!(reason(&f.verifier, token, None).await, None);
        f.clock.set(issued.expires_at);
        assert_eq!(
            reason(&f.verifier, token, None).await,
            Some(Reason::Expired),
            "{capacity}"
        );

        let f = fixture(Algorithm::HS256, capacity);
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(reason(&f.verifier, token, None).await, None);
        f.revocations
            .revoke_token(&issued.jti, issued.expires_at)
            .await
            .unwrap();
        assert_eq!(
            reason(&f.verifier, token, None).await,
            Some(Reason::Revoked),
            "{capacity}"
        );
    }
}

#[tokio::test]
async fn a_token_that_differs_in_any_byte_is_verified_in_full() {
    let f = fixture(Algorithm::HS256, DEFAULT_CACHE_CAPACITY);
    let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    let token = issued.token.expose_secret();
    assert_eq!(reason(&f.verifier, token, None).await, None);
    let other = f
        .issuer
        .mint("acme", "c", &"a admin".parse().unwrap())
        .unwrap();
    let (payload_end, signature) = (
        token.rfind('.').unwrap(),
        &token[token.rfind('.').unwrap()..],
    );
    let other_input =
        &other.token.expose_secret()[..other.token.expose_secret().rfind('.').unwrap()];
    // Another payload under the cached token's signature.
    let grafted = format!("{other_input}{signature}");
    assert_eq!(
        reason(&f.verifier, &grafted, None).await,
        Some(Reason::BadSignature)
    );
    // Each byte of the signature changed in turn, the cached token still
    // accepted between them.
    for at in payload_end + 1..token.len() {
        let mut bytes = token.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        let refused = reason(&f.verifier, &changed, None).await;
        assert!(
            matches!(refused, Some(Reason::BadSignature | Reason::Malformed)),
            "{at}: {refused:?}"
        );
        assert_eq!(reason(&f.verifier, token, None).await, None);
    }
}

#[tokio::test]
async fn every_key_ring_change_is_seen_by_tokens_seen_before() {
    for capacity in [0, DEFAULT_CACHE_CAPACITY] {
        // Retired now: refused at once.
        let f = fixture(Algorithm::EdDSA, capacity);
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(reason(&f.verifier, token, None).await, None);
        assert!(f.ring.retire("k1", f.clock.now()));
        assert_eq!(
            reason(&f.verifier, token, None).await,
            Some(Reason::UnknownSigningKey),
            "{capacity}"
        );

        // Rotated: the old key verifies until its retirement time.
        let f = fixture(Algorithm::EdDSA, capacity);
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(reason(&f.verifier, token, None).await, None);
        let retires = f.clock.now() + Duration::seconds(10);
        f.ring
            .rotate(
                "k2",
                SigningKey::generate(Algorithm::EdDSA).unwrap(),
                retires,
            )
            .unwrap();
        assert_eq!(reason(&f.verifier, token, None).await, None);
        assert_eq!(reason(&f.verifier, token, None).await, None);
        f.clock.set(retires);
        assert_eq!(
            reason(&f.verifier, token, None).await,
            Some(Reason::UnknownSigningKey),
            "{capacity}"
        );

        // Replaced under the same kid by another key: refused.
        let f = fixture(Algorithm::HS256, capacity);
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        let token = issued.token.expose_secret();
        assert_eq!(reason(&f.verifier, token, None).await, None);
        f.ring
            .add_verifying_key(
                "k1",
                SigningKey::generate(Algorithm::HS256)
                    .unwrap()
                    .verifying_key(),
            )
            .unwrap();
        assert_eq!(
            reason(&f.verifier, token, None).await,
            Some(Reason::BadSignature),
            "{capacity}"
        );
    }
}

#[tokio::test]
async fn clones_share_the_cache_and_its_bound_holds() {
    let f = fixture(Algorithm::HS256, 8);
    let clone = f.verifier.clone();
    let tokens: Vec<String> = (0..50)
        .map(|_| {
            let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
            issued.token.expose_secret().to_owned()
        })
        .collect();
    for token in &tokens {
        assert_eq!(reason(&f.verifier, token, None).await, None);
        assert_eq!(reason(&clone, token, None).await, None);
    }
    // Every token still verifies, whether it was kept or pushed out.
    for token in tokens.iter().rev() {
        assert_eq!(reason(&clone, token, None).await, None);
    }
}

/// Replaces the fixture's `k1` with a key the test holds, and returns it.
fn held_key(f: &TokenFixture) -> SigningKey {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    f.ring
        .add_signing_key(
            "k1",
            SigningKey::from_jwk(&key.to_private_jwk("k1")).unwrap(),
        )
        .unwrap();
    key
}

#[tokio::test]
async fn nbf_is_checked_again_on_every_hit() {
    let f = fixture(Algorithm::EdDSA, DEFAULT_CACHE_CAPACITY);
    let key = held_key(&f);
    let now = START.unix_timestamp();
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"acme","aud":"{AUDIENCE}","exp":{},"nbf":{},"iat":{now},"jti":"j1","client_id":"c","scope":"a"}}"#,
        now + 600,
        now + 60
    );
    let token = craft(
        r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}"#,
        &claims,
        &key,
    );
    // A clone whose clock is past nbf fills the shared cache…
    let late = f
        .verifier
        .clone()
        .with_clock(Arc::new(ManualClock::new(START + Duration::seconds(120))));
    assert_eq!(reason(&late, &token, None).await, None);
    // …and the verifier still at START refuses the token all the same.
    assert_eq!(
        reason(&f.verifier, &token, None).await,
        Some(Reason::NotYetValid)
    );
}

#[tokio::test]
async fn a_token_without_kid_is_never_taken_from_the_cache() {
    // k1 retires at START + 10 s; k2 signs. At START + 20 s only k2 is
    // live, so a token without kid verifies; at START both are, and it
    // must not.
    let f = fixture(Algorithm::EdDSA, DEFAULT_CACHE_CAPACITY);
    let retired = SigningKey::generate(Algorithm::EdDSA).unwrap();
    f.ring.add_signing_key("k0", retired).unwrap();
    assert!(f.ring.retire("k0", START + Duration::seconds(10)));
    f.ring.remove_retired(START);
    let signer = SigningKey::generate(Algorithm::EdDSA).unwrap();
    f.ring
        .add_signing_key(
            "k2",
            SigningKey::from_jwk(&signer.to_private_jwk("k2")).unwrap(),
        )
        .unwrap();
    // Only k0 (retiring) and k2 are left of what the test added; drop the
    // fixture's own k1 so that exactly these two remain.
    assert!(f.ring.retire("k1", START));
    f.ring.remove_retired(START);

    let token = craft(r#"{"alg":"EdDSA","typ":"at+jwt"}"#, &claims_json(), &signer);
    let late = f
        .verifier
        .clone()
        .with_clock(Arc::new(ManualClock::new(START + Duration::seconds(20))));
    assert_eq!(reason(&late, &token, None).await, None);
    assert_eq!(reason(&late, &token, None).await, None);
    assert_eq!(
        reason(&f.verifier, &token, None).await,
        Some(Reason::UnknownSigningKey)
    );
    assert_eq!(
        f.verifier.verify_token(&token).await.unwrap_err().reason(),
        Reason::UnknownSigningKey
    );
}

#[tokio::test]
async fn a_token_refused_for_its_claims_is_refused_every_time() {
    let f = fixture(Algorithm::EdDSA, DEFAULT_CACHE_CAPACITY);
    let key = held_key(&f);
    let header = r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}"#;
    let good = claims_json();
    let cases = [
        (
            good.replace(ISSUER, "https://elsewhere.example.com"),
            Reason::WrongIssuer,
        ),
        (
            good.replace(AUDIENCE, "https://other.example.com"),
            Reason::WrongAudience,
        ),
        (good.replace(r#""sub":"acme","#, ""), Reason::InvalidClaims),
    ];
    for (claims, expected) in &cases {
        assert_ne!(claims, &good);
        let token = craft(header, claims, &key);
        for presentation in 0..3 {
            assert_eq!(
                reason(&f.verifier, &token, None).await,
                Some(*expected),
                "{presentation}: {claims}"
            );
        }
    }
    // The same key and header with valid claims: kept, and accepted again.
    let token = craft(header, &good, &key);
    assert_eq!(reason(&f.verifier, &token, None).await, None);
    assert_eq!(reason(&f.verifier, &token, None).await, None);
}
