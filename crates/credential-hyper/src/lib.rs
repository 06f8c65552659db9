//! # credential-hyper
//!
//! A [tower](https://docs.rs/tower) layer that verifies API keys and
//! access tokens with `credential-core`, for [hyper 1](https://hyper.rs),
//! [axum](https://docs.rs/axum) and [tonic](https://docs.rs/tonic) — any
//! tower stack over `http::Request`. Everything that does not depend on
//! the framework (finding the credential in header values, the check, the
//! public face of a rejection) lives in `credential-core`'s
//! [`guard`](credential_core::guard) and
//! [`render`](credential_core::render); this crate wires it into tower, and
//! refuses requests with byte for byte the answers `credential-actix`
//! gives (both replay core's shared rejection table in their tests).
//!
//! - [`CredentialLayer`]: the layer and its options (optional mode, CORS
//!   preflight skip, realm, credential sources, error body hook) and
//!   per-route requirements; [`CredentialService`] is what it builds.
//! - [`Authenticated`] and [`MaybeAuthenticated`] (feature `axum`): axum
//!   extractors for the verified [`Principal`](credential_core::Principal).
//!   Without axum, the principal is in the request extensions.
//! - [`CredentialRejection`]: a refusal, rendered per the rejection table.
//! - [`OAuthRoutes`]: token, introspection, revocation and JWKS as tower
//!   services, or (feature `axum`) one router.
//!
//! ## hyper 1
//!
//! `hyper_util::service::TowerToHyperService` turns the layered service
//! into one hyper serves (see `examples/hyper.rs`).
//!
//! ## tonic
//!
//! tonic servers are tower stacks over `http::Request`: add the layer with
//! `Server::builder().layer(layer)`, and read the principal in a handler
//! with `request.extensions().get::<Principal>()`. gRPC clients send the
//! credential as `authorization: Bearer …` metadata. A refusal is an HTTP
//! status with a JSON body, which gRPC clients see as an `Unauthenticated`
//! or `PermissionDenied` transport error.
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
//! - `axum` (default): the extractors and `IntoResponse` for refusals.

#![forbid(unsafe_code)]

#[cfg(feature = "axum")]
mod extract;
mod layer;
pub mod oauth;
mod rejection;
mod request;
mod response;
mod service;

pub use credential_core::guard::ConfigError;
pub use credential_core::render::ErrorBody;
#[cfg(feature = "axum")]
pub use extract::{Authenticated, MaybeAuthenticated};
pub use layer::CredentialLayer;
pub use oauth::{OAuthRoutes, OAuthService};
pub use rejection::CredentialRejection;
pub use response::CredentialBody;
pub use service::{CredentialService, ResponseFuture};
