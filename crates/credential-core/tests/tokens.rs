//! Minting, verifying, revoking and dispatching access tokens.
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
use common::tokens::{AUDIENCE, ISSUER, token_fixture};
use credential_core::key::NewKey;
use credential_core::scope::Requirement;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{IssueError, TokenVerifier, UntrustedToken, Validation};
use credential_core::{CredentialKind, CredentialVerifier, FaceConfig, Reason, Verifier};
use time::Duration;

#[tokio::test]
async fn minted_tokens_carry_rfc_9068_claims_for_every_signing_algorithm() {
    for alg in [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256] {
        let f = token_fixture(alg);
        let issued = f
            .issuer
            .mint("acme", "0123456789abcdef", &"a b:c".parse().unwrap())
            .unwrap();
        assert_eq!(issued.expires_at, START + Duration::minutes(15));
        let untrusted = UntrustedToken::parse(issued.token.expose_secret(), 8192).unwrap();
        assert_eq!(untrusted.header().algorithm(), alg);
        assert_eq!(untrusted.header().token_type(), Some("at+jwt"));
        assert_eq!(untrusted.header().key_id(), Some("k1"));

        let verified = f
            .verifier
            .verify_token(issued.token.expose_secret())
            .await
            .unwrap();
        let claims = verified.claims();
        assert_eq!(claims.issuer(), Some(ISSUER));
        assert_eq!(claims.subject(), Some("acme"));
        assert_eq!(claims.audience(), [AUDIENCE.to_owned()]);
        assert_eq!(claims.client_id(), Some("0123456789abcdef"));
        assert_eq!(claims.token_id(), Some(issued.jti.as_str()));
        assert_eq!(claims.issued_at(), Some(START));
        assert_eq!(claims.expires_at(), Some(START + Duration::minutes(15)));
        assert_eq!(claims.scope().to_string(), "a b:c");
        assert_eq!(issued.jti.len(), 22);

        let principal = f
            .verifier
            .verify(issued.token.expose_secret(), None)
            .await
            .unwrap();
        assert_eq!(principal.kind(), CredentialKind::AccessToken);
        assert_eq!(principal.subject(), "acme");
        assert_eq!(principal.client_id(), Some("0123456789abcdef"));
        assert_eq!(principal.key_id(), None);
        assert_eq!(principal.scopes().to_string(), "a b:c");
    }
}

#[tokio::test]
async fn jtis_are_unique() {
    let f = token_fixture(Algorithm::HS256);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
        assert!(seen.insert(issued.jti));
    }
}

#[tokio::test]
async fn scope_requirements_apply_to_tokens() {
    let f = token_fixture(Algorithm::EdDSA);
    let issued = f
        .issuer
        .mint("acme", "c", &"reports:*".parse().unwrap())
        .unwrap();
    let read: Requirement = "reports:read".parse().unwrap();
    assert!(
        f.verifier
            .verify(issued.token.expose_secret(), Some(&read))
            .await
            .is_ok()
    );
    let admin: Requirement = "admin".parse().unwrap();
    let rejection = f
        .verifier
        .verify(issued.token.expose_secret(), Some(&admin))
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::InsufficientScope);
    assert_eq!(
        rejection
            .public_face(&FaceConfig::default())
            .www_authenticate(),
        Some(r#"Bearer realm="api", error="insufficient_scope", scope="admin""#)
    );
}

