//! The demo server: an API protected by API keys and access tokens, with
//! key management and the OAuth 2.0 endpoints, on actix-web. The hyper
//! server (`cargo run --example server-hyper`) serves the same contract.
//!
//! ```sh
//! cargo run --example server                     # listens on 127.0.0.1:8080
//! cargo run --example server -- --bind 127.0.0.1:9000 --key-out demo.key
//! cargo run --example server -- --in-memory
//! ```
//!
//! | route | needs |
//! | --- | --- |
//! | `GET /health` | nothing |
//! | `GET /v1/whoami` | any valid credential |
//! | `GET /v1/reports`, `POST /v1/reports` | `reports:read`, `reports:write` |
//! | `POST /v1/keys`, `DELETE /v1/keys/{id}`, `POST /v1/keys/{id}/roll` | `keys:admin` |
//! | `POST /oauth/token` | client authentication with an API key |
//! | `POST /oauth/introspect` | a caller with `tokens:introspect` |
//! | `POST /oauth/revoke` | client authentication, or any credential |
//! | `GET /.well-known/jwks.json` | nothing |
//!
//! Keys, refresh tokens, revocations, signing keys and peppers are kept in
//! `./credential-demo.redb` (`--data FILE` to choose another): the first
//! start creates and prints a bootstrap key, later starts find it there.
//! `--in-memory` keeps everything in memory instead.

mod app;

use std::error::Error;
use std::net::TcpListener;
use std::process::ExitCode;

use actix_web::{App, HttpServer};
use credential_examples::demo::{Demo, Options, options_or_exit, welcome};

use app::Routes;

#[actix_web::main]
async fn main() -> ExitCode {
    let options = match options_or_exit("server") {
        Ok(options) => options,
        Err(code) => return code,
    };
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> Result<(), Box<dyn Error + Send + Sync>> {
    let demo = Demo::from_options(&options)?;
    let listener = TcpListener::bind(options.bind)?;
    welcome(&demo, &options, listener.local_addr()?).await?;
    let routes = Routes::new(demo)?;
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        App::new().configure(move |config| routes.configure(config))
    })
    .listen(listener)?
    .run();
    server.await?;
    Ok(())
}
