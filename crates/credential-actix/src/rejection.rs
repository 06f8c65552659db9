//! Rejections as actix-web responses: core's [`Renderer`] decides the
//! status, headers and body; this copies them.

use std::fmt;
use std::ops::Deref;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use credential_core::Rejection;
use credential_core::render::{Answer, Refusal, Renderer};

/// Core's answer (a refusal, or an OAuth endpoint's response) as an
/// actix-web response: the status, the headers in order, the body.
pub(crate) fn render(answer: Answer) -> HttpResponse {
    let (status, headers, body) = answer.into_parts();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in headers {
        response.append_header((name, value));
    }
    response.body(body)
}

/// A refused request, as an actix-web error: it renders the rejection's
/// public face (status, `WWW-Authenticate`, `Retry-After`, JSON body or the
/// hook's body) and keeps the internal [`Rejection`] for logs and tests.
///
/// Extractors return it, and handlers make one with
/// [`Authenticated::reject`](crate::Authenticated::reject) or
/// [`CredentialAuth::reject`](crate::CredentialAuth::reject) to refuse a
/// request the same way the middleware does.
///
/// ```
/// use actix_web::ResponseError;
/// use credential_actix::CredentialAuth;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, Pepper, Peppers};
/// use credential_core::{Reason, Rejection};
/// use std::sync::Arc;
///
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let auth = CredentialAuth::new(manager.verifier()).realm("reports")?;
/// let error = auth.reject(Rejection::new(Reason::Revoked));
/// assert_eq!(error.rejection().reason(), Reason::Revoked);
/// let response = error.error_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(
///     response.headers().get("www-authenticate").unwrap(),
///     r#"Bearer realm="reports", error="invalid_token""#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CredentialError(Box<Refusal>);

impl CredentialError {
    pub(crate) fn new(rejection: Rejection, renderer: &Renderer) -> Self {
        Self(Box::new(Refusal::new(rejection, renderer)))
    }
}

/// The rejection, what the caller sees, and the answer: core's
/// [`Refusal`].
impl Deref for CredentialError {
    type Target = Refusal;

    fn deref(&self) -> &Refusal {
        &self.0
    }
}

impl fmt::Debug for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CredentialError").field(&self.0).finish()
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl ResponseError for CredentialError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.public_face().status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        render(self.0.answer())
    }
}
