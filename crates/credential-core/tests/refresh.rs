//! Refresh tokens: rotation, honest retries, reuse detection under
//! concurrency, and type confusion.
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

use common::tokens::{TokenStack, token_stack};
use common::{Fixture, fixture, forge, pepper};
use credential_core::key::{KeyFormat, KeyStore, NewKey, Peppers};
use credential_core::token::{
    MemoryRefreshStore, RedeemError, Refresher, SamePrefix, TokenIssuer, TokenPair, TokenVerifier,
};
use credential_core::{CredentialVerifier, KeyRecord, Reason, Verifier};
use time::Duration;

struct World {
    keys: Fixture,
    key: credential_core::key::CreatedKey,
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    refresher: Refresher,
}

async fn world(grace: Duration) -> World {
    let keys = fixture();
    let key = keys
        .manager
        .create(NewKey::new(
            "acme",
            "reports:read reports:write".parse().unwrap(),
        ))
        .await
        .unwrap();
    let TokenStack {
        issuer,
        verifier,
        refresher,
    } = token_stack(&keys, grace);
    World {
        keys,
        key,
        issuer,
        verifier,
        refresher,
    }
}

impl World {
    fn record(&self) -> &KeyRecord {
        &self.key.record
    }

    /// Redeems a refresh token as the fixture's own client.
    async fn redeem(
        &self,
        presented: &str,
        scope: Option<&credential_core::scope::ScopeSet>,
    ) -> Result<TokenPair, RedeemError> {
        self.refresher
            .redeem(presented, scope, &self.issuer, self.key.record.id)
            .await
    }

    async fn exchange(&self) -> TokenPair {
        let access = self.issuer.mint_for_key(self.record(), None).unwrap();
        let record = self.record();
        let refresh = self
            .refresher
            .issue(record.id, &record.subject, &record.scopes, &access)
            .await
            .unwrap();
        TokenPair { access, refresh }
    }
}

#[tokio::test]
async fn a_redemption_rotates_both_tokens() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    assert!(first.refresh.expose_secret().starts_with("rt_"));
    w.keys.clock.advance(Duration::minutes(20));
    // The first access token has expired; the refresh token gets a new one.
    assert_eq!(
        w.verifier
            .verify(first.access.token.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Expired
    );
    let second = w.redeem(first.refresh.expose_secret(), None).await.unwrap();
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access.jti, first.access.jti);
    let principal = w
        .verifier
        .verify(second.access.token.expose_secret(), None)
        .await
        .unwrap();
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.client_id(), Some(w.record().id.as_str()));
    assert_eq!(principal.scopes().to_string(), "reports:read reports:write");

    // The successor works once, and may narrow the scope, never widen it.
    let narrow: credential_core::scope::ScopeSet = "reports:read".parse().unwrap();
    let third = w
        .redeem(second.refresh.expose_secret(), Some(&narrow))
        .await
        .unwrap();
    assert_eq!(third.access.scope, narrow);
    let wide: credential_core::scope::ScopeSet = "reports:read admin".parse().unwrap();
    assert_eq!(
        w.redeem(third.refresh.expose_secret(), Some(&wide))
            .await
            .unwrap_err(),
        RedeemError::InvalidScope
    );
    // The family keeps its original scope after a narrowed redemption.
    let fourth = w.redeem(third.refresh.expose_secret(), None).await.unwrap();
    assert_eq!(
        fourth.access.scope.to_string(),
        "reports:read reports:write"
    );
}

#[tokio::test]
async fn an_honest_retry_within_the_grace_gets_the_same_pair() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    let second = w.redeem(first.refresh.expose_secret(), None).await.unwrap();
    w.keys.clock.advance(Duration::seconds(4));
    let retry = w.redeem(first.refresh.expose_secret(), None).await.unwrap();
    assert_eq!(retry.refresh, second.refresh);
    assert_eq!(retry.access.token, second.access.token);
    assert_eq!(retry.access.jti, second.access.jti);
    // The family is intact: the successor still redeems.
    assert!(w.redeem(second.refresh.expose_secret(), None).await.is_ok());
}

