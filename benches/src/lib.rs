//! Benchmarks for the credential workspace. Run them with
//! `cargo bench -p credential-benches`; each group puts this workspace's
//! code beside its peers (`jsonwebtoken`, bare `ring`) so a ratio comes
//! from one run on one machine.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that completes without waiting (the in-memory stores
/// never wait), so a measurement holds no executor overhead.
///
/// # Panics
///
/// If the future waits: such a bench needs a runtime instead.
#[allow(clippy::panic)]
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited"),
    }
}
