//! The token, introspection, revocation and JWKS endpoints, free of any
//! HTTP framework: bytes and header values in, an [`OAuthResponse`] out.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::key::{KeyStore, KeyVerifier};
use crate::rejection::{FaceConfig, Reason, Rejection};
use crate::token::{RedeemError, Refresher, TokenIssuer, TokenVerifier};
use crate::verify::{Principal, Verifier};

use super::client::ClientCredentials;
use super::error::{OAuthError, OAuthErrorCode};
use super::introspection::{IntrospectionRequest, IntrospectionResponse, TokenMetadata};
use super::presented::TokenTypeHint;
use super::response::OAuthResponse;
use super::revocation::{RevocationRequest, RevocationResponse};
use super::token_request::TokenRequest;
use super::token_response::{TOKEN_TYPE_BEARER, TokenResponse};

/// The OAuth 2.0 endpoints of an API that issues its own tokens.
///
/// - **token** (RFC 6749 §4.4, §6): `client_credentials`, where the client
///   authenticates with an API key (`client_id` = key id, `client_secret` =
///   the whole key) and may narrow its scope; and `refresh_token`, when a
///   [`Refresher`] is configured. Both return an access token and, with a
///   refresher, a refresh token.
/// - **introspection** (RFC 7662): for an authenticated caller, which the
///   adapter should also require a scope of (e.g. `tokens:introspect`).
///   Anything not active is `{"active":false}`.
/// - **revocation** (RFC 7009): a caller may revoke tokens of its own
///   subject; unknown or foreign tokens get the same empty 200, so the
///   endpoint reveals nothing.
/// - **JWKS**: the key ring's public keys.
///
/// Rejections of the client's key that are not about the key being wrong
/// keep their meaning: a rate-limited key gets 429 with `Retry-After`, a
/// store outage 503.
#[derive(Debug)]
pub struct OAuthEndpoints<S: ?Sized> {
    keys: KeyVerifier<S>,
    issuer: TokenIssuer,
    tokens: TokenVerifier,
    refresher: Option<Refresher>,
    faces: FaceConfig,
    clock: Arc<dyn Clock>,
}

