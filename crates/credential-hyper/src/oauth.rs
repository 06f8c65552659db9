//! The OAuth 2.0 endpoints as tower services: token (RFC 6749 §4.4 and
//! §6), introspection (RFC 7662), revocation (RFC 7009) and JWKS.
//!
//! Core's [`OAuthFront`] does the work and renders every answer; these
//! services read the request (the head's values, a body bounded by
//! [`MAX_FORM_LEN`]), find the caller, and copy core's response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use credential_core::Principal;
use credential_core::key::KeyStore;
pub use credential_core::oauth::{INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH};
use credential_core::oauth::{MAX_FORM_LEN, OAuthFront};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower_service::Service;
use zeroize::Zeroizing;

use crate::layer::{CredentialLayer, Settings};
use crate::response::render;

/// The OAuth 2.0 endpoints of [`OAuthEndpoints`](credential_core::oauth::OAuthEndpoints) as tower services, and
/// (feature `axum`) as an axum router.
///
/// - **token** (`POST`): `client_credentials`, the client authenticating
///   with an API key by HTTP Basic or by form parameters, and
///   `refresh_token`. Answers carry `Cache-Control: no-store`.
/// - **introspection** (`POST`, RFC 7662) and **revocation** (`POST`,
///   RFC 7009): the caller authenticates as a client (Basic or form), or,
///   with [`accept_callers`](Self::accept_callers), with any credential
///   that layer accepts.
/// - **JWKS** (`GET`): the public signing keys.
///
/// Each service answers other methods with 405 and an `Allow` header, and
/// bodies that are not `application/x-www-form-urlencoded` with 400
/// `invalid_request`, exactly as the actix-web routes do: both copy core's
/// [`OAuthFront`].
///
/// ```
/// use credential_hyper::OAuthRoutes;
/// use credential_core::FaceConfig;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::oauth::{OAuthEndpoints, OAuthFront};
/// use credential_core::token::jose::{Algorithm, SigningKey};
/// use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
/// use http::Request;
/// use http_body_util::{BodyExt, Full};
/// use std::sync::Arc;
/// use tower::ServiceExt;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let created = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?;
/// let ring = KeyRing::new();
/// ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA)?)?;
/// let issuer = TokenIssuer::new(ring.clone(), "https://api.example");
/// let tokens = TokenVerifier::new(ring, Validation::new("https://api.example"));
/// let oauth = OAuthRoutes::new(OAuthFront::new(
///     OAuthEndpoints::new(manager.verifier(), issuer, tokens),
///     FaceConfig::new("api")?,
/// ));
///
/// let body = format!(
///     "grant_type=client_credentials&client_id={}&client_secret={}",
///     created.record.id.as_str(),
///     created.key.expose_secret()
/// );
/// let request = Request::post("/oauth/token")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(Full::new(bytes::Bytes::from(body)))?;
/// let response = oauth.token_service().oneshot(request).await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["cache-control"], "no-store");
/// let json: serde_json::Value =
///     serde_json::from_slice(&response.into_body().collect().await?.to_bytes())?;
/// assert_eq!(json["token_type"], "Bearer");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OAuthRoutes<S: ?Sized> {
    front: OAuthFront<S>,
    callers: Option<Arc<Settings>>,
}

impl<S: KeyStore + ?Sized + 'static> OAuthRoutes<S> {
    /// The services of `front`: its endpoints, realm and the scopes its
    /// introspection and revocation callers need.
    pub fn new(front: OAuthFront<S>) -> Self {
        Self {
            front,
            callers: None,
        }
    }

    /// Lets introspection and revocation callers authenticate with any
    /// credential `layer` accepts, verified by it in optional mode; callers
    /// without one still authenticate as clients (Basic or form). Only the
    /// verification is taken from `layer`: the scopes a caller needs are
    /// the front's ([`OAuthFront::require_for_introspection`]), which
    /// hold for every caller, however it authenticated.
    #[must_use]
    pub fn accept_callers(mut self, layer: &CredentialLayer) -> Self {
        self.callers = Some(Arc::clone(
            layer.verifying_only().optional().shared_settings(),
        ));
        self
    }

    /// The token endpoint.
    pub fn token_service(&self) -> OAuthService<S> {
        self.service(Endpoint::Token)
    }

    /// The introspection endpoint.
    pub fn introspection_service(&self) -> OAuthService<S> {
        self.service(Endpoint::Introspect)
    }

    /// The revocation endpoint.
    pub fn revocation_service(&self) -> OAuthService<S> {
        self.service(Endpoint::Revoke)
    }

    /// The JWKS document.
    pub fn jwks_service(&self) -> OAuthService<S> {
        self.service(Endpoint::Jwks)
    }

    /// The four services at [`TOKEN_PATH`], [`INTROSPECTION_PATH`],
    /// [`REVOCATION_PATH`] and [`JWKS_PATH`], to merge into an app; use
    /// the service methods to mount them elsewhere.
    #[cfg(feature = "axum")]
    pub fn router<State: Clone + Send + Sync + 'static>(&self) -> axum::Router<State> {
        axum::Router::new()
            .route_service(TOKEN_PATH, self.token_service())
            .route_service(INTROSPECTION_PATH, self.introspection_service())
            .route_service(REVOCATION_PATH, self.revocation_service())
            .route_service(JWKS_PATH, self.jwks_service())
    }

    fn service(&self, endpoint: Endpoint) -> OAuthService<S> {
        let callers = match endpoint {
            Endpoint::Introspect | Endpoint::Revoke => self.callers.clone(),
            Endpoint::Token | Endpoint::Jwks => None,
        };
        OAuthService {
            front: self.front.clone(),
            callers,
            endpoint,
        }
    }
}

