//! The layer: [`CredentialLayer`] and its settings.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use credential_core::extract::CredentialSources;
use credential_core::guard::{ConfigError, Guard};
use credential_core::render::ErrorBody;
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Principal, PublicFace, Rejection, Verifier};
use http::header::{self, HeaderName};
use http::request::Parts;
use tower_layer::Layer;

use crate::rejection::CredentialRejection;
use crate::request::{Checked, presented_credential};
use crate::service::CredentialService;

/// A tower [`Layer`] that verifies the request's credential and puts the
/// verified [`Principal`] in the request extensions; for hyper 1 (through
/// `hyper_util::service::TowerToHyperService`), axum, tonic, or any other
/// tower stack over `http::Request`.
///
/// The credential is read from `Authorization: Bearer`, from the API-key
/// header (`X-API-Key` unless changed) and, only when enabled, from a query
/// parameter ([`CredentialSources`]); a request presenting more than one is
/// malformed. Every refusal follows the rejection table: the status,
/// `WWW-Authenticate` (no error code when no credential was sent, `scope`
/// on 403), `Retry-After` on 429, and a JSON body
/// `{"error":…,"error_description":…}` unless a hook replaces it. Every kind
/// of invalid credential gets the same answer, byte for byte the one the
/// actix-web adapter gives: both render core's
/// [`Renderer`](credential_core::render::Renderer).
///
/// The layer is cheap to clone (one `Arc`), and its futures are `Send`.
/// [`require`](Self::require) gives a copy that also requires a scope
/// expression, parsed here, at start-up:
///
/// ```
/// use credential_hyper::CredentialLayer;
/// use credential_core::Principal;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use http::{Request, Response};
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
///
/// let layer = CredentialLayer::new(manager.verifier()).realm("reports")?;
/// let service = ServiceBuilder::new()
///     .layer(layer.require("reports:read")?)
///     .service(service_fn(|req: Request<String>| async move {
///         let who = req.extensions().get::<Principal>().map(|p| p.subject().to_owned());
///         Ok::<_, Infallible>(Response::new(who.unwrap_or_default()))
///     }));
///
/// let request = Request::get("/reports")
///     .header("x-api-key", key.expose_secret())
///     .body(String::new())?;
/// let response = service.clone().oneshot(request).await?;
/// assert_eq!(response.status(), 200);
///
/// let anonymous = Request::get("/reports").body(String::new())?;
/// let response = service.oneshot(anonymous).await?;
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="reports""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Nesting
///
/// When an enclosing `CredentialLayer` has already verified the request, an
/// inner one does not verify again: it checks only its own requirement
/// against the principal found. For keys with usage credits, put the
/// requirement on the layer that verifies, so that a credit is spent only
/// when the requirement is met too.
#[derive(Clone)]
pub struct CredentialLayer {
    settings: Arc<Settings>,
}

/// Everything a check needs, shared by every copy of the layer and by the
/// extensions of checked requests: core's [`Guard`] and the API-key header
/// name in `http`'s type.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) guard: Guard,
    /// The guard's API-key header, parsed once.
    api_key_header: Option<HeaderName>,
}

impl CredentialLayer {
    /// A layer that verifies credentials with `verifier`: a
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

    /// Optional mode: a request without a credential reaches the service
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
    #[must_use]
    pub fn error_body<F>(self, hook: F) -> Self
    where
        F: Fn(&PublicFace) -> ErrorBody + Send + Sync + 'static,
    {
        self.map_guard(|guard| guard.error_body(hook))
    }

    /// A copy that also requires the scope expression `expression` (for
    /// example `reports:read AND (billing:write OR admin)`), for a route or
    /// a group of routes. Requirements added this way all apply.
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

    /// The refusal for `rejection`, rendered as this layer renders its
    /// own.
    pub fn reject(&self, rejection: Rejection) -> CredentialRejection {
        self.settings.reject(rejection)
    }

    pub(crate) fn shared_settings(&self) -> &Arc<Settings> {
        &self.settings
    }
}

impl Settings {
    /// Checks a request: `Ok(Some)` with the principal, `Ok(None)` when in
    /// optional mode no credential was presented.
    pub(crate) async fn check(&self, parts: &Parts) -> Result<Option<Principal>, Rejection> {
        let verified = parts.extensions.get::<Principal>().cloned();
        let credential = match verified {
            Some(_) => None,
            None => presented_credential(
                &parts.headers,
                parts.uri.query(),
                self.guard.credential_sources(),
                self.api_key_header.as_ref(),
            )?,
        };
        self.guard.check(verified, credential.as_deref()).await
    }

    /// Checks a request and, when it may go on, puts its principal (if
    /// any) and the mark that it was checked in its extensions.
    pub(crate) async fn admit(settings: &Arc<Self>, parts: &mut Parts) -> Result<(), Rejection> {
        let principal = if settings.lets_through(parts) {
            None
        } else {
            let check = settings.check(parts);
            #[cfg(feature = "tracing")]
            let check = tracing::Instrument::instrument(
                check,
                tracing::debug_span!(
                    "credential_check",
                    method = %parts.method,
                    path = parts.uri.path()
                ),
            );
            check.await?
        };
        if let Some(principal) = principal {
            parts.extensions.insert(principal);
        }
        parts.extensions.insert(Checked(Arc::clone(settings)));
        Ok(())
    }

    /// Whether a request goes through unchecked as a CORS preflight.
    pub(crate) fn lets_through(&self, parts: &Parts) -> bool {
        self.guard.lets_through_preflight(
            parts.method.as_str(),
            parts
                .headers
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
        )
    }

    pub(crate) fn reject(&self, rejection: Rejection) -> CredentialRejection {
        CredentialRejection::new(rejection, self.guard.renderer())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for CredentialLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialLayer")
            .field("settings", &self.settings)
            .finish()
    }
}

/// The guard's API-key header name in `http`'s type.
fn header_name(guard: &Guard) -> Result<Option<HeaderName>, ConfigError> {
    guard
        .credential_sources()
        .api_key_header()
        .map(|name| HeaderName::from_str(name).map_err(|_| ConfigError::HeaderName))
        .transpose()
}

impl<S> Layer<S> for CredentialLayer {
    type Service = CredentialService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CredentialService::new(inner, Arc::clone(&self.settings))
    }
}