#[tokio::test]
async fn a_key_exchange_only_narrows_scope() {
    let keys = common::fixture();
    let created = keys
        .manager
        .create(NewKey::new(
            "acme",
            "reports:read reports:write billing:*".parse().unwrap(),
        ))
        .await
        .unwrap();
    let f = token_fixture(Algorithm::EdDSA);
    let all = f.issuer.mint_for_key(&created.record, None).unwrap();
    assert_eq!(
        all.scope.to_string(),
        "billing:* reports:read reports:write"
    );
    let narrow = f
        .issuer
        .mint_for_key(
            &created.record,
            Some(&"billing:invoices:read".parse().unwrap()),
        )
        .unwrap();
    assert_eq!(narrow.scope.to_string(), "billing:invoices:read");
    for wider in ["admin", "reports:*", "billing", "reports:read admin"] {
        assert_eq!(
            f.issuer
                .mint_for_key(&created.record, Some(&wider.parse().unwrap()))
                .unwrap_err(),
            IssueError::InvalidScope,
            "{wider}"
        );
    }
    let principal = f
        .verifier
        .verify(narrow.token.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(principal.client_id(), Some(created.record.id.as_str()));
    assert_eq!(principal.subject(), "acme");
}

#[tokio::test]
async fn tokens_are_revocable_by_jti_until_they_expire() {
    let f = token_fixture(Algorithm::EdDSA);
    let a = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    let b = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    use credential_core::token::RevocationStore;
    f.revocations
        .revoke_token(&a.jti, a.expires_at)
        .await
        .unwrap();
    let rejection = f
        .verifier
        .verify(a.token.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::Revoked);
    assert_eq!(rejection.public_face(&FaceConfig::default()).status(), 401);
    assert!(
        f.verifier
            .verify(b.token.expose_secret(), None)
            .await
            .is_ok()
    );

    // The entry is kept until the token's exp and dropped after it.
    assert_eq!(
        f.revocations
            .purge_expired(a.expires_at - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(f.revocations.purge_expired(a.expires_at).await.unwrap(), 1);
    assert!(f.revocations.is_empty());
}

#[tokio::test]
async fn revoking_a_client_revokes_the_tokens_issued_to_it() {
    use credential_core::token::RevocationStore;
    let f = token_fixture(Algorithm::EdDSA);
    let mine = f
        .issuer
        .mint("acme", "client1", &"a".parse().unwrap())
        .unwrap();
    let other = f
        .issuer
        .mint("acme", "client2", &"a".parse().unwrap())
        .unwrap();
    f.revocations
        .revoke_client("client1", START, START + Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(
        f.verifier
            .verify(mine.token.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );
    assert!(
        f.verifier
            .verify(other.token.expose_secret(), None)
            .await
            .is_ok()
    );
    // A token issued to the client after the revocation time is not hit.
    f.clock.advance(Duration::seconds(1));
    let later = f
        .issuer
        .mint("acme", "client1", &"a".parse().unwrap())
        .unwrap();
    assert!(
        f.verifier
            .verify(later.token.expose_secret(), None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn revoking_an_api_key_revokes_its_tokens() {
    let keys = common::fixture();
    let f = token_fixture(Algorithm::EdDSA);
    let manager = keys
        .manager
        .with_token_revocation(f.revocations.clone(), Duration::minutes(15));
    let created = manager
        .create(NewKey::new("acme", "a".parse().unwrap()))
        .await
        .unwrap();
    let token = f.issuer.mint_for_key(&created.record, None).unwrap();
    assert!(
        f.verifier
            .verify(token.token.expose_secret(), None)
            .await
            .is_ok()
    );
    manager.revoke(&created.record.id).await.unwrap();
    assert_eq!(
        f.verifier
            .verify(token.token.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );
}

#[tokio::test]
async fn a_failing_revocation_store_is_503() {
    #[derive(Debug)]
    struct Down;
    #[async_trait::async_trait]
    impl credential_core::token::RevocationStore for Down {
        async fn revoke_token(
            &self,
            _: &str,
            _: time::OffsetDateTime,
        ) -> Result<(), credential_core::StoreError> {
            Err(credential_core::StoreError::unavailable("down"))
        }
        async fn revoke_client(
            &self,
            _: &str,
            _: time::OffsetDateTime,
            _: time::OffsetDateTime,
        ) -> Result<(), credential_core::StoreError> {
            Err(credential_core::StoreError::unavailable("down"))
        }
        async fn is_revoked(
            &self,
            _: Option<&str>,
            _: Option<&str>,
            _: Option<time::OffsetDateTime>,
        ) -> Result<bool, credential_core::StoreError> {
            Err(credential_core::StoreError::unavailable("down"))
        }
        async fn purge_expired(
            &self,
            _: time::OffsetDateTime,
        ) -> Result<usize, credential_core::StoreError> {
            Err(credential_core::StoreError::unavailable("down"))
        }
    }
    let f = token_fixture(Algorithm::EdDSA);
    let verifier = TokenVerifier::new(f.ring.clone(), common::tokens::validation())
        .with_revocations(Arc::new(Down))
        .with_clock(Arc::new(f.clock.clone()));
    let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    let rejection = verifier
        .verify(issued.token.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
    assert_eq!(rejection.public_face(&FaceConfig::default()).status(), 503);
}

#[tokio::test]
async fn one_verifier_takes_keys_and_tokens_from_the_same_header() {
    let keys = common::fixture();
    let f = token_fixture(Algorithm::EdDSA);
    let created = keys.key("a").await;
    let token = f.issuer.mint_for_key(&created.record, None).unwrap();
    let both = CredentialVerifier::new(keys.manager.verifier(), f.verifier.clone());

    let by_key = both
        .verify(created.key.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(by_key.kind(), CredentialKind::ApiKey);
    let by_token = both
        .verify(token.token.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(by_token.kind(), CredentialKind::AccessToken);
    assert_eq!(by_key.subject(), by_token.subject());
    assert_eq!(by_key.client_id(), by_token.client_id());

    // Each verifier alone refuses the other kind.
    let keys_only = CredentialVerifier::keys_only(keys.manager.verifier());
    assert_eq!(
        keys_only
            .verify(token.token.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Malformed
    );
    let tokens_only = CredentialVerifier::tokens_only(f.verifier.clone());
    assert_eq!(
        tokens_only
            .verify(created.key.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Malformed
    );
    // And a token verifier given a key directly does not accept it.
    assert!(
        f.verifier
            .verify(created.key.expose_secret(), None)
            .await
            .is_err()
    );
    assert!(
        keys.manager
            .verifier()
            .verify(token.token.expose_secret(), None)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ring_changes_safely_under_concurrent_verification() {
    let f = token_fixture(Algorithm::EdDSA);
    let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    let verifier = Arc::new(f.verifier.clone());
    let token = Arc::new(issued.token.expose_secret().to_owned());
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let verifier = Arc::clone(&verifier);
            let token = Arc::clone(&token);
            tokio::spawn(async move {
                for _ in 0..300 {
                    verifier.verify(&token, None).await.unwrap();
                }
            })
        })
        .collect();
    for i in 0..50 {
        let kid = format!("extra{i}");
        f.ring
            .add_verifying_key(
                &kid,
                SigningKey::generate(Algorithm::HS256)
                    .unwrap()
                    .verifying_key(),
            )
            .unwrap();
        f.ring.retire(&kid, START);
        tokio::task::yield_now().await;
    }
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(f.ring.remove_retired(START), 50);
    assert!(verifier.verify(&token, None).await.is_ok());
}

#[tokio::test]
async fn the_jwks_holds_public_keys_only() {
    let f = token_fixture(Algorithm::EdDSA);
    f.ring
        .add_verifying_key(
            "hs",
            SigningKey::generate(Algorithm::HS256)
                .unwrap()
                .verifying_key(),
        )
        .unwrap();
    f.ring
        .rotate(
            "es",
            SigningKey::generate(Algorithm::ES256).unwrap(),
            START + Duration::hours(1),
        )
        .unwrap();
    let json = f.ring.public_jwks().to_public_json();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys = parsed["keys"].as_array().unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, ["es", "k1"]);
    for key in keys {
        for private in ["d", "k", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} exported in {key}");
        }
    }
    // A verifier built from the published JWKS accepts the ring's tokens.
    let issued = f.issuer.mint("acme", "c", &"a".parse().unwrap()).unwrap();
    let remote = credential_core::token::KeyRing::new();
    let jwks = credential_core::token::jose::JwkSet::parse(json.as_bytes()).unwrap();
    assert_eq!(remote.add_jwks(&jwks).unwrap(), 2);
    let verifier = TokenVerifier::new(remote, Validation::new(ISSUER).with_audience(AUDIENCE))
        .with_clock(Arc::new(f.clock.clone()));
    assert!(
        verifier
            .verify(issued.token.expose_secret(), None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_token_cannot_mint_another_token() {
    let f = token_fixture(Algorithm::EdDSA);
    let issued = f
        .issuer
        .mint("acme", "0123456789abcdef", &"a".parse().unwrap())
        .unwrap();
    let principal = f
        .verifier
        .verify(issued.token.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(
        f.issuer.mint_for(&principal, None).unwrap_err(),
        IssueError::NotAnApiKey
    );
}

/// With an in-memory revocation store nothing waits: the outcome of a
/// verification is known when `verify` returns, accepted or refused.
#[tokio::test]
async fn tokens_checked_against_a_memory_revocation_store_need_no_waiting() {
    use credential_core::token::RevocationStore;

    let f = token_fixture(Algorithm::HS256);
    let issued = f
        .issuer
        .mint("acme", "0123456789abcdef", &"a b".parse().unwrap())
        .unwrap();
    let token = issued.token.expose_secret();
    let accepted = f.verifier.verify(token, None).now().unwrap().unwrap();
    assert_eq!(accepted.kind(), CredentialKind::AccessToken);
    let required: Requirement = "c".parse().unwrap();
    let narrow = f.verifier.verify(token, Some(&required)).now().unwrap();
    assert_eq!(narrow.unwrap_err().reason(), Reason::InsufficientScope);

    f.revocations
        .revoke_token(&issued.jti, START + Duration::hours(1))
        .await
        .unwrap();
    let revoked = f.verifier.verify(token, None).now().unwrap();
    assert_eq!(revoked.unwrap_err().reason(), Reason::Revoked);
    let tampered = format!("{token}x");
    let refused = f.verifier.verify(&tampered, None).now().unwrap();
    assert!(refused.is_err());
}

/// A revocation store that answers only asynchronously, like one across
/// a network, and can fail.
#[derive(Debug, Default)]
struct RemoteRevocations {
    inner: credential_core::token::MemoryRevocationStore,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl credential_core::token::RevocationStore for RemoteRevocations {
    async fn revoke_token(
        &self,
        jti: &str,
        until: time::OffsetDateTime,
    ) -> Result<(), credential_core::StoreError> {
        self.inner.revoke_token(jti, until).await
    }

    async fn revoke_client(
        &self,
        client_id: &str,
        issued_up_to: time::OffsetDateTime,
        until: time::OffsetDateTime,
    ) -> Result<(), credential_core::StoreError> {
        self.inner
            .revoke_client(client_id, issued_up_to, until)
            .await
    }

    async fn is_revoked(
        &self,
        jti: Option<&str>,
        client_id: Option<&str>,
        issued_at: Option<time::OffsetDateTime>,
    ) -> Result<bool, credential_core::StoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(credential_core::StoreError::unavailable("timed out"));
        }
        self.inner.is_revoked(jti, client_id, issued_at).await
    }

    async fn purge_expired(
        &self,
        now: time::OffsetDateTime,
    ) -> Result<usize, credential_core::StoreError> {
        self.inner.purge_expired(now).await
    }
}

#[tokio::test]
async fn tokens_checked_against_a_remote_revocation_store_wait_for_its_answer() {
    use credential_core::token::RevocationStore;

    let f = token_fixture(Algorithm::EdDSA);
    let remote = Arc::new(RemoteRevocations::default());
    let verifier = TokenVerifier::new(f.ring.clone(), common::tokens::validation())
        .with_revocations(remote.clone())
        .with_clock(Arc::new(f.clock.clone()));
    let issued = f
        .issuer
        .mint("acme", "0123456789abcdef", &"a".parse().unwrap())
        .unwrap();
    let token = issued.token.expose_secret();

    let waiting = verifier.verify(token, None).now().unwrap_err();
    assert_eq!(waiting.await.unwrap().subject(), "acme");
    remote
        .revoke_token(&issued.jti, START + Duration::hours(1))
        .await
        .unwrap();
    let revoked = verifier.verify(token, None).await.unwrap_err();
    assert_eq!(revoked.reason(), Reason::Revoked);
    remote.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let down = verifier.verify(token, None).await.unwrap_err();
    assert_eq!(down.reason(), Reason::StoreUnavailable);
}