impl<S: ?Sized> Clone for OAuthRoutes<S> {
    fn clone(&self) -> Self {
        Self {
            front: self.front.clone(),
            callers: self.callers.clone(),
        }
    }
}

impl<S: ?Sized> fmt::Debug for OAuthRoutes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthRoutes")
            .field("front", &self.front)
            .field("callers", &self.callers)
            .finish()
    }
}

/// Which endpoint a service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Token,
    Introspect,
    Revoke,
    Jwks,
}

impl Endpoint {
    fn method(self) -> Method {
        match self {
            Self::Jwks => Method::GET,
            Self::Token | Self::Introspect | Self::Revoke => Method::POST,
        }
    }

    /// The `Allow` header of a 405.
    fn allow(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Jwks => "GET",
            Self::Token | Self::Introspect | Self::Revoke => "POST",
        })
    }
}

/// One OAuth endpoint as a tower service; made by [`OAuthRoutes`].
pub struct OAuthService<S: ?Sized> {
    front: OAuthFront<S>,
    callers: Option<Arc<Settings>>,
    endpoint: Endpoint,
}

impl<S: ?Sized> Clone for OAuthService<S> {
    fn clone(&self) -> Self {
        Self {
            front: self.front.clone(),
            callers: self.callers.clone(),
            endpoint: self.endpoint,
        }
    }
}

impl<S: ?Sized> fmt::Debug for OAuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthService")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// The future of one endpoint request.
type OAuthFuture = Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

impl<S, B> Service<Request<B>> for OAuthService<S>
where
    S: KeyStore + ?Sized + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = OAuthFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.answer(req).await) })
    }
}

impl<S: KeyStore + ?Sized + 'static> OAuthService<S> {
    async fn answer<B>(&self, req: Request<B>) -> Response<Full<Bytes>>
    where
        B: http_body::Body + Send,
        B::Data: Send,
    {
        if req.method() != self.endpoint.method() {
            let mut refused = Response::new(Full::new(Bytes::new()));
            *refused.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            refused
                .headers_mut()
                .insert(header::ALLOW, self.endpoint.allow());
            return refused;
        }
        if self.endpoint == Endpoint::Jwks {
            return render(self.front.jwks());
        }
        let mut req = req;
        if let Some(callers) = &self.callers
            && let Err(rejection) = Settings::admit(callers, &mut req).await
        {
            return render(callers.guard.answer(&rejection));
        }
        let (parts, body) = req.into_parts();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes());
        let authorization: Vec<&[u8]> = parts
            .headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .map(|value| value.as_bytes())
            .collect();
        let head = match self.front.check_head(content_type, &authorization) {
            Ok(head) => head,
            Err(refused) => return render(refused),
        };
        let Some(body) = read_limited(body).await else {
            return render(self.front.unreadable_body());
        };
        let verified = parts.extensions.get::<Principal>().cloned();
        let response = match self.endpoint {
            Endpoint::Token => self.front.token(&head, &body).await,
            Endpoint::Introspect => self.front.introspect(&head, &body, verified).await,
            Endpoint::Revoke => self.front.revoke(&head, &body, verified).await,
            Endpoint::Jwks => self.front.jwks(),
        };
        render(response)
    }
}

/// Reads at most one byte more than core's limit, so that an oversized
/// body costs no more memory than that and core's parser refuses it with
/// its own `invalid_request` answer; `None` when the body fails.
async fn read_limited<B: http_body::Body>(body: B) -> Option<Zeroizing<Vec<u8>>> {
    let limit = MAX_FORM_LEN.saturating_add(1);
    // Allocated once at full size: growing would leave unwiped copies.
    let mut read = Zeroizing::new(Vec::with_capacity(limit));
    let mut body = std::pin::pin!(body);
    while read.len() < limit {
        let Some(frame) = body.frame().await else {
            break;
        };
        let Ok(data) = frame.ok()?.into_data() else {
            continue;
        };
        let mut data = data;
        while data.has_remaining() && read.len() < limit {
            let chunk = data.chunk();
            let room = limit.saturating_sub(read.len());
            let taken = chunk.get(..room).unwrap_or(chunk);
            read.extend_from_slice(taken);
            let advance = taken.len();
            data.advance(advance);
        }
    }
    Some(read)
}
