//! The OAuth 2.0 endpoints as actix-web routes: token (RFC 6749 §4.4 and
//! §6), introspection (RFC 7662), revocation (RFC 7009) and JWKS.
//!
//! Core's [`OAuthFront`] does the work and renders every answer; these
//! routes read the request (form content type, a body bounded by
//! [`MAX_FORM_LEN`](credential_core::oauth::MAX_FORM_LEN), the
//! `Authorization` header), find the caller, and copy core's response.

mod http;

use std::fmt;

use actix_web::{HttpMessage as _, HttpRequest, Route, web};
use credential_core::Principal;
use credential_core::key::KeyStore;
use credential_core::oauth::OAuthFront;

use self::http::{read_form, render};
use crate::auth::CredentialAuth;

pub use credential_core::oauth::{INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH};

/// The OAuth 2.0 endpoints of [`OAuthEndpoints`](credential_core::oauth::OAuthEndpoints) as ready-made actix-web
/// routes.
///
/// - **token** (`POST`): `client_credentials`, the client authenticating
///   with an API key by HTTP Basic or by form parameters (`client_id` = key
///   id, `client_secret` = the whole key), and `refresh_token`. Answers
///   carry `Cache-Control: no-store`.
/// - **introspection** (`POST`, RFC 7662) and **revocation** (`POST`,
///   RFC 7009): the caller authenticates as a client (Basic or form), or,
///   with [`accept_callers`](Self::accept_callers), with any credential
///   that middleware accepts (`Authorization: Bearer`, `X-API-Key`).
///   Introspection can require a scope of its caller
///   ([`OAuthFront::require_for_introspection`]); a
///   caller without it gets 403 `insufficient_scope`.
/// - **JWKS** (`GET`): the public signing keys.
///
/// Requests whose body is not `application/x-www-form-urlencoded` get 400
/// `invalid_request`.
///
/// ```
/// use actix_web::{App, test};
/// use credential_actix::OAuthRoutes;
/// use credential_core::FaceConfig;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::oauth::{OAuthEndpoints, OAuthFront};
/// use credential_core::token::jose::{Algorithm, SigningKey};
/// use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
/// use std::sync::Arc;
///
/// # actix_web::rt::System::new().block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let created = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?;
/// let ring = KeyRing::new();
/// ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA)?)?;
/// let issuer = TokenIssuer::new(ring.clone(), "https://api.example");
/// let tokens = TokenVerifier::new(ring, Validation::new("https://api.example"));
/// let endpoints = OAuthEndpoints::new(manager.verifier(), issuer, tokens);
///
/// let oauth = OAuthRoutes::new(OAuthFront::new(endpoints, FaceConfig::new("api")?));
/// let app = test::init_service(App::new().configure(|config| oauth.configure(config))).await;
///
/// let body = format!(
///     "grant_type=client_credentials&client_id={}&client_secret={}",
///     created.record.id,
///     created.key.expose_secret()
/// );
/// let request = test::TestRequest::post()
///     .uri("/oauth/token")
///     .insert_header(("content-type", "application/x-www-form-urlencoded"))
///     .set_payload(body)
///     .to_request();
/// let response = test::call_service(&app, request).await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
/// let json: serde_json::Value = test::read_body_json(response).await;
/// assert_eq!(json["token_type"], "Bearer");
/// assert_eq!(json["scope"], "reports:read");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OAuthRoutes<S: ?Sized> {
    front: OAuthFront<S>,
    callers: Option<CredentialAuth>,
}

impl<S: KeyStore + ?Sized + 'static> OAuthRoutes<S> {
    /// The routes of `front`: its endpoints, realm and the scopes its
    /// introspection and revocation callers need.
    pub fn new(front: OAuthFront<S>) -> Self {
        Self {
            front,
            callers: None,
        }
    }

    /// Lets introspection and revocation callers authenticate with any
    /// credential `auth` accepts, verified by it in optional mode; callers
    /// without one still authenticate as clients (Basic or form). Only the
    /// verification is taken from `auth`: the scopes a caller needs are
    /// the front's ([`OAuthFront::require_for_introspection`]), which
    /// hold for every caller, however it authenticated.
    #[must_use]
    pub fn accept_callers(mut self, auth: &CredentialAuth) -> Self {
        self.callers = Some(auth.verifying_only().optional());
        self
    }

    /// The token endpoint, `POST`.
    pub fn token(&self) -> Route {
        self.form_route(Form::Token)
    }

    /// The introspection endpoint, `POST`.
    pub fn introspect(&self) -> Route {
        self.with_callers(self.form_route(Form::Introspect))
    }

    /// The revocation endpoint, `POST`.
    pub fn revoke(&self) -> Route {
        self.with_callers(self.form_route(Form::Revoke))
    }

    /// A `POST` route that checks the head, reads the form and answers
    /// with `form`'s endpoint.
    fn form_route(&self, form: Form) -> Route {
        let front = self.front.clone();
        web::post().to(move |req: HttpRequest, payload: web::Payload| {
            let front = front.clone();
            async move {
                let (head, body) = match read_form(&front, &req, payload).await? {
                    Ok(form) => form,
                    Err(refused) => return Ok(refused),
                };
                let verified = req.extensions().get::<Principal>().cloned();
                let response = match form {
                    Form::Token => front.token(&head, &body).await,
                    Form::Introspect => front.introspect(&head, &body, verified).await,
                    Form::Revoke => front.revoke(&head, &body, verified).await,
                };
                Ok::<_, actix_web::Error>(render(response))
            }
        })
    }

    /// The JWKS document, `GET`.
    pub fn jwks(&self) -> Route {
        let front = self.front.clone();
        web::get().to(move || {
            let response = front.jwks();
            async move { render(response) }
        })
    }

    /// Mounts the four endpoints at [`TOKEN_PATH`],
    /// [`INTROSPECTION_PATH`], [`REVOCATION_PATH`] and [`JWKS_PATH`]; use
    /// the route methods to mount them elsewhere.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config
            .service(web::resource(TOKEN_PATH).route(self.token()))
            .service(web::resource(INTROSPECTION_PATH).route(self.introspect()))
            .service(web::resource(REVOCATION_PATH).route(self.revoke()))
            .service(web::resource(JWKS_PATH).route(self.jwks()));
    }

    fn with_callers(&self, route: Route) -> Route {
        match &self.callers {
            Some(auth) => route.wrap(auth.clone()),
            None => route,
        }
    }
}

/// The endpoints that take a form.
#[derive(Debug, Clone, Copy)]
enum Form {
    Token,
    Introspect,
    Revoke,
}

impl<S: ?Sized> Clone for OAuthRoutes<S> {
    fn clone(&self) -> Self {
        Self {
            front: self.front.clone(),
            callers: self.callers.clone(),
        }
    }
}

impl<S: ?Sized> fmt::Debug for OAuthRoutes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthRoutes")
            .field("front", &self.front)
            .field("callers", &self.callers)
            .finish_non_exhaustive()
    }
}
