//! Error responses of the token, introspection and revocation endpoints
//! (RFC 6749 §5.2, RFC 7662 §2.3, RFC 7009 §2.2.1).

use std::fmt;

use super::client::ClientAuthMethod;
use super::json::JsonObject;
use super::response::OAuthResponse;

/// The `error` code of an OAuth 2.0 error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// A parameter is missing, repeated or malformed, or the client used
    /// more than one authentication method.
    InvalidRequest,
    /// Client authentication failed or was required and absent.
    InvalidClient,
    /// The refresh token is invalid, expired, revoked or was issued to
    /// another client.
    InvalidGrant,
    /// The client may not use this grant type.
    UnauthorizedClient,
    /// The grant type is not supported.
    UnsupportedGrantType,
    /// The requested scope is malformed, unknown or exceeds what was granted.
    InvalidScope,
    /// The revocation endpoint cannot revoke this type of token
    /// (RFC 7009 §2.2.1).
    UnsupportedTokenType,
    /// An unexpected condition; answered with 500.
    ServerError,
    /// A store could not answer; answered with 503 (fail closed).
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    /// The code as sent in the `error` member.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// The default `error_description` for this code.
    pub const fn description(self) -> &'static str {
        match self {
            Self::InvalidRequest => {
                "the request is missing a parameter, repeats one or is malformed"
            }
            Self::InvalidClient => "client authentication failed",
            Self::InvalidGrant => {
                "the grant is invalid, expired, revoked or was issued to another client"
            }
            Self::UnauthorizedClient => "the client is not allowed to use this grant type",
            Self::UnsupportedGrantType => "the grant type is not supported",
            Self::InvalidScope => {
                "the requested scope is invalid, unknown or exceeds the granted scope"
            }
            Self::UnsupportedTokenType => "revoking this type of token is not supported",
            Self::ServerError => "the server encountered an unexpected condition",
            Self::TemporarilyUnavailable => "the service is temporarily unavailable",
        }
    }

    /// The HTTP status for this code when no `Basic` challenge is due.
    const fn default_status(self) -> u16 {
        match self {
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth 2.0 error response: code, status, challenge and JSON body.
///
/// The description is fixed text chosen by this crate, never built from
/// request data, so the body cannot echo a secret or reveal whether a
/// client exists.
///
/// # Status of `invalid_client`
///
/// RFC 6749 §5.2 makes 400 the status "unless specified otherwise", and
/// requires 401 with a `WWW-Authenticate` challenge matching the client's
/// scheme when the client tried to authenticate through the
/// `Authorization` header. A 401 without a challenge would break RFC 9110
/// §15.5.2, and the 401 that §5.2 allows otherwise is optional. So:
///
/// - `invalid_client` after an `Authorization` header (well-formed or not,
///   any scheme): **401** with `WWW-Authenticate: Basic realm="…"`, Basic
///   being the header scheme this crate supports;
/// - `invalid_client` otherwise (form credentials, or none at all): **400**
///   without a challenge.
///
/// ```
/// use credential_core::oauth::{ClientAuthMethod, OAuthError, OAuthErrorCode};
///
/// let err = OAuthError::invalid_client(ClientAuthMethod::ClientSecretBasic);
/// assert_eq!(err.status(), 401);
/// assert_eq!(err.www_authenticate("token").as_deref(), Some(r#"Basic realm="token""#));
/// assert_eq!(
///     err.to_json(),
///     r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
/// );
///
/// let err = OAuthError::new(OAuthErrorCode::InvalidGrant);
/// assert_eq!((err.status(), err.www_authenticate("token")), (400, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    code: OAuthErrorCode,
    description: &'static str,
    basic_challenge: bool,
}

impl OAuthError {
    pub(crate) const BODY_TOO_LARGE: &'static str = "the request body is larger than 8192 bytes";
    pub(crate) const NOT_UTF8: &'static str = "a request parameter is not valid UTF-8";
    pub(crate) const REPEATED_PARAMETER: &'static str = "a request parameter is repeated";
    pub(crate) const WRONG_CONTENT_TYPE: &'static str =
        "the content type must be application/x-www-form-urlencoded";
    pub(crate) const MISSING_GRANT_TYPE: &'static str = "the grant_type parameter is missing";
    pub(crate) const MISSING_REFRESH_TOKEN: &'static str = "the refresh_token parameter is missing";
    pub(crate) const MISSING_TOKEN: &'static str = "the token parameter is missing";
    pub(crate) const MALFORMED_SCOPE: &'static str = "the scope parameter is malformed";
    pub(crate) const TWO_AUTH_METHODS: &'static str =
        "the client used more than one authentication method";
    pub(crate) const CLIENT_ID_MISMATCH: &'static str =
        "the client_id parameter differs from the authenticated client";
    pub(crate) const MALFORMED_BASIC: &'static str = "the Basic credentials are malformed";
    pub(crate) const UNSUPPORTED_SCHEME: &'static str =
        "the authorization scheme is not supported, use Basic";
    pub(crate) const INCOMPLETE_FORM_CREDENTIALS: &'static str =
        "client_id and client_secret must be sent together";
    pub(crate) const CLIENT_AUTH_REQUIRED: &'static str = "client authentication is required";

    /// An error with the code's default description.
    pub const fn new(code: OAuthErrorCode) -> Self {
        Self::described(code, code.description())
    }

    /// `invalid_client` for a client whose credentials were well-formed but
    /// did not verify, answered the way the client authenticated: 401 with a
    /// `Basic` challenge after [`ClientAuthMethod::ClientSecretBasic`], 400
    /// otherwise.
    pub const fn invalid_client(method: ClientAuthMethod) -> Self {
        let error = Self::new(OAuthErrorCode::InvalidClient);
        match method {
            ClientAuthMethod::ClientSecretBasic => error.with_basic_challenge(),
            ClientAuthMethod::ClientSecretPost => error,
        }
    }

    pub(crate) const fn described(code: OAuthErrorCode, description: &'static str) -> Self {
        Self {
            code,
            description,
            basic_challenge: false,
        }
    }

    /// Marks an `invalid_client` error as answering an `Authorization`
    /// header, which makes it a 401 with a `Basic` challenge.
    pub(crate) const fn with_basic_challenge(mut self) -> Self {
        self.basic_challenge = matches!(self.code, OAuthErrorCode::InvalidClient);
        self
    }

    /// The error code.
    pub const fn code(&self) -> OAuthErrorCode {
        self.code
    }

    /// The `error_description`: fixed ASCII text that holds no request data.
    pub const fn description(&self) -> &'static str {
        self.description
    }

    /// The HTTP status: 401 for `invalid_client` answering an
    /// `Authorization` header, 500 for `server_error`, 503 for
    /// `temporarily_unavailable`, 400 otherwise.
    pub const fn status(&self) -> u16 {
        if self.basic_challenge {
            401
        } else {
            self.code.default_status()
        }
    }

    /// The `WWW-Authenticate` value, `Basic realm="…"`, present exactly when
    /// [`status`](Self::status) is 401.
    ///
    /// The realm is a quoted-string (RFC 9110 §5.6.4): `"` and `\` are
    /// backslash-escaped, and characters that cannot appear in a header
    /// value (controls other than tab, non-ASCII) are left out.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        if !self.basic_challenge {
            return None;
        }
        let mut value = String::with_capacity(realm.len().saturating_add(16));
        value.push_str("Basic realm=\"");
        for c in realm.chars() {
            match c {
                '"' | '\\' => {
                    value.push('\\');
                    value.push(c);
                }
                ' ' | '\t' => value.push(c),
                c if c.is_ascii_graphic() => value.push(c),
                _ => {}
            }
        }
        value.push('"');
        Some(value)
    }

    /// The JSON body: `{"error":"…","error_description":"…"}`.
    pub fn to_json(&self) -> String {
        let mut body = JsonObject::new();
        body.string("error", self.code.as_str());
        body.string("error_description", self.description);
        body.finish()
    }

    /// The whole response: status, `Content-Type`, the no-store headers,
    /// the challenge when due, and the JSON body.
    pub fn to_response(&self, realm: &str) -> OAuthResponse {
        let mut response = OAuthResponse::json(self.status(), self.to_json());
        if let Some(challenge) = self.www_authenticate(realm) {
            response.push_header("www-authenticate", challenge);
        }
        response
    }
}

