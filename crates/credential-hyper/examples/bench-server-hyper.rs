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
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use credential_core::CredentialVerifier;
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
use credential_hyper::CredentialLayer;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use time::Duration;
use tokio::net::TcpListener;
use tower::{Layer, service_fn};

const ISSUER: &str = "urn:credential:bench";

type BoxError = Box<dyn Error + Send + Sync>;

struct Options {
    bind: SocketAddr,
    workers: usize,
    credentials: Option<PathBuf>,
    token_cache: bool,
}

fn options() -> Result<Options, BoxError> {
    let mut options = Options {
        bind: SocketAddr::from(([127, 0, 0, 1], 18181)),
        workers: 1,
        credentials: None,
        token_cache: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--bind" => options.bind = value()?.parse()?,
            "--workers" => options.workers = value()?.parse()?,
            "--credentials" => options.credentials = Some(PathBuf::from(value()?)),
            "--no-token-cache" => options.token_cache = false,
            other => return Err(format!("unknown argument: {other}").into()),
        }
    }
    Ok(options)
}

/// The handler every server serves.
async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

/// A token verifier and an issuer of one-hour tokens signed with `alg`.
fn tokens(alg: Algorithm, cache: bool) -> Result<(TokenIssuer, TokenVerifier), BoxError> {
    let ring = KeyRing::new();
    ring.add_signing_key("bench", SigningKey::generate(alg)?)?;
    let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_lifetime(Duration::hours(1));
    let mut verifier = TokenVerifier::new(ring, Validation::new(ISSUER));
    if !cache {
        verifier = verifier.with_cache_capacity(0);
    }
    Ok((issuer, verifier))
}

/// Serves [`hello`], behind `layer` when given, on every connection
/// `listener` accepts.
async fn serve(listener: TcpListener, layer: Option<CredentialLayer>) -> Result<(), BoxError> {
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

fn main() -> Result<(), BoxError> {
    let options = options()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()?
        .block_on(run(options))
}

async fn run(options: Options) -> Result<(), BoxError> {
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_bench")?,
        Peppers::new(Pepper::generate(1)?),
    );
    let created = manager
        .create(NewKey::new("bench", "reports:read".parse()?))
        .await?;
    let (hs_issuer, hs_tokens) = tokens(Algorithm::HS256, options.token_cache)?;
    let (ed_issuer, ed_tokens) = tokens(Algorithm::EdDSA, options.token_cache)?;
    let hs256 = hs_issuer.mint_for_key(&created.record, None)?;
    let eddsa = ed_issuer.mint_for_key(&created.record, None)?;
    let keys_and_hs256 =
        CredentialLayer::new(CredentialVerifier::new(manager.verifier(), hs_tokens));
    let keys_and_eddsa =
        CredentialLayer::new(CredentialVerifier::new(manager.verifier(), ed_tokens));

    let port = |offset: u16| -> Result<SocketAddr, BoxError> {
        let port = options
            .bind
            .port()
            .checked_add(offset)
            .ok_or("port out of range")?;
        Ok(SocketAddr::new(options.bind.ip(), port))
    };
    let servers = [
        tokio::spawn(serve(TcpListener::bind(port(0)?).await?, None)),
        tokio::spawn(serve(
            TcpListener::bind(port(1)?).await?,
            Some(keys_and_hs256),
        )),
        tokio::spawn(serve(
            TcpListener::bind(port(2)?).await?,
            Some(keys_and_eddsa),
        )),
    ];
    if let Some(path) = &options.credentials {
        std::fs::write(
            path,
            format!(
                "KEY={}\nHS256={}\nEDDSA={}\n",
                created.key.expose_secret(),
                hs256.token.expose_secret(),
                eddsa.token.expose_secret()
            ),
        )?;
    }
    for server in servers {
        server.await??;
    }
    Ok(())
}
