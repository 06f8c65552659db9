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

/// Times `ours` and `peer` in alternating batches of `batch` calls, 200
/// rounds, and prints both fastest batches (per call) and their ratio.
///
/// On shared virtual cores a single criterion run drifts by ±10–20 %, and
/// two groups measured one after the other drift apart. Alternating puts
/// both under the same conditions, and the fastest batch is what each
/// costs when nothing interferes, so the ratio is steady from run to run.
/// Returns `(ours, peer)` in nanoseconds per call.
pub fn interleaved<A, B>(
    name: &str,
    batch: u32,
    mut ours: impl FnMut() -> A,
    mut peer: impl FnMut() -> B,
) -> (f64, f64) {
    use std::hint::black_box;
    use std::time::Instant;

    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
    };
    let (mut best_ours, mut best_peer) = (f64::MAX, f64::MAX);
    for _ in 0..200 {
        best_ours = best_ours.min(time(&mut || {
            black_box(ours());
        }));
        best_peer = best_peer.min(time(&mut || {
            black_box(peer());
        }));
    }
    println!(
        "interleaved {name}: ours {best_ours:.0} ns, peer {best_peer:.0} ns, ours/peer {:.2}, peer/ours {:.2}",
        best_ours / best_peer,
        best_peer / best_ours,
    );
    (best_ours, best_peer)
}
