//! Client authentication with a client password (RFC 6749 §2.3.1): HTTP
//! Basic or the `client_id` and `client_secret` body parameters.
//!
//! Here the client is an API key: `client_id` is the key's id and
//! `client_secret` is the whole key string.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::error::{OAuthError, OAuthErrorCode};
use super::form::{Form, percent_decode};
use crate::{ApiKey, KeyId};

/// Longest `Authorization` header value read, in bytes; longer is malformed.
const MAX_AUTHORIZATION_LEN: usize = 4096;

/// How the client presented its credentials, under the names of the OAuth
/// client authentication method registry (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic in the `Authorization` header.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the request body.
    ClientSecretPost,
}

impl ClientAuthMethod {
    /// The registered name: `client_secret_basic` or `client_secret_post`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A client's id and secret as presented, not yet verified.
///
/// `client_id` is kept as given: the caller verifies `client_secret` as an
/// API key and then checks that the key's id is `client_id`
/// ([`matches_key_id`](Self::matches_key_id)). When either check fails,
/// [`reject`](Self::reject) builds the `invalid_client` answer that suits
/// the way the client authenticated.
///
/// `Debug` shows the id and the method, never the secret.
///
/// ```
/// use base64::Engine as _;
/// use credential_core::oauth::{ClientAuthMethod, ClientCredentials};
///
/// let basic = base64::engine::general_purpose::STANDARD
///     .encode("0123456789abcdef:sk_live_0123456789abcdef_SECRET");
/// let client = ClientCredentials::parse(b"grant_type=client_credentials", Some(&format!("Basic {basic}")))?
///     .expect("credentials were sent");
/// assert_eq!(client.client_id, "0123456789abcdef");
/// assert_eq!(client.client_secret.expose_secret(), "sk_live_0123456789abcdef_SECRET");
/// assert_eq!(client.method, ClientAuthMethod::ClientSecretBasic);
/// assert!(!format!("{client:?}").contains("SECRET"));
///
/// // A key that fails verification is answered with 401 and a challenge.
/// assert_eq!(client.reject().status(), 401);
/// # Ok::<(), credential_core::oauth::OAuthError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The client identifier as sent, percent-decoded.
    pub client_id: String,
    /// The client secret: the whole API key.
    pub client_secret: ApiKey,
    /// Where the credentials were found.
    pub method: ClientAuthMethod,
}

impl ClientCredentials {
    /// Reads the client's credentials from the `Authorization` header value
    /// or from the `client_id` and `client_secret` body parameters.
    ///
    /// Returns `Ok(None)` when the request carries neither. Use this at the
    /// introspection and revocation endpoints, with the same body passed to
    /// their parsers; [`TokenRequest::parse`](super::TokenRequest::parse)
    /// calls it itself.
    ///
    /// # Errors
    ///
    /// - `invalid_request` (400) when the body is malformed (see
    ///   [`TokenRequest::parse`](super::TokenRequest::parse)), when both the
    ///   header and `client_secret` are sent (RFC 6749 §2.3: one method per
    ///   request), or when a `client_id` parameter sent beside the header
    ///   names another client;
    /// - `invalid_client` (401 with a `Basic` challenge) when the header is
    ///   not well-formed Basic credentials, see
    ///   [`from_basic`](Self::from_basic);
    /// - `invalid_client` (400) when only one of `client_id` and
    ///   `client_secret` is in the body.
    pub fn parse(body: &[u8], authorization: Option<&str>) -> Result<Option<Self>, OAuthError> {
        Self::from_form(&Form::parse(body)?, authorization)
    }

    /// Like [`parse`](Self::parse), for endpoints where the client must
    /// authenticate.
    ///
    /// # Errors
    ///
    /// Those of [`parse`](Self::parse), and `invalid_client` (400) when no
    /// credentials were sent.
    pub fn require(body: &[u8], authorization: Option<&str>) -> Result<Self, OAuthError> {
        Self::parse(body, authorization)?.ok_or_else(Self::missing)
    }

