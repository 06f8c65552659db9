//! # credential-actix
//!
//! [actix-web 4](https://actix.rs) integration for `credential-core`:
//! middleware that verifies API keys and access tokens, extractors for the
//! verified [`Principal`](credential_core::Principal), scope requirements
//! per route and per scope of routes, and the OAuth 2.0 endpoints as
//! routes. Everything that does not depend on actix-web (finding the
//! credential in header values, the public face of a rejection, OAuth
//! request parsing and responses) lives in `credential-core`; this crate
//! wires it in.
//!
//! ```
//! use actix_web::{App, HttpResponse, test, web};
//! use credential_actix::{Authenticated, CredentialAuth};
//! use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
//! use std::sync::Arc;
//!
//! # actix_web::rt::System::new().block_on(async {
//! let manager = KeyManager::new(
//!     Arc::new(MemoryKeyStore::new()),
//!     KeyFormat::new("sk_live")?,
//!     Peppers::new(Pepper::generate(1)?),
//! );
//! let created = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?;
//!
//! // Requirements are parsed here, at start-up: a typo fails now.
//! let auth = CredentialAuth::new(manager.verifier()).realm("reports")?;
//! let app = test::init_service(
//!     App::new()
//!         .route("/health", web::get().to(HttpResponse::Ok))
//!         .service(
//!             web::scope("/v1")
//!                 .wrap(auth.require("reports:read")?)
//!                 .route("/whoami", web::get().to(|who: Authenticated| async move {
//!                     HttpResponse::Ok().body(who.subject().to_owned())
//!                 })),
//!         ),
//! )
//! .await;
//!
//! let request = test::TestRequest::get()
//!     .uri("/v1/whoami")
//!     .insert_header(("authorization", format!("Bearer {}", created.key.expose_secret())))
//!     .to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(test::read_body(response).await, "acme");
//!
//! // Unknown, revoked, expired…: every invalid credential gets one answer.
//! manager.revoke(&created.record.id).await?;
//! let request = test::TestRequest::get()
//!     .uri("/v1/whoami")
//!     .insert_header(("x-api-key", created.key.expose_secret()))
//!     .to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), 401);
//! assert_eq!(
//!     response.headers().get("www-authenticate").unwrap(),
//!     r#"Bearer realm="reports", error="invalid_token""#
//! );
//! let body: serde_json::Value = test::read_body_json(response).await;
//! assert_eq!(body["error"], "invalid_token");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Where things are
//!
//! - [`CredentialAuth`]: the middleware (an actix `Transform`), its
//!   options (optional mode, CORS preflight skip, realm, credential
//!   sources, error body hook) and per-route or per-scope requirements.
//! - [`Authenticated`] and [`MaybeAuthenticated`]: extractors, behind the
//!   middleware or on their own with the configuration as app data.
//! - [`CredentialError`] and [`ErrorBody`]: refusals as actix-web errors.
//! - [`OAuthRoutes`]: token, introspection, revocation and JWKS routes.
//! - [`ConfigError`]: what can go wrong at start-up.
//!
//! ## Rejections
//!
//! | reason | status | headers |
//! | --- | --- | --- |
//! | no credential | 401 | `WWW-Authenticate: Bearer realm="…"` |
//! | malformed request or credential | 400 | `…, error="invalid_request"` |
//! | unknown, bad checksum, bad signature, expired, revoked, disabled | 401 | `…, error="invalid_token"` |
//! | missing scope | 403 | `…, error="insufficient_scope", scope="…"` |
//! | rate limited | 429 | `Retry-After` |
//! | credits used up | 429 or as configured | `Retry-After` when they refill |
//! | store unavailable | 503 | — |
//!
//! ## Crate features
//!
//! - `tracing` (default): one `credential_check` span per request check,
//!   and core's events for every verification outcome.

#![forbid(unsafe_code)]

mod auth;
mod extract;
pub mod oauth;
mod rejection;
mod request;

pub use auth::{CredentialAuth, CredentialAuthMiddleware};
pub use credential_core::guard::ConfigError;
pub use credential_core::render::ErrorBody;
pub use extract::{Authenticated, MaybeAuthenticated};
pub use oauth::OAuthRoutes;
pub use rejection::CredentialError;
