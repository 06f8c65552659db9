//! The store: its pool, its timeout, its schema, and its migrations.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use credential_core::StoreError;
use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::error::{PostgresError, TimedOut};
use crate::schema::{MIGRATIONS, SchemaName, Statements};

/// How long a call may take by default: connecting, waiting for a pooled
/// connection, and running every statement of one store operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections a pool built by [`PostgresStore::connect`] opens at most,
/// by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// The schema [`PostgresBuilder`] uses unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "credential";

/// How many times longer than the timeout [`PostgresStore::migrate`] may
/// take: migrations create tables and indexes.
const MIGRATION_TIMEOUT_FACTOR: u32 = 15;

/// API keys, access-token revocations, refresh tokens and rate limits in
/// PostgreSQL, shared by every process that connects to the same schema.
///
/// A `PostgresStore` is a handle: clones share one connection pool. It
/// implements [`KeyStore`](credential_core::key::KeyStore),
/// [`RevocationStore`](credential_core::token::RevocationStore),
/// [`RefreshStore`](credential_core::token::RefreshStore) and
/// [`RateLimiter`](credential_core::ratelimit::RateLimiter); wrap one in an
/// `Arc` and hand it to each component.
///
/// # Guarantees
///
/// - Every call finishes within the [timeout](PostgresBuilder::timeout)
///   (2 s by default) or fails with [`StoreError::Unavailable`]; an
///   unreachable server never hangs a request. The same bound is sent to
///   the server as `statement_timeout` on connections this crate opens.
/// - Failures are reported, never turned into "not found", "not revoked"
///   or "allowed". A row that cannot be decoded is
///   [`StoreError::Corrupt`].
/// - Credits, rate limits, rolls, hash upgrades and refresh-token
///   redemptions are read and written under a row lock in one
///   transaction, applying core's rules
///   ([`Credits::spend`](credential_core::key::Credits::spend),
///   [`RateLimit::gcra`](credential_core::ratelimit::RateLimit::gcra)), so
///   concurrent calls from any number of processes never both see the same
///   state.
/// - Lookups by id ([`get`](credential_core::key::KeyStore::get)) are one
///   primary-key read; they lock, create and log nothing per id.
/// - Writes that change a key record or add a revocation notify the
///   schema's channel, so caches in other processes can drop what they
///   hold (see [`subscribe`](Self::subscribe)).
///
/// Timestamps that PostgreSQL stores as `timestamptz` columns have
/// microsecond precision; the store rounds them toward the safe side (a
/// revocation or rate-limit wait ends at the next microsecond, never
/// before). Records themselves are kept as JSON with full precision.
///
/// It needs a Tokio runtime with I/O and time enabled.
#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    pub(crate) schema: SchemaName,
    pub(crate) channel: String,
    pub(crate) timeout: Duration,
    pub(crate) listen_config: Option<tokio_postgres::Config>,
    pub(crate) sql: Statements,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.inner.schema.as_str())
            .field("timeout", &self.inner.timeout)
            .field("pool", &self.inner.pool.status())
            .finish_non_exhaustive()
    }
}

/// Options for [`PostgresStore`]: where to connect, which schema, how
/// long to wait, how many connections.
///
/// ```no_run
/// use std::time::Duration;
/// use credential_postgres::PostgresBuilder;
///
/// # async fn run() -> Result<(), credential_postgres::PostgresError> {
/// let store = PostgresBuilder::new("postgres://app@db.internal/app")
///     .schema("credential")
///     .timeout(Duration::from_millis(500))
///     .max_connections(32)
///     .connect()
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PostgresBuilder {
    config: Result<tokio_postgres::Config, String>,
    schema: String,
    timeout: Duration,
    max_connections: usize,
}

impl PostgresBuilder {
    /// Options for the server at `url` (a `postgres://` URL or a
    /// `key=value` connection string, as `tokio_postgres::Config` parses
    /// them), with schema [`DEFAULT_SCHEMA`], timeout [`DEFAULT_TIMEOUT`]
    /// and at most [`DEFAULT_MAX_CONNECTIONS`] connections. A URL that does
    /// not parse is reported by [`connect`](Self::connect).
    pub fn new(url: &str) -> Self {
        let config = url
            .parse()
            .map_err(|error: tokio_postgres::Error| error.to_string());
        Self::with_config(config)
    }

    /// Options for an already built `tokio_postgres::Config`.
    pub fn from_config(config: tokio_postgres::Config) -> Self {
        Self::with_config(Ok(config))
    }

