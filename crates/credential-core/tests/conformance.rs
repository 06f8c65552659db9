//! The in-memory stores pass the store conformance suite.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::sync::Arc;

use credential_core::key::MemoryKeyStore;
use credential_core::ratelimit::MemoryRateLimiter;
use credential_core::testing::conformance;
use credential_core::token::{MemoryRefreshStore, MemoryRevocationStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_key_store_conforms() {
    conformance::key_store(|| async { Ok(Arc::new(MemoryKeyStore::new())) })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_rate_limiter_conforms() {
    conformance::rate_limiter(|| async { Ok(Arc::new(MemoryRateLimiter::new())) })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_revocation_store_conforms() {
    conformance::revocation_store(|| async { Ok(Arc::new(MemoryRevocationStore::new())) })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_refresh_store_conforms() {
    conformance::refresh_store(|| async { Ok(Arc::new(MemoryRefreshStore::new())) })
        .await
        .unwrap();
}

/// A key store that never runs out of credits, and a revocation store
/// that forgets entries at once: the suite must catch both.
mod broken {
    use async_trait::async_trait;
    use credential_core::StoreError;
    use credential_core::key::{
        CreditSpend, KeyHash, KeyId, KeyRecord, KeyStore, KeyUpdate, MemoryKeyStore,
    };
    use credential_core::token::{MemoryRevocationStore, RevocationStore};
    use std::sync::Arc;
    use time::OffsetDateTime;

    #[derive(Debug, Default)]
    pub(crate) struct Bottomless(MemoryKeyStore);

    #[async_trait]
    impl KeyStore for Bottomless {
        async fn insert(&self, record: KeyRecord) -> Result<(), StoreError> {
            self.0.insert(record).await
        }
        async fn get(&self, id: &KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
            self.0.get(id).await
        }
        async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, StoreError> {
            self.0.list_by_subject(subject).await
        }
        async fn update(
            &self,
            id: &KeyId,
            update: KeyUpdate,
        ) -> Result<Arc<KeyRecord>, StoreError> {
            self.0.update(id, update).await
        }
        async fn roll(
            &self,
            old: &KeyId,
            grace_until: OffsetDateTime,
            new: KeyRecord,
        ) -> Result<(), StoreError> {
            self.0.roll(old, grace_until, new).await
        }
        async fn upgrade_hash(
            &self,
            id: &KeyId,
            expected: &KeyHash,
            new: KeyHash,
        ) -> Result<bool, StoreError> {
            self.0.upgrade_hash(id, expected, new).await
        }
        async fn record_use(&self, id: &KeyId, at: OffsetDateTime) -> Result<(), StoreError> {
            self.0.record_use(id, at).await
        }
        async fn spend_credit(
            &self,
            id: &KeyId,
            now: OffsetDateTime,
        ) -> Result<CreditSpend, StoreError> {
            match self.0.spend_credit(id, now).await? {
                CreditSpend::Exhausted { .. } => Ok(CreditSpend::Spent { remaining: 0 }),
                other => Ok(other),
            }
        }
    }

    #[derive(Debug, Default)]
    pub(crate) struct Forgetful(MemoryRevocationStore);

    #[async_trait]
    impl RevocationStore for Forgetful {
        async fn revoke_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
            self.0.revoke_token(jti, until).await
        }
        async fn revoke_client(
            &self,
            client_id: &str,
            issued_up_to: OffsetDateTime,
            until: OffsetDateTime,
        ) -> Result<(), StoreError> {
            self.0.revoke_client(client_id, issued_up_to, until).await
        }
        async fn is_revoked(
            &self,
            jti: Option<&str>,
            client_id: Option<&str>,
            issued_at: Option<OffsetDateTime>,
        ) -> Result<bool, StoreError> {
            self.0.is_revoked(jti, client_id, issued_at).await
        }
        async fn purge_expired(&self, _: OffsetDateTime) -> Result<usize, StoreError> {
            // Purges everything, whatever the time.
            self.0
                .purge_expired(OffsetDateTime::now_utc() + time::Duration::days(3650))
                .await
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_catches_a_store_that_over_spends_or_forgets() {
    let failure = conformance::key_store(|| async { Ok(Arc::new(broken::Bottomless::default())) })
        .await
        .unwrap_err();
    assert_eq!(failure.check, "credits_under_concurrency", "{failure}");
    let failure =
        conformance::revocation_store(|| async { Ok(Arc::new(broken::Forgetful::default())) })
            .await
            .unwrap_err();
    assert_eq!(failure.check, "revocation_store", "{failure}");
    assert!(failure.detail.contains("kept until"), "{failure}");
}

/// The proxy forwards, cuts open connections and refuses new ones, and
/// forwards again once restored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tcp_proxy_cuts_and_restores() {
    use credential_core::testing::TcpProxy;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::{TcpListener, TcpStream};

    // An echo server.
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = server.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = server.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let proxy = TcpProxy::start(target).await.unwrap();
    let echo = |mut stream: TcpStream| async move {
        stream.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(
            std::time::Duration::from_secs(2),
            stream.read_exact(&mut buf),
        )
        .await??;
        Ok::<_, Box<dyn std::error::Error>>(buf)
    };
    let open = TcpStream::connect(proxy.addr()).await.unwrap();
    let mut held = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(&echo(open).await.unwrap(), b"ping");

    proxy.cut();
    assert!(!proxy.is_up());
    // The open connection is closed: a read ends instead of hanging.
    let mut buf = [0u8; 4];
    let read = tokio::time::timeout(std::time::Duration::from_secs(2), held.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    // New connections are dropped.
    let refused = TcpStream::connect(proxy.addr()).await.unwrap();
    assert!(echo(refused).await.is_err());

    proxy.restore();
    let again = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(&echo(again).await.unwrap(), b"ping");

    // Frozen: the connection stays open and nothing comes back.
    let mut frozen = TcpStream::connect(proxy.addr()).await.unwrap();
    proxy.freeze();
    frozen.write_all(b"ping").await.unwrap();
    let silent =
        tokio::time::timeout(std::time::Duration::from_millis(300), frozen.read(&mut buf)).await;
    assert!(silent.is_err(), "a frozen connection answered: {silent:?}");
    // A reset drops it; new connections go through.
    proxy.reset();
    let read = tokio::time::timeout(std::time::Duration::from_secs(2), frozen.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    let fresh = TcpStream::connect(proxy.addr()).await.unwrap();
    assert_eq!(&echo(fresh).await.unwrap(), b"ping");
}
