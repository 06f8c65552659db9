//! The middleware: [`CredentialAuth`] and its settings.

mod service;

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::HeaderName;
use actix_web::{HttpMessage as _, HttpRequest};
use credential_core::extract::CredentialSources;
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Principal, PublicFace, Reason, Rejection, Verifier};

use crate::config::ConfigError;
use credential_core::render::{ErrorBody, Renderer};

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
/// middleware and by the extensions of checked requests.
#[derive(Clone)]
pub(crate) struct Settings {
    verifier: Arc<dyn Verifier>,
    sources: CredentialSources,
    /// `sources`' API-key header, parsed once.
    api_key_header: Option<HeaderName>,
    pub(crate) renderer: Renderer,
    optional: bool,
    skip_preflight: bool,
    requirement: Option<Requirement>,
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
        let sources = CredentialSources::default();
        // The default header name is a valid one.
        let api_key_header = sources
            .api_key_header()
            .and_then(|name| HeaderName::from_str(name).ok());
        Self {
            settings: Arc::new(Settings {
                verifier,
                sources,
                api_key_header,
                renderer: Renderer::new(FaceConfig::default()),
                optional: false,
                skip_preflight: false,
                requirement: None,
            }),
        }
    }

    fn settings_mut(&mut self) -> &mut Settings {
        Arc::make_mut(&mut self.settings)
    }

    /// Optional mode: a request without a credential reaches the handler
    /// with no principal; a credential that is presented must still be
    /// valid (and meet the requirement), or the request is refused.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.settings_mut().optional = true;
        self
    }

    /// Lets CORS preflight requests (`OPTIONS` with
    /// `Access-Control-Request-Method`) through unchecked and without a
    /// principal: browsers send them without credentials.
    #[must_use]
    pub fn skip_preflight(mut self) -> Self {
        self.settings_mut().skip_preflight = true;
        self
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
    pub fn faces(mut self, faces: FaceConfig) -> Self {
        let settings = self.settings_mut();
        settings.renderer = settings.renderer.clone().with_faces(faces);
        self
    }

    /// Where credentials are read from: another API-key header, none, or
    /// also a query parameter.
    ///
    /// # Errors
    ///
    /// [`ConfigError::HeaderName`] when the API-key header name is not a
    /// valid HTTP header name.
    pub fn sources(mut self, sources: CredentialSources) -> Result<Self, ConfigError> {
        let api_key_header = match sources.api_key_header() {
            Some(name) => Some(HeaderName::from_str(name).map_err(|_| ConfigError::HeaderName)?),
            None => None,
        };
        let settings = self.settings_mut();
        settings.sources = sources;
        settings.api_key_header = api_key_header;
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
    pub fn error_body<F>(mut self, hook: F) -> Self
    where
        F: Fn(&PublicFace) -> ErrorBody + Send + Sync + 'static,
    {
        let settings = self.settings_mut();
        settings.renderer = settings.renderer.clone().with_error_body(hook);
        self
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
        let mut copy = self.clone();
        let settings = copy.settings_mut();
        settings.requirement = Some(match settings.requirement.take() {
            Some(existing) => Requirement::all_of([existing, requirement])?,
            None => requirement,
        });
        Ok(copy)
    }

    /// The requirement every request must meet, if any.
    pub fn requirement(&self) -> Option<&Requirement> {
        self.settings.requirement.as_ref()
    }

    /// Whether requests without a credential are let through.
    pub fn is_optional(&self) -> bool {
        self.settings.optional
    }

    /// The refusal for `rejection`, rendered as this middleware renders
    /// its own.
    pub fn reject(&self, rejection: Rejection) -> CredentialError {
        CredentialError::new(rejection, &self.settings.renderer)
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
        if let Some(principal) = verified {
            if let Some(required) = &self.requirement {
                principal.require(required)?;
            }
            return Ok(Some(principal));
        }
        let credential = presented_credential(req, &self.sources, self.api_key_header.as_ref())?;
        match credential {
            // Through the trait object itself: `Arc<dyn Verifier>` also
            // implements `Verifier`, at the cost of one more boxed future.
            Some(credential) => (*self.verifier)
                .verify(&credential, self.requirement.as_ref())
                .await
                .map(Some),
            None if self.optional => Ok(None),
            None => Err(Rejection::new(Reason::Missing)),
        }
    }

    pub(crate) fn skips_preflight(&self) -> bool {
        self.skip_preflight
    }

    pub(crate) fn reject(&self, rejection: Rejection) -> CredentialError {
        CredentialError::new(rejection, &self.renderer)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("sources", &self.sources)
            .field("renderer", &self.renderer)
            .field("optional", &self.optional)
            .field("skip_preflight", &self.skip_preflight)
            .field("requirement", &self.requirement)
            .finish_non_exhaustive()
    }
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
