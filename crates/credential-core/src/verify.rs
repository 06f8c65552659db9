//! The one contract every credential check implements: a presented string
//! in, a verified [`Principal`] or a precise [`Rejection`] out.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::key::{KeyId, KeyRecord, Metadata};
use crate::rejection::Rejection;
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
#[async_trait]
pub trait Verifier: Send + Sync {
    /// Verifies `credential`, and `required` if given.
    async fn verify(
        &self,
        credential: &str,
        required: Option<&Requirement>,
    ) -> Result<Principal, Rejection>;
}

#[async_trait]
impl<V: Verifier + ?Sized> Verifier for Arc<V> {
    async fn verify(
        &self,
        credential: &str,
        required: Option<&Requirement>,
    ) -> Result<Principal, Rejection> {
        (**self).verify(credential, required).await
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
