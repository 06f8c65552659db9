//! A TCP proxy on loopback that a test can cut and restore, to show what a
//! store client does when its server becomes unreachable, without touching
//! the server itself.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Forwards connections from a loopback port to `target` until cut.
///
/// [`cut`](Self::cut) drops every open connection and, until
/// [`restore`](Self::restore), accepts new ones only to drop them at once,
/// as a network partition looks to a client: connections fail, none
/// hangs forever. Dropping the proxy stops it.
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    /// Bumped at every cut, to close the connections of before.
    cuts: watch::Sender<u64>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// A proxy on a free loopback port to `target`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let up = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let accepting = tokio::spawn(accept(listener, target, Arc::clone(&up), cuts.clone()));
        Ok(Self {
            addr,
            target,
            up,
            cuts,
            accepting,
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Drops every connection and refuses new ones until restored.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|cut| *cut += 1);
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// Whether connections are forwarded.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }
}

async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
) {
    while let Ok((mut client, _)) = listener.accept().await {
        if !up.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let mut cut = cuts.subscribe();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(target).await else {
                return;
            };
            tokio::select! {
                _ = copy_bidirectional(&mut client, &mut server) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cuts.send_modify(|cut| *cut += 1);
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
