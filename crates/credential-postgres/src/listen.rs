//! Push invalidation: LISTEN on the schema's channel, forwarded to a
//! channel of [`Notification`]s.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::time::Duration;

use credential_core::key::{Invalidation, Invalidator, KeyId};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Socket};

use crate::error::{PostgresError, TimedOut};
use crate::store::PostgresStore;

/// How many invalidations wait for the receiver before the listener
/// collapses them into one [`Notification::All`].
pub const SUBSCRIPTION_CAPACITY: usize = 1024;

/// How long the listening connection may stay silent before the listener
/// checks that it is alive.
pub const LISTEN_PING_INTERVAL: Duration = Duration::from_secs(15);

/// The longest wait between two attempts to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a cache in front of a [`PostgresStore`] must forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notification {
    /// The record of this key changed (created, updated, revoked, rolled,
    /// re-hashed): drop it, and any negative entry for its id.
    Key(KeyId),
    /// An access token or client was revoked: drop cached "not revoked"
    /// answers.
    Revocations,
    /// Notifications may have been missed (the listener reconnected, or
    /// the receiver fell behind): drop everything.
    All,
}

impl Notification {
    /// Reads a notification payload sent by the store. A payload this
    /// release does not know (from a newer one) means [`Self::All`].
    pub fn from_payload(payload: &str) -> Self {
        match payload.split_once(':') {
            Some(("key", id)) => id.parse().map_or(Self::All, Self::Key),
            None if payload == "revocation" => Self::Revocations,
            _ => Self::All,
        }
    }
}

type PgConnection = Connection<Socket, NoTlsStream>;

impl PostgresStore {
    /// Keeps a [`CachedKeyStore`](credential_core::key::CachedKeyStore)
    /// in step with changes made through any store on this schema: each
    /// changed key is forgotten as its notification arrives, and
    /// everything when notifications may have been missed (the listening
    /// connection was lost, or fell behind) or the listener stops. The
    /// task runs until aborted or the runtime ends.
    ///
    /// # Errors
    ///
    /// As [`subscribe`](Self::subscribe).
    pub async fn follow(&self, invalidator: Invalidator) -> Result<JoinHandle<()>, PostgresError> {
        let mut changes = self.subscribe().await?;
        // What the cache read before the LISTEN took effect may have
        // changed unannounced.
        invalidator.apply(Invalidation::All);
        Ok(tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                match change {
                    Notification::Key(id) => invalidator.apply(Invalidation::Key(id)),
                    Notification::All => invalidator.apply(Invalidation::All),
                    Notification::Revocations => {}
                }
            }
            invalidator.apply(Invalidation::All);
        }))
    }

    /// Listens for changes made through any store on this schema, by any
    /// process, and returns them as they arrive.
    ///
    /// This opens one dedicated connection (outside the pool), runs
    /// `LISTEN` on [`channel`](Self::channel), and spawns a task that
    /// forwards each notification as an [`Notification`]. Writes that
    /// change a key record (insert, update, revoke, roll, hash upgrade)
    /// send `key:<id>`; token and client revocations send `revocation`.
    /// Notifications are sent on commit, so a receiver that sees one reads
    /// the new state. Recording a use and spending a credit send nothing:
    /// caches must not serve `last_used_at` or credit counts, and the
    /// verifier spends credits through the store anyway.
    ///
    /// The task keeps going until the receiver is dropped:
    ///
    /// - If the connection fails or a liveness check (every
    ///   [`LISTEN_PING_INTERVAL`] of silence) gets no answer within the
    ///   store's timeout, it sends [`Notification::All`] at once (a cache
    ///   then stops serving what it holds, and a server cut off from the
    ///   database fails closed with it), reconnects with backoff (up to
    ///   5 s between attempts) and sends [`Notification::All`] again,
    ///   since changes made in between were not seen.
    /// - If the receiver lets [`SUBSCRIPTION_CAPACITY`] invalidations pile
    ///   up, further ones are dropped and replaced by one
    ///   [`Notification::All`] as soon as there is room.
    ///
    /// A cache's maximum staleness is therefore the notification latency
    /// while connected, and at most the ping interval plus the timeout
    /// plus the reconnection time after a silent network failure: a cache
    /// should also keep a TTL. If the receiver ever yields `None`, the
    /// listener stopped (its runtime shut down) and nothing will be
    /// invalidated any more.
    ///
    /// # Errors
    ///
    /// [`PostgresError::Unavailable`] if the first connection or `LISTEN`
    /// fails within the timeout; [`PostgresError::NoListenConfig`] for a
    /// store made by [`from_pool`](Self::from_pool) without
    /// [`with_listen_config`](Self::with_listen_config);
    /// [`PostgresError::NoRuntime`] outside a Tokio runtime.
    pub async fn subscribe(&self) -> Result<mpsc::Receiver<Notification>, PostgresError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| PostgresError::NoRuntime)?;
        let config = self
            .inner
            .listen_config
            .clone()
            .ok_or(PostgresError::NoListenConfig)?;
        let listener = Listener {
            config,
            channel: self.inner.channel.clone(),
            timeout: self.inner.timeout,
        };
        let (client, connection) = listener.open().await?;
        let (sender, receiver) = mpsc::channel(SUBSCRIPTION_CAPACITY);
        drop(runtime.spawn(listener.run(client, connection, sender)));
        Ok(receiver)
    }
}

