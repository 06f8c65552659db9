//! The hyper target of `benches/http-load.sh` (`SERVER=hyper`): one
//! handler served unprotected and behind `CredentialLayer`, so a load
//! generator can compare them.
//!
//! Each case has a server of its own, with the same service, so that
//! every case costs the same apart from the layer:
//!
//! - `--bind` port: `GET /hello`, the handler alone;
//! - the next port: the same handler behind the layer, verifying API keys
//!   and HS256 access tokens (`CredentialVerifier`);
//! - the port after: the same, with EdDSA access tokens.
//!
//! On start it writes `KEY=…`, `HS256=…` and `EDDSA=…` lines (an API key
//! and two access tokens valid for an hour) to the `--credentials` file,
//! once every server is listening. `--workers N` sets the runtime's
//! worker threads; `--no-token-cache` turns off the verifiers'
//! verified-token cache.
//!
//! ```sh
//! cargo run --release -p credential-hyper --example bench-server-hyper -- --bind 127.0.0.1:18181 --credentials creds.env
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use credential_examples::bench::{BenchCredentials, BenchError, BenchOptions};
use credential_hyper::CredentialLayer;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Layer, service_fn};

/// The handler every server serves.
async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

/// Serves [`hello`], behind `layer` when given, on every connection
/// `listener` accepts.
async fn serve(listener: TcpListener, layer: Option<CredentialLayer>) -> Result<(), BenchError> {
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let io = TokioIo::new(stream);
        match &layer {
            Some(layer) => {
                let service = TowerToHyperService::new(layer.layer(service_fn(hello)));
                tokio::spawn(http1::Builder::new().serve_connection(io, service));
            }
            None => {
                let service = TowerToHyperService::new(service_fn(hello));
                tokio::spawn(http1::Builder::new().serve_connection(io, service));
            }
        }
    }
}

fn main() -> Result<(), BenchError> {
    let options = BenchOptions::from_args()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()?
        .block_on(run(options))
}

async fn run(options: BenchOptions) -> Result<(), BenchError> {
    let credentials = BenchCredentials::new(options.token_cache).await?;
    let hs256 = CredentialLayer::from_shared(credentials.keys_and_hs256.clone());
    let eddsa = CredentialLayer::from_shared(credentials.keys_and_eddsa.clone());
    let servers = [
        tokio::spawn(serve(TcpListener::bind(options.addr(0)?).await?, None)),
        tokio::spawn(serve(
            TcpListener::bind(options.addr(1)?).await?,
            Some(hs256),
        )),
        tokio::spawn(serve(
            TcpListener::bind(options.addr(2)?).await?,
            Some(eddsa),
        )),
    ];
    credentials.write(&options)?;
    for server in servers {
        server.await??;
    }
    Ok(())
}
