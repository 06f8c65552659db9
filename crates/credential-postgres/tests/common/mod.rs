//! What the PostgreSQL tests share: the server's URL, fresh schemas, and
//! dropping them afterwards.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credential_core::testing::{SetupError, conformance};
use credential_postgres::PostgresStore;

/// The variable that names the test server.
pub(crate) const URL_VAR: &str = "CREDENTIAL_TEST_POSTGRES_URL";

/// The test server's URL, or `None` after saying on stderr that `test`
/// is skipped.
pub(crate) fn url(test: &str) -> Option<String> {
    credential_core::testing::server_url(URL_VAR, test)
}

/// A schema name no other run or test uses.
pub(crate) fn unique_schema() -> String {
    credential_core::testing::unique_name("credential_test", '_')
}

/// Makes stores on fresh schemas and drops those schemas at the end.
#[derive(Debug, Clone)]
pub(crate) struct Schemas {
    url: String,
    made: Arc<Mutex<Vec<String>>>,
}

impl Schemas {
    pub(crate) fn new(url: String) -> Self {
        Self {
            url,
            made: Arc::default(),
        }
    }

    /// A connected, migrated store on a new schema.
    pub(crate) async fn store(&self) -> Result<Arc<PostgresStore>, SetupError> {
        let schema = unique_schema();
        self.made.lock().unwrap().push(schema.clone());
        let store = PostgresStore::builder(&self.url)
            .schema(&schema)
            .max_connections(8)
            .timeout(Duration::from_secs(10))
            .connect()
            .await?;
        Ok(Arc::new(store))
    }

    /// Records a schema made elsewhere, to be dropped at the end.
    pub(crate) fn track(&self, schema: &str) {
        self.made.lock().unwrap().push(schema.to_owned());
    }

    /// Drops every schema made so far.
    pub(crate) async fn drop_all(&self) {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        let made = std::mem::take(&mut *self.made.lock().unwrap());
        for schema in made {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await
                .unwrap();
        }
        drop(client);
        driver.await.unwrap().unwrap();
    }
}

/// Runs `body`, drops the schemas of `schemas` whether or not it
/// panicked, then fails as it did.
pub(crate) async fn cleaning_up(
    schemas: &Schemas,
    body: impl Future<Output = ()> + Send + 'static,
) {
    let outcome = tokio::spawn(body).await;
    schemas.drop_all().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test did not finish: {error}"),
        }
    }
}

impl Schemas {
    /// A store on a fresh schema, from a copy of the set: what the
    /// conformance suites take as their factory.
    pub(crate) async fn fresh(self) -> Result<Arc<PostgresStore>, SetupError> {
        self.store().await
    }
}

/// Runs a conformance `suite` on stores with fresh schemas, drops the
/// schemas, and fails the test if the suite failed; without a server, says
/// the test is skipped.
pub(crate) async fn conforms<Fut>(test: &str, suite: impl FnOnce(Schemas) -> Fut)
where
    Fut: Future<Output = conformance::Outcome>,
{
    let Some(url) = url(test) else {
        return;
    };
    let schemas = Schemas::new(url);
    let outcome = suite(schemas.clone()).await;
    schemas.drop_all().await;
    outcome.unwrap();
}
