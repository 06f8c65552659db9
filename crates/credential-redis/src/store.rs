//! The store: a connection manager, a key prefix, and bounded calls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credential_core::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, ScriptInvocation, Value};

/// How long connecting, and waiting for each answer, may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long after its `until` Redis keeps a revocation entry on its own
/// (through `EXPIREAT`) by default: room for the verifiers' leeway and
/// clock skew between the servers and Redis.
/// [`purge_expired`](credential_core::token::RevocationStore::purge_expired)
/// drops entries exactly at `until`, on the caller's clock. Set it with
/// [`RedisStoreBuilder::revocation_margin`] to at least the longest
/// leeway of any verifier plus the clock skew.
pub const REVOCATION_EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// Redis stores for keys, revocations and rate limits, under one key
/// prefix.
///
/// Cheap to clone: clones share one multiplexed connection, which
/// reconnects on its own after a failure. See the [crate
/// documentation](crate) for the key layout, the failure rules and the
/// invalidation channel.
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) connection: ConnectionManager,
    pub(crate) shared: Arc<Shared>,
}

/// What clones of a store share besides the connection.
pub(crate) struct Shared {
    pub(crate) client: Client,
    pub(crate) prefix: String,
    pub(crate) channel: String,
    pub(crate) connection_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) revocation_margin: Duration,
}

/// Options for [`RedisStore`], from [`RedisStore::builder`].
#[derive(Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    connection_timeout: Duration,
    response_timeout: Duration,
    ping_interval: Duration,
    revocation_margin: Duration,
}

/// A store call that took longer than its deadline.
#[derive(Debug, thiserror::Error)]
#[error("Redis did not answer within {0:?}")]
pub(crate) struct TimedOut(pub(crate) Duration);

/// A compare-and-set that kept losing to concurrent writes.
#[derive(Debug, thiserror::Error)]
#[error("the record changed under {0} attempts in a row")]
pub(crate) struct Contention(pub(crate) usize);

/// Attempts of a compare-and-set before giving up.
pub(crate) const MAX_ATTEMPTS: usize = 32;

impl RedisStoreBuilder {
    /// How long one connection attempt may take (default
    /// [`DEFAULT_TIMEOUT`]).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long to wait for each answer (default [`DEFAULT_TIMEOUT`]).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets both the connection and the response timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.connection_timeout(timeout).response_timeout(timeout)
    }

    /// How often a [follower](RedisStore::follower) pings Redis to notice a
    /// connection that died without closing (default
    /// [`FOLLOW_PING_INTERVAL`](crate::FOLLOW_PING_INTERVAL)).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// How long after its `until` Redis keeps a revocation entry on its
    /// own (default [`REVOCATION_EXPIRY_MARGIN`]): at least the longest
    /// leeway any verifier allows after `exp`, plus the clock skew between
    /// the servers and Redis. Whole seconds; rounded up.
    pub fn revocation_margin(mut self, margin: Duration) -> Self {
        self.revocation_margin = margin;
        self
    }

    /// Connects, failing within the connection timeout when the server
    /// cannot be reached.
    ///
    /// # Errors
    ///
    /// An invalid URL, or a server that cannot be reached or refuses the
    /// connection (authentication, protocol).
    pub async fn connect(self) -> Result<RedisStore, RedisError> {
        let client = Client::open(self.url.as_str())?;
        // No retries inside one call: a call that cannot reach Redis fails
        // at once (the verifier answers 503) and the next call reconnects.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connection_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(0);
        let connecting = ConnectionManager::new_with_config(client.clone(), config);
        let connection = tokio::time::timeout(self.connection_timeout, connecting)
            .await
            .map_err(|_| timed_out(self.connection_timeout))??;
        let channel = format!("{}invalidate", self.prefix);
        Ok(RedisStore {
            connection,
            shared: Arc::new(Shared {
                client,
                prefix: self.prefix,
                channel,
                connection_timeout: self.connection_timeout,
                response_timeout: self.response_timeout,
                ping_interval: self.ping_interval,
                revocation_margin: self.revocation_margin,
            }),
        })
    }
}

/// A timeout as a Redis I/O error.
pub(crate) fn timed_out(after: Duration) -> RedisError {
    std::io::Error::new(std::io::ErrorKind::TimedOut, TimedOut(after)).into()
}

