//! An access token request to the token endpoint: the `client_credentials`
//! grant (RFC 6749 §4.4.2) and the `refresh_token` grant (§6).

use std::fmt;

use super::client::ClientCredentials;
use super::error::{OAuthError, OAuthErrorCode};
use super::form::Form;
use crate::RefreshToken;
use crate::scope::ScopeSet;

/// A parsed token request, not yet authorized.
///
/// Parsing checks the request's shape; the caller then verifies the client
/// (the API key in `client_secret`, whose id must be `client_id`) and the
/// refresh token, and checks the requested scope against what was granted.
///
/// `Debug` never shows the client secret or the refresh token.
///
/// ```
/// use base64::Engine as _;
/// use credential_core::oauth::{OAuthErrorCode, TokenRequest};
///
/// let basic = base64::engine::general_purpose::STANDARD
///     .encode("0123456789abcdef:sk_live_0123456789abcdef_SECRET");
/// let request = TokenRequest::parse(
///     b"grant_type=client_credentials&scope=reports%3Aread",
///     Some(&format!("Basic {basic}")),
/// )?;
/// let TokenRequest::ClientCredentials { client, scope } = &request else {
///     unreachable!("a client_credentials request")
/// };
/// assert_eq!(client.client_id, "0123456789abcdef");
/// assert_eq!(scope.as_ref().map(ToString::to_string).as_deref(), Some("reports:read"));
/// assert!(!format!("{request:?}").contains("SECRET"));
///
/// let err = TokenRequest::parse(b"grant_type=password", None).unwrap_err();
/// assert_eq!(err.code(), OAuthErrorCode::UnsupportedGrantType);
/// assert_eq!(err.status(), 400);
/// # Ok::<(), credential_core::oauth::OAuthError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// `grant_type=client_credentials`: the client authenticates with an
    /// API key and asks for an access token of its own.
    ClientCredentials {
        /// The client's credentials, always present for this grant.
        client: ClientCredentials,
        /// The requested scope; `None` asks for the key's whole scope.
        scope: Option<ScopeSet>,
    },
    /// `grant_type=refresh_token`: the client redeems a refresh token.
    RefreshToken {
        /// The refresh token to redeem.
        refresh_token: RefreshToken,
        /// The requested scope; `None` asks for the originally granted one.
        scope: Option<ScopeSet>,
        /// The client's credentials, if it sent any.
        client: Option<ClientCredentials>,
    },
}

impl TokenRequest {
    /// Parses a token request from its form-urlencoded body and its
    /// `Authorization` header value, if any.
    ///
    /// The body is at most [`MAX_FORM_LEN`](super::MAX_FORM_LEN) bytes,
    /// every name and value must be UTF-8 once decoded, parameters sent
    /// without a value count as omitted, unknown parameters are ignored and
    /// none of the parameters read here may be repeated (RFC 6749 §3.2).
    ///
    /// Checks run in this order, and the first failure is returned:
    ///
    /// 1. the body: `invalid_request`;
    /// 2. client credentials, see [`ClientCredentials::parse`]:
    ///    `invalid_request` or `invalid_client`;
    /// 3. `grant_type`: `invalid_request` when missing,
    ///    `unsupported_grant_type` for any value but `client_credentials`
    ///    and `refresh_token`;
    /// 4. for `client_credentials`, credentials are required:
    ///    `invalid_client`;
    /// 5. for `refresh_token`, `refresh_token` is required:
    ///    `invalid_request`;
    /// 6. `scope`, when sent, must be a valid scope set (see
    ///    [`ScopeSet::parse`]): `invalid_scope`.
    ///
    /// # Errors
    ///
    /// An [`OAuthError`] as listed above, ready to send.
    pub fn parse(body: &[u8], authorization: Option<&str>) -> Result<Self, OAuthError> {
        let form = Form::parse(body)?;
        let client = ClientCredentials::from_form(&form, authorization)?;
        let grant_type = form.get("grant_type")?.ok_or(OAuthError::described(
            OAuthErrorCode::InvalidRequest,
            OAuthError::MISSING_GRANT_TYPE,
        ))?;
        match grant_type {
            "client_credentials" => {
                let client = client.ok_or_else(ClientCredentials::missing)?;
                let scope = requested_scope(&form)?;
                Ok(Self::ClientCredentials { client, scope })
            }
            "refresh_token" => {
                let refresh_token = form.get("refresh_token")?.ok_or(OAuthError::described(
                    OAuthErrorCode::InvalidRequest,
                    OAuthError::MISSING_REFRESH_TOKEN,
                ))?;
                let scope = requested_scope(&form)?;
                Ok(Self::RefreshToken {
                    refresh_token: RefreshToken::new(refresh_token),
                    scope,
                    client,
                })
            }
            _ => Err(OAuthError::new(OAuthErrorCode::UnsupportedGrantType)),
        }
    }