impl<S: KeyStore + ?Sized> OAuthEndpoints<S> {
    /// Endpoints that authenticate clients with `keys`, mint with `issuer`
    /// and inspect access tokens with `tokens`.
    pub fn new(keys: KeyVerifier<S>, issuer: TokenIssuer, tokens: TokenVerifier) -> Self {
        Self {
            keys,
            issuer,
            tokens,
            refresher: None,
            faces: FaceConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Issues refresh tokens and serves the `refresh_token` grant.
    #[must_use]
    pub fn with_refresher(mut self, refresher: Refresher) -> Self {
        self.refresher = Some(refresher);
        self
    }

    /// The realm of `WWW-Authenticate` challenges.
    #[must_use]
    pub fn with_faces(mut self, faces: FaceConfig) -> Self {
        self.faces = faces;
        self
    }

    /// Replaces the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The token endpoint: the form body and the `Authorization` header.
    pub async fn token(&self, body: &[u8], authorization: Option<&str>) -> OAuthResponse {
        let realm = self.faces.realm();
        let request = match TokenRequest::parse(body, authorization) {
            Ok(request) => request,
            Err(error) => return error.to_response(realm),
        };
        let result = match request {
            TokenRequest::ClientCredentials { client, scope } => {
                self.client_credentials(&client, scope.as_ref()).await
            }
            TokenRequest::RefreshToken {
                refresh_token,
                scope,
                client,
            } => {
                self.refresh(
                    refresh_token.expose_secret(),
                    scope.as_ref(),
                    client.as_ref(),
                )
                .await
            }
        };
        result.unwrap_or_else(|response| response)
    }

    async fn client_credentials(
        &self,
        client: &ClientCredentials,
        scope: Option<&crate::scope::ScopeSet>,
    ) -> Result<OAuthResponse, OAuthResponse> {
        let principal = self.authenticate(client).await?;
        let access = self
            .issuer
            .mint_for(&principal, scope)
            .map_err(|error| self.issue_error(&error))?;
        let now = self.clock.now();
        let mut response = TokenResponse::new(
            access.token.clone(),
            access.expires_in(now),
            access.scope.clone(),
        );
        if let (Some(refresher), Some(client_id)) = (&self.refresher, principal.key_id()) {
            let refresh = refresher
                .issue(client_id, principal.subject(), &access.scope, &access)
                .await
                .map_err(|error| self.redeem_error(&error))?;
            response = response.with_refresh_token(refresh);
        }
        Ok(response.to_response())
    }

    async fn refresh(
        &self,
        presented: &str,
        scope: Option<&crate::scope::ScopeSet>,
        client: Option<&ClientCredentials>,
    ) -> Result<OAuthResponse, OAuthResponse> {
        let Some(refresher) = &self.refresher else {
            return Err(OAuthError::new(OAuthErrorCode::UnsupportedGrantType)
                .to_response(self.faces.realm()));
        };
        // Every client here holds an API key, so it is a confidential client
        // and must authenticate (RFC 6749 §6); the token must be its own.
        let Some(client) = client else {
            return Err(OAuthError::described(
                OAuthErrorCode::InvalidClient,
                OAuthError::CLIENT_AUTH_REQUIRED,
            )
            .to_response(self.faces.realm()));
        };
        let principal = self.authenticate(client).await?;
        let Some(client_id) = principal.key_id() else {
            return Err(client.reject().to_response(self.faces.realm()));
        };
        let pair = refresher
            .redeem(presented, scope, &self.issuer, client_id)
            .await
            .map_err(|error| self.redeem_error(&error))?;
        let now = self.clock.now();
        Ok(TokenResponse::new(
            pair.access.token.clone(),
            pair.access.expires_in(now),
            pair.access.scope.clone(),
        )
        .with_refresh_token(pair.refresh)
        .to_response())
    }

    /// Verifies a client's API key and checks it matches its `client_id`.
    async fn authenticate(&self, client: &ClientCredentials) -> Result<Principal, OAuthResponse> {
        match self
            .keys
            .verify(client.client_secret.expose_secret(), None)
            .await
        {
            Ok(principal)
                if principal
                    .key_id()
                    .is_some_and(|id| client.matches_key_id(&id)) =>
            {
                Ok(principal)
            }
            Ok(_) => Err(client.reject().to_response(self.faces.realm())),
            Err(rejection) => Err(match rejection.reason() {
                Reason::StoreUnavailable | Reason::RateLimited | Reason::CreditsExhausted => {
                    self.face(&rejection)
                }
                _ => client.reject().to_response(self.faces.realm()),
            }),
        }
    }

    /// Authenticates the client of an introspection or revocation request
    /// from its `Authorization: Basic` header or form credentials, for
    /// adapters that accept client authentication there.
    pub async fn client_principal(
        &self,
        body: &[u8],
        authorization: Option<&str>,
    ) -> Result<Principal, OAuthResponse> {
        let client = ClientCredentials::require(body, authorization)
            .map_err(|error| error.to_response(self.faces.realm()))?;
        self.authenticate(&client).await
    }

    /// The introspection endpoint, for a `caller` the adapter has
    /// authenticated and authorized.
    ///
    /// Taking the caller's [`Principal`] makes the adapter authenticate
    /// someone first; which callers may introspect is the adapter's scope
    /// requirement.
    pub async fn introspect(&self, body: &[u8], _caller: &Principal) -> OAuthResponse {
        let request = match IntrospectionRequest::parse(body) {
            Ok(request) => request,
            Err(error) => return error.to_response(self.faces.realm()),
        };
        let token = request.token.expose_secret();
        // The hint only orders the search (RFC 7662 §2.1): a token of the
        // other type is still found.
        let refresh_first = request.token_type_hint == Some(TokenTypeHint::RefreshToken)
            || !crate::dispatch::looks_like_token(token);
        let answer = if refresh_first {
            match self.introspect_refresh(token).await {
                Ok(inactive) if !inactive.is_active() => self.introspect_access(token).await,
                other => other,
            }
        } else {
            match self.introspect_access(token).await {
                Ok(inactive) if !inactive.is_active() => self.introspect_refresh(token).await,
                other => other,
            }
        };
        match answer {
            Ok(response) => response.to_response(),
            Err(unavailable) => unavailable,
        }
    }

    async fn introspect_access(&self, token: &str) -> Result<IntrospectionResponse, OAuthResponse> {
        match self.tokens.verify_token(token).await {
            Ok(verified) => {
                let claims = verified.claims();
                let metadata = TokenMetadata {
                    scope: Some(claims.scope().clone()),
                    client_id: claims.client_id().map(str::to_owned),
                    token_type: Some(TOKEN_TYPE_BEARER.to_owned()),
                    exp: claims.expires_at().and_then(unix),
                    iat: claims.issued_at().and_then(unix),
                    nbf: claims.not_before().and_then(unix),
                    sub: claims.subject().map(str::to_owned),
                    aud: claims.audience().to_vec(),
                    iss: claims.issuer().map(str::to_owned),
                    jti: claims.token_id().map(str::to_owned),
                    ..TokenMetadata::default()
                };
                Ok(IntrospectionResponse::active(metadata))
            }
            Err(error) if error.reason() == Reason::StoreUnavailable => Err(self.unavailable()),
            Err(_) => Ok(IntrospectionResponse::inactive()),
        }
    }

    async fn introspect_refresh(
        &self,
        token: &str,
    ) -> Result<IntrospectionResponse, OAuthResponse> {
        let Some(refresher) = &self.refresher else {
            return Ok(IntrospectionResponse::inactive());
        };
        match refresher.inspect(token).await {
            Ok(Some(record)) => {
                let metadata = TokenMetadata {
                    scope: Some(record.scope.clone()),
                    client_id: Some(record.client_id.as_str().to_owned()),
                    token_type: Some("refresh_token".to_owned()),
                    exp: unix(record.expires_at),
                    iat: unix(record.created_at),
                    sub: Some(record.subject.clone()),
                    ..TokenMetadata::default()
                };
                Ok(IntrospectionResponse::active(metadata))
            }
            Ok(None) => Ok(IntrospectionResponse::inactive()),
            Err(_) => Err(self.unavailable()),
        }
    }

    /// The revocation endpoint, for a `caller` the adapter has
    /// authenticated. Tokens of other subjects are left alone, with the
    /// same answer as unknown ones.
    pub async fn revoke(&self, body: &[u8], caller: &Principal) -> OAuthResponse {
        let request = match RevocationRequest::parse(body) {
            Ok(request) => request,
            Err(error) => return error.to_response(self.faces.realm()),
        };
        let token = request.token.expose_secret();
        let outcome = if crate::dispatch::looks_like_token(token) {
            self.revoke_access(token, caller).await
        } else {
            self.revoke_refresh(token, caller).await
        };
        match outcome {
            Ok(()) => RevocationResponse.to_response(),
            Err(response) => response,
        }
    }

    async fn revoke_access(&self, token: &str, caller: &Principal) -> Result<(), OAuthResponse> {
        // The verifier's own store: a revocation recorded anywhere else
        // would not stop the token.
        let Some(store) = self.tokens.revocations() else {
            return Err(OAuthError::new(OAuthErrorCode::UnsupportedTokenType)
                .to_response(self.faces.realm()));
        };
        let verified = match self.tokens.verify_token(token).await {
            Ok(verified) => verified,
            Err(error) if error.reason() == Reason::StoreUnavailable => {
                return Err(self.unavailable());
            }
            // Invalid, expired or already revoked: nothing to do.
            Err(_) => return Ok(()),
        };
        let claims = verified.claims();
        if claims.subject() != Some(caller.subject()) {
            return Ok(());
        }
        if let (Some(jti), Some(exp)) = (claims.token_id(), claims.expires_at()) {
            store
                .revoke_token(jti, exp)
                .await
                .map_err(|_| self.unavailable())?;
        }
        Ok(())
    }

    async fn revoke_refresh(&self, token: &str, caller: &Principal) -> Result<(), OAuthResponse> {
        let Some(refresher) = &self.refresher else {
            return Ok(());
        };
        match refresher.inspect_any(token).await {
            Ok(Some(record)) if record.subject == caller.subject() => refresher
                .revoke_family(&record.family)
                .await
                .map_err(|_| self.unavailable()),
            Ok(_) => Ok(()),
            Err(_) => Err(self.unavailable()),
        }
    }

    /// The JWKS document (`application/json`), public keys only.
    pub fn jwks(&self) -> String {
        self.issuer.key_ring().public_jwks().to_public_json()
    }

    fn issue_error(&self, error: &crate::token::IssueError) -> OAuthResponse {
        let code = match error {
            crate::token::IssueError::InvalidScope => OAuthErrorCode::InvalidScope,
            _ => OAuthErrorCode::ServerError,
        };
        OAuthError::new(code).to_response(self.faces.realm())
    }

    fn redeem_error(&self, error: &RedeemError) -> OAuthResponse {
        let code = match error {
            RedeemError::InvalidGrant(_) => OAuthErrorCode::InvalidGrant,
            RedeemError::InvalidScope => OAuthErrorCode::InvalidScope,
            RedeemError::Unavailable => OAuthErrorCode::TemporarilyUnavailable,
            _ => OAuthErrorCode::ServerError,
        };
        OAuthError::new(code).to_response(self.faces.realm())
    }

    fn unavailable(&self) -> OAuthResponse {
        OAuthError::new(OAuthErrorCode::TemporarilyUnavailable).to_response(self.faces.realm())
    }

    /// A key rejection that keeps its own status (429, 503) and headers.
    fn face(&self, rejection: &Rejection) -> OAuthResponse {
        let face = rejection.public_face(&self.faces);
        let mut response = OAuthResponse::json(face.status(), face.json_body());
        if let Some(seconds) = face.retry_after_secs() {
            response.push_header("retry-after", seconds.to_string());
        }
        response
    }
}

fn unix(at: time::OffsetDateTime) -> Option<u64> {
    u64::try_from(at.unix_timestamp()).ok()
}
