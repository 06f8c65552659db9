//! The OAuth endpoints as HTTP sees them, free of any framework: the
//! checks on a request's head before its body is read, which caller may
//! introspect or revoke, and every answer, so that adapters only read
//! bytes and copy responses.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::guard::ConfigError;
use crate::key::KeyStore;
use crate::oauth::endpoints::OAuthEndpoints;
use crate::oauth::error::{OAuthError, OAuthErrorCode};
use crate::oauth::form::require_form_content_type;
use crate::oauth::response::{JSON_CONTENT_TYPE, OAuthResponse};
use crate::rejection::FaceConfig;
use crate::render::Renderer;
use crate::scope::Requirement;
use crate::verify::Principal;

/// Where adapters mount the token endpoint by default.
pub const TOKEN_PATH: &str = "/oauth/token";
/// Where adapters mount the introspection endpoint by default.
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";
/// Where adapters mount the revocation endpoint by default.
pub const REVOCATION_PATH: &str = "/oauth/revoke";
/// Where adapters mount the JWKS document by default.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// What the head of a form request carries: the `Authorization` header as
/// text, if one was sent. Made by [`OAuthFront::check_head`], before the
/// body is read. The header may hold a client secret: it is wiped on drop
/// and `Debug` shows only whether it was sent.
pub struct FormHead {
    authorization: Option<Zeroizing<String>>,
}

impl fmt::Debug for FormHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormHead")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl FormHead {
    /// The `Authorization` header, if any.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_ref().map(|value| value.as_str())
    }
}

/// The four endpoints of [`OAuthEndpoints`] with what an HTTP adapter
/// needs around them: the realm of every challenge, the scope each
/// introspection or revocation caller needs, and the checks on a request
/// before its body is read.
///
/// An adapter serves a form endpoint in three steps: [`check_head`] with
/// the `Content-Type` and every `Authorization` value (an early answer
/// ends the request), read at most
/// [`MAX_FORM_LEN`](crate::oauth::MAX_FORM_LEN) + 1 bytes of body, then
/// [`token`](Self::token), [`introspect`](Self::introspect) or
/// [`revoke`](Self::revoke), and copy the [`OAuthResponse`].
///
/// [`check_head`]: Self::check_head
pub struct OAuthFront<S: ?Sized> {
    endpoints: Arc<OAuthEndpoints<S>>,
    renderer: Renderer,
    introspection: Option<Requirement>,
    revocation: Option<Requirement>,
}

impl<S: KeyStore + ?Sized> OAuthFront<S> {
    /// The endpoints, whose challenges and refusals use `faces`' realm.
    pub fn new(endpoints: OAuthEndpoints<S>, faces: FaceConfig) -> Self {
        Self {
            endpoints: Arc::new(endpoints.with_faces(faces.clone())),
            renderer: Renderer::new(faces),
            introspection: None,
            revocation: None,
        }
    }

    /// Requires the scope expression `expression` of every introspection
    /// caller (for example `tokens:introspect`), however it authenticated;
    /// replaces an earlier one.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse.
    pub fn require_for_introspection(mut self, expression: &str) -> Result<Self, ConfigError> {
        self.introspection = Some(Requirement::parse(expression)?);
        Ok(self)
    }

    /// Requires the scope expression `expression` of every revocation
    /// caller, however it authenticated; replaces an earlier one. Without
    /// one, any authenticated caller may revoke the tokens
    /// of its own subject, which is what RFC 7009 expects.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Scope`] when the expression does not parse.
    pub fn require_for_revocation(mut self, expression: &str) -> Result<Self, ConfigError> {
        self.revocation = Some(Requirement::parse(expression)?);
        Ok(self)
    }

    /// The realm and status rules of every refusal.
    pub fn faces(&self) -> &FaceConfig {
        self.renderer.faces()
    }

