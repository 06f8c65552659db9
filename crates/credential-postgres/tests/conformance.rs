//! The PostgreSQL store passes core's store conformance suite, and its
//! migrations can run any number of times.
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

use credential_core::key::{KeyHash, KeyId};
use credential_core::testing::conformance;
use credential_core::token::{Consume, RefreshRecord, RefreshStore};
use credential_postgres::PostgresStore;

use common::Schemas;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_key_store_conforms() {
    common::conforms("the_postgres_key_store_conforms", |schemas| {
        conformance::key_store(move || schemas.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_rate_limiter_conforms() {
    common::conforms("the_postgres_rate_limiter_conforms", |schemas| {
        conformance::rate_limiter(move || schemas.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_revocation_store_conforms() {
    common::conforms("the_postgres_revocation_store_conforms", |schemas| {
        conformance::revocation_store(move || schemas.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_refresh_store_conforms() {
    common::conforms("the_postgres_refresh_store_conforms", |schemas| {
        conformance::refresh_store(move || schemas.clone().fresh())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redemption_racing_a_family_revocation_leaves_no_live_member() {
    let Some(url) = common::url("a_redemption_racing_a_family_revocation_leaves_no_live_member")
    else {
        return;
    };
    let schemas = Schemas::new(url);
    let run = {
        let schemas = schemas.clone();
        async move { race_redemptions_and_revocations(&schemas).await }
    };
    common::cleaning_up(&schemas, run).await;
}

async fn race_redemptions_and_revocations(schemas: &Schemas) {
    let store = schemas.store().await.unwrap();
    let start = credential_core::testing::START;
    let record = |id: KeyId, family: KeyId| RefreshRecord {
        id,
        hash: KeyHash::from_parts(1, [7; 32]),
        family,
        client_id: KeyId::from_bytes(b"c000000000000001").unwrap(),
        subject: "acme".into(),
        scope: "reports:read".parse().unwrap(),
        created_at: start,
        expires_at: start + time::Duration::days(1),
        access_jti: Some(format!("access-{id}")),
        access_expires_at: Some(start + time::Duration::minutes(15)),
        consumed_at: None,
        successor: None,
        retry: None,
        revoked_at: None,
    };
    for round in 0..100 {
        let root = KeyId::from_bytes(format!("f{round:015}").as_bytes()).unwrap();
        let next = KeyId::from_bytes(format!("s{round:015}").as_bytes()).unwrap();
        RefreshStore::insert(&*store, record(root, root))
            .await
            .unwrap();
        let (consumed, revoked) = tokio::join!(
            {
                let store = Arc::clone(&store);
                let successor = record(next, root);
                tokio::spawn(
                    async move { store.consume(&root, start, "retry".into(), successor).await },
                )
            },
            {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.revoke_family(&root, start).await })
            },
        );
        let consumed = consumed.unwrap().unwrap();
        let access = revoked.unwrap().unwrap();
        let successor = RefreshStore::get(&*store, &next).await.unwrap();
        match consumed {
            Consume::Consumed => {
                let successor = successor.expect("the successor is stored");
                assert!(
                    successor.revoked_at.is_some(),
                    "round {round}: a successor outlived its family's revocation"
                );
                assert_eq!(access.len(), 2, "round {round}: {access:?}");
            }
            Consume::Revoked => {
                assert!(successor.is_none(), "round {round}");
                assert_eq!(access.len(), 1, "round {round}: {access:?}");
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// Counts the rows of `table` in `schema`.
async fn rows(store: &PostgresStore, table: &str) -> i64 {
    let client = store.pool().get().await.unwrap();
    client
        .query_one(
            &format!("SELECT count(*) FROM \"{}\".{table}", store.schema()),
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent() {
    let Some(url) = common::url("migrations_are_idempotent") else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let schema = common::unique_schema();
    schemas.track(&schema);
    let run = {
        let schemas = schemas.clone();
        async move {
            let first = PostgresStore::connect(&url, &schema).await.unwrap();
            let applied = rows(&first, "credential_migrations").await;
            assert!(applied >= 1, "{applied} migrations recorded");
            let applied_at = |store: PostgresStore| async move {
                let client = store.pool().get().await.unwrap();
                client
                    .query(
                        &format!(
                            "SELECT version, applied_at FROM \"{}\".credential_migrations \
                         ORDER BY version",
                            store.schema()
                        ),
                        &[],
                    )
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| (row.get::<_, i32>(0), row.get::<_, time::OffsetDateTime>(1)))
                    .collect::<Vec<_>>()
            };
            let before = applied_at(first.clone()).await;

            // A second server, and two more starting at once: nothing changes.
            let second = PostgresStore::connect(&url, &schema).await.unwrap();
            let (a, b) = tokio::join!(
                PostgresStore::connect(&url, &schema),
                PostgresStore::connect(&url, &schema)
            );
            a.unwrap();
            b.unwrap();
            second.migrate().await.unwrap();
            assert_eq!(applied_at(second.clone()).await, before);
            assert_eq!(rows(&second, "keys").await, 0);

            // Two fresh schemas migrated at once do not race either.
            let racing = [common::unique_schema(), common::unique_schema()];
            for schema in &racing {
                schemas.track(schema);
            }
            let (a, b, c) = tokio::join!(
                PostgresStore::connect(&url, &racing[0]),
                PostgresStore::connect(&url, &racing[0]),
                PostgresStore::connect(&url, &racing[1]),
            );
            for store in [a, b, c] {
                let store = store.unwrap();
                assert_eq!(rows(&store, "credential_migrations").await, applied);
            }
        }
    };
    common::cleaning_up(&schemas, run).await;
}
