//! The middleware: [`CredentialAuth`] and its settings.

mod service;

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpMessage as _, HttpRequest};
use credential_core::extract::CredentialSources;
use credential_core::guard::{ConfigError, Guard};
use credential_core::render::ErrorBody;
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Principal, PublicFace, Rejection, Verifier};

use crate::rejection::CredentialError;
use crate::request::presented_credential;

pub use service::CredentialAuthMiddleware;

/// actix-web middleware that verifies the request's credential and puts
/// the verified [`Principal`] in the request extensions.
///
/// The credential is read from `Authorization: Bearer`, from the API-key
/// header (`X-API-Key` unless changed) and, only when enabled, from a query
/// parameter ([`CredentialSources`]); a request presenting more than one is
/// malformed. Every refusal follows the rejection table: the status,
/// `WWW-Authenticate` (no error code when no credential was sent, `scope`
/// on 403), `Retry-After` on 429, and a JSON body
/// `{"error":…,"error_description":…}` unless a hook replaces it. Every kind
/// of invalid credential gets the same answer.
///
/// Wrap an [`App`](actix_web::App), a [`web::scope`](actix_web::web::scope),
/// a [`Resource`](actix_web::Resource) or a [`Route`](actix_web::Route).
/// [`require`](Self::require) gives a copy that also requires a scope
/// expression, parsed here, at start-up:
///
/// ```
/// use actix_web::{App, HttpResponse, test, web};
/// use credential_actix::{Authenticated, CredentialAuth};
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use std::sync::Arc;
///
/// # actix_web::rt::System::new().block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
///
/// let auth = CredentialAuth::new(manager.verifier()).realm("reports")?;
/// let read = auth.require("reports:read")?;
/// let write = auth.require("reports:write")?;
/// let app = test::init_service(
///     App::new().service(
///         web::resource("/reports")
///             .route(web::get().to(|who: Authenticated| async move {
///                 HttpResponse::Ok().body(who.subject().to_owned())
///             }).wrap(read))
///             .route(web::post().to(HttpResponse::Created).wrap(write)),
///     ),
/// )
/// .await;
///
/// let get = test::TestRequest::get().uri("/reports")
///     .insert_header(("x-api-key", key.expose_secret()));
/// let response = test::call_service(&app, get.to_request()).await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(test::read_body(response).await, "acme");
///
/// let post = test::TestRequest::post().uri("/reports")
///     .insert_header(("x-api-key", key.expose_secret()));
/// let response = test::call_service(&app, post.to_request()).await;
/// assert_eq!(response.status(), 403);
/// assert_eq!(
///     response.headers().get("www-authenticate").unwrap(),
///     r#"Bearer realm="reports", error="insufficient_scope", scope="reports:write""#
/// );
///
/// let anonymous = test::TestRequest::get().uri("/reports").to_request();
/// let response = test::call_service(&app, anonymous).await;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers().get("www-authenticate").unwrap(), r#"Bearer realm="reports""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Nesting
///
/// When an enclosing `CredentialAuth` has already verified the request, an
/// inner one does not verify again: it checks only its own requirement
/// against the principal found. For keys with usage credits, put the
/// requirement on the middleware that verifies, so that a credit is spent
/// only when the requirement is met too.
///
/// # Without the middleware
///
/// Registered as app data (`App::new().app_data(auth.clone())`), the same
/// configuration lets the [`Authenticated`](crate::Authenticated) and
/// [`MaybeAuthenticated`](crate::MaybeAuthenticated) extractors verify the
/// credential themselves.
#[derive(Clone)]
pub struct CredentialAuth {
    settings: Arc<Settings>,
}

/// Everything a check needs, shared by every worker's copy of the
/// middleware and by the extensions of checked requests: core's [`Guard`]
/// and the API-key header name in actix-web's type.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) guard: Guard,
    /// The guard's API-key header, parsed once.
    api_key_header: Option<HeaderName>,
}

impl CredentialAuth {
    /// Middleware that verifies credentials with `verifier`: a
    /// [`KeyVerifier`](credential_core::key::KeyVerifier), a
    /// [`TokenVerifier`](credential_core::token::TokenVerifier), a
    /// [`CredentialVerifier`](credential_core::CredentialVerifier) for both,
    /// or any other [`Verifier`]. Realm `api`, default credential sources,
    /// every request needs a credential.
    pub fn new(verifier: impl Verifier + 'static) -> Self {
        Self::from_shared(Arc::new(verifier))
    }

    /// Like [`new`](Self::new), for a verifier already shared.
    pub fn from_shared(verifier: Arc<dyn Verifier>) -> Self {
        let guard = Guard::from_shared(verifier);
        // The default header name is a valid one.
        let api_key_header = header_name(&guard).ok().flatten();
        Self {
            settings: Arc::new(Settings {
                guard,
                api_key_header,
            }),
        }
    }

    /// Changes the guard with `f`.
    fn map_guard(mut self, f: impl FnOnce(Guard) -> Guard) -> Self {
        let settings = Arc::make_mut(&mut self.settings);
        settings.guard = f(settings.guard.clone());
        self
    }

    /// Optional mode: a request without a credential reaches the handler
    /// with no principal; a credential that is presented must still be
    /// valid (and meet the requirement), or the request is refused.
    #[must_use]
    pub fn optional(self) -> Self {
        self.map_guard(Guard::optional)
    }

