//! A fleet on PostgreSQL: two servers with their own caches share one
//! schema, and a revocation through one is refused by the other within
//! the push delay; a store cut off by a partition refuses with 503, never
//! allows, and recovers when the network comes back.
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
use std::time::{Duration, Instant};

use common::{Schemas, cleaning_up, unique_schema, url};
use credential_core::key::{CachedKeyStore, KeyFormat, KeyManager, NewKey, Pepper, Peppers};
use credential_core::testing::TcpProxy;
use credential_core::{Reason, Verifier};
use credential_postgres::PostgresStore;

/// One server of the fleet: its store connection, its cache following the
/// schema's notifications, and a manager over the cache.
async fn server(
    url: &str,
    schema: &str,
    pepper: &Pepper,
) -> (
    KeyManager<CachedKeyStore<PostgresStore>>,
    tokio::task::JoinHandle<()>,
) {
    let store = PostgresStore::builder(url)
        .schema(schema)
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let cached = CachedKeyStore::new(Arc::new(store.clone())).with_ttl(Duration::from_secs(60));
    let following = store.follow(cached.invalidator()).await.unwrap();
    let manager = KeyManager::new(
        Arc::new(cached),
        KeyFormat::new("sk_test").unwrap(),
        Peppers::new(Pepper::new(1, pepper.expose_secret()).unwrap()),
    );
    (manager, following)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_server_is_refused_by_the_other_within_the_push_delay() {
    let Some(url) = url("a_revocation_on_one_server_is_refused_by_the_other_within_the_push_delay")
    else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let schema = unique_schema();
    schemas.track(&schema);
    cleaning_up(&schemas, async move {
        let pepper = Pepper::generate(1).unwrap();
        let (one, one_listening) = server(&url, &schema, &pepper).await;
        let (two, two_listening) = server(&url, &schema, &pepper).await;
        let mut delays = Vec::new();
        for _ in 0..5 {
            let created = one
                .create(NewKey::new("acme", "reports:read".parse().unwrap()))
                .await
                .unwrap();
            let key = created.key.expose_secret();
            // Both servers have the key cached, valid.
            assert!(one.verifier().verify(key, None).await.is_ok());
            assert!(two.verifier().verify(key, None).await.is_ok());

            let revoked_at = Instant::now();
            one.revoke(&created.record.id).await.unwrap();
            let refused = loop {
                match two.verifier().verify(key, None).await {
                    Err(rejection) => break rejection,
                    Ok(_) => {
                        assert!(
                            revoked_at.elapsed() < Duration::from_secs(5),
                            "the other server kept accepting a revoked key"
                        );
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            };
            assert_eq!(refused.reason(), Reason::Revoked);
            delays.push(revoked_at.elapsed());
        }
        delays.sort();
        eprintln!("revocation seen by the other server after {delays:?}");
        // The target on loopback: well under the cache's 60 s TTL.
        assert!(delays[2] < Duration::from_millis(100), "{delays:?}");
        one_listening.abort();
        two_listening.abort();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_refuses_with_503_and_recovers() {
    let Some(url) = url("a_partition_refuses_with_503_and_recovers") else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let schema = unique_schema();
    schemas.track(&schema);
    cleaning_up(&schemas, async move {
        let direct: tokio_postgres::Config = url.parse().unwrap();
        let target = format!(
            "{}:{}",
            match &direct.get_hosts()[0] {
                tokio_postgres::config::Host::Tcp(host) => host.clone(),
                other => panic!("a TCP host is needed, not {other:?}"),
            },
            direct.get_ports().first().copied().unwrap_or(5432)
        );
        let target = tokio::net::lookup_host(target)
            .await
            .unwrap()
            .next()
            .unwrap();
        let proxy = TcpProxy::start(target).await.unwrap();
        // The same server, user and database, through the proxy.
        let mut config = tokio_postgres::Config::new();
        config.host("127.0.0.1").port(proxy.addr().port());
        if let Some(user) = direct.get_user() {
            config.user(user);
        }
        if let Some(password) = direct.get_password() {
            config.password(password);
        }
        if let Some(dbname) = direct.get_dbname() {
            config.dbname(dbname);
        }
        let timeout = Duration::from_millis(500);
        let store = credential_postgres::PostgresBuilder::from_config(config)
            .schema(&schema)
            .timeout(timeout)
            .connect()
            .await
            .unwrap();
        let cached = CachedKeyStore::new(Arc::new(store.clone()));
        let following = store.follow(cached.invalidator()).await.unwrap();
        let keys = KeyManager::new(
            Arc::new(cached),
            KeyFormat::new("sk_test").unwrap(),
            Peppers::new(Pepper::generate(1).unwrap()),
        );
        let created = keys
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        let key = created.key.expose_secret();
        assert!(keys.verifier().verify(key, None).await.is_ok());

        proxy.cut();
        // The lost listening connection empties the cache; every check then
        // needs the store, and fails closed within the timeout.
        let deadline = Instant::now() + Duration::from_secs(5);
        let refused = loop {
            let started = Instant::now();
            match keys.verifier().verify(key, None).await {
                Err(rejection) => {
                    assert!(started.elapsed() < timeout * 4, "{:?}", started.elapsed());
                    break rejection;
                }
                Ok(_) => {
                    assert!(Instant::now() < deadline, "the cut store kept allowing");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        assert_eq!(refused.reason(), Reason::StoreUnavailable);
        for _ in 0..3 {
            let again = keys.verifier().verify(key, None).await;
            assert_eq!(again.unwrap_err().reason(), Reason::StoreUnavailable);
        }

        proxy.restore();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match keys.verifier().verify(key, None).await {
                Ok(principal) => {
                    assert_eq!(principal.subject(), "acme");
                    break;
                }
                Err(rejection) => {
                    assert_eq!(rejection.reason(), Reason::StoreUnavailable);
                    assert!(Instant::now() < deadline, "the store did not come back");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        following.abort();
    })
    .await;
}
