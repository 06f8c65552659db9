//! What the Redis tests share: the server's URL, fresh key prefixes, and
//! deleting their keys afterwards.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};

use credential_core::testing::{SetupError, conformance};
use credential_redis::RedisStore;

/// The variable that names the test server.
pub(crate) const URL_VAR: &str = "CREDENTIAL_TEST_REDIS_URL";

/// The test server's URL, or `None` after saying on stderr that `test`
/// is skipped.
pub(crate) fn url(test: &str) -> Option<String> {
    credential_core::testing::server_url(URL_VAR, test)
}

/// A key prefix no other run or test uses.
pub(crate) fn unique_prefix() -> String {
    format!(
        "{}:",
        credential_core::testing::unique_name("credential-test", ':')
    )
}

/// Makes stores under fresh prefixes and deletes their keys at the end,
/// or when the test fails before that.
#[derive(Debug, Clone)]
pub(crate) struct Prefixes {
    url: String,
    made: Arc<Made>,
}

/// The prefixes whose keys are not deleted yet.
#[derive(Debug)]
pub(crate) struct Made {
    url: String,
    prefixes: Mutex<Vec<String>>,
}

impl Drop for Made {
    /// Deletes what a failed test left, on a blocking connection.
    fn drop(&mut self) {
        let prefixes =
            std::mem::take(&mut *self.prefixes.lock().unwrap_or_else(|e| e.into_inner()));
        if prefixes.is_empty() {
            return;
        }
        let Ok(mut connection) =
            redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection())
        else {
            return;
        };
        for prefix in prefixes {
            let mut cursor = 0u64;
            loop {
                let Ok((next, keys)): Result<(u64, Vec<String>), _> = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("{prefix}*"))
                    .arg("COUNT")
                    .arg(1000)
                    .query(&mut connection)
                else {
                    break;
                };
                if !keys.is_empty() {
                    let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut connection);
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
    }
}

impl Prefixes {
    pub(crate) fn new(url: String) -> Self {
        Self {
            made: Arc::new(Made {
                url: url.clone(),
                prefixes: Mutex::default(),
            }),
            url,
        }
    }

    /// A new prefix, deleted by [`delete_all`](Self::delete_all).
    pub(crate) fn prefix(&self) -> String {
        let prefix = unique_prefix();
        self.made.prefixes.lock().unwrap().push(prefix.clone());
        prefix
    }

    /// A connected store under a new prefix.
    pub(crate) async fn store(&self) -> Result<Arc<RedisStore>, SetupError> {
        Ok(Arc::new(
            RedisStore::connect(&self.url, self.prefix()).await?,
        ))
    }

    /// A connected store under `prefix`.
    pub(crate) async fn store_at(&self, prefix: &str) -> RedisStore {
        RedisStore::connect(&self.url, prefix).await.unwrap()
    }

    /// A plain connection to the test server.
    pub(crate) async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// The keys under `prefix`.
    pub(crate) async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut connection = self.connection().await;
        let mut cursor = 0u64;
        let mut keys = Vec::new();
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("{prefix}*"))
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut connection)
                .await
                .unwrap();
            keys.extend(batch);
            if next == 0 {
                return keys;
            }
            cursor = next;
        }
    }

    /// Deletes the keys of every prefix made here.
    pub(crate) async fn delete_all(&self) {
        let prefixes = std::mem::take(&mut *self.made.prefixes.lock().unwrap());
        let mut connection = self.connection().await;
        for prefix in prefixes {
            let keys = self.keys(&prefix).await;
            for chunk in keys.chunks(500) {
                let _: i64 = redis::cmd("DEL")
                    .arg(chunk)
                    .query_async(&mut connection)
                    .await
                    .unwrap();
            }
            assert!(
                self.keys(&prefix).await.is_empty(),
                "keys left under {prefix}"
            );
        }
    }
}

impl Prefixes {
    /// A store under a fresh prefix, from a copy of the set: what the
    /// conformance suites take as their factory.
    pub(crate) async fn fresh(self) -> Result<Arc<RedisStore>, SetupError> {
        self.store().await
    }
}

/// Runs a conformance `suite` on stores under fresh prefixes, deletes
/// their keys, and fails the test if the suite failed; without a server,
/// says the test is skipped.
pub(crate) async fn conforms<Fut>(test: &str, suite: impl FnOnce(Prefixes) -> Fut)
where
    Fut: Future<Output = conformance::Outcome>,
{
    let Some(url) = url(test) else {
        return;
    };
    let prefixes = Prefixes::new(url);
    let outcome = suite(prefixes.clone()).await;
    prefixes.delete_all().await;
    outcome.unwrap();
}