    fn with_config(config: Result<tokio_postgres::Config, String>) -> Self {
        Self {
            config,
            schema: DEFAULT_SCHEMA.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// The schema holding the tables (created if missing): 1 to 52
    /// lowercase ASCII letters, digits and underscores, not starting with a
    /// digit or `pg_`.
    #[must_use]
    pub fn schema(mut self, schema: &str) -> Self {
        schema.clone_into(&mut self.schema);
        self
    }

    /// The longest a connection attempt, a wait for a pooled connection,
    /// or one store operation may take (at least 1 ms). Migrations may take
    /// 15 times as long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The most connections the pool opens (at least 1).
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Builds the pool, checks the server answers, and applies the
    /// migrations.
    ///
    /// # Errors
    ///
    /// [`PostgresError::InvalidConfig`] or
    /// [`PostgresError::InvalidSchema`] for bad options;
    /// [`PostgresError::Unavailable`] when the server cannot be reached
    /// within the timeout; [`PostgresError::Migration`] when a migration
    /// fails.
    pub async fn connect(self) -> Result<PostgresStore, PostgresError> {
        let store = self.build()?;
        store.migrate().await?;
        Ok(store)
    }

    /// Builds the pool without connecting: the first call opens the first
    /// connection. Nothing is migrated; call
    /// [`PostgresStore::migrate`] before use.
    ///
    /// # Errors
    ///
    /// [`PostgresError::InvalidConfig`] or
    /// [`PostgresError::InvalidSchema`] for bad options, and
    /// [`PostgresError::NoRuntime`] outside a Tokio runtime.
    pub fn build(self) -> Result<PostgresStore, PostgresError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(PostgresError::NoRuntime);
        }
        let schema = SchemaName::new(&self.schema)?;
        let mut config = self
            .config
            .map_err(|error| PostgresError::InvalidConfig(error.into()))?;
        config.connect_timeout(self.timeout);
        let millis = self.timeout.as_millis();
        // A statement still running when the client gave up is cancelled
        // by the server too; a transaction left open by a vanished client
        // does not hold its locks for long.
        let bounds = format!(
            "-c statement_timeout={millis} -c idle_in_transaction_session_timeout={}",
            millis.saturating_mul(5)
        );
        let options = match config.get_options() {
            Some(existing) if !existing.trim().is_empty() => format!("{existing} {bounds}"),
            _ => bounds,
        };
        config.options(&options);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(self.timeout))
            .create_timeout(Some(self.timeout))
            .recycle_timeout(Some(self.timeout))
            .build()
            .map_err(|error| PostgresError::InvalidConfig(error.into()))?;
        Ok(PostgresStore::new(pool, schema, self.timeout, Some(config)))
    }
}

impl PostgresStore {
    /// Connects to `url` with its tables in `schema`, with the default
    /// timeout and pool size, and applies the migrations. See
    /// [`PostgresBuilder`] for the options.
    ///
    /// # Errors
    ///
    /// As [`PostgresBuilder::connect`].
    pub async fn connect(url: &str, schema: &str) -> Result<Self, PostgresError> {
        PostgresBuilder::new(url).schema(schema).connect().await
    }

    /// Options for a store at `url`.
    pub fn builder(url: &str) -> PostgresBuilder {
        PostgresBuilder::new(url)
    }

    /// A store over a pool the application built, with its tables in
    /// `schema` (1 to 52 lowercase ASCII letters, digits and underscores,
    /// not starting with a digit or `pg_`). Nothing is migrated: call
    /// [`migrate`](Self::migrate) once before use. Calls time out after
    /// [`DEFAULT_TIMEOUT`] unless changed by
    /// [`with_timeout`](Self::with_timeout), whatever the pool's own
    /// settings. Unlike a pool built by [`connect`](Self::connect), this
    /// one does not send the timeout to the server as `statement_timeout`.
    /// See [`with_listen_config`](Self::with_listen_config) to subscribe.
    ///
    /// # Errors
    ///
    /// [`PostgresError::InvalidSchema`] for a bad schema name.
    pub fn from_pool(pool: Pool, schema: &str) -> Result<Self, PostgresError> {
        let schema = SchemaName::new(schema)?;
        Ok(Self::new(pool, schema, DEFAULT_TIMEOUT, None))
    }

