//! The idiomatic axum setup: one layer verifies every route, per-route
//! requirements as route layers, and the principal as an extractor.
//!
//! ```sh
//! cargo run -p credential-hyper --example axum      # prints a key, listens on 127.0.0.1:8082
//! curl -s 127.0.0.1:8082/whoami -H "Authorization: Bearer $KEY"
//! ```

use std::error::Error;
use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::routing::get;
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_hyper::{Authenticated, ConfigError, CredentialLayer, MaybeAuthenticated};

/// The routes, behind `auth`.
pub(crate) fn app(auth: CredentialLayer) -> Result<Router, ConfigError> {
    // Requirements are parsed here: a typo stops the start.
    Ok(Router::new()
        .route(
            "/reports",
            get(list.layer(auth.require("reports:read")?))
                .post(create.layer(auth.require("reports:write")?)),
        )
        .route("/whoami", get(whoami))
        // Verifies any credential once; the per-route layers above only
        // check their scopes against the principal it found.
        .layer(auth.optional())
        // Added after the layer: not checked.
        .route("/health", get(|| async { "ok" })))
}

async fn list(who: Authenticated) -> String {
    format!("reports of {}", who.subject())
}

async fn create(who: Authenticated) -> (StatusCode, String) {
    (
        StatusCode::CREATED,
        format!("created for {}", who.subject()),
    )
}

/// Anyone: the subject when a credential was sent.
async fn whoami(who: MaybeAuthenticated) -> String {
    who.principal()
        .map_or("anonymous".to_owned(), |p| p.subject().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_demo")?,
        Peppers::new(Pepper::generate(1)?),
    );
    let created = manager
        .create(NewKey::new("demo", "reports:read".parse()?))
        .await?;
    println!("KEY={}", created.key.expose_secret());

    let app = app(CredentialLayer::new(manager.verifier()).realm("demo")?)?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:8082").await?;
    println!("Listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
