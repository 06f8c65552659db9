//! The layer: [`CredentialLayer`] and its settings.

use std::sync::Arc;

use credential_core::{Principal, Rejection};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Extensions, Method, Request, Uri};
use tower_layer::Layer;

use crate::rejection::CredentialRejection;
use crate::request::Checked;
use crate::service::CredentialService;

/// A tower [`Layer`] that verifies the request's credential and puts the
/// verified [`Principal`] in the request extensions; for hyper 1 (through
/// `hyper_util::service::TowerToHyperService`), axum, tonic, or any other
/// tower stack over `http::Request`.
///
/// The credential is read from `Authorization: Bearer`, from the API-key
/// header (`X-API-Key` unless changed) and, only when enabled, from a query
/// parameter ([`CredentialSources`](credential_core::extract::CredentialSources)); a request presenting more than one is
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

credential_core::__middleware_builder!(CredentialLayer, "layer", HeaderName, CredentialRejection);

impl Settings {
    /// Checks a request: `Ok(Some)` with the principal, `Ok(None)` when in
    /// optional mode no credential was presented.
    pub(crate) async fn check(&self, parts: &Parts) -> Result<Option<Principal>, Rejection> {
        let (authorization, api_key, query) = self.sources(&parts.headers, &parts.uri);
        self.guard
            .check_values(
                parts.extensions.get::<Principal>().cloned(),
                authorization,
                api_key,
                query,
            )
            .await
    }

    /// Where the guard reads a request's credential from: every
    /// `Authorization` value, every value of the API-key header, the query.
    fn sources<'r>(
        &self,
        headers: &'r HeaderMap,
        uri: &'r Uri,
    ) -> (
        impl Iterator<Item = &'r [u8]> + use<'r>,
        impl Iterator<Item = &'r [u8]> + use<'r>,
        Option<&'r str>,
    ) {
        let api_key = self
            .api_key_header
            .as_ref()
            .map(|name| headers.get_all(name).iter().map(HeaderValue::as_bytes));
        (
            headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .map(HeaderValue::as_bytes),
            api_key.into_iter().flatten(),
            uri.query(),
        )
    }

    /// Checks a request and, when it may go on, puts its principal (if
    /// any) and the mark that it was checked in its extensions.
    pub(crate) async fn admit<B>(
        settings: &Arc<Self>,
        request: &mut Request<B>,
    ) -> Result<(), Rejection> {
        let principal = if settings.lets_through(request.method(), request.headers()) {
            None
        } else {
            let (authorization, api_key, query) =
                settings.sources(request.headers(), request.uri());
            let check = settings.guard.check_values(
                request.extensions().get::<Principal>().cloned(),
                authorization,
                api_key,
                query,
            );
            #[cfg(feature = "tracing")]
            let check = tracing::Instrument::instrument(
                check,
                tracing::debug_span!(
                    "credential_check",
                    method = %request.method(),
                    path = request.uri().path()
                ),
            );
            check.await?
        };
        settings.mark(request.extensions_mut(), principal);
        Ok(())
    }

    /// [`admit`](Self::admit) when the verifier answers at once; `None`
    /// when it has to wait, and then `admit` does the whole check.
    pub(crate) fn admit_now<B>(
        settings: &Arc<Self>,
        request: &mut Request<B>,
    ) -> Option<Result<(), Rejection>> {
        let principal = if settings.lets_through(request.method(), request.headers()) {
            None
        } else {
            let (authorization, api_key, query) =
                settings.sources(request.headers(), request.uri());
            match settings.guard.check_values_now(
                request.extensions().get::<Principal>().cloned(),
                authorization,
                api_key,
                query,
            )? {
                Ok(principal) => principal,
                Err(rejection) => return Some(Err(rejection)),
            }
        };
        settings.mark(request.extensions_mut(), principal);
        Some(Ok(()))
    }

    /// Puts a let-through request's principal (if any) and the mark that
    /// it was checked in its extensions.
    fn mark(self: &Arc<Self>, extensions: &mut Extensions, principal: Option<Principal>) {
        if let Some(principal) = principal {
            extensions.insert(principal);
        }
        extensions.insert(Checked(Arc::clone(self)));
    }

    /// Whether a request goes through unchecked as a CORS preflight.
    pub(crate) fn lets_through(&self, method: &Method, headers: &HeaderMap) -> bool {
        // The header lookup only for OPTIONS requests.
        *method == Method::OPTIONS
            && self.guard.lets_through_preflight(
                method.as_str(),
                headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
            )
    }
}

impl<S> Layer<S> for CredentialLayer {
    type Service = CredentialService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CredentialService::new(inner, Arc::clone(&self.settings))
    }
}
