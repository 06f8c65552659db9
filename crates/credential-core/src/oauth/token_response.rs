//! A successful access token response (RFC 6749 §5.1).

use std::fmt;

use super::json::JsonObject;
use super::response::OAuthResponse;
use crate::scope::ScopeSet;
use crate::{AccessToken, RefreshToken};

/// The `token_type` of every access token this crate issues (RFC 6750).
pub const TOKEN_TYPE_BEARER: &str = "Bearer";

/// An issued access token, with an optional refresh token, as the token
/// endpoint returns it.
///
/// `token_type` is always [`TOKEN_TYPE_BEARER`]. The body is sent with
/// status 200, `Content-Type: application/json` and the
/// [`NO_STORE_HEADERS`](super::NO_STORE_HEADERS).
///
/// ```
/// use credential_core::oauth::TokenResponse;
/// use credential_core::{AccessToken, RefreshToken};
///
/// let response = TokenResponse::new(AccessToken::new("eyJ.e30.sig"), 3600, "b a".parse()?)
///     .with_refresh_token(RefreshToken::new("rt_0123456789abcdef_SECRET"));
/// assert_eq!(
///     response.to_json(),
///     r#"{"access_token":"eyJ.e30.sig","token_type":"Bearer","expires_in":3600,"refresh_token":"rt_0123456789abcdef_SECRET","scope":"a b"}"#
/// );
/// assert!(!format!("{response:?}").contains("SECRET"));
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: AccessToken,
    /// The access token's lifetime in seconds.
    pub expires_in: u64,
    /// A refresh token; omitted from the body when `None` (a
    /// `client_credentials` grant should not return one, RFC 6749 §4.4.3).
    pub refresh_token: Option<RefreshToken>,
    /// The granted scope, always sent so the client need not compare it
    /// with what it asked for; omitted when empty, since an empty string is
    /// not a valid `scope` value (RFC 6749 §3.3).
    pub scope: ScopeSet,
}

impl TokenResponse {
    /// A response without a refresh token.
    pub fn new(access_token: AccessToken, expires_in: u64, scope: ScopeSet) -> Self {
        Self {
            access_token,
            expires_in,
            refresh_token: None,
            scope,
        }
    }

    /// Adds a refresh token.
    #[must_use]
    pub fn with_refresh_token(mut self, refresh_token: RefreshToken) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// The JSON body, members in the order RFC 6749 §5.1 lists them.
    pub fn to_json(&self) -> String {
        let mut body = JsonObject::new();
        body.string("access_token", self.access_token.expose_secret());
        body.string("token_type", TOKEN_TYPE_BEARER);
        body.number("expires_in", self.expires_in);
        body.optional_string(
            "refresh_token",
            self.refresh_token.as_ref().map(RefreshToken::expose_secret),
        );
        if !self.scope.is_empty() {
            body.string("scope", &self.scope.to_string());
        }
        body.finish()
    }

    /// The whole response: 200, `Content-Type`, the no-store headers and
    /// the JSON body.
    pub fn to_response(&self) -> OAuthResponse {
        OAuthResponse::json(200, self.to_json())
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &format_args!("<redacted>"))
            .field("token_type", &TOKEN_TYPE_BEARER)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_refresh_token_or_scope() {
        let response = TokenResponse::new(AccessToken::new("a.b.c"), 60, ScopeSet::empty());
        assert_eq!(
            response.to_json(),
            r#"{"access_token":"a.b.c","token_type":"Bearer","expires_in":60}"#
        );
        let debug = format!("{response:?}");
        assert!(debug.contains("refresh_token: None"), "{debug}");
        assert!(!debug.contains("a.b.c"), "{debug}");
    }

    #[test]
    fn response_is_200_with_no_store() {
        let response =
            TokenResponse::new(AccessToken::new("a.b.c"), 60, ScopeSet::empty()).to_response();
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .iter()
                .any(|(name, value)| *name == "cache-control" && value == "no-store")
        );
    }
}
