//! Notifications reach subscribers, and an unreachable or silent server
//! makes calls fail within the timeout instead of hanging or answering
//! "not found".
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

use credential_core::StoreError;
use credential_core::key::{KeyFormat, KeyId, KeyManager, KeyStore, NewKey, Pepper, Peppers};
use credential_core::ratelimit::{RateLimit, RateLimiter};
use credential_core::token::{RefreshStore, RevocationStore};
use credential_postgres::deadpool_postgres::{Manager, Pool, Runtime};
use credential_postgres::{Notification, PostgresError, PostgresStore};
use tokio::sync::mpsc::Receiver;

use common::Schemas;

/// The next invalidation, within 5 s.
async fn next(receiver: &mut Receiver<Notification>) -> Notification {
    tokio::time::timeout(Duration::from_secs(5), receiver.recv())
        .await
        .expect("no notification within 5 s")
        .expect("the subscription ended")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_hears_of_key_changes_and_revocations() {
    let Some(url) = common::url("a_subscriber_hears_of_key_changes_and_revocations") else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let schema = common::unique_schema();
    schemas.track(&schema);
    let run = async move {
        // Two stores on one schema stand for two processes.
        let listening = PostgresStore::connect(&url, &schema).await.unwrap();
        let writing = Arc::new(PostgresStore::connect(&url, &schema).await.unwrap());
        assert_eq!(listening.channel(), format!("credential_{schema}"));
        let mut invalidations = listening.subscribe().await.unwrap();

        let manager = KeyManager::new(
            Arc::clone(&writing),
            KeyFormat::new("sk_test").unwrap(),
            Peppers::new(Pepper::generate(1).unwrap()),
        )
        .with_token_revocation(writing.clone(), time::Duration::minutes(15));
        let created = manager
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        let id = created.record.id;
        assert_eq!(next(&mut invalidations).await, Notification::Key(id));

        manager.revoke(&id).await.unwrap();
        let mut heard = vec![
            next(&mut invalidations).await,
            next(&mut invalidations).await,
        ];
        heard.sort_by_key(|i| matches!(i, Notification::Revocations));
        assert_eq!(heard, [Notification::Key(id), Notification::Revocations]);
        let revoked = KeyStore::get(&listening, &id).await.unwrap().unwrap();
        assert!(
            revoked.revoked_at.is_some(),
            "the change is visible on notice"
        );

        // A roll notifies both keys.
        let other = manager
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        assert_eq!(
            next(&mut invalidations).await,
            Notification::Key(other.record.id)
        );
        let rolled = manager
            .roll(&other.record.id, time::Duration::hours(1))
            .await
            .unwrap();
        let mut heard = vec![
            next(&mut invalidations).await,
            next(&mut invalidations).await,
        ];
        let mut expected = vec![
            Notification::Key(other.record.id),
            Notification::Key(rolled.record.id),
        ];
        let by_id = |i: &Notification| match i {
            Notification::Key(id) => Some(*id),
            _ => None,
        };
        heard.sort_by_key(by_id);
        expected.sort_by_key(by_id);
        assert_eq!(heard, expected);

        writing
            .revoke_token("jti-1", time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(next(&mut invalidations).await, Notification::Revocations);

        // Uses and credits are not announced.
        writing
            .record_use(&id, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let quiet = tokio::time::timeout(Duration::from_millis(300), invalidations.recv()).await;
        assert!(quiet.is_err(), "unexpected {quiet:?}");
    };
    common::cleaning_up(&schemas, run).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_is_told_to_drop_everything_after_a_gap() {
    let Some(url) = common::url("a_subscriber_is_told_to_drop_everything_after_a_gap") else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let schema = common::unique_schema();
    schemas.track(&schema);
    let run = async move {
        let store = PostgresStore::connect(&url, &schema).await.unwrap();
        let until = time::OffsetDateTime::now_utc() + time::Duration::hours(1);

        // The listening connection is killed: it says All at once, and
        // again once reconnected.
        let mut invalidations = store.subscribe().await.unwrap();
        let client = store.pool().get().await.unwrap();
        let killed = client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE query = $1 AND pid <> pg_backend_pid()",
                &[&format!("LISTEN \"{}\"", store.channel())],
            )
            .await
            .unwrap();
        assert_eq!(killed, 1);
        assert_eq!(next(&mut invalidations).await, Notification::All);
        assert_eq!(next(&mut invalidations).await, Notification::All);
        store.revoke_token("after-reconnect", until).await.unwrap();
        assert_eq!(next(&mut invalidations).await, Notification::Revocations);

        // A receiver that falls behind gets All in place of what it missed.
        let mut lagging = store.subscribe().await.unwrap();
        let burst = credential_postgres::SUBSCRIPTION_CAPACITY + 50;
        for n in 0..burst {
            store
                .revoke_token(&format!("jti-{n}"), until)
                .await
                .unwrap();
        }
        let mut seen = 0;
        loop {
            match next(&mut lagging).await {
                Notification::All => break,
                Notification::Revocations => seen += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(seen < burst, "saw all {seen} and then All");
    };
    common::cleaning_up(&schemas, run).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_fail_as_unavailable_when_the_schema_is_missing() {
    let Some(url) = common::url("calls_fail_as_unavailable_when_the_schema_is_missing") else {
        return;
    };
    // Built but never migrated: every table is missing.
    let store = PostgresStore::builder(&url)
        .schema(&common::unique_schema())
        .build()
        .unwrap();
    let id = KeyId::from_bytes(b"0000000000000000").unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert!(matches!(
        KeyStore::get(&store, &id).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store.is_revoked(Some("jti"), None, None).await,
        Err(StoreError::Unavailable(_))
    ));
    let limit = RateLimit::new(1, time::Duration::minutes(1)).unwrap();
    assert!(matches!(
        store.acquire("key", &limit, now).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        RefreshStore::get(&store, &id).await,
        Err(StoreError::Unavailable(_))
    ));
}

/// A port on this machine that nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_to_a_closed_port_fails_within_the_timeout() {
    let url = format!("postgres://postgres@127.0.0.1:{}/test", closed_port());
    let started = Instant::now();
    let outcome = PostgresStore::builder(&url)
        .schema("credential")
        .timeout(Duration::from_millis(500))
        .connect()
        .await;
    assert!(
        matches!(outcome, Err(PostgresError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let error = StoreError::from(outcome.unwrap_err());
    assert!(matches!(error, StoreError::Unavailable(_)));
}

/// A server that accepts connections and never says a word.
async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_fails_calls_within_the_timeout() {
    let (port, server) = silent_server().await;
    let url = format!("postgres://postgres@127.0.0.1:{port}/test");
    let timeout = Duration::from_millis(400);

    let started = Instant::now();
    let outcome = PostgresStore::builder(&url)
        .timeout(timeout)
        .connect()
        .await;
    assert!(
        matches!(outcome, Err(PostgresError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A pool the application built, with no timeouts of its own: the
    // store's own bound still holds, and nothing reads as "not found".
    let config: tokio_postgres::Config = url.parse().unwrap();
    let pool = Pool::builder(Manager::new(config, tokio_postgres::NoTls))
        .runtime(Runtime::Tokio1)
        .build()
        .unwrap();
    let store = PostgresStore::from_pool(pool, "credential")
        .unwrap()
        .with_timeout(timeout);
    let id = KeyId::from_bytes(b"0000000000000000").unwrap();
    let started = Instant::now();
    let got = KeyStore::get(&store, &id).await;
    assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
    let revoked = store.is_revoked(Some("jti"), None, None).await;
    assert!(
        matches!(revoked, Err(StoreError::Unavailable(_))),
        "{revoked:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(
        store.subscribe().await,
        Err(PostgresError::NoListenConfig)
    ));
    server.abort();
}

#[tokio::test]
async fn bad_schema_names_are_refused() {
    for bad in ["", "Credential", "a;drop", "pg_toast", "1x"] {
        let outcome = PostgresStore::builder("postgres://postgres@127.0.0.1/test")
            .schema(bad)
            .build();
        assert!(
            matches!(outcome, Err(PostgresError::InvalidSchema(_))),
            "{bad}: {outcome:?}"
        );
    }
}

/// Neither the options nor a store show the password of their URL.
#[tokio::test]
async fn debug_output_holds_no_password() {
    for url in [
        "postgres://app:s3cret-pw@127.0.0.1:5432/test",
        "host=127.0.0.1 user=app password=s3cret-pw dbname=test",
        "postgres://app:s3cret-pw@[not a host",
    ] {
        let builder = PostgresStore::builder(url);
        assert!(!format!("{builder:?}").contains("s3cret-pw"), "{builder:?}");
        if let Ok(store) = builder.build() {
            assert!(!format!("{store:?}").contains("s3cret-pw"), "{store:?}");
        }
    }
}