/// The settings of the listening connection.
struct Listener {
    config: tokio_postgres::Config,
    channel: String,
    timeout: Duration,
}

/// Why the connection loop ended.
enum Ended {
    /// The receiver is gone.
    Unsubscribed,
    /// The connection failed; reconnect.
    Failed,
}

/// The forwarding side: which channel is ours and whether an `All` is
/// owed to the receiver.
struct Forward {
    channel: String,
    owe_all: bool,
}

impl Forward {
    fn push(&mut self, sender: &mpsc::Sender<Notification>, invalidation: Notification) {
        if self.owe_all {
            return;
        }
        if sender.try_send(invalidation).is_err() {
            // Full (or closed, which the loop notices): one `All` replaces
            // whatever is dropped here.
            self.owe_all = true;
        }
    }

    fn message(&mut self, sender: &mpsc::Sender<Notification>, message: AsyncMessage) {
        if let AsyncMessage::Notification(notification) = message
            && notification.channel() == self.channel
        {
            self.push(sender, Notification::from_payload(notification.payload()));
        }
    }
}

impl Listener {
    /// Connects and runs `LISTEN`, within the timeout.
    async fn open(&self) -> Result<(Client, PgConnection), PostgresError> {
        let open = async {
            let (client, mut connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(PostgresError::unavailable)?;
            let listen = format!("LISTEN \"{}\"", self.channel);
            // Nothing else is listened to yet: messages here are notices.
            drive(&mut connection, client.batch_execute(&listen), None)
                .await
                .map_err(PostgresError::unavailable)?
                .map_err(PostgresError::unavailable)?;
            Ok((client, connection))
        };
        match tokio::time::timeout(self.timeout, open).await {
            Ok(opened) => opened,
            Err(_) => Err(PostgresError::unavailable(TimedOut {
                operation: "listen",
                after: self.timeout,
            })),
        }
    }

    /// Forwards notifications until the receiver is dropped, reconnecting
    /// as needed.
    async fn run(
        self,
        client: Client,
        connection: PgConnection,
        sender: mpsc::Sender<Notification>,
    ) {
        let mut forward = Forward {
            channel: self.channel.clone(),
            owe_all: false,
        };
        let mut opened = Some((client, connection));
        let mut backoff = Duration::from_millis(100);
        loop {
            let (client, connection) = match opened.take() {
                Some(pair) => pair,
                None => {
                    let owe_all = forward.owe_all;
                    tokio::select! {
                        () = sender.closed() => return,
                        // An `All` owed since the connection was lost is
                        // paid as soon as there is room, not only once
                        // reconnected.
                        permit = sender.reserve(), if owe_all => {
                            match permit {
                                Ok(permit) => {
                                    permit.send(Notification::All);
                                    forward.owe_all = false;
                                }
                                Err(_) => return,
                            }
                            continue;
                        }
                        () = tokio::time::sleep(backoff) => {}
                    }
                    match self.open().await {
                        Ok(pair) => {
                            backoff = Duration::from_millis(100);
                            // Whatever changed while disconnected was missed.
                            forward.owe_all = true;
                            pair
                        }
                        Err(_error) => {
                            #[cfg(feature = "tracing")]
                            tracing::warn!(
                                channel = %self.channel,
                                error = %_error,
                                "reconnecting the PostgreSQL listener failed"
                            );
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            continue;
                        }
                    }
                }
            };
            match self.listen(client, connection, &sender, &mut forward).await {
                Ended::Unsubscribed => return,
                Ended::Failed => {
                    // Changes are missed from now until the reconnection:
                    // say so at once, so that caches stop serving what
                    // they hold, and again once reconnected.
                    forward.owe_all = false;
                    forward.push(&sender, Notification::All);
                    #[cfg(feature = "tracing")]
                    tracing::warn!(
                        channel = %self.channel,
                        "the PostgreSQL listener lost its connection; reconnecting"
                    );
                }
            }
        }
    }

    /// Drives one connection: forwards notifications, pays owed `All`s,
    /// and checks the connection is alive when it is silent.
    async fn listen(
        &self,
        client: Client,
        mut connection: PgConnection,
        sender: &mpsc::Sender<Notification>,
        forward: &mut Forward,
    ) -> Ended {
        loop {
            if sender.is_closed() {
                return Ended::Unsubscribed;
            }
            let owe_all = forward.owe_all;
            tokio::select! {
                () = sender.closed() => return Ended::Unsubscribed,
                permit = sender.reserve(), if owe_all => {
                    match permit {
                        Ok(permit) => {
                            permit.send(Notification::All);
                            forward.owe_all = false;
                        }
                        Err(_) => return Ended::Unsubscribed,
                    }
                }
                message = poll_fn(|cx| connection.poll_message(cx)) => match message {
                    Some(Ok(message)) => forward.message(sender, message),
                    Some(Err(_)) | None => return Ended::Failed,
                },
                () = tokio::time::sleep(LISTEN_PING_INTERVAL) => {
                    let ping = drive(
                        &mut connection,
                        client.simple_query("SELECT 1"),
                        Some((sender, &mut *forward)),
                    );
                    match tokio::time::timeout(self.timeout, ping).await {
                        Ok(Ok(Ok(_))) => {}
                        _ => return Ended::Failed,
                    }
                }
            }
        }
    }
}

/// Runs `work` (a request on the connection's client) while driving the
/// connection, forwarding notifications to `sink` if given. `Err`
/// when the connection ends or fails first.
async fn drive<T>(
    connection: &mut PgConnection,
    work: impl Future<Output = T>,
    mut sink: Option<(&mpsc::Sender<Notification>, &mut Forward)>,
) -> Result<T, Box<dyn std::error::Error + Send + Sync>> {
    let mut work = pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            message = poll_fn(|cx| connection.poll_message(cx)) => match message {
                Some(Ok(message)) => {
                    if let Some((sender, forward)) = sink.as_mut() {
                        forward.message(sender, message);
                    }
                }
                Some(Err(error)) => return Err(error.into()),
                None => return Err("the connection closed".into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        let id: KeyId = "0123456789abcdef".parse().unwrap();
        assert_eq!(
            Notification::from_payload("key:0123456789abcdef"),
            Notification::Key(id)
        );
        assert_eq!(
            Notification::from_payload("revocation"),
            Notification::Revocations
        );
        for other in ["key:short", "key", "", "refresh:x", "revocation:x"] {
            assert_eq!(
                Notification::from_payload(other),
                Notification::All,
                "{other}"
            );
        }
    }
}
