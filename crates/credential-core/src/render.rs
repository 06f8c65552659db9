//! Rejections as HTTP answers, free of any framework's types: every adapter
//! copies the same status, headers and body into its own response type, so
//! two adapters answer the same refusal byte for byte alike.

use std::fmt;
use std::sync::Arc;

use crate::oauth::JSON_CONTENT_TYPE;
use crate::rejection::{FaceConfig, PublicFace, Rejection};

/// A response body chosen by an error hook
/// ([`Renderer::with_error_body`]).
///
/// The hook chooses only the body and its content type: the status,
/// `WWW-Authenticate` and `Retry-After` stay those of the rejection table,
/// so a client's handling of a refusal does not depend on the hook.
///
/// ```
/// use credential_core::render::ErrorBody;
///
/// let json = ErrorBody::json(&serde_json::json!({ "message": "denied" }));
/// assert_eq!(json.body(), r#"{"message":"denied"}"#);
/// assert_eq!(json.content_type(), "application/json");
/// let text = ErrorBody::new("text/plain; charset=utf-8", "denied");
/// assert_eq!(text.content_type(), "text/plain; charset=utf-8");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    content_type: String,
    body: String,
}

impl ErrorBody {
    /// A body of the given content type.
    pub fn new(content_type: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            content_type: content_type.into(),
            body: body.into(),
        }
    }

    /// A JSON body (`application/json`).
    pub fn json(value: &serde_json::Value) -> Self {
        Self::new(JSON_CONTENT_TYPE, value.to_string())
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body text.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// A hook that replaces the default error body.
pub type ErrorBodyHook = Arc<dyn Fn(&PublicFace) -> ErrorBody + Send + Sync>;

/// How rejections are answered: the [`FaceConfig`] (realm, status for
/// used-up credits) and an optional hook that replaces the body.
///
/// ```
/// use credential_core::render::{ErrorBody, Renderer};
/// use credential_core::{FaceConfig, Reason, Rejection};
///
/// let renderer = Renderer::new(FaceConfig::new("reports")?);
/// let answer = renderer.render(&Rejection::new(Reason::Revoked));
/// assert_eq!(answer.status(), 401);
/// assert_eq!(
///     answer.headers(),
///     [
///         ("www-authenticate", r#"Bearer realm="reports", error="invalid_token""#.to_owned()),
///         ("content-type", "application/json".to_owned()),
///     ]
/// );
/// assert_eq!(answer.body(), r#"{"error":"invalid_token","error_description":"the credential is invalid"}"#);
///
/// let plain = renderer.clone().with_error_body(|face| ErrorBody::new("text/plain", format!("no ({})", face.status())));
/// assert_eq!(plain.render(&Rejection::new(Reason::Missing)).body(), "no (401)");
/// // A content type no header can carry: the default body instead.
/// let broken = renderer.with_error_body(|_| ErrorBody::new("text/plain\r\nx: y", "no"));
/// assert_eq!(broken.render(&Rejection::new(Reason::Missing)).headers()[1].1, "application/json");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Renderer {
    faces: FaceConfig,
    error_body: Option<ErrorBodyHook>,
}

impl Renderer {
    /// Answers with `faces` and the default JSON body.
    pub fn new(faces: FaceConfig) -> Self {
        Self {
            faces,
            error_body: None,
        }
    }

    /// Replaces the default body with what `hook` returns.
    #[must_use]
    pub fn with_error_body<F>(mut self, hook: F) -> Self
    where
        F: Fn(&PublicFace) -> ErrorBody + Send + Sync + 'static,
    {
        self.error_body = Some(Arc::new(hook));
        self
    }

    /// Replaces the face configuration, keeping the hook.
    #[must_use]
    pub fn with_faces(mut self, faces: FaceConfig) -> Self {
        self.faces = faces;
        self
    }

    /// The face configuration.
    pub fn faces(&self) -> &FaceConfig {
        &self.faces
    }

    /// The answer to `rejection`.
    pub fn render(&self, rejection: &Rejection) -> Answer {
        self.render_face(&rejection.public_face(&self.faces))
    }

    /// The answer for `face`, per the rejection table: the status,
    /// `WWW-Authenticate` when the face has one, `Retry-After` when it has
    /// one, then the body's content type; the body is the hook's, or
    /// `{"error":…,"error_description":…}`. A hook whose content type is
    /// not a valid header value (empty, or with control characters) is
    /// ignored for the default body, so that every adapter answers alike.
    pub fn render_face(&self, face: &PublicFace) -> Answer {
        let mut headers = Vec::with_capacity(3);
        if let Some(challenge) = face.www_authenticate() {
            headers.push(("www-authenticate", challenge.to_owned()));
        }
        if let Some(seconds) = face.retry_after_secs() {
            headers.push(("retry-after", seconds.to_string()));
        }
        let hooked = self
            .error_body
            .as_ref()
            .map(|hook| hook(face))
            .filter(|body| is_field_value(&body.content_type));
        let (content_type, body) = match hooked {
            Some(ErrorBody { content_type, body }) => (content_type, body),
            None => (JSON_CONTENT_TYPE.to_owned(), face.json_body()),
        };
        headers.push(("content-type", content_type));
        Answer::new(face.status(), headers, body)
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

/// A refusal ready to send: status, headers in order (lowercase names),
/// body. It is the type of the OAuth endpoints' answers too, so adapters
/// copy both with one function.
pub type Answer = crate::oauth::OAuthResponse;

/// Whether `value` can be sent as a header value: non-empty, visible ASCII,
/// spaces and tabs.
fn is_field_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

/// A refused request as adapters hand it to their framework: the internal
/// [`Rejection`] (for logs, metrics and tests), what the caller sees, and
/// the renderer that answers it.
///
/// ```
/// use credential_core::render::{Refusal, Renderer};
/// use credential_core::{FaceConfig, Reason, Rejection};
///
/// let refusal = Refusal::new(Rejection::new(Reason::Expired), &Renderer::new(FaceConfig::default()));
/// assert_eq!(refusal.rejection().reason(), Reason::Expired);
/// assert_eq!(refusal.public_face().status(), 401);
/// assert_eq!(refusal.answer().status(), 401);
/// ```
#[derive(Clone)]
pub struct Refusal {
    rejection: Rejection,
    face: PublicFace,
    renderer: Renderer,
}

impl Refusal {
    /// `rejection`, answered by `renderer`.
    pub fn new(rejection: Rejection, renderer: &Renderer) -> Self {
        let face = rejection.public_face(renderer.faces());
        Self {
            rejection,
            face,
            renderer: renderer.clone(),
        }
    }

    /// The internal rejection: its reason is for logs, metrics and tests,
    /// never for the response.
    pub fn rejection(&self) -> &Rejection {
        &self.rejection
    }

    /// What the caller sees.
    pub fn public_face(&self) -> &PublicFace {
        &self.face
    }

    /// The answer to send.
    pub fn answer(&self) -> Answer {
        self.renderer.render_face(&self.face)
    }
}

impl fmt::Debug for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refusal")
            .field("rejection", &self.rejection)
            .field("face", &self.face)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.rejection, f)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.rejection)
    }
}