impl RedisStore {
    /// Options for a store at `url` (`redis://host:port/db`, or `rediss://`
    /// when the `redis` crate is built with TLS) whose keys all start with
    /// `prefix`, such as `"credential:"`.
    ///
    /// Several stores with different prefixes share a database without
    /// seeing each other's data.
    pub fn builder(url: impl Into<String>, prefix: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: prefix.into(),
            connection_timeout: DEFAULT_TIMEOUT,
            response_timeout: DEFAULT_TIMEOUT,
            ping_interval: crate::FOLLOW_PING_INTERVAL,
            revocation_margin: REVOCATION_EXPIRY_MARGIN,
        }
    }

    /// Connects to `url` with keys under `prefix` and the default timeouts.
    ///
    /// # Errors
    ///
    /// See [`RedisStoreBuilder::connect`].
    pub async fn connect(
        url: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Result<Self, RedisError> {
        Self::builder(url, prefix).connect().await
    }

    /// The prefix of every key this store writes.
    pub fn prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// The pub/sub channel on which writes to key records announce the
    /// key's id: the prefix followed by `invalidate`.
    pub fn channel(&self) -> &str {
        &self.shared.channel
    }

    /// The longest a single store call waits: one connection attempt and
    /// one answer.
    pub fn call_timeout(&self) -> Duration {
        self.shared
            .connection_timeout
            .saturating_add(self.shared.response_timeout)
    }

    /// The Redis key `{prefix}{kind}{name}`.
    pub(crate) fn key(&self, kind: &str, name: &str) -> String {
        let mut key = String::with_capacity(self.shared.prefix.len() + kind.len() + name.len());
        key.push_str(&self.shared.prefix);
        key.push_str(kind);
        key.push_str(name);
        key
    }

    /// Runs a script within the call timeout; every failure is
    /// [`StoreError::Unavailable`].
    pub(crate) async fn eval(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<Value, StoreError> {
        let mut connection = self.connection.clone();
        let deadline = self.call_timeout();
        match tokio::time::timeout(deadline, invocation.invoke_async::<Value>(&mut connection))
            .await
        {
            Ok(Ok(Value::ServerError(error))) => Err(StoreError::unavailable(error.to_string())),
            Ok(Ok(value)) => Ok(value),
            // A script that met a stored value it cannot read, or a key
            // of another type under the prefix.
            Ok(Err(error)) if matches!(error.code(), Some("CORRUPT" | "WRONGTYPE")) => {
                Err(StoreError::Corrupt(error.to_string()))
            }
            Ok(Err(error)) => Err(StoreError::unavailable(error)),
            Err(_) => Err(StoreError::unavailable(TimedOut(deadline))),
        }
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password, before the host or in the query:
        // show the scheme and the host only.
        let url = match self.url.split_once("://") {
            Some((scheme, rest)) => {
                let rest = rest.split(['?', '#']).next().unwrap_or_default();
                match rest.rsplit_once('@') {
                    Some((_, host)) => format!("{scheme}://***@{host}"),
                    None => format!("{scheme}://{rest}"),
                }
            }
            None => "***".to_owned(),
        };
        f.debug_struct("RedisStoreBuilder")
            .field("url", &url)
            .field("prefix", &self.prefix)
            .field("connection_timeout", &self.connection_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("ping_interval", &self.ping_interval)
            .field("revocation_margin", &self.revocation_margin)
            .finish()
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.shared.prefix)
            .field("connection_timeout", &self.shared.connection_timeout)
            .field("response_timeout", &self.shared.response_timeout)
            .field("ping_interval", &self.shared.ping_interval)
            .finish_non_exhaustive()
    }
}

/// Reading script replies: anything unexpected is [`StoreError::Corrupt`].
pub(crate) mod reply {
    use credential_core::StoreError;
    use redis::Value;

    /// A reply that does not have the expected shape.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }

    /// The items of an array reply.
    pub(crate) fn items(value: Value) -> Result<Vec<Value>, StoreError> {
        match value {
            Value::Array(items) | Value::Set(items) => Ok(items),
            other => Err(corrupt(format!("expected an array, got {other:?}"))),
        }
    }

    /// A text reply, or `None` for nil.
    pub(crate) fn text(value: Value) -> Result<Option<String>, StoreError> {
        match value {
            Value::Nil => Ok(None),
            Value::BulkString(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| corrupt("a stored value is not UTF-8")),
            Value::SimpleString(text) => Ok(Some(text)),
            Value::Okay => Ok(Some("OK".to_owned())),
            Value::Int(n) => Ok(Some(n.to_string())),
            other => Err(corrupt(format!("expected text, got {other:?}"))),
        }
    }

    /// A text reply that must be there.
    pub(crate) fn required(value: Value, what: &str) -> Result<String, StoreError> {
        text(value)?.ok_or_else(|| corrupt(format!("{what} is missing")))
    }

    /// An integer reply (or an integer as text).
    pub(crate) fn int(value: Value) -> Result<i64, StoreError> {
        match value {
            Value::Int(n) => Ok(n),
            other => {
                let text = required(other, "a number")?;
                text.parse()
                    .map_err(|_| corrupt(format!("{text:?} is not a number")))
            }
        }
    }

    /// The first item of a reply list, as text: a script's status.
    pub(crate) fn status(items: &mut std::vec::IntoIter<Value>) -> Result<String, StoreError> {
        required(items.next().unwrap_or(Value::Nil), "a script status")
    }

    /// The next item of a reply list.
    pub(crate) fn next(items: &mut std::vec::IntoIter<Value>) -> Value {
        items.next().unwrap_or(Value::Nil)
    }
}

/// Times as the scripts see them: whole Unix seconds (floored) and
/// nanoseconds within the second.
pub(crate) mod instant {
    use time::{Duration, OffsetDateTime};

    const BILLION: i128 = 1_000_000_000;

    /// `(seconds, nanoseconds)` of a count of nanoseconds, floored.
    pub(crate) fn split(nanos: i128) -> (i128, i128) {
        (nanos.div_euclid(BILLION), nanos.rem_euclid(BILLION))
    }

    /// `(seconds, nanoseconds)` since the Unix epoch.
    pub(crate) fn of(at: OffsetDateTime) -> (i128, i128) {
        split(at.unix_timestamp_nanos())
    }

    /// `(seconds, nanoseconds)` of a duration, nanoseconds non-negative.
    pub(crate) fn of_duration(duration: Duration) -> (i128, i128) {
        split(duration.whole_nanoseconds())
    }

    /// The instant `(seconds, nanoseconds)` after the epoch, if
    /// representable.
    pub(crate) fn from_parts(seconds: i64, nanos: i64) -> Option<OffsetDateTime> {
        let total = i128::from(seconds)
            .checked_mul(BILLION)?
            .checked_add(i128::from(nanos))?;
        OffsetDateTime::from_unix_timestamp_nanos(total).ok()
    }
}