    /// The `grant_type` value of this request.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Self::ClientCredentials { .. } => "client_credentials",
            Self::RefreshToken { .. } => "refresh_token",
        }
    }

    /// The requested scope, if the request names one.
    pub fn scope(&self) -> Option<&ScopeSet> {
        match self {
            Self::ClientCredentials { scope, .. } | Self::RefreshToken { scope, .. } => {
                scope.as_ref()
            }
        }
    }

    /// The client's credentials, if it sent any.
    pub fn client(&self) -> Option<&ClientCredentials> {
        match self {
            Self::ClientCredentials { client, .. } => Some(client),
            Self::RefreshToken { client, .. } => client.as_ref(),
        }
    }
}

fn requested_scope(form: &Form) -> Result<Option<ScopeSet>, OAuthError> {
    form.get("scope")?
        .map(|scope| {
            ScopeSet::parse(scope).map_err(|_| {
                OAuthError::described(OAuthErrorCode::InvalidScope, OAuthError::MALFORMED_SCOPE)
            })
        })
        .transpose()
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientCredentials { client, scope } => f
                .debug_struct("ClientCredentials")
                .field("client", client)
                .field("scope", scope)
                .finish(),
            // `RefreshToken`'s own `Debug` shows the text before its last
            // `_`, which is only safe for tokens this crate issued.
            Self::RefreshToken {
                refresh_token: _,
                scope,
                client,
            } => f
                .debug_struct("RefreshToken")
                .field("refresh_token", &format_args!("<redacted>"))
                .field("scope", scope)
                .field("client", client)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn refresh_grant_without_client() {
        let request =
            TokenRequest::parse(b"grant_type=refresh_token&refresh_token=rt_abc_def", None)
                .unwrap();
        assert_eq!(request.grant_type(), "refresh_token");
        assert!(request.client().is_none());
        assert!(request.scope().is_none());
        let TokenRequest::RefreshToken { refresh_token, .. } = request else {
            panic!("refresh grant expected");
        };
        assert_eq!(refresh_token.expose_secret(), "rt_abc_def");
    }

    #[test]
    fn body_errors_come_before_client_errors() {
        let err = TokenRequest::parse(b"grant_type=%FF", Some("Bearer x")).unwrap_err();
        assert_eq!(err.description(), OAuthError::NOT_UTF8);
    }

    #[test]
    fn client_errors_come_before_grant_errors() {
        let err = TokenRequest::parse(b"grant_type=password", Some("Basic !")).unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::InvalidClient);
        assert_eq!(err.status(), 401);
    }

    #[test]
    fn client_is_required_before_scope_is_read() {
        let err =
            TokenRequest::parse(b"grant_type=client_credentials&scope=%20", None).unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::InvalidClient);
        assert_eq!(err.description(), OAuthError::CLIENT_AUTH_REQUIRED);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn grant_type_is_case_sensitive() {
        let err = TokenRequest::parse(b"grant_type=Refresh_Token", None).unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::UnsupportedGrantType);
    }
}
