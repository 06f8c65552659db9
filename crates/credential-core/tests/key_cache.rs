//! The key-store cache: it passes the conformance suite, spares the store,
//! serves changes made elsewhere for at most its TTL or until a push, and
//! never caches an error.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use credential_core::key::{
    CachedKeyStore, CreditSpend, Invalidation, KeyFormat, KeyHash, KeyId, KeyManager, KeyRecord,
    KeyStore, KeyUpdate, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::testing::{SwitchStore, conformance};
use credential_core::{Reason, StoreError, Verifier};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

fn manager<S: KeyStore + ?Sized>(store: Arc<S>, pepper: &Pepper) -> KeyManager<S> {
    KeyManager::new(
        store,
        KeyFormat::new("sk_test").unwrap(),
        Peppers::new(Pepper::new(1, pepper.expose_secret()).unwrap()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_conforms() {
    conformance::key_store(|| async {
        Ok(Arc::new(CachedKeyStore::new(Arc::new(
            MemoryKeyStore::new(),
        ))))
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn known_and_unknown_ids_reach_the_store_once_per_ttl() {
    let shared = Arc::new(SwitchStore::default());
    let pepper = Pepper::generate(1).unwrap();
    let cached = Arc::new(CachedKeyStore::new(Arc::clone(&shared)));
    let keys = manager(Arc::clone(&cached), &pepper);
    let key = keys
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let verifier = keys.verifier();
    let before = shared.gets();
    for _ in 0..100 {
        assert!(verifier.verify(key.key.expose_secret(), None).await.is_ok());
    }
    assert_eq!(shared.gets() - before, 1);

    // A well-formed key whose id the store does not know.
    let other = manager(Arc::new(MemoryKeyStore::new()), &pepper)
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let before = shared.gets();
    for _ in 0..100 {
        let refused = verifier.verify(other.key.expose_secret(), None).await;
        assert_eq!(refused.unwrap_err().reason(), Reason::UnknownKey);
    }
    assert_eq!(shared.gets() - before, 1);
}

#[tokio::test]
async fn a_change_made_elsewhere_is_seen_after_the_ttl_or_a_push() {
    let shared = Arc::new(SwitchStore::default());
    let pepper = Pepper::generate(1).unwrap();
    let ttl = Duration::from_millis(300);
    let cached = Arc::new(CachedKeyStore::new(Arc::clone(&shared)).with_ttl(ttl));
    assert_eq!(cached.ttl(), ttl);
    let here = manager(Arc::clone(&cached), &pepper);
    // Another server, on the same shared store, without this cache.
    let elsewhere = manager(Arc::clone(&shared), &pepper);
    let verifier = here.verifier();

    let key = here
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let secret = key.key.expose_secret();
    assert!(verifier.verify(secret, None).await.is_ok());
    elsewhere.revoke(&key.record.id).await.unwrap();
    // Served from the cache until the TTL passes...
    assert!(verifier.verify(secret, None).await.is_ok());
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    // ...then read again.
    let refused = verifier.verify(secret, None).await.unwrap_err();
    assert_eq!(refused.reason(), Reason::Revoked);

    // A push makes the change visible at once.
    let pushed = here
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let secret = pushed.key.expose_secret();
    assert!(verifier.verify(secret, None).await.is_ok());
    elsewhere.disable(&pushed.record.id).await.unwrap();
    cached
        .invalidator()
        .apply(Invalidation::Key(pushed.record.id));
    assert_eq!(
        verifier.verify(secret, None).await.unwrap_err().reason(),
        Reason::Disabled
    );
    elsewhere.enable(&pushed.record.id).await.unwrap();
    cached.invalidator().apply(Invalidation::All);
    assert!(verifier.verify(secret, None).await.is_ok());

    // A change made through the cache is seen at once.
    here.revoke(&pushed.record.id).await.unwrap();
    assert_eq!(
        verifier.verify(secret, None).await.unwrap_err().reason(),
        Reason::Revoked
    );
}

#[tokio::test]
async fn errors_are_never_cached_and_unknown_ids_cannot_evict_keys() {
    let shared = Arc::new(SwitchStore::default());
    let pepper = Pepper::generate(1).unwrap();
    let cached = Arc::new(CachedKeyStore::new(Arc::clone(&shared)).with_capacity(10, 5));
    let keys = manager(Arc::clone(&cached), &pepper);
    let verifier = keys.verifier();
    let key = keys
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();

    shared.set_down(true);
    let refused = verifier.verify(key.key.expose_secret(), None).await;
    assert_eq!(refused.unwrap_err().reason(), Reason::StoreUnavailable);
    shared.set_down(false);
    assert!(verifier.verify(key.key.expose_secret(), None).await.is_ok());

    // Many more unknown ids than the negative bound: the key stays cached.
    let strangers = manager(Arc::new(MemoryKeyStore::new()), &pepper);
    for _ in 0..20 {
        let stranger = strangers
            .create(NewKey::new("mallory", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        let _ = verifier.verify(stranger.key.expose_secret(), None).await;
    }
    let before = shared.gets();
    assert!(verifier.verify(key.key.expose_secret(), None).await.is_ok());
    assert_eq!(shared.gets(), before);
}

/// A store whose lookups wait for a permit, so a test can change things
/// while one is in flight.
#[derive(Debug)]
struct Gated {
    inner: MemoryKeyStore,
    permits: Semaphore,
}

#[async_trait]
impl KeyStore for Gated {
    async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
        self.inner.insert(record).await
    }
    async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let found = self.inner.get(id).await;
        self.permits.acquire().await.unwrap().forget();
        found
    }
    async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
        self.inner.list_by_subject(subject).await
    }
    async fn update(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, StoreError> {
        self.inner.update(id, update).await
    }
    async fn roll(
        &self,
        old: &KeyId,
        grace_until: OffsetDateTime,
        new: KeyRecord,
    ) -> Result<(), StoreError> {
        self.inner.roll(old, grace_until, new).await
    }
    async fn upgrade_hash(
        &self,
        id: &KeyId,
        expected: &KeyHash,
        new: KeyHash,
    ) -> Result<bool, StoreError> {
        self.inner.upgrade_hash(id, expected, new).await
    }
    async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.inner.record_use(id, at).await
    }
    async fn spend_credit(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<CreditSpend, StoreError> {
        self.inner.spend_credit(id, now).await
    }
}

/// A record read before a push arrived is not kept: it may predate the
/// change the push announces.
#[tokio::test]
async fn a_read_overtaken_by_a_push_is_not_kept() {
    let gated = Arc::new(Gated {
        inner: MemoryKeyStore::new(),
        permits: Semaphore::new(0),
    });
    let cached = Arc::new(CachedKeyStore::new(Arc::clone(&gated)));
    let pepper = Pepper::generate(1).unwrap();
    let keys = manager(Arc::clone(&gated), &pepper);
    let key = keys
        .create(NewKey::new("acme", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let id = key.record.id;

    let reading = tokio::spawn({
        let cached = Arc::clone(&cached);
        async move { cached.get(&id).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Revoked elsewhere while the read is in flight, and pushed.
    keys.revoke(&id).await.unwrap();
    cached.invalidator().apply(Invalidation::Key(id));
    gated.permits.add_permits(1);
    let stale = reading.await.unwrap().unwrap().unwrap();
    assert!(stale.revoked_at.is_none());

    // The next lookup reads the store again and sees the revocation.
    gated.permits.add_permits(1);
    let fresh = cached.get(&id).await.unwrap().unwrap();
    assert!(fresh.revoked_at.is_some());

    // With nothing pushed meanwhile, the read is kept: no third lookup.
    let again = cached.get(&id).await.unwrap().unwrap();
    assert!(again.revoked_at.is_some());
    assert_eq!(gated.permits.available_permits(), 0);
}
