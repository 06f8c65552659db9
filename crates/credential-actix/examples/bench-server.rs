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

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use credential_actix::CredentialAuth;
use credential_examples::bench::{BenchCredentials, BenchError, BenchOptions};
use std::net::{SocketAddr, TcpListener};

/// The handler every route serves.
async fn hello() -> &'static str {
    "hello"
}

/// A server on `addr` whose one route serves [`hello`], behind `auth`
/// when given.
fn serve(
    addr: SocketAddr,
    workers: usize,
    auth: Option<CredentialAuth>,
) -> Result<Server, BenchError> {
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
async fn main() -> Result<(), BenchError> {
    let options = BenchOptions::from_args()?;
    let credentials = BenchCredentials::new(options.token_cache).await?;
    let hs256 = CredentialAuth::from_shared(credentials.keys_and_hs256.clone());
    let eddsa = CredentialAuth::from_shared(credentials.keys_and_eddsa.clone());
    let servers = [
        serve(options.addr(0)?, options.workers, None)?,
        serve(options.addr(1)?, options.workers, Some(hs256))?,
        serve(options.addr(2)?, options.workers, Some(eddsa))?,
    ];
    credentials.write(&options)?;
    // A server runs while it is polled: all three at once.
    let running = servers.map(actix_web::rt::spawn);
    for server in running {
        server.await??;
    }
    Ok(())
}
