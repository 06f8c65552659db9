//! The middleware: [`CredentialAuth`] and its settings.

mod service;

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage as _, HttpRequest};
use credential_core::{Principal, Rejection};

use crate::rejection::CredentialError;

pub use service::CredentialAuthMiddleware;

/// actix-web middleware that verifies the request's credential and puts
/// the verified [`Principal`] in the request extensions.
///
/// The credential is read from `Authorization: Bearer`, from the API-key
/// header (`X-API-Key` unless changed) and, only when enabled, from a query
/// parameter ([`CredentialSources`](credential_core::extract::CredentialSources)); a request presenting more than one is
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

credential_core::__middleware_builder!(CredentialAuth, "middleware", HeaderName, CredentialError);

impl Settings {
    /// Checks `req`: `Ok(Some)` with the principal, `Ok(None)` when in
    /// optional mode no credential was presented.
    pub(crate) async fn check(&self, req: &HttpRequest) -> Result<Option<Principal>, Rejection> {
        let verified = req.extensions().get::<Principal>().cloned();
        let headers = req.headers();
        let api_key = self
            .api_key_header
            .as_ref()
            .map(|name| headers.get_all(name).map(HeaderValue::as_bytes));
        self.guard
            .check_values(
                verified,
                headers
                    .get_all(header::AUTHORIZATION)
                    .map(HeaderValue::as_bytes),
                api_key.into_iter().flatten(),
                Some(req.query_string()),
            )
            .await
    }

    /// Whether `req` goes through unchecked as a CORS preflight.
    pub(crate) fn lets_through(&self, req: &HttpRequest) -> bool {
        self.guard.lets_through_preflight(
            req.method().as_str(),
            req.headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD),
        )
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