#[tokio::test]
async fn reuse_after_the_grace_revokes_the_whole_family() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    let second = w.redeem(first.refresh.expose_secret(), None).await.unwrap();
    w.keys.clock.advance(Duration::seconds(5));
    assert_eq!(
        w.redeem(first.refresh.expose_secret(), None)
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant("reused")
    );
    // The live member of the family is dead too, and so are the access
    // tokens issued with the family.
    assert!(matches!(
        w.redeem(second.refresh.expose_secret(), None)
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant(_)
    ));
    for access in [&first.access, &second.access] {
        assert_eq!(
            w.verifier
                .verify(access.token.expose_secret(), None)
                .await
                .unwrap_err()
                .reason(),
            Reason::Revoked
        );
    }
    // Another family of the same key is unaffected.
    let other = w.exchange().await;
    assert!(w.redeem(other.refresh.expose_secret(), None).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redemptions_leave_exactly_one_live_branch() {
    let w = Arc::new(world(Duration::seconds(5)).await);
    let first = w.exchange().await;
    let presented = Arc::new(first.refresh.expose_secret().to_owned());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let w = Arc::clone(&w);
            let presented = Arc::clone(&presented);
            tokio::spawn(async move { w.redeem(&presented, None).await })
        })
        .collect();
    let mut pairs = Vec::new();
    for task in tasks {
        pairs.push(task.await.unwrap().unwrap());
    }
    // Every racer got the same pair: one successor, one branch.
    assert!(
        pairs
            .iter()
            .all(|p| p.refresh == pairs[0].refresh && p.access.token == pairs[0].access.token)
    );
    assert!(
        w.redeem(pairs[0].refresh.expose_secret(), None)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redemptions_without_grace_revoke_everything() {
    let w = Arc::new(world(Duration::ZERO).await);
    let first = w.exchange().await;
    let presented = Arc::new(first.refresh.expose_secret().to_owned());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let w = Arc::clone(&w);
            let presented = Arc::clone(&presented);
            tokio::spawn(async move { w.redeem(&presented, None).await })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Ok(pair) = task.await.unwrap() {
            winners.push(pair);
        }
    }
    // At most one redemption won; every loser was a reuse, which revoked
    // the family, the winner's successor included.
    assert!(winners.len() <= 1);
    for pair in &winners {
        assert!(w.redeem(pair.refresh.expose_secret(), None).await.is_err());
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_without_revoking_the_family() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    let presented = first.refresh.expose_secret();
    let id = &presented[3..19];
    let forged = forge("rt", id, &"Q".repeat(43));
    assert_eq!(
        w.redeem(&forged, None).await.unwrap_err(),
        RedeemError::InvalidGrant("wrong secret")
    );
    assert!(w.redeem(presented, None).await.is_ok());
}

#[tokio::test]
async fn a_revoked_key_can_no_longer_refresh() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    w.keys.manager.revoke(&w.record().id).await.unwrap();
    assert!(matches!(
        w.redeem(first.refresh.expose_secret(), None)
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant(_)
    ));
}

#[tokio::test]
async fn expired_refresh_tokens_are_refused() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    w.keys.clock.advance(Duration::days(30));
    assert_eq!(
        w.redeem(first.refresh.expose_secret(), None)
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant("expired")
    );
}

#[tokio::test]
async fn revocation_and_introspection_of_refresh_tokens() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    let record = w
        .refresher
        .inspect(first.refresh.expose_secret())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.client_id, w.record().id);
    assert_eq!(record.subject, "acme");
    assert!(w.refresher.inspect("rt_garbage").await.unwrap().is_none());

    assert!(
        w.refresher
            .revoke(first.refresh.expose_secret())
            .await
            .unwrap()
    );
    assert!(
        w.refresher
            .inspect(first.refresh.expose_secret())
            .await
            .unwrap()
            .is_none()
    );
    assert!(w.redeem(first.refresh.expose_secret(), None).await.is_err());
    assert_eq!(
        w.verifier
            .verify(first.access.token.expose_secret(), None)
            .await
            .unwrap_err()
            .reason(),
        Reason::Revoked
    );
    // Unknown tokens revoke nothing and are no error (RFC 7009).
    assert!(!w.refresher.revoke("not-a-token").await.unwrap());
}

#[tokio::test]
async fn credentials_of_one_kind_are_refused_where_another_is_expected() {
    let w = world(Duration::seconds(5)).await;
    let pair = w.exchange().await;
    // An access token or an API key offered as a refresh token.
    for wrong in [pair.access.token.expose_secret(), w.key.key.expose_secret()] {
        assert!(matches!(
            w.redeem(wrong, None).await.unwrap_err(),
            RedeemError::InvalidGrant(_)
        ));
    }
    // A refresh token offered as a bearer credential.
    let both = CredentialVerifier::new(w.keys.manager.verifier(), w.verifier.clone());
    let rejection = both
        .verify(pair.refresh.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::WrongPrefix);
    assert_eq!(rejection.public_face(&Default::default()).status(), 401);
    // Refresh tokens cannot share the API keys' prefix.
    let key_store: Arc<dyn KeyStore> = w.keys.store.clone();
    assert_eq!(
        Refresher::new(
            Arc::new(MemoryRefreshStore::new()),
            key_store,
            KeyFormat::new("sk_live").unwrap(),
            w.keys.manager.format(),
            Arc::new(Peppers::new(pepper(1))),
        )
        .unwrap_err(),
        SamePrefix
    );
}

#[tokio::test]
async fn a_family_loses_the_scopes_its_key_loses() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    w.keys
        .manager
        .update_scopes(&w.record().id, "reports:read".parse().unwrap())
        .await
        .unwrap();
    let second = w.redeem(first.refresh.expose_secret(), None).await.unwrap();
    assert_eq!(second.access.scope.to_string(), "reports:read");
    let write: credential_core::scope::ScopeSet = "reports:write".parse().unwrap();
    assert_eq!(
        w.redeem(second.refresh.expose_secret(), Some(&write))
            .await
            .unwrap_err(),
        RedeemError::InvalidScope
    );
    // A key that keeps none of the family's scopes ends the family.
    w.keys
        .manager
        .update_scopes(&w.record().id, "billing:read".parse().unwrap())
        .await
        .unwrap();
    assert!(matches!(
        w.redeem(second.refresh.expose_secret(), None)
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant(_)
    ));
}

#[tokio::test]
async fn a_refresh_token_redeems_only_for_its_own_client() {
    let w = world(Duration::seconds(5)).await;
    let first = w.exchange().await;
    let other = w
        .keys
        .manager
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        w.refresher
            .redeem(
                first.refresh.expose_secret(),
                None,
                &w.issuer,
                other.record.id
            )
            .await
            .unwrap_err(),
        RedeemError::InvalidGrant("issued to another client")
    );
    // Not consumed: the owner still redeems it.
    assert!(w.redeem(first.refresh.expose_secret(), None).await.is_ok());
}