    /// Reads HTTP Basic credentials from an `Authorization` header value:
    /// `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`.
    ///
    /// The scheme is case-insensitive and may be followed by one or more
    /// spaces. The id and the secret are each form-urlencoded before base64
    /// (RFC 6749 §2.3.1), so a `:` inside the id arrives as `%3A` and `+`
    /// means a space.
    ///
    /// # Errors
    ///
    /// `invalid_client`, answered with 401 and a `Basic` challenge, when the
    /// scheme is not Basic or the credentials are not base64, lack the `:`,
    /// decode to bytes that are not UTF-8, or leave the id or the secret
    /// empty.
    pub fn from_basic(authorization: &str) -> Result<Self, OAuthError> {
        let malformed = || {
            OAuthError::described(OAuthErrorCode::InvalidClient, OAuthError::MALFORMED_BASIC)
                .with_basic_challenge()
        };
        let value = authorization.trim_matches(|c| c == ' ' || c == '\t');
        if value.len() > MAX_AUTHORIZATION_LEN {
            return Err(malformed());
        }
        let (scheme, encoded) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(OAuthError::described(
                OAuthErrorCode::InvalidClient,
                OAuthError::UNSUPPORTED_SCHEME,
            )
            .with_basic_challenge());
        }
        let decoded = Zeroizing::new(
            STANDARD
                .decode(encoded.trim_start_matches(' '))
                .map_err(|_| malformed())?,
        );
        let mut halves = decoded.splitn(2, |&b| b == b':');
        let id = halves.next().unwrap_or_default();
        let secret = halves.next().ok_or_else(malformed)?;
        let id = percent_decode(id).ok_or_else(malformed)?;
        let mut secret = percent_decode(secret).ok_or_else(malformed)?;
        if id.is_empty() || secret.is_empty() {
            return Err(malformed());
        }
        Ok(Self {
            client_id: id.as_str().to_owned(),
            // Moves the buffer, leaving no unwiped copy.
            client_secret: ApiKey::new(std::mem::take(&mut *secret)),
            method: ClientAuthMethod::ClientSecretBasic,
        })
    }

    /// Whether `client_id` is this key id (ids are public, so the
    /// comparison need not be constant-time).
    pub fn matches_key_id(&self, id: &KeyId) -> bool {
        self.client_id == id.as_str()
    }

    /// The `invalid_client` error for credentials that did not verify: 401
    /// with a `Basic` challenge after Basic, 400 after form parameters.
    pub fn reject(&self) -> OAuthError {
        OAuthError::invalid_client(self.method)
    }

    pub(crate) fn from_form(
        form: &Form,
        authorization: Option<&str>,
    ) -> Result<Option<Self>, OAuthError> {
        let form_id = form.get("client_id")?;
        let form_secret = form.get("client_secret")?;
        if let Some(header) = authorization {
            if form_secret.is_some() {
                return Err(OAuthError::described(
                    OAuthErrorCode::InvalidRequest,
                    OAuthError::TWO_AUTH_METHODS,
                ));
            }
            let client = Self::from_basic(header)?;
            // A client may also name itself in the body (RFC 6749 §3.2.1);
            // two different names are two sets of credentials.
            if form_id.is_some_and(|id| id != client.client_id) {
                return Err(OAuthError::described(
                    OAuthErrorCode::InvalidRequest,
                    OAuthError::CLIENT_ID_MISMATCH,
                ));
            }
            return Ok(Some(client));
        }
        match (form_id, form_secret) {
            (Some(id), Some(secret)) => Ok(Some(Self {
                client_id: id.to_owned(),
                client_secret: ApiKey::new(secret),
                method: ClientAuthMethod::ClientSecretPost,
            })),
            (None, None) => Ok(None),
            _ => Err(OAuthError::described(
                OAuthErrorCode::InvalidClient,
                OAuthError::INCOMPLETE_FORM_CREDENTIALS,
            )),
        }
    }

    pub(crate) fn missing() -> OAuthError {
        OAuthError::described(
            OAuthErrorCode::InvalidClient,
            OAuthError::CLIENT_AUTH_REQUIRED,
        )
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &format_args!("<redacted>"))
            .field("method", &self.method)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_is_percent_decoded_after_the_split() {
        let client = ClientCredentials::from_basic(&basic("a%3Ab+c:s%3At+u%25")).unwrap();
        assert_eq!(client.client_id, "a:b c");
        assert_eq!(client.client_secret.expose_secret(), "s:t u%");
    }

    #[test]
    fn only_the_first_colon_splits() {
        let client = ClientCredentials::from_basic(&basic("id:se:cret")).unwrap();
        assert_eq!(client.client_secret.expose_secret(), "se:cret");
    }

    #[test]
    fn scheme_case_and_spacing() {
        let encoded = STANDARD.encode("id:secret");
        for header in [
            format!("Basic {encoded}"),
            format!("basic {encoded}"),
            format!("BASIC   {encoded}"),
            format!("  bAsIc {encoded} "),
        ] {
            assert_eq!(
                ClientCredentials::from_basic(&header).unwrap().client_id,
                "id",
                "{header}"
            );
        }
    }

    #[test]
    fn malformed_basic_is_invalid_client_with_challenge() {
        let cases = [
            "Basic".to_owned(),
            "Basic ".to_owned(),
            "Basic !!!".to_owned(),
            basic("no-colon"),
            basic(":secret"),
            basic("id:"),
            format!("Basic {}", STANDARD.encode(b"id:\xff")),
            basic("id:%FF"),
            "Bearer abc".to_owned(),
            String::new(),
            format!("Basic {}", "A".repeat(MAX_AUTHORIZATION_LEN)),
        ];
        for header in cases {
            let err = ClientCredentials::from_basic(&header).unwrap_err();
            assert_eq!(err.code(), OAuthErrorCode::InvalidClient, "{header}");
            assert_eq!(err.status(), 401, "{header}");
        }
    }

    #[test]
    fn form_credentials() {
        let form = Form::parse(b"client_id=id&client_secret=s%2Bx").unwrap();
        let client = ClientCredentials::from_form(&form, None).unwrap().unwrap();
        assert_eq!(client.client_secret.expose_secret(), "s+x");
        assert_eq!(client.method, ClientAuthMethod::ClientSecretPost);
        assert_eq!(client.reject().status(), 400);
    }

    #[test]
    fn half_form_credentials_are_invalid_client_without_challenge() {
        for body in [
            &b"client_id=id"[..],
            b"client_secret=s",
            b"client_id=id&client_secret=",
        ] {
            let form = Form::parse(body).unwrap();
            let err = ClientCredentials::from_form(&form, None).unwrap_err();
            assert_eq!(err.code(), OAuthErrorCode::InvalidClient);
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn header_and_body_client_id_must_agree() {
        let header = basic("id:secret");
        let same = Form::parse(b"client_id=id").unwrap();
        assert!(ClientCredentials::from_form(&same, Some(&header)).is_ok());
        let other = Form::parse(b"client_id=other").unwrap();
        let err = ClientCredentials::from_form(&other, Some(&header)).unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn matches_key_id() {
        let id: KeyId = "0123456789abcdef".parse().unwrap();
        let client = ClientCredentials::from_basic(&basic("0123456789abcdef:k")).unwrap();
        assert!(client.matches_key_id(&id));
        let client = ClientCredentials::from_basic(&basic("0123456789abcdeF:k")).unwrap();
        assert!(!client.matches_key_id(&id));
    }
}
