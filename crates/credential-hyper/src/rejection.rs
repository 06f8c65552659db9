//! A refused request, as a value handlers and extractors can return.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use credential_core::Rejection;
use credential_core::render::{Refusal, Renderer};
use http::Response;
use http_body_util::Full;

use crate::response::render;

/// A refused request: it renders the rejection's public face (status,
/// `WWW-Authenticate`, `Retry-After`, JSON body or the hook's body) and
/// keeps the internal [`Rejection`] for logs and tests.
///
/// Extractors return it, and handlers make one with
/// [`Authenticated::reject`](crate::Authenticated::reject) or
/// [`CredentialLayer::reject`](crate::CredentialLayer::reject) to refuse a
/// request the same way the layer does. With the `axum` feature it is an
/// axum `IntoResponse`; otherwise [`into_response`](Self::into_response)
/// gives the `http` response.
///
/// ```
/// use credential_hyper::CredentialLayer;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, Pepper, Peppers};
/// use credential_core::{Reason, Rejection};
/// use std::sync::Arc;
///
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let layer = CredentialLayer::new(manager.verifier()).realm("reports")?;
/// let refusal = layer.reject(Rejection::new(Reason::Revoked));
/// assert_eq!(refusal.rejection().reason(), Reason::Revoked);
/// let response = refusal.into_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer realm="reports", error="invalid_token""#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CredentialRejection(Box<Refusal>);

impl CredentialRejection {
    pub(crate) fn new(rejection: Rejection, renderer: &Renderer) -> Self {
        Self(Box::new(Refusal::new(rejection, renderer)))
    }

    /// The response: status, headers and body of the rejection table.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        render(self.0.answer())
    }
}

/// The rejection, what the caller sees, and the answer: core's
/// [`Refusal`].
impl Deref for CredentialRejection {
    type Target = Refusal;

    fn deref(&self) -> &Refusal {
        &self.0
    }
}

impl fmt::Debug for CredentialRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CredentialRejection").field(&self.0).finish()
    }
}

impl fmt::Display for CredentialRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for CredentialRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for CredentialRejection {
    fn into_response(self) -> axum::response::Response {
        CredentialRejection::into_response(self).map(axum::body::Body::new)
    }
}
