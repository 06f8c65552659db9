//! Rejections as actix-web responses: the status, headers and body of
//! core's [`PublicFace`], with an optional hook that replaces the body.

use std::fmt;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use credential_core::{FaceConfig, PublicFace, Rejection};

/// A response body chosen by an error hook
/// ([`CredentialAuth::error_body`](crate::CredentialAuth::error_body)).
///
/// The hook chooses only the body and its content type: the status,
/// `WWW-Authenticate` and `Retry-After` stay those of the rejection table,
/// so a client's handling of a refusal does not depend on the hook.
///
/// ```
/// use credential_actix::ErrorBody;
/// use actix_web::http::header::ContentType;
///
/// let json = ErrorBody::json(&serde_json::json!({ "message": "denied" }));
/// assert_eq!(json.body(), r#"{"message":"denied"}"#);
/// let text = ErrorBody::new(ContentType::plaintext(), "denied");
/// assert_eq!(text.content_type(), &ContentType::plaintext());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    content_type: ContentType,
    body: String,
}

impl ErrorBody {
    /// A body of the given content type.
    pub fn new(content_type: ContentType, body: impl Into<String>) -> Self {
        Self {
            content_type,
            body: body.into(),
        }
    }

    /// A JSON body (`application/json`).
    pub fn json(value: &serde_json::Value) -> Self {
        Self::new(ContentType::json(), value.to_string())
    }

    /// The content type.
    pub fn content_type(&self) -> &ContentType {
        &self.content_type
    }

    /// The body text.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// The hook that replaces the default error body, shared by every copy of
/// the middleware.
pub(crate) type ErrorBodyHook = Arc<dyn Fn(&PublicFace) -> ErrorBody + Send + Sync>;

/// How rejections are rendered: the realm and credits status, and the
/// optional body hook.
#[derive(Clone)]
pub(crate) struct Renderer {
    pub(crate) faces: FaceConfig,
    pub(crate) error_body: Option<ErrorBodyHook>,
}

impl Renderer {
    pub(crate) fn new(faces: FaceConfig) -> Self {
        Self {
            faces,
            error_body: None,
        }
    }

    /// The response for `face`, per the rejection table.
    pub(crate) fn response(&self, face: &PublicFace) -> HttpResponse {
        let status =
            StatusCode::from_u16(face.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        if let Some(challenge) = face.www_authenticate() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let Some(seconds) = face.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        match &self.error_body {
            Some(hook) => {
                let ErrorBody { content_type, body } = hook(face);
                response.insert_header(content_type).body(body)
            }
            None => response
                .insert_header(ContentType::json())
                .body(face.json_body()),
        }
    }
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("faces", &self.faces)
            .field("error_body", &self.error_body.as_ref().map(|_| "<hook>"))
            .finish()
    }
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

/// Boxed, so that a `Result` carrying one stays small.
struct Refusal {
    rejection: Rejection,
    face: PublicFace,
    renderer: Renderer,
}

impl CredentialError {
    pub(crate) fn new(rejection: Rejection, renderer: &Renderer) -> Self {
        let face = rejection.public_face(&renderer.faces);
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
}

impl fmt::Debug for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialError")
            .field("rejection", &self.0.rejection)
            .field("face", &self.0.face)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.rejection, f)
    }
}

impl std::error::Error for CredentialError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.rejection)
    }
}

impl ResponseError for CredentialError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.face.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.0.renderer.response(&self.0.face)
    }
}