impl From<OAuthErrorCode> for OAuthError {
    fn from(code: OAuthErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const ALL_CODES: [OAuthErrorCode; 9] = [
        OAuthErrorCode::InvalidRequest,
        OAuthErrorCode::InvalidClient,
        OAuthErrorCode::InvalidGrant,
        OAuthErrorCode::UnauthorizedClient,
        OAuthErrorCode::UnsupportedGrantType,
        OAuthErrorCode::InvalidScope,
        OAuthErrorCode::UnsupportedTokenType,
        OAuthErrorCode::ServerError,
        OAuthErrorCode::TemporarilyUnavailable,
    ];

    /// RFC 6749 §5.2: `error` and `error_description` use only
    /// %x20-21 / %x23-5B / %x5D-7E.
    fn is_rfc6749_text(text: &str) -> bool {
        text.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }

    #[test]
    fn every_code_and_description_is_rfc6749_text() {
        let causes = [
            OAuthError::BODY_TOO_LARGE,
            OAuthError::NOT_UTF8,
            OAuthError::REPEATED_PARAMETER,
            OAuthError::WRONG_CONTENT_TYPE,
            OAuthError::MISSING_GRANT_TYPE,
            OAuthError::MISSING_REFRESH_TOKEN,
            OAuthError::MISSING_TOKEN,
            OAuthError::MALFORMED_SCOPE,
            OAuthError::TWO_AUTH_METHODS,
            OAuthError::CLIENT_ID_MISMATCH,
            OAuthError::MALFORMED_BASIC,
            OAuthError::UNSUPPORTED_SCHEME,
            OAuthError::INCOMPLETE_FORM_CREDENTIALS,
            OAuthError::CLIENT_AUTH_REQUIRED,
        ];
        for text in ALL_CODES
            .iter()
            .flat_map(|c| [c.as_str(), c.description()])
            .chain(causes)
        {
            assert!(is_rfc6749_text(text), "{text}");
        }
    }

    #[test]
    fn statuses() {
        for code in ALL_CODES {
            let expected = match code {
                OAuthErrorCode::ServerError => 500,
                OAuthErrorCode::TemporarilyUnavailable => 503,
                _ => 400,
            };
            assert_eq!(OAuthError::new(code).status(), expected, "{code}");
            assert_eq!(OAuthError::new(code).www_authenticate("r"), None);
        }
        let basic = OAuthError::invalid_client(ClientAuthMethod::ClientSecretBasic);
        assert_eq!(basic.status(), 401);
        let post = OAuthError::invalid_client(ClientAuthMethod::ClientSecretPost);
        assert_eq!(post.status(), 400);
        assert_eq!(post.www_authenticate("r"), None);
    }

    #[test]
    fn only_invalid_client_takes_a_challenge() {
        let err = OAuthError::new(OAuthErrorCode::InvalidRequest).with_basic_challenge();
        assert_eq!(err.status(), 400);
        assert_eq!(err.www_authenticate("r"), None);
    }

    #[test]
    fn realm_is_quoted_and_sanitized() {
        let err = OAuthError::invalid_client(ClientAuthMethod::ClientSecretBasic);
        assert_eq!(
            err.www_authenticate(r#"a "b" \c"#).unwrap(),
            r#"Basic realm="a \"b\" \\c""#
        );
        assert_eq!(
            err.www_authenticate("x\r\nSet-Cookie: y\u{0}é").unwrap(),
            r#"Basic realm="xSet-Cookie: y""#
        );
    }

    #[test]
    fn display_names_code_and_description() {
        let err = OAuthError::new(OAuthErrorCode::UnsupportedGrantType);
        assert_eq!(
            err.to_string(),
            "unsupported_grant_type: the grant type is not supported"
        );
    }
}
