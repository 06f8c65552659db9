//! Token introspection (RFC 7662): the request a protected resource sends
//! and the answer about the token's state.

use super::error::OAuthError;
use super::form::Form;
use super::json::JsonObject;
use super::presented::{PresentedToken, TokenTypeHint, token_and_hint};
use super::response::OAuthResponse;
use crate::scope::ScopeSet;

/// An introspection request (RFC 7662 §2.1): `token` and an optional
/// `token_type_hint`.
///
/// The endpoint must require authorization of its caller (RFC 7662 §2.1),
/// which this parser leaves to the adapter: read client credentials from
/// the same body and header with
/// [`ClientCredentials::require`](super::ClientCredentials::require), or
/// check a bearer token. Authenticate first and parse second, so that a
/// request with several faults gets the same error from every adapter.
/// `client_id` and `client_secret` are unknown parameters here and ignored.
///
/// ```
/// use credential_core::oauth::{IntrospectionRequest, OAuthErrorCode, TokenTypeHint};
///
/// let request = IntrospectionRequest::parse(b"token=rt_abc_SECRET&token_type_hint=refresh_token")?;
/// assert_eq!(request.token.expose_secret(), "rt_abc_SECRET");
/// assert_eq!(request.token_type_hint, Some(TokenTypeHint::RefreshToken));
/// assert!(!format!("{request:?}").contains("SECRET"));
///
/// let err = IntrospectionRequest::parse(b"token_type_hint=access_token").unwrap_err();
/// assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
/// # Ok::<(), credential_core::oauth::OAuthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionRequest {
    /// The token to describe.
    pub token: PresentedToken,
    /// Where to look first; `None` when absent or not a known hint.
    pub token_type_hint: Option<TokenTypeHint>,
}

impl IntrospectionRequest {
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

/// What an introspection response says about an active token
/// (RFC 7662 §2.2). Every member is optional and omitted when unset.
///
/// Times are seconds since the Unix epoch. `aud` is sent as a string when
/// it holds one audience and as an array when it holds several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenMetadata {
    /// The token's scopes.
    pub scope: Option<ScopeSet>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
    /// A human-readable name of the resource owner.
    pub username: Option<String>,
    /// The token type, e.g. [`TOKEN_TYPE_BEARER`](super::TOKEN_TYPE_BEARER).
    pub token_type: Option<String>,
    /// Expiry time.
    pub exp: Option<u64>,
    /// Issue time.
    pub iat: Option<u64>,
    /// Time before which the token is not valid.
    pub nbf: Option<u64>,
    /// The subject.
    pub sub: Option<String>,
    /// The intended audiences; omitted when empty.
    pub aud: Vec<String>,
    /// The issuer.
    pub iss: Option<String>,
    /// The token's unique id.
    pub jti: Option<String>,
}

/// An introspection response (RFC 7662 §2.2): inactive, or active with
/// the token's metadata.
///
/// An inactive answer says nothing else — exactly `{"active":false}` —
/// whatever the reason: unknown, expired, revoked, or not for this caller
/// to know (RFC 7662 §2.2, §4). Both answers are 200 with the
/// [`NO_STORE_HEADERS`](super::NO_STORE_HEADERS).
///
/// ```
/// use credential_core::oauth::{IntrospectionResponse, TokenMetadata};
///
/// assert_eq!(IntrospectionResponse::inactive().to_json(), r#"{"active":false}"#);
///
/// let mut metadata = TokenMetadata::default();
/// metadata.scope = Some("reports:read".parse()?);
/// metadata.sub = Some("acme".to_owned());
/// metadata.exp = Some(1_700_003_600);
/// assert_eq!(
///     IntrospectionResponse::active(metadata).to_json(),
///     r#"{"active":true,"scope":"reports:read","exp":1700003600,"sub":"acme"}"#
/// );
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectionResponse(Option<TokenMetadata>);

impl IntrospectionResponse {
    /// The answer for a token that is not active or not known.
    pub fn inactive() -> Self {
        Self(None)
    }

    /// The answer for an active token.
    pub fn active(metadata: TokenMetadata) -> Self {
        Self(Some(metadata))
    }

    /// Whether the token is active.
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// The metadata of an active token.
    pub fn metadata(&self) -> Option<&TokenMetadata> {
        self.0.as_ref()
    }

    /// The JSON body, members in the order RFC 7662 §2.2 lists them.
    pub fn to_json(&self) -> String {
        let mut body = JsonObject::new();
        body.boolean("active", self.is_active());
        if let Some(m) = &self.0 {
            if let Some(scope) = m.scope.as_ref().filter(|scope| !scope.is_empty()) {
                body.string("scope", &scope.to_string());
            }
            body.optional_string("client_id", m.client_id.as_deref());
            body.optional_string("username", m.username.as_deref());
            body.optional_string("token_type", m.token_type.as_deref());
            body.optional_number("exp", m.exp);
            body.optional_number("iat", m.iat);
            body.optional_number("nbf", m.nbf);
            body.optional_string("sub", m.sub.as_deref());
            match m.aud.as_slice() {
                [] => {}
                [audience] => body.string("aud", audience),
                audiences => body.strings("aud", audiences),
            }
            body.optional_string("iss", m.iss.as_deref());
            body.optional_string("jti", m.jti.as_deref());
        }
        body.finish()
    }

    /// The whole response: 200, `Content-Type`, the no-store headers and
    /// the JSON body.
    pub fn to_response(&self) -> OAuthResponse {
        OAuthResponse::json(200, self.to_json())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::oauth::OAuthErrorCode;

    #[test]
    fn full_active_response_in_rfc_order() {
        let metadata = TokenMetadata {
            scope: Some("b a".parse().unwrap()),
            client_id: Some("0123456789abcdef".to_owned()),
            username: Some("Ada".to_owned()),
            token_type: Some("Bearer".to_owned()),
            exp: Some(30),
            iat: Some(10),
            nbf: Some(20),
            sub: Some("acme".to_owned()),
            aud: vec!["https://a".to_owned(), "https://b".to_owned()],
            iss: Some("https://issuer".to_owned()),
            jti: Some("j1".to_owned()),
        };
        assert_eq!(
            IntrospectionResponse::active(metadata).to_json(),
            concat!(
                r#"{"active":true,"scope":"a b","client_id":"0123456789abcdef","#,
                r#""username":"Ada","token_type":"Bearer","exp":30,"iat":10,"nbf":20,"#,
                r#""sub":"acme","aud":["https://a","https://b"],"iss":"https://issuer","jti":"j1"}"#
            )
        );
    }

    #[test]
    fn single_audience_is_a_string_and_empty_metadata_is_just_active() {
        let mut metadata = TokenMetadata::default();
        assert_eq!(
            IntrospectionResponse::active(metadata.clone()).to_json(),
            r#"{"active":true}"#
        );
        metadata.aud = vec!["api".to_owned()];
        assert_eq!(
            IntrospectionResponse::active(metadata).to_json(),
            r#"{"active":true,"aud":"api"}"#
        );
    }

    #[test]
    fn unknown_hint_is_no_hint_and_a_repeated_token_is_an_error() {
        let request = IntrospectionRequest::parse(b"token=t&token_type_hint=id_token").unwrap();
        assert_eq!(request.token_type_hint, None);
        let err = IntrospectionRequest::parse(b"token=t&token=u").unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    }
}
