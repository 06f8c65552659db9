//! Following the invalidation channel: other servers' writes, pushed to a
//! local cache.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::time::Duration;

use credential_core::key::{Invalidation, Invalidator, KeyId};
use futures_core::Stream;
use redis::aio::{PubSubSink, PubSubStream};
use redis::{Client, Msg, RedisError, Value};
use tokio::task::JoinHandle;

use crate::store::{RedisStore, timed_out};

/// The first wait before subscribing again after the channel was lost.
pub const FOLLOW_MIN_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between attempts to subscribe again; each failure
/// doubles the wait up to this.
pub const FOLLOW_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often a follower pings Redis on its subscription by default
/// ([`RedisStoreBuilder::ping_interval`](crate::RedisStoreBuilder::ping_interval)),
/// so that a connection that died without closing is noticed within this
/// interval plus the response timeout.
pub const FOLLOW_PING_INTERVAL: Duration = Duration::from_secs(5);

impl RedisStore {
    /// Spawns a task that applies every key id published on
    /// [`channel`](Self::channel) to `invalidator`, until the task is
    /// aborted. See [`follower`](Self::follower) for the rules.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as [`tokio::spawn`] does.
    pub fn follow(&self, invalidator: Invalidator) -> JoinHandle<()> {
        tokio::spawn(self.follower(invalidator))
    }

    /// The task behind [`follow`](Self::follow), for callers that spawn
    /// their own tasks. It runs until dropped:
    ///
    /// - it subscribes on a connection of its own, then forgets everything
    ///   ([`Invalidation::All`]), since changes may have been published
    ///   before the subscription took effect;
    /// - each message forgets the key it names ([`Invalidation::Key`]); a
    ///   message that names no key forgets everything;
    /// - when the connection fails, or a ping gets no answer within the
    ///   response timeout, it forgets everything, and again after every
    ///   failed attempt to subscribe, which it retries with a backoff from
    ///   [`FOLLOW_MIN_BACKOFF`] doubling to [`FOLLOW_MAX_BACKOFF`].
    ///
    /// So a cache fed by a follower serves a record changed elsewhere for
    /// at most the delivery time of one message (well under a millisecond
    /// on a local network) while the subscription holds; for at most the
    /// ping interval ([`FOLLOW_PING_INTERVAL`] by default) plus the
    /// response timeout when the connection dies silently; and never for
    /// longer than the cache's own TTL.
    pub fn follower(&self, invalidator: Invalidator) -> impl Future<Output = ()> + Send + 'static {
        let follower = Follower {
            client: self.shared.client.clone(),
            channel: self.shared.channel.clone(),
            connection_timeout: self.shared.connection_timeout,
            response_timeout: self.shared.response_timeout,
            ping_interval: self.shared.ping_interval,
            invalidator,
        };
        follower.run()
    }
}

/// What a follower task owns.
struct Follower {
    client: Client,
    channel: String,
    connection_timeout: Duration,
    response_timeout: Duration,
    ping_interval: Duration,
    invalidator: Invalidator,
}

impl Follower {
    async fn run(self) {
        let mut backoff = FOLLOW_MIN_BACKOFF;
        loop {
            if let Ok((sink, stream)) = self.subscribe().await {
                self.invalidator.apply(Invalidation::All);
                backoff = FOLLOW_MIN_BACKOFF;
                self.listen(sink, stream).await;
            }
            // Lost, or never subscribed: whatever was published meanwhile
            // is unknown.
            self.invalidator.apply(Invalidation::All);
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2).min(FOLLOW_MAX_BACKOFF);
        }
    }

    /// A new connection subscribed to the channel.
    async fn subscribe(&self) -> Result<(PubSubSink, PubSubStream), RedisError> {
        let connecting = self.client.get_async_pubsub();
        let pubsub = tokio::time::timeout(self.connection_timeout, connecting)
            .await
            .map_err(|_| timed_out(self.connection_timeout))??;
        let (mut sink, stream) = pubsub.split();
        tokio::time::timeout(self.response_timeout, sink.subscribe(&self.channel))
            .await
            .map_err(|_| timed_out(self.response_timeout))??;
        Ok((sink, stream))
    }

    /// Applies messages until the connection is lost.
    async fn listen(&self, mut sink: PubSubSink, mut stream: PubSubStream) {
        // `interval` refuses a zero period.
        let mut ping = tokio::time::interval(self.ping_interval.max(Duration::from_millis(1)));
        // The first tick is immediate; the subscription just answered.
        ping.tick().await;
        loop {
            tokio::select! {
                message = next_message(&mut stream) => {
                    let Some(message) = message else {
                        return;
                    };
                    let invalidation = KeyId::from_bytes(message.get_payload_bytes())
                        .map_or(Invalidation::All, Invalidation::Key);
                    self.invalidator.apply(invalidation);
                }
                _ = ping.tick() => {
                    let answer = tokio::time::timeout(self.response_timeout, sink.ping::<Value>()).await;
                    if !matches!(answer, Ok(Ok(_))) {
                        return;
                    }
                }
            }
        }
    }
}

/// The next message of a subscription, or `None` once its connection is
/// closed.
fn next_message(stream: &mut PubSubStream) -> impl Future<Output = Option<Msg>> + '_ {
    poll_fn(move |cx| Pin::new(&mut *stream).poll_next(cx))
}
