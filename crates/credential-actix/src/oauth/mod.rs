//! The OAuth 2.0 endpoints as actix-web routes: token (RFC 6749 §4.4 and
//! §6), introspection (RFC 7662), revocation (RFC 7009) and JWKS.
//!
//! Core's [`OAuthEndpoints`] does the work and renders every answer; these
//! routes read the request (form content type, a body bounded by
//! [`MAX_FORM_LEN`](credential_core::oauth::MAX_FORM_LEN), the
//! `Authorization` header), find the caller, and copy core's response.

mod http;

use std::fmt;
use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, Route, web};
use credential_core::key::KeyStore;
use credential_core::oauth::OAuthEndpoints;
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Principal};

use self::http::{FormRequest, read_form, render};
use crate::auth::CredentialAuth;
use credential_core::guard::ConfigError;
use credential_core::render::Renderer;

use crate::rejection::respond;

/// Where [`OAuthRoutes::configure`] mounts the token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Where [`OAuthRoutes::configure`] mounts the introspection endpoint.
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";
/// Where [`OAuthRoutes::configure`] mounts the revocation endpoint.
pub const REVOCATION_PATH: &str = "/oauth/revoke";
/// Where [`OAuthRoutes::configure`] mounts the JWKS document.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The OAuth 2.0 endpoints of [`OAuthEndpoints`] as ready-made actix-web
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
///   ([`require_for_introspection`](Self::require_for_introspection)); a
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
/// use credential_core::oauth::OAuthEndpoints;
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
/// let oauth = OAuthRoutes::new(endpoints, FaceConfig::new("api")?);
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
    endpoints: Arc<OAuthEndpoints<S>>,
    renderer: Renderer,
    introspection: Option<Requirement>,
    revocation: Option<Requirement>,
    callers: Option<CredentialAuth>,
}

/// What one route's handler holds.
struct State<S: ?Sized> {
    endpoints: Arc<OAuthEndpoints<S>>,
    renderer: Renderer,
    requirement: Option<Requirement>,
}

impl<S: KeyStore + ?Sized + 'static> OAuthRoutes<S> {
    /// Routes over `endpoints`, whose challenges and refusals use `faces`'
    /// realm.
    pub fn new(endpoints: OAuthEndpoints<S>, faces: FaceConfig) -> Self {
        Self {
            endpoints: Arc::new(endpoints.with_faces(faces.clone())),
            renderer: Renderer::new(faces),
            introspection: None,
            revocation: None,
            callers: None,
        }
    }

    /// Requires the scope expression `expression` of every introspection
    /// caller (for example `tokens:introspect`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse.
    pub fn require_for_introspection(mut self, expression: &str) -> Result<Self, ConfigError> {
        self.introspection = Some(Requirement::parse(expression)?);
        Ok(self)
    }

    /// Requires the scope expression `expression` of every revocation
    /// caller. Without one, any authenticated caller may revoke the tokens
    /// of its own subject, which is what RFC 7009 expects.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse.
    pub fn require_for_revocation(mut self, expression: &str) -> Result<Self, ConfigError> {
        self.revocation = Some(Requirement::parse(expression)?);
        Ok(self)
    }

    /// Lets introspection and revocation callers authenticate with any
    /// credential `auth` accepts, checked by it in optional mode; callers
    /// without one still authenticate as clients (Basic or form).
    #[must_use]
    pub fn accept_callers(mut self, auth: &CredentialAuth) -> Self {
        self.callers = Some(auth.clone().optional());
        self
    }

    /// The token endpoint, `POST`.
    pub fn token(&self) -> Route {
        let state = self.state(None);
        web::post().to(move |req: HttpRequest, payload: web::Payload| {
            token(Arc::clone(&state), req, payload)
        })
    }

    /// The introspection endpoint, `POST`.
    pub fn introspect(&self) -> Route {
        let state = self.state(self.introspection.clone());
        let route = web::post().to(move |req: HttpRequest, payload: web::Payload| {
            introspect(Arc::clone(&state), req, payload)
        });
        self.with_callers(route)
    }

    /// The revocation endpoint, `POST`.
    pub fn revoke(&self) -> Route {
        let state = self.state(self.revocation.clone());
        let route = web::post().to(move |req: HttpRequest, payload: web::Payload| {
            revoke(Arc::clone(&state), req, payload)
        });
        self.with_callers(route)
    }

    /// The JWKS document, `GET`.
    pub fn jwks(&self) -> Route {
        let endpoints = Arc::clone(&self.endpoints);
        web::get().to(move || {
            let document = endpoints.jwks();
            async move {
                HttpResponse::Ok()
                    .insert_header(ContentType::json())
                    .body(document)
            }
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

    fn state(&self, requirement: Option<Requirement>) -> Arc<State<S>> {
        Arc::new(State {
            endpoints: Arc::clone(&self.endpoints),
            renderer: self.renderer.clone(),
            requirement,
        })
    }

    fn with_callers(&self, route: Route) -> Route {
        match &self.callers {
            Some(auth) => route.wrap(auth.clone()),
            None => route,
        }
    }
}

impl<S: ?Sized> Clone for OAuthRoutes<S> {
    fn clone(&self) -> Self {
        Self {
            endpoints: Arc::clone(&self.endpoints),
            renderer: self.renderer.clone(),
            introspection: self.introspection.clone(),
            revocation: self.revocation.clone(),
            callers: self.callers.clone(),
        }
    }
}

impl<S: ?Sized> fmt::Debug for OAuthRoutes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthRoutes")
            .field("renderer", &self.renderer)
            .field("introspection", &self.introspection)
            .field("revocation", &self.revocation)
            .field("callers", &self.callers)
            .finish_non_exhaustive()
    }
}

async fn token<S: KeyStore + ?Sized>(
    state: Arc<State<S>>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let form = match read_form(&req, payload, state.renderer.faces().realm()).await? {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let response = state
        .endpoints
        .token(&form.body, form.authorization.as_deref())
        .await;
    Ok(render(response))
}

async fn introspect<S: KeyStore + ?Sized>(
    state: Arc<State<S>>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (form, caller) = match authorized_caller(&state, &req, payload).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    Ok(render(
        state.endpoints.introspect(&form.body, &caller).await,
    ))
}

async fn revoke<S: KeyStore + ?Sized>(
    state: Arc<State<S>>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (form, caller) = match authorized_caller(&state, &req, payload).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    Ok(render(state.endpoints.revoke(&form.body, &caller).await))
}

/// Reads the form and finds the caller: the principal a middleware
/// verified, or else the client authenticated from the request (Basic or
/// form); then checks the route's requirement.
async fn authorized_caller<S: KeyStore + ?Sized>(
    state: &State<S>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<(FormRequest, Principal), HttpResponse>, actix_web::Error> {
    let form = match read_form(req, payload, state.renderer.faces().realm()).await? {
        Ok(form) => form,
        Err(refused) => return Ok(Err(refused)),
    };
    let verified = req.extensions().get::<Principal>().cloned();
    let caller = match verified {
        Some(principal) => principal,
        None => match state
            .endpoints
            .client_principal(&form.body, form.authorization.as_deref())
            .await
        {
            Ok(principal) => principal,
            Err(refused) => return Ok(Err(render(refused))),
        },
    };
    if let Some(required) = &state.requirement
        && let Err(rejection) = caller.require(required)
    {
        return Ok(Err(respond(state.renderer.render(&rejection))));
    }
    Ok(Ok((form, caller)))
}
