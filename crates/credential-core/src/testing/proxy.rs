//! A TCP proxy on loopback that a test can cut and restore, to show what a
//! store client does when its server becomes unreachable, without touching
//! the server itself.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Forwards connections from a loopback port to `target` until cut.
///
/// - [`cut`](Self::cut) drops every open connection and, until
///   [`restore`](Self::restore), accepts new ones only to drop them at
///   once, as a network partition looks to a client: connections fail,
///   none hangs forever.
/// - [`freeze`](Self::freeze) keeps every connection open and forwards
///   nothing more, as a connection that died silently looks: only a
///   client's own timeouts notice.
/// - [`reset`](Self::reset) drops the open connections and goes on
///   accepting, as a server restart looks.
///
/// Dropping the proxy stops it.
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    mode: Arc<AtomicU8>,
    /// Bumped at every change, to end the connections of before.
    changes: watch::Sender<u64>,
    accepting: JoinHandle<()>,
}

/// Forward.
const PASS: u8 = 0;
/// Drop connections at once.
const REFUSE: u8 = 1;
/// Keep connections open, forward nothing.
const FREEZE: u8 = 2;

impl TcpProxy {
    /// A proxy on a free loopback port to `target`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let mode = Arc::new(AtomicU8::new(PASS));
        let (changes, _) = watch::channel(0u64);
        let accepting = tokio::spawn(accept(listener, target, Arc::clone(&mode), changes.clone()));
        Ok(Self {
            addr,
            target,
            mode,
            changes,
            accepting,
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every connection and refuses new ones until restored.
    pub fn cut(&self) {
        self.set(REFUSE);
    }

    /// Keeps every connection open, new ones too, and forwards nothing
    /// until restored.
    pub fn freeze(&self) {
        self.set(FREEZE);
    }

    /// Drops every open connection and goes on forwarding new ones.
    pub fn reset(&self) {
        self.set(PASS);
    }

    /// Forwards new connections again; connections left from a cut or a
    /// freeze are dropped.
    pub fn restore(&self) {
        self.set(PASS);
    }

    /// Whether connections are forwarded.
    pub fn is_up(&self) -> bool {
        self.mode.load(Ordering::SeqCst) == PASS
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        self.changes.send_modify(|change| *change += 1);
    }
}

async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    mode: Arc<AtomicU8>,
    changes: watch::Sender<u64>,
) {
    while let Ok((mut client, _)) = listener.accept().await {
        let mut changed = changes.subscribe();
        match mode.load(Ordering::SeqCst) {
            REFUSE => continue,
            FREEZE => {
                // Held open, silent, until the next change.
                tokio::spawn(async move {
                    let _ = changed.changed().await;
                    drop(client);
                });
                continue;
            }
            _ => {}
        }
        let mode = Arc::clone(&mode);
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(target).await else {
                return;
            };
            // A change is looked at before any byte is forwarded: once
            // `freeze` returns, nothing written after it goes through.
            let frozen = tokio::select! {
                biased;
                _ = changed.changed() => mode.load(Ordering::SeqCst) == FREEZE,
                _ = copy_bidirectional(&mut client, &mut server) => false,
            };
            if frozen {
                // Both ends stay open, silent, until the next change.
                let _ = changed.changed().await;
            }
        });
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.set(REFUSE);
    }
}

impl fmt::Debug for TcpProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpProxy")
            .field("addr", &self.addr)
            .field("target", &self.target)
            .field("up", &self.is_up())
            .finish()
    }
}
