//! A refused request, as a value handlers and extractors can return.

use std::fmt;

use bytes::Bytes;
use credential_core::render::Renderer;
use credential_core::{PublicFace, Rejection};
use http::Response;
use http_body_util::Full;

use crate::response::respond;

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

/// Boxed, so that a `Result` carrying one stays small.
struct Refusal {
    rejection: Rejection,
    face: PublicFace,
    renderer: Renderer,
}

impl CredentialRejection {
    pub(crate) fn new(rejection: Rejection, renderer: &Renderer) -> Self {
        let face = rejection.public_face(renderer.faces());
        Self(Box::new(Refusal {
            rejection,
            face,
            renderer: renderer.clone(),
        }))
    }

    /// The internal rejection: its reason is for logs, metrics and tests,
    /// never for the response.
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }

    /// What the caller sees.
    pub fn public_face(&self) -> &PublicFace {
        &self.0.face
    }

    /// The response: status, headers and body of the rejection table.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        respond(self.0.renderer.render_face(&self.0.face))
    }
}

impl fmt::Debug for CredentialRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRejection")
            .field("rejection", &self.0.rejection)
            .field("face", &self.0.face)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for CredentialRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.rejection, f)
    }
}

impl std::error::Error for CredentialRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.rejection)
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for CredentialRejection {
    fn into_response(self) -> axum::response::Response {
        CredentialRejection::into_response(self).map(axum::body::Body::new)
    }
}
