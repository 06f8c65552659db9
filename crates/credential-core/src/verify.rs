//! The one contract every credential check implements: a presented string
//! in, a verified [`Principal`] or a precise [`Rejection`] out.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use time::OffsetDateTime;

use crate::key::{KeyId, KeyRecord, Metadata};
use crate::rejection::{Reason, Rejection};
use crate::scope::{Requirement, ScopeSet};
use crate::token::Claims;

/// Turns a presented credential into a verified [`Principal`].
///
/// `required` is the scope requirement of the route, when it is known at
/// verification time. Passing it here, rather than checking it afterwards,
/// lets the verifier run every check in the documented order and spend a
/// usage credit only when all of them passed.
///
/// Implementations fail closed: any error of their own (a store that cannot
/// answer) is a rejection, never a success.
///
/// `verify` returns a [`Verification`], a future that is ready at once when
/// the answer needed no waiting (an in-memory store, a cache hit) and
/// boxes only work that must wait:
///
/// ```
/// use credential_core::scope::Requirement;
/// use credential_core::{Reason, Rejection, Verification, Verifier};
///
/// /// Refuses everything; a real verifier would look the credential up.
/// struct Closed;
///
/// impl Verifier for Closed {
///     fn verify<'a>(
///         &'a self,
///         credential: &'a str,
///         required: Option<&'a Requirement>,
///     ) -> Verification<'a> {
///         if credential.is_empty() {
///             return Verification::ready(Err(Rejection::new(Reason::Malformed)));
///         }
///         Verification::waiting(async move {
///             let _ = required; // e.g. a database lookup, then the checks
///             Err(Rejection::new(Reason::UnknownKey))
///         })
///     }
/// }
///
/// # block_on(async {
/// let rejected = Closed.verify("sk_live_…", None).await.unwrap_err();
/// assert_eq!(rejected.reason(), Reason::UnknownKey);
/// # });
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub trait Verifier: Send + Sync {
    /// Verifies `credential`, and `required` if given.
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a>;
}

impl<V: Verifier + ?Sized> Verifier for Arc<V> {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        (**self).verify(credential, required)
    }
}

/// The outcome of [`Verifier::verify`], as a future: ready at once when
/// nothing had to wait, boxed otherwise.
#[must_use = "a verification does nothing unless awaited"]
pub struct Verification<'a>(Outcome<'a>);

type Waiting<'a> = Pin<Box<dyn Future<Output = Result<Principal, Rejection>> + Send + 'a>>;

enum Outcome<'a> {
    Ready(Option<Result<Principal, Rejection>>),
    Waiting(Waiting<'a>),
}

impl<'a> Verification<'a> {
    /// An outcome known without waiting.
    pub fn ready(outcome: Result<Principal, Rejection>) -> Self {
        Self(Outcome::Ready(Some(outcome)))
    }

    /// An outcome that needs `future` to finish.
    pub fn waiting(future: impl Future<Output = Result<Principal, Rejection>> + Send + 'a) -> Self {
        Self(Outcome::Waiting(Box::pin(future)))
    }

    /// The outcome, if it is known without waiting.
    pub fn now(self) -> Result<Result<Principal, Rejection>, Self> {
        match self.0 {
            Outcome::Ready(Some(outcome)) => Ok(outcome),
            other => Err(Self(other)),
        }
    }
}

impl Future for Verification<'_> {
    type Output = Result<Principal, Rejection>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            // Polled again after completion: fail closed.
            Outcome::Ready(outcome) => Poll::Ready(
                outcome
                    .take()
                    .unwrap_or_else(|| Err(Rejection::new(Reason::Malformed))),
            ),
            Outcome::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

impl fmt::Debug for Verification<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.0 {
            Outcome::Ready(Some(_)) => "ready",
            Outcome::Ready(None) => "done",
            Outcome::Waiting(_) => "waiting",
        };
        f.debug_tuple("Verification").field(&state).finish()
    }
}

/// Which kind of credential a principal presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A long-lived API key.
    ApiKey,
    /// A signed, short-lived access token.
    AccessToken,
}

impl CredentialKind {
    /// A stable snake_case name, for logs, metrics and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::AccessToken => "access_token",
        }
    }
}

/// A verified caller: who it is, which credential it used, and what that
/// credential grants.
///
/// It shares the verified record rather than copying it, so producing one
/// on every request costs a reference count.
#[derive(Debug, Clone)]
pub struct Principal {
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    ApiKey(Arc<KeyRecord>),
    AccessToken(Arc<Claims>),
}

impl Principal {
    pub(crate) fn from_key(record: Arc<KeyRecord>) -> Self {
        Self {
            source: Source::ApiKey(record),
        }
    }

    pub(crate) fn from_token(claims: Arc<Claims>) -> Self {
        Self {
            source: Source::AccessToken(claims),
        }
    }

    /// The subject (owner) the credential acts for.
    pub fn subject(&self) -> &str {
        match &self.source {
            Source::ApiKey(record) => &record.subject,
            // `sub` is required unless the validation rules dropped it.
            Source::AccessToken(claims) => claims.subject().unwrap_or_default(),
        }
    }

    /// The kind of credential presented.
    pub fn kind(&self) -> CredentialKind {
        match &self.source {
            Source::ApiKey(_) => CredentialKind::ApiKey,
            Source::AccessToken(_) => CredentialKind::AccessToken,
        }
    }

    /// The API key's id, when the credential is an API key.
    pub fn key_id(&self) -> Option<KeyId> {
        match &self.source {
            Source::ApiKey(record) => Some(record.id),
            Source::AccessToken(_) => None,
        }
    }

    /// The client the credential belongs to: the key id for an API key,
    /// the `client_id` claim for an access token.
    pub fn client_id(&self) -> Option<&str> {
        match &self.source {
            Source::ApiKey(record) => Some(record.id.as_str()),
            Source::AccessToken(claims) => claims.client_id(),
        }
    }

    /// The access token's `jti`, when the credential is an access token.
    pub fn token_id(&self) -> Option<&str> {
        match &self.source {
            Source::ApiKey(_) => None,
            Source::AccessToken(claims) => claims.token_id(),
        }
    }

    /// The verified claims, when the credential is an access token.
    pub fn claims(&self) -> Option<&Claims> {
        match &self.source {
            Source::ApiKey(_) => None,
            Source::AccessToken(claims) => Some(claims),
        }
    }

    /// The scopes the credential grants.
    pub fn scopes(&self) -> &ScopeSet {
        match &self.source {
            Source::ApiKey(record) => &record.scopes,
            Source::AccessToken(claims) => claims.scope(),
        }
    }

    /// When the credential stops being valid, if it ever does.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        match &self.source {
            Source::ApiKey(record) => record.expires_at,
            Source::AccessToken(claims) => claims.expires_at(),
        }
    }

    /// The credential's metadata: the key's metadata, or a token's claims
    /// other than the registered ones.
    pub fn metadata(&self) -> &Metadata {
        match &self.source {
            Source::ApiKey(record) => &record.metadata,
            Source::AccessToken(claims) => claims.extra(),
        }
    }

    /// Whether the granted scopes satisfy `requirement`.
    pub fn satisfies(&self, requirement: &Requirement) -> bool {
        requirement.is_satisfied_by(self.scopes())
    }

    /// `Ok` when the granted scopes satisfy `requirement`, otherwise the
    /// `403` rejection that names what is missing.
    pub fn require(&self, requirement: &Requirement) -> Result<(), Rejection> {
        match requirement.missing(self.scopes()) {
            None => Ok(()),
            Some(missing) => Err(Rejection::insufficient_scope(missing)),
        }
    }
}
