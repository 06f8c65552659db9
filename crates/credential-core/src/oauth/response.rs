//! A framework-free HTTP response for the endpoints, so that every adapter
//! copies the same status, headers and body.

use std::fmt;

use zeroize::Zeroizing;

/// The `Content-Type` of every JSON response of these endpoints.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// The headers every token, introspection and error response carries
/// (RFC 6749 §5.1 and §5.2, RFC 7662 §2.2): responses that hold tokens or
/// say whether a token is active must not be cached.
///
/// Names are lowercase, the form `http::HeaderName::from_static` requires.
pub const NO_STORE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-store"), ("pragma", "no-cache")];

/// A response ready to send: status, headers in order, body; the answers
/// of the endpoints and, as [`Answer`](crate::render::Answer), the
/// middleware's refusals.
///
/// Adapters copy it into their framework's response type unchanged. The
/// body may hold tokens, so it is wiped on drop and `Debug` shows only its
/// length.
///
/// ```
/// use credential_core::oauth::{IntrospectionResponse, JSON_CONTENT_TYPE};
///
/// let response = IntrospectionResponse::inactive().to_response();
/// assert_eq!(response.status(), 200);
/// assert_eq!(
///     response.headers(),
///     [
///         ("content-type", JSON_CONTENT_TYPE.to_owned()),
///         ("cache-control", "no-store".to_owned()),
///         ("pragma", "no-cache".to_owned()),
///     ]
/// );
/// assert_eq!(response.body(), r#"{"active":false}"#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthResponse {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Zeroizing<String>,
}

impl OAuthResponse {
    /// A JSON response with the content type and the no-store headers.
    pub(crate) fn json(status: u16, body: String) -> Self {
        let mut headers = Vec::with_capacity(NO_STORE_HEADERS.len() + 2);
        headers.push(("content-type", JSON_CONTENT_TYPE.to_owned()));
        headers.extend(NO_STORE_HEADERS.map(|(name, value)| (name, value.to_owned())));
        Self {
            status,
            headers,
            body: Zeroizing::new(body),
        }
    }

    /// A response with no headers and an empty body.
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Zeroizing::new(String::new()),
        }
    }

    /// A response with `headers` and `body`.
    pub(crate) fn new(status: u16, headers: Vec<(&'static str, String)>, body: String) -> Self {
        Self {
            status,
            headers,
            body: Zeroizing::new(body),
        }
    }

    pub(crate) fn push_header(&mut self, name: &'static str, value: String) {
        self.headers.push((name, value));
    }

    pub(crate) fn set_body(&mut self, body: String) {
        self.body = Zeroizing::new(body);
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers to set, in order, with lowercase names.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, moved out for the framework to send.
    pub fn into_body(mut self) -> String {
        std::mem::take(&mut *self.body)
    }

    /// Status, headers and body, moved out for the framework to send.
    pub fn into_parts(mut self) -> (u16, Vec<(&'static str, String)>, String) {
        let headers = std::mem::take(&mut self.headers);
        (self.status, headers, std::mem::take(&mut *self.body))
    }
}

impl fmt::Debug for OAuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_body() {
        let response = OAuthResponse::json(200, r#"{"access_token":"SECRET"}"#.to_owned());
        let debug = format!("{response:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("<25 bytes>"), "{debug}");
        assert_eq!(response.into_body(), r#"{"access_token":"SECRET"}"#);
    }
}