    fn new(
        pool: Pool,
        schema: SchemaName,
        timeout: Duration,
        listen_config: Option<tokio_postgres::Config>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                channel: schema.channel(),
                sql: Statements::new(&schema),
                schema,
                timeout,
                listen_config,
            }),
        }
    }

    /// This store with calls bounded by `timeout` (at least 1 ms).
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let inner = &self.inner;
        Self::new(
            inner.pool.clone(),
            inner.schema.clone(),
            timeout.max(Duration::from_millis(1)),
            inner.listen_config.clone(),
        )
    }

    /// This store with the settings [`subscribe`](Self::subscribe) opens
    /// its dedicated connection with. Stores made by
    /// [`connect`](Self::connect) have them already.
    #[must_use]
    pub fn with_listen_config(self, config: tokio_postgres::Config) -> Self {
        let inner = &self.inner;
        Self::new(
            inner.pool.clone(),
            inner.schema.clone(),
            inner.timeout,
            Some(config),
        )
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        self.inner.schema.as_str()
    }

    /// The LISTEN/NOTIFY channel: `credential_<schema>`.
    pub fn channel(&self) -> &str {
        &self.inner.channel
    }

    /// The bound on each call.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Creates the schema if missing and applies every migration not yet
    /// applied, each in its own transaction, recording it in
    /// `<schema>.credential_migrations`. Safe to run any number of times,
    /// from any number of processes at once: an advisory lock serialises
    /// them, and a migration already recorded is skipped. A database
    /// migrated by a newer release (with migrations this one does not
    /// know) is left as it is.
    ///
    /// # Errors
    ///
    /// [`PostgresError::Unavailable`] when the server cannot be reached or
    /// the migrations do not finish within 15 times the timeout;
    /// [`PostgresError::Migration`] when one fails.
    pub async fn migrate(&self) -> Result<(), PostgresError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(PostgresError::NoRuntime);
        }
        let limit = self.inner.timeout.saturating_mul(MIGRATION_TIMEOUT_FACTOR);
        match tokio::time::timeout(limit, self.migrate_now(limit)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(PostgresError::unavailable(TimedOut {
                operation: "migrate",
                after: limit,
            })),
        }
    }

    async fn migrate_now(&self, limit: Duration) -> Result<(), PostgresError> {
        let schema = &self.inner.schema;
        let quoted = schema.quoted();
        let lock = schema.migration_lock();
        // Migrations (and waiting for another process's) may outlast the
        // statement timeout of ordinary calls.
        let bounds = format!("SET LOCAL statement_timeout = {}", limit.as_millis());
        let mut client = self
            .inner
            .pool
            .get()
            .await
            .map_err(PostgresError::unavailable)?;
        let bootstrap = |source: tokio_postgres::Error| PostgresError::Migration {
            version: 0,
            source: source.into(),
        };
        {
            let tx = client.transaction().await.map_err(bootstrap)?;
            tx.batch_execute(&bounds).await.map_err(bootstrap)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .await
                .map_err(bootstrap)?;
            // Checked first, so that a role without CREATE on the database
            // can run an up-to-date schema.
            let exists: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
                    &[&schema.as_str()],
                )
                .await
                .and_then(|row| row.try_get(0))
                .map_err(bootstrap)?;
            if !exists {
                tx.batch_execute(&format!("CREATE SCHEMA {quoted}"))
                    .await
                    .map_err(bootstrap)?;
            }
            let table = format!("{quoted}.credential_migrations");
            let has_table: bool = tx
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
                .await
                .and_then(|row| row.try_get(0))
                .map_err(bootstrap)?;
            if !has_table {
                tx.batch_execute(&format!(
                    "CREATE TABLE {table} (\
                       version integer PRIMARY KEY, \
                       applied_at timestamptz NOT NULL DEFAULT now())"
                ))
                .await
                .map_err(bootstrap)?;
            }
            tx.commit().await.map_err(bootstrap)?;
        }
        let applied: Vec<i32> = client
            .query(
                &format!("SELECT version FROM {quoted}.credential_migrations"),
                &[],
            )
            .await
            .and_then(|rows| rows.iter().map(|row| row.try_get(0)).collect())
            .map_err(bootstrap)?;
        for (version, sql) in (1..).zip(MIGRATIONS) {
            if applied.contains(&version) {
                continue;
            }
            let failed = |source: tokio_postgres::Error| PostgresError::Migration {
                version,
                source: source.into(),
            };
            let tx = client.transaction().await.map_err(failed)?;
            tx.batch_execute(&bounds).await.map_err(failed)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .await
                .map_err(failed)?;
            // Another process may have applied it while this one waited.
            let done = tx
                .query_opt(
                    &format!("SELECT 1 FROM {quoted}.credential_migrations WHERE version = $1"),
                    &[&version],
                )
                .await
                .map_err(failed)?
                .is_some();
            if done {
                tx.rollback().await.map_err(failed)?;
                continue;
            }
            tx.batch_execute(&schema.migration(sql))
                .await
                .map_err(failed)?;
            tx.execute(
                &format!(
                    "INSERT INTO {quoted}.credential_migrations (version, applied_at) \
                     VALUES ($1, now())"
                ),
                &[&version],
            )
            .await
            .map_err(failed)?;
            tx.commit().await.map_err(failed)?;
        }
        Ok(())
    }

    /// Drops rate-limit state that no longer limits anything (a
    /// theoretical arrival time at or before `now` means the same as no
    /// state). Returns how many entries were dropped. Run it now and then;
    /// the table otherwise keeps one row per limited credential.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when the server does not answer.
    pub async fn purge_rate_limits(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        self.run("purge_rate_limits", async {
            let client = self.client().await?;
            let purged =
                execute(&client, &self.inner.sql.rate_purge, &[&floor_micros(now)]).await?;
            Ok(count(purged))
        })
        .await
    }

    /// Runs one store operation within the timeout.
    pub(crate) async fn run<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::unavailable(PostgresError::NoRuntime));
        }
        let outcome = match tokio::time::timeout(self.inner.timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(StoreError::unavailable(TimedOut {
                operation,
                after: self.inner.timeout,
            })),
        };
        #[cfg(feature = "tracing")]
        if let Err(error) = &outcome {
            match error {
                StoreError::Unavailable(_) | StoreError::Corrupt(_) => tracing::warn!(
                    schema = self.inner.schema.as_str(),
                    operation,
                    %error,
                    "PostgreSQL store call failed"
                ),
                _ => {}
            }
        }
        outcome
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.inner.pool.get().await.map_err(unavailable)
    }
}

