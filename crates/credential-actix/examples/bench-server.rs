//! The target of `benches/http-load.sh`: one handler served unprotected
//! and behind `CredentialAuth`, so a load generator can compare them.
//!
//! Each case has a server of its own, with the same one-route app on the
//! same path, so that routing costs the same in every case:
//!
//! - `--bind` port: `GET /hello`, the handler alone;
//! - the next port: the same handler behind the middleware, verifying
//!   API keys and HS256 access tokens (`CredentialVerifier`);
//! - the port after: the same, with EdDSA access tokens.
//!
//! On start it writes `KEY=…`, `HS256=…` and `EDDSA=…` lines (an API key
//! and two access tokens valid for an hour) to the `--credentials` file,
//! once every server is listening. `--no-token-cache` turns off the
//! verifiers' verified-token cache, so that every request verifies its
//! token's signature.
//!
//! ```sh
//! cargo run --release --example bench-server -- --bind 127.0.0.1:18181 --credentials creds.env
//! ```

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use credential_actix::CredentialAuth;
use credential_core::CredentialVerifier;
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
use time::Duration;

const ISSUER: &str = "urn:credential:bench";

struct Options {
    bind: SocketAddr,
    workers: usize,
    credentials: Option<PathBuf>,
    token_cache: bool,
}

fn options() -> Result<Options, Box<dyn Error>> {
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

/// The handler every route serves.
async fn hello() -> &'static str {
    "hello"
}

/// A token verifier and an issuer of one-hour tokens signed with `alg`.
fn tokens(alg: Algorithm, cache: bool) -> Result<(TokenIssuer, TokenVerifier), Box<dyn Error>> {
    let ring = KeyRing::new();
    ring.add_signing_key("bench", SigningKey::generate(alg)?)?;
    let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_lifetime(Duration::hours(1));
    let mut verifier = TokenVerifier::new(ring, Validation::new(ISSUER));
    if !cache {
        verifier = verifier.with_cache_capacity(0);
    }
    Ok((issuer, verifier))
}

/// A server on `addr` whose one route serves [`hello`], behind `auth`
/// when given.
fn serve(
    addr: SocketAddr,
    workers: usize,
    auth: Option<CredentialAuth>,
) -> Result<Server, Box<dyn Error>> {
    let listener = TcpListener::bind(addr)?;
    let server = HttpServer::new(move || {
        let route = web::get().to(hello);
        let route = match &auth {
            Some(auth) => route.wrap(auth.clone()),
            None => route,
        };
        App::new().route("/hello", route)
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(server)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let options = options()?;
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
        CredentialAuth::new(CredentialVerifier::new(manager.verifier(), hs_tokens));
    let keys_and_eddsa =
        CredentialAuth::new(CredentialVerifier::new(manager.verifier(), ed_tokens));

    let port = |offset: u16| -> Result<SocketAddr, Box<dyn Error>> {
        let port = options
            .bind
            .port()
            .checked_add(offset)
            .ok_or("port out of range")?;
        Ok(SocketAddr::new(options.bind.ip(), port))
    };
    let servers = [
        serve(port(0)?, options.workers, None)?,
        serve(port(1)?, options.workers, Some(keys_and_hs256))?,
        serve(port(2)?, options.workers, Some(keys_and_eddsa))?,
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
    // A server runs while it is polled: all three at once.
    let running = servers.map(actix_web::rt::spawn);
    for server in running {
        server.await??;
    }
    Ok(())
}
