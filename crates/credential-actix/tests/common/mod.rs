//! Fixtures shared by the integration tests: keys and tokens on a manual
//! clock over a store that can be taken down, and response assertions.

#![allow(dead_code, unreachable_pub)]

pub mod oauth;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test;
use async_trait::async_trait;
use credential_actix::CredentialAuth;
use credential_core::clock::ManualClock;
use credential_core::key::{
    CreatedKey, CreditSpend, KeyFormat, KeyHash, KeyId, KeyManager, KeyRecord, KeyStore, KeyUpdate,
    MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::oauth::OAuthEndpoints;
use credential_core::scope::{Requirement, ScopeSet};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRefreshStore, MemoryRevocationStore, Refresher, TokenIssuer, TokenVerifier,
    Validation,
};
use credential_core::{CredentialVerifier, FaceConfig, StoreError, Verification, Verifier};
use serde_json::Value;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub const START: OffsetDateTime = datetime!(2030-01-01 12:00 UTC);
pub const ISSUER: &str = "https://api.example";
pub const REALM: &str = "reports";
pub const PREFIX: &str = "sk_test";

/// A memory store that a test can take down, to see the request fail
/// closed.
#[derive(Debug, Default)]
pub struct SwitchStore {
    inner: MemoryKeyStore,
    down: AtomicBool,
}

impl SwitchStore {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn up(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl KeyStore for SwitchStore {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        self.up()?;
        self.inner.insert(record).await
    }

    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.up()?;
        self.inner.get(id).await
    }

    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.up()?;
        self.inner.list_by_subject(subject).await
    }

    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        self.up()?;
        self.inner.update(id, update).await
    }

    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        self.up()?;
        self.inner.roll(old, grace_until, new).await
    }

    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        self.up()?;
        self.inner.upgrade_hash(id, expected, new).await
    }

    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.up()?;
        self.inner.record_use(id, at).await
    }

    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        self.up()?;
        self.inner.spend_credit(id, now).await
    }
}

/// A verifier that counts its calls, in front of another.
#[derive(Debug)]
pub struct Counting<V> {
    pub inner: V,
    pub calls: Arc<AtomicUsize>,
}

impl<V: Verifier> Verifier for Counting<V> {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(credential, required)
    }
}

/// Keys, EdDSA access tokens and refresh tokens on one manual clock.
pub struct World {
    pub clock: ManualClock,
    pub store: Arc<SwitchStore>,
    pub manager: KeyManager<SwitchStore>,
    pub ring: KeyRing,
    pub issuer: TokenIssuer,
    pub tokens: TokenVerifier,
    pub revocations: Arc<MemoryRevocationStore>,
}

impl World {
    pub fn new() -> Self {
        let clock = ManualClock::new(START);
        let shared_clock = Arc::new(clock.clone());
        let store = Arc::new(SwitchStore::default());
        let revocations = Arc::new(MemoryRevocationStore::new());
        let manager = KeyManager::new(
            Arc::clone(&store),
            KeyFormat::new(PREFIX).unwrap(),
            Peppers::new(Pepper::generate(1).unwrap()),
        )
        .with_clock(shared_clock.clone())
        .with_token_revocation(revocations.clone(), Duration::minutes(15));
        let ring = KeyRing::new();
        ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA).unwrap())
            .unwrap();
        let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_clock(shared_clock.clone());
        let tokens = TokenVerifier::new(ring.clone(), Validation::new(ISSUER))
            .with_revocations(revocations.clone())
            .with_clock(shared_clock);
        Self {
            clock,
            store,
            manager,
            ring,
            issuer,
            tokens,
            revocations,
        }
    }

    pub async fn key(&self, scopes: &str) -> CreatedKey {
        self.create(NewKey::new("acme", scopes.parse().unwrap()))
            .await
    }

    pub async fn create(&self, new: NewKey) -> CreatedKey {
        self.manager.create(new).await.unwrap()
    }

    /// An access token for `key`, narrowed to `scopes` when given.
    pub fn token(&self, key: &CreatedKey, scopes: Option<&str>) -> String {
        let scopes: Option<ScopeSet> = scopes.map(|s| s.parse().unwrap());
        self.issuer
            .mint_for_key(&key.record, scopes.as_ref())
            .unwrap()
            .token
            .expose_secret()
            .to_owned()
    }

    /// Keys and tokens through one verifier.
    pub fn verifier(&self) -> CredentialVerifier<SwitchStore> {
        CredentialVerifier::new(self.manager.verifier(), self.tokens.clone())
    }

    /// Middleware over [`verifier`](Self::verifier), realm [`REALM`].
    pub fn auth(&self) -> CredentialAuth {
        CredentialAuth::new(self.verifier()).realm(REALM).unwrap()
    }

    /// A refresher (prefix `rt_test`) with the given reuse grace.
    pub fn refresher(&self, grace: Duration) -> Refresher {
        let keys: Arc<dyn KeyStore> = self.store.clone();
        Refresher::new(
            Arc::new(MemoryRefreshStore::new()),
            keys,
            KeyFormat::new("rt_test").unwrap(),
            self.manager.format(),
            Arc::new(Peppers::new(Pepper::generate(1).unwrap())),
        )
        .unwrap()
        .with_reuse_grace(grace)
        .with_revocations(self.revocations.clone())
        .with_clock(Arc::new(self.clock.clone()))
    }

    /// The OAuth endpoints, with a refresher.
    pub fn endpoints(&self) -> OAuthEndpoints<SwitchStore> {
        OAuthEndpoints::new(
            self.manager.verifier(),
            self.issuer.clone(),
            self.tokens.clone(),
        )
        .with_refresher(self.refresher(Duration::seconds(5)))
        .with_clock(Arc::new(self.clock.clone()))
    }

    pub fn faces(&self) -> FaceConfig {
        FaceConfig::new(REALM).unwrap()
    }
}

/// A response's parts, read once.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn of<B: MessageBody>(response: ServiceResponse<B>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        Self {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// Status, `WWW-Authenticate`, `Retry-After`, content type and the
    /// exact JSON body of a refusal.
    pub fn assert_refusal(
        &self,
        status: u16,
        challenge: Option<&str>,
        retry_after: Option<&str>,
        error: &str,
        description: &str,
    ) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("www-authenticate"), challenge, "{self:?}");
        assert_eq!(self.header("retry-after"), retry_after, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(
            self.json(),
            serde_json::json!({ "error": error, "error_description": description }),
            "{self:?}"
        );
    }
}

/// The challenge of realm [`REALM`], with the given attributes after it.
pub fn challenge(attributes: &str) -> String {
    if attributes.is_empty() {
        format!(r#"Bearer realm="{REALM}""#)
    } else {
        format!(r#"Bearer realm="{REALM}", {attributes}"#)
    }
}
