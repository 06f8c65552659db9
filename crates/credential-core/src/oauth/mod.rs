//! OAuth 2.0 endpoint types, free of any HTTP framework: request parsers
//! and response renderers for the token endpoint (RFC 6749), token
//! introspection (RFC 7662) and token revocation (RFC 7009).
//!
//! Both HTTP adapters build their endpoints from these types, so the same
//! request gets byte-for-byte the same response from either: the adapter
//! reads the body (at most [`MAX_FORM_LEN`] bytes) and the `Authorization`
//! header, calls a parser, does the verification, and copies an
//! [`OAuthResponse`] into its framework's response.
//!
//! | endpoint | request | success | failure |
//! | --- | --- | --- | --- |
//! | token | [`TokenRequest`] | [`TokenResponse`] (200) | [`OAuthError`] |
//! | introspection | [`IntrospectionRequest`] + [`ClientCredentials`] | [`IntrospectionResponse`] (200, also for inactive tokens) | [`OAuthError`] |
//! | revocation | [`RevocationRequest`] + [`ClientCredentials`] | [`RevocationResponse`] (200, also for unknown tokens) | [`OAuthError`] |
//!
//! Every JSON response is `application/json` with `Cache-Control: no-store`
//! and `Pragma: no-cache` ([`NO_STORE_HEADERS`]). An `invalid_client` error
//! is 401 with `WWW-Authenticate: Basic realm="…"` when the client sent an
//! `Authorization` header and 400 otherwise; [`OAuthError`] explains why.
//!
//! The client of the `client_credentials` grant is an API key: `client_id`
//! is its id and `client_secret` the whole key.
//!
//! ```
//! use credential_core::oauth::{OAuthError, OAuthErrorCode, OAuthResponse, TokenRequest, TokenResponse};
//! use credential_core::{AccessToken, ApiKey};
//!
//! /// A token endpoint, minus the framework.
//! fn token_endpoint(body: &[u8], authorization: Option<&str>) -> OAuthResponse {
//!     let realm = "token";
//!     let request = match TokenRequest::parse(body, authorization) {
//!         Ok(request) => request,
//!         Err(error) => return error.to_response(realm),
//!     };
//!     match request {
//!         TokenRequest::ClientCredentials { client, scope } => {
//!             // Stands in for verifying the API key and comparing its id.
//!             if client.client_secret != ApiKey::new("sk_test_0123456789abcdef_SECRET") {
//!                 return client.reject().to_response(realm);
//!             }
//!             let scope = scope.unwrap_or_default();
//!             TokenResponse::new(AccessToken::new("eyJ.e30.sig"), 900, scope).to_response()
//!         }
//!         TokenRequest::RefreshToken { .. } => {
//!             OAuthError::new(OAuthErrorCode::InvalidGrant).to_response(realm)
//!         }
//!     }
//! }
//!
//! let ok = token_endpoint(
//!     b"grant_type=client_credentials&client_id=0123456789abcdef\
//!       &client_secret=sk_test_0123456789abcdef_SECRET&scope=reports%3Aread",
//!     None,
//! );
//! assert_eq!(ok.status(), 200);
//! assert_eq!(
//!     ok.body(),
//!     r#"{"access_token":"eyJ.e30.sig","token_type":"Bearer","expires_in":900,"scope":"reports:read"}"#
//! );
//!
//! // "0123456789abcdef:wrong", base64.
//! let denied = token_endpoint(
//!     b"grant_type=client_credentials",
//!     Some("Basic MDEyMzQ1Njc4OWFiY2RlZjp3cm9uZw=="),
//! );
//! assert_eq!(denied.status(), 401);
//! assert!(denied.headers().contains(&("www-authenticate", r#"Basic realm="token""#.to_owned())));
//!
//! let malformed = token_endpoint(b"scope=reports%3Aread", None);
//! assert_eq!(malformed.status(), 400);
//! assert_eq!(
//!     malformed.body(),
//!     r#"{"error":"invalid_request","error_description":"the grant_type parameter is missing"}"#
//! );
//! ```

mod client;
mod endpoints;
mod error;
mod form;
mod front;
mod introspection;
mod json;
mod presented;
mod response;
mod revocation;
mod token_request;
mod token_response;

pub use client::{ClientAuthMethod, ClientCredentials};
pub use endpoints::OAuthEndpoints;
pub use error::{OAuthError, OAuthErrorCode};
pub use form::{MAX_FORM_LEN, require_form_content_type};
pub use front::{FormHead, INTROSPECTION_PATH, JWKS_PATH, OAuthFront, REVOCATION_PATH, TOKEN_PATH};
pub use introspection::{IntrospectionRequest, IntrospectionResponse, TokenMetadata};
pub use presented::{PresentedToken, TokenTypeHint};
pub use response::{JSON_CONTENT_TYPE, NO_STORE_HEADERS, OAuthResponse};
pub use revocation::{RevocationRequest, RevocationResponse};
pub use token_request::TokenRequest;
pub use token_response::{TOKEN_TYPE_BEARER, TokenResponse};