/// A failure to reach or query the server.
pub(crate) fn unavailable(
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> StoreError {
    StoreError::Unavailable(error.into())
}

/// A row that does not read back.
pub(crate) fn corrupt(what: &str, error: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

/// A row count as `usize`.
pub(crate) fn count(rows: u64) -> usize {
    usize::try_from(rows).unwrap_or(usize::MAX)
}

/// `at` rounded down to whole microseconds, what `timestamptz` holds.
pub(crate) fn floor_micros(at: OffsetDateTime) -> OffsetDateTime {
    let extra = at.nanosecond() % 1_000;
    at.saturating_sub(time::Duration::nanoseconds(i64::from(extra)))
}

/// `at` rounded up to whole microseconds.
pub(crate) fn ceil_micros(at: OffsetDateTime) -> OffsetDateTime {
    match at.nanosecond() % 1_000 {
        0 => at,
        extra => at.saturating_add(time::Duration::nanoseconds(i64::from(1_000 - extra))),
    }
}

/// The parameters of a statement.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Runs `sql`, prepared once per connection, on `client`: how many rows
/// it changed.
pub(crate) async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
    client
        .execute(&statement, params)
        .await
        .map_err(unavailable)
}

/// Runs `sql`, prepared once per connection, on `client`: its rows.
pub(crate) async fn query(
    client: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
    client.query(&statement, params).await.map_err(unavailable)
}

/// Runs `sql`, prepared once per connection, on `client`: its row, if any.
pub(crate) async fn query_opt(
    client: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
    client
        .query_opt(&statement, params)
        .await
        .map_err(unavailable)
}

/// Runs `sql`, prepared once per connection, on `client`: its one row.
pub(crate) async fn query_one(
    client: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Row, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(unavailable)?;
    client
        .query_one(&statement, params)
        .await
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rounding_to_microseconds() {
        let exact = datetime!(2030-01-01 0:00:00.000_001 UTC);
        assert_eq!(floor_micros(exact), exact);
        assert_eq!(ceil_micros(exact), exact);
        let between = datetime!(2030-01-01 0:00:00.000_001_5 UTC);
        assert_eq!(floor_micros(between), exact);
        assert_eq!(
            ceil_micros(between),
            datetime!(2030-01-01 0:00:00.000_002 UTC)
        );
        let before_2000 = datetime!(1990-01-01 0:00:00.000_000_9 UTC);
        assert_eq!(floor_micros(before_2000), datetime!(1990-01-01 0:00 UTC));
        assert_eq!(
            ceil_micros(before_2000),
            datetime!(1990-01-01 0:00:00.000_001 UTC)
        );
    }

    #[test]
    fn bad_options_are_reported() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bad_schema = PostgresBuilder::new("postgres://u@localhost/db")
                .schema("Bad-Name")
                .build();
            assert!(matches!(bad_schema, Err(PostgresError::InvalidSchema(_))));
            let bad_url = PostgresBuilder::new("postgres://u@localhost:notaport/db").build();
            assert!(matches!(bad_url, Err(PostgresError::InvalidConfig(_))));
        });
        let outside = PostgresBuilder::new("postgres://u@localhost/db").build();
        assert!(matches!(outside, Err(PostgresError::NoRuntime)));
    }
}
