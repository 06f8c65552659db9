//! The demo server on hyper 1 with `CredentialLayer`: the same contract as
//! the actix-web server (`cargo run --example server`), the same flags,
//! routes, bodies and status codes.
//!
//! ```sh
//! cargo run --example server-hyper                     # listens on 127.0.0.1:8080
//! cargo run --example server-hyper -- --bind 127.0.0.1:9000 --key-out demo.key
//! cargo run --example server-hyper -- --in-memory
//! ```
//!
//! Keys, refresh tokens, revocations, signing keys and peppers are kept in
//! `./credential-demo.redb` (`--data FILE` to choose another): the first
//! start creates and prints a bootstrap key, later starts find it there.
//! `--in-memory` keeps everything in memory instead.

pub(crate) mod app;

use std::error::Error;
use std::process::ExitCode;

use credential_examples::demo::{Demo, Options, options_or_exit, welcome};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::service_fn;

use app::Routes;

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options_or_exit("server-hyper") {
        Ok(options) => options,
        Err(code) => return code,
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server-hyper: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), Box<dyn Error + Send + Sync>> {
    let demo = Demo::from_options(&options)?;
    let listener = TcpListener::bind(options.bind).await?;
    welcome(&demo, &options, listener.local_addr()?).await?;
    tokio::select! {
        served = serve(listener, Routes::new(demo)?) => served,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// Serves `routes` on every connection `listener` accepts.
pub(crate) async fn serve(
    listener: TcpListener,
    routes: Routes,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let service = TowerToHyperService::new(service_fn(move |req| routes.clone().serve(req)));
    loop {
        let (stream, _) = listener.accept().await?;
        let service = service.clone();
        tokio::spawn(async move {
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(error) = served {
                eprintln!("connection: {error}");
            }
        });
    }
}