    /// Lets CORS preflight requests (`OPTIONS` with
    /// `Access-Control-Request-Method`) through unchecked and without a
    /// principal: browsers send them without credentials.
    #[must_use]
    pub fn skip_preflight(self) -> Self {
        self.map_guard(Guard::skip_preflight)
    }

    /// The realm of `WWW-Authenticate` challenges (default `api`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Realm`] unless the realm is 1 to 128 visible ASCII
    /// characters or spaces.
    pub fn realm(self, realm: &str) -> Result<Self, ConfigError> {
        Ok(self.faces(FaceConfig::new(realm)?))
    }

    /// How rejections are presented: the realm and the status for used-up
    /// credits.
    #[must_use]
    pub fn faces(self, faces: FaceConfig) -> Self {
        self.map_guard(|guard| guard.faces(faces))
    }

    /// Where credentials are read from: another API-key header, none, or
    /// also a query parameter.
    ///
    /// # Errors
    ///
    /// [`ConfigError::HeaderName`] when the API-key header name is not a
    /// valid HTTP header name.
    pub fn sources(mut self, sources: CredentialSources) -> Result<Self, ConfigError> {
        let guard = self.settings.guard.clone().sources(sources)?;
        let api_key_header = header_name(&guard)?;
        self.settings = Arc::new(Settings {
            guard,
            api_key_header,
        });
        Ok(self)
    }

    /// Replaces the JSON error body with `hook`'s. The status,
    /// `WWW-Authenticate` and `Retry-After` stay those of the rejection.
    ///
    /// ```
    /// use credential_actix::{CredentialAuth, ErrorBody};
    /// # use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, Pepper, Peppers};
    /// # use std::sync::Arc;
    /// # let manager = KeyManager::new(
    /// #     Arc::new(MemoryKeyStore::new()),
    /// #     KeyFormat::new("sk_test")?,
    /// #     Peppers::new(Pepper::generate(1)?),
    /// # );
    ///
    /// let auth = CredentialAuth::new(manager.verifier()).error_body(|face| {
    ///     ErrorBody::new("text/plain; charset=utf-8", format!("refused ({})", face.status()))
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn error_body<F>(self, hook: F) -> Self
    where
        F: Fn(&PublicFace) -> ErrorBody + Send + Sync + 'static,
    {
        self.map_guard(|guard| guard.error_body(hook))
    }

    /// A copy that also requires the scope expression `expression` (for
    /// example `reports:read AND (billing:write OR admin)`), for a route or
    /// a scope of routes. Requirements added this way all apply.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse or the
    /// combined requirement exceeds its bounds.
    pub fn require(&self, expression: &str) -> Result<Self, ConfigError> {
        self.with_requirement(Requirement::parse(expression)?)
    }

    /// A copy that also requires `requirement`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the combined requirement exceeds its
    /// bounds.
    pub fn with_requirement(&self, requirement: Requirement) -> Result<Self, ConfigError> {
        let guard = self.settings.guard.with_requirement(requirement)?;
        Ok(self.clone().map_guard(|_| guard))
    }

    /// The requirement every request must meet, if any.
    pub fn requirement(&self) -> Option<&Requirement> {
        self.settings.guard.requirement()
    }

    /// Whether requests without a credential are let through.
    pub fn is_optional(&self) -> bool {
        self.settings.guard.is_optional()
    }

    /// The refusal for `rejection`, rendered as this middleware renders
    /// its own.
    pub fn reject(&self, rejection: Rejection) -> CredentialError {
        self.settings.reject(rejection)
    }

    pub(crate) fn shared_settings(&self) -> &Arc<Settings> {
        &self.settings
    }
}

impl Settings {
    /// Checks `req`: `Ok(Some)` with the principal, `Ok(None)` when in
    /// optional mode no credential was presented.
    pub(crate) async fn check(&self, req: &HttpRequest) -> Result<Option<Principal>, Rejection> {
        let verified = req.extensions().get::<Principal>().cloned();
        let credential = match verified {
            Some(_) => None,
            None => presented_credential(
                req,
                self.guard.credential_sources(),
                self.api_key_header.as_ref(),
            )?,
        };
        self.guard.check(verified, credential.as_deref()).await
    }

    /// Whether `req` goes through unchecked as a CORS preflight.
    pub(crate) fn lets_through(&self, req: &HttpRequest) -> bool {
        self.guard.lets_through_preflight(
            req.method().as_str(),
            req.headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
        )
    }

    pub(crate) fn reject(&self, rejection: Rejection) -> CredentialError {
        CredentialError::new(rejection, self.guard.renderer())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

/// The guard's API-key header name in actix-web's type.
fn header_name(guard: &Guard) -> Result<Option<HeaderName>, ConfigError> {
    guard
        .credential_sources()
        .api_key_header()
        .map(|name| HeaderName::from_str(name).map_err(|_| ConfigError::HeaderName))
        .transpose()
}

impl fmt::Debug for CredentialAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialAuth")
            .field("settings", &self.settings)
            .finish()
    }
}

impl<S, B> Transform<S, ServiceRequest> for CredentialAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = CredentialAuthMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CredentialAuthMiddleware::new(
            Rc::new(service),
            Arc::clone(&self.settings),
        )))
    }
}
