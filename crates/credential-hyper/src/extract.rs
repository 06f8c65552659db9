//! axum extractors for the verified principal.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use credential_core::{Principal, Reason, Rejection};
use http::StatusCode;
use http::request::Parts;

use crate::layer::{CredentialLayer, Settings};
use crate::rejection::CredentialRejection;
use crate::request::Checked;

credential_core::__extractors! {
    "layer",
    CredentialRejection,
    /// The verified [`Principal`] of a request, as an axum extractor.
    ///
    /// Behind a [`CredentialLayer`] it takes the principal the layer verified;
    /// a request the layer let through without one (optional mode) is refused
    /// with 401, rendered as the layer renders its own refusals. Without the
    /// layer, a `CredentialLayer` added as an
    /// [`Extension`](axum::Extension) lets the extractor verify the credential
    /// itself. With neither, the request fails with 500: a configuration
    /// error, never a pass.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use axum::body::Body;
    /// use credential_hyper::{Authenticated, CredentialLayer};
    /// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
    /// use http::Request;
    /// use std::sync::Arc;
    /// use tower::ServiceExt;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let manager = KeyManager::new(
    ///     Arc::new(MemoryKeyStore::new()),
    ///     KeyFormat::new("sk_test")?,
    ///     Peppers::new(Pepper::generate(1)?),
    /// );
    /// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
    /// let auth = CredentialLayer::new(manager.verifier());
    ///
    /// let app = Router::new()
    ///     .route("/whoami", get(|who: Authenticated| async move { who.subject().to_owned() }))
    ///     .route_layer(auth.require("reports:read")?);
    ///
    /// let request = Request::get("/whoami")
    ///     .header("authorization", format!("Bearer {}", key.expose_secret()))
    ///     .body(Body::empty())?;
    /// let response = app.oneshot(request).await?;
    /// assert_eq!(response.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct Authenticated;

    /// The verified [`Principal`], if the request presented a credential: for
    /// routes that serve anonymous callers too. A credential that is presented
    /// must be valid.
    pub struct MaybeAuthenticated;
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (principal, settings) = principal_of(parts, false).await?;
        match principal {
            Some(principal) => Ok(Self {
                principal,
                settings,
            }),
            None => Err(IntoResponse::into_response(
                settings.reject(Rejection::new(Reason::Missing)),
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (principal, settings) = principal_of(parts, true).await?;
        Ok(Self {
            principal,
            settings,
        })
    }
}

/// The principal of `parts` and the settings that checked it: the layer's,
/// or, without one, those of a `CredentialLayer` extension, which then
/// verifies once and marks the request as the layer would, so that a
/// second extractor does not verify (and spend credits) again.
/// `anonymous`: a request without a credential is no refusal.
async fn principal_of(
    parts: &mut Parts,
    anonymous: bool,
) -> Result<(Option<Principal>, Arc<Settings>), Response> {
    if let Some(Checked(settings)) = parts.extensions.get::<Checked>().cloned() {
        let principal = parts.extensions.get::<Principal>().cloned();
        return Ok((principal, settings));
    }
    let Some(layer) = parts.extensions.get::<CredentialLayer>() else {
        #[cfg(feature = "tracing")]
        tracing::error!(
            "a credential extractor ran with neither a CredentialLayer nor one as an extension"
        );
        return Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            "no credential configuration",
        )
            .into_response());
    };
    let settings = Arc::clone(layer.shared_settings());
    match settings.check(parts).await {
        Ok(principal) => {
            if let Some(principal) = &principal {
                parts.extensions.insert(principal.clone());
            }
            parts.extensions.insert(Checked(Arc::clone(&settings)));
            Ok((principal, settings))
        }
        Err(rejection) if anonymous && rejection.reason() == Reason::Missing => {
            parts.extensions.insert(Checked(Arc::clone(&settings)));
            Ok((None, settings))
        }
        Err(rejection) => Err(IntoResponse::into_response(settings.reject(rejection))),
    }
}
