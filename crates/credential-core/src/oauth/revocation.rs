//! Token revocation (RFC 7009): the client's request and the endpoint's
//! answer.

use super::error::OAuthError;
use super::form::Form;
use super::presented::{PresentedToken, TokenTypeHint, token_and_hint};
use super::response::OAuthResponse;

/// A revocation request (RFC 7009 §2.1): `token` and an optional
/// `token_type_hint` of `access_token` or `refresh_token`.
///
/// The client authenticates as at the token endpoint (RFC 7009 §2.1); read
/// its credentials from the same body and header with
/// [`ClientCredentials::require`](super::ClientCredentials::require) before
/// calling [`parse`](Self::parse) (so every adapter reports the same fault
/// first), and revoke only tokens issued to that client.
///
/// ```
/// use credential_core::oauth::{RevocationRequest, TokenTypeHint};
///
/// let request = RevocationRequest::parse(b"token=eyJ.e30.SIG&token_type_hint=access_token")?;
/// assert_eq!(request.token_type_hint, Some(TokenTypeHint::AccessToken));
/// assert!(!format!("{request:?}").contains("SIG"));
///
/// // An unknown hint is ignored; the server searches every token type.
/// let request = RevocationRequest::parse(b"token=abc&token_type_hint=id_token")?;
/// assert_eq!(request.token_type_hint, None);
/// # Ok::<(), credential_core::oauth::OAuthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// The token to revoke.
    pub token: PresentedToken,
    /// Where to look first; `None` when absent or not a known hint.
    pub token_type_hint: Option<TokenTypeHint>,
}

impl RevocationRequest {
    /// Parses the form-urlencoded body, with the body rules of
    /// [`TokenRequest::parse`](super::TokenRequest::parse).
    ///
    /// # Errors
    ///
    /// `invalid_request` when the body is malformed, `token` is missing, or
    /// `token` or `token_type_hint` is repeated. An unknown hint is not an
    /// error.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let (token, token_type_hint) = token_and_hint(&Form::parse(body)?)?;
        Ok(Self {
            token,
            token_type_hint,
        })
    }
}

/// The answer to a valid revocation request (RFC 7009 §2.2): 200 with an
/// empty body.
///
/// It is the same whether the token was revoked now, was already revoked
/// or expired, or was never known: the client could do nothing with the
/// difference, and telling it apart would let a caller probe for valid
/// tokens. Only a malformed request or failed client authentication is an
/// error ([`OAuthError`], with a JSON body); a store that cannot answer is
/// `temporarily_unavailable` (503), after which the client must assume the
/// token is still valid.
///
/// ```
/// use credential_core::oauth::RevocationResponse;
///
/// let response = RevocationResponse.to_response();
/// assert_eq!(response.status(), 200);
/// assert!(response.headers().is_empty());
/// assert_eq!(response.body(), "");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevocationResponse;

impl RevocationResponse {
    /// The status of every successful revocation.
    pub const STATUS: u16 = 200;

    /// The whole response: 200, no headers, an empty body.
    pub fn to_response(self) -> OAuthResponse {
        OAuthResponse::empty(Self::STATUS)
    }
}
