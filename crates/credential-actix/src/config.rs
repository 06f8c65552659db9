//! Configuration errors, reported when the middleware is built, never on a
//! request.

use credential_core::rejection::InvalidRealm;
use credential_core::scope::ScopeError;

/// A setting of [`CredentialAuth`](crate::CredentialAuth) or
/// [`OAuthRoutes`](crate::OAuthRoutes) that cannot work.
///
/// Every builder method that can fail returns this at start-up, so a typo
/// in a scope requirement stops the application from starting instead of
/// rejecting (or, worse, admitting) requests later.
///
/// ```
/// use credential_actix::{ConfigError, CredentialAuth};
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, Pepper, Peppers};
/// use std::sync::Arc;
///
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_test")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let auth = CredentialAuth::new(manager.verifier());
/// assert!(matches!(auth.require("reports:read AND"), Err(ConfigError::Scope(_))));
/// assert!(matches!(auth.clone().realm("bad\nrealm"), Err(ConfigError::Realm(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The realm cannot be put in a `WWW-Authenticate` header.
    #[error(transparent)]
    Realm(#[from] InvalidRealm),
    /// The API-key header name is not a valid HTTP header name.
    #[error("the API-key header name is not a valid HTTP header name")]
    HeaderName,
    /// A scope requirement does not parse, or combining requirements
    /// exceeds their bounds.
    #[error(transparent)]
    Scope(#[from] ScopeError),
}