    /// Checks a form request's head: `Content-Type` must be
    /// `application/x-www-form-urlencoded`, and `Authorization` sent at most
    /// once. Bytes of the header that are not UTF-8 are replaced rather
    /// than dropped, so that a header that was sent is still refused as
    /// malformed client credentials.
    ///
    /// # Errors
    ///
    /// The answer to send instead of reading the body.
    pub fn check_head(
        &self,
        content_type: Option<&[u8]>,
        authorization: &[&[u8]],
    ) -> Result<FormHead, OAuthResponse> {
        let realm = self.faces().realm();
        let content_type = content_type.and_then(|value| std::str::from_utf8(value).ok());
        require_form_content_type(content_type).map_err(|error| error.to_response(realm))?;
        let authorization = match authorization {
            [] => None,
            [one] => Some(Zeroizing::new(String::from_utf8_lossy(one).into_owned())),
            _ => return Err(OAuthError::new(OAuthErrorCode::InvalidRequest).to_response(realm)),
        };
        Ok(FormHead { authorization })
    }

    /// The answer when a request's body cannot be read to its end (the
    /// client broke the stream): `invalid_request`.
    pub fn unreadable_body(&self) -> OAuthResponse {
        OAuthError::new(OAuthErrorCode::InvalidRequest).to_response(self.faces().realm())
    }

    /// The token endpoint: `client_credentials` and `refresh_token`.
    pub async fn token(&self, head: &FormHead, body: &[u8]) -> OAuthResponse {
        self.endpoints.token(body, head.authorization()).await
    }

    /// The introspection endpoint. `verified` is the principal a
    /// middleware put in the request; without one the caller authenticates
    /// as a client from the head or the form.
    pub async fn introspect(
        &self,
        head: &FormHead,
        body: &[u8],
        verified: Option<Principal>,
    ) -> OAuthResponse {
        match self
            .caller(head, body, verified, self.introspection.as_ref())
            .await
        {
            Ok(caller) => self.endpoints.introspect(body, &caller).await,
            Err(refused) => refused,
        }
    }

    /// The revocation endpoint; the caller as for
    /// [`introspect`](Self::introspect).
    pub async fn revoke(
        &self,
        head: &FormHead,
        body: &[u8],
        verified: Option<Principal>,
    ) -> OAuthResponse {
        match self
            .caller(head, body, verified, self.revocation.as_ref())
            .await
        {
            Ok(caller) => self.endpoints.revoke(body, &caller).await,
            Err(refused) => refused,
        }
    }

    /// The JWKS document: 200, `application/json`, public keys only.
    pub fn jwks(&self) -> OAuthResponse {
        let mut response = OAuthResponse::empty(200);
        response.push_header("content-type", JSON_CONTENT_TYPE.to_owned());
        response.set_body(self.endpoints.jwks());
        response
    }

    /// The principal a middleware verified, or else the client
    /// authenticated from the request; then `required` of it.
    async fn caller(
        &self,
        head: &FormHead,
        body: &[u8],
        verified: Option<Principal>,
        required: Option<&Requirement>,
    ) -> Result<Principal, OAuthResponse> {
        let caller = match verified {
            Some(principal) => principal,
            None => {
                self.endpoints
                    .client_principal(body, head.authorization())
                    .await?
            }
        };
        if let Some(required) = required
            && let Err(rejection) = caller.require(required)
        {
            return Err(self.renderer.render(&rejection));
        }
        Ok(caller)
    }
}

impl<S: ?Sized> Clone for OAuthFront<S> {
    fn clone(&self) -> Self {
        Self {
            endpoints: Arc::clone(&self.endpoints),
            renderer: self.renderer.clone(),
            introspection: self.introspection.clone(),
            revocation: self.revocation.clone(),
        }
    }
}

impl<S: ?Sized> fmt::Debug for OAuthFront<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthFront")
            .field("renderer", &self.renderer)
            .field("introspection", &self.introspection)
            .field("revocation", &self.revocation)
            .finish_non_exhaustive()
    }
}
