//! hyper 1 serving a tower service behind `CredentialLayer`, through
//! `hyper_util::service::TowerToHyperService`.
//!
//! ```sh
//! cargo run -p credential-hyper --example hyper     # prints a key, listens on 127.0.0.1:8081
//! curl -s 127.0.0.1:8081/ -H "X-API-Key: $KEY"
//! ```

use std::convert::Infallible;
use std::error::Error;
use std::sync::Arc;

use bytes::Bytes;
use credential_core::Principal;
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_hyper::CredentialLayer;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{Layer, service_fn};

/// Greets the verified subject.
async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let subject = req
        .extensions()
        .get::<Principal>()
        .map_or("nobody", Principal::subject);
    Ok(Response::new(Full::new(Bytes::from(format!(
        "hello, {subject}\n"
    )))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_demo")?,
        Peppers::new(Pepper::generate(1)?),
    );
    let created = manager
        .create(NewKey::new("demo", "reports:read".parse()?))
        .await?;
    println!("KEY={}", created.key.expose_secret());

    let layer = CredentialLayer::new(manager.verifier()).require("reports:read")?;
    let listener = TcpListener::bind("127.0.0.1:8081").await?;
    println!("Listening on http://{}", listener.local_addr()?);
    serve(listener, layer).await
}

/// Serves [`hello`] behind `layer` on every connection `listener` accepts.
pub(crate) async fn serve(
    listener: TcpListener,
    layer: CredentialLayer,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let service = TowerToHyperService::new(layer.layer(service_fn(hello)));
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
