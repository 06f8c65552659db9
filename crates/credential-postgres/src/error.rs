//! What setting up a [`PostgresStore`](crate::PostgresStore) can fail with.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use credential_core::StoreError;

/// Setting up, migrating or listening to a PostgreSQL store failed.
///
/// The store traits report their own failures as [`StoreError`]; this is
/// what the PostgreSQL-specific calls ([`connect`](crate::PostgresStore::connect),
/// [`migrate`](crate::PostgresStore::migrate),
/// [`subscribe`](crate::PostgresStore::subscribe)) return. It converts into
/// a [`StoreError`] for callers that handle both alike.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// The schema name is not a plain identifier (see
    /// [`PostgresStore::from_pool`](crate::PostgresStore::from_pool)).
    #[error(
        "invalid schema name {0:?}: use 1 to {max} lowercase ASCII letters, digits and \
         underscores, starting with a letter or underscore, not starting with `pg_`",
        max = crate::schema::MAX_SCHEMA_LEN
    )]
    InvalidSchema(String),
    /// The connection URL or options are not valid.
    #[error("invalid PostgreSQL configuration: {0}")]
    InvalidConfig(#[source] Box<dyn StdError + Send + Sync>),
    /// The server could not be reached, refused the connection, or did not
    /// answer in time.
    #[error("PostgreSQL unavailable: {0}")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// A migration failed; the transaction that applied it was rolled back.
    #[error("migration {version} failed: {source}")]
    Migration {
        /// The version of the migration that failed; 0 for creating the
        /// schema and the table that records migrations.
        version: i32,
        /// What the server said.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// [`subscribe`](crate::PostgresStore::subscribe) needs connection
    /// settings, which a store made by
    /// [`from_pool`](crate::PostgresStore::from_pool) lacks until given
    /// [`with_listen_config`](crate::PostgresStore::with_listen_config).
    #[error("no connection settings to listen with: use `with_listen_config`")]
    NoListenConfig,
    /// The call was made outside a Tokio runtime.
    #[error("PostgreSQL stores need a Tokio runtime with I/O and time enabled")]
    NoRuntime,
}

impl PostgresError {
    pub(crate) fn unavailable(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Unavailable(error.into())
    }
}

impl From<PostgresError> for StoreError {
    fn from(error: PostgresError) -> Self {
        match error {
            PostgresError::Unavailable(source) => StoreError::Unavailable(source),
            other => StoreError::unavailable(other),
        }
    }
}

/// An operation that did not finish within the store's timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimedOut {
    pub(crate) operation: &'static str,
    pub(crate) after: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} did not finish within {} ms",
            self.operation,
            self.after.as_millis()
        )
    }
}

impl StdError for TimedOut {}
