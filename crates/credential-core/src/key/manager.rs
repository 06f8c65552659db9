//! Creating, changing, rolling and revoking keys.

use std::sync::Arc;

use ring::rand::SystemRandom;
use time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::key::format::KeyFormat;
use crate::key::id::KeyId;
use crate::key::pepper::Peppers;
use crate::key::record::{Credits, KeyRecord, KeyUpdate, MAX_METADATA_BYTES, Metadata, NewKey};
use crate::key::store::KeyStore;
use crate::key::verifier::KeyVerifier;
use crate::ratelimit::{MemoryRateLimiter, RateLimit, RateLimiter};
use crate::scope::ScopeSet;
use crate::secret::ApiKey;
use crate::store::StoreError;
use crate::token::RevocationStore;

/// How many times `create` draws a fresh id after an id collision. With
/// 95-bit ids a single collision is already astronomically unlikely.
const ID_ATTEMPTS: usize = 3;

/// Longest subject or name accepted, in bytes.
pub const MAX_LABEL_BYTES: usize = 256;

/// A new key: the plaintext key, shown to its owner this once, and its
/// stored record.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The whole key string. It cannot be recovered later.
    pub key: ApiKey,
    /// The stored record (which holds only the hash).
    pub record: Arc<KeyRecord>,
}

/// A key-management operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManageError {
    /// No key has this id.
    #[error("no such key")]
    NotFound,
    /// The key is revoked, so it cannot be changed or rolled.
    #[error("the key is revoked")]
    Revoked,
    /// The key was already rolled into another.
    #[error("the key was already rolled")]
    AlreadyRolled,
    /// An argument is out of bounds.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ManageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

/// The lifecycle of API keys over a [`KeyStore`]: create, read, change,
/// disable, revoke and roll.
///
/// ```
/// use std::sync::Arc;
/// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
/// use credential_core::{Reason, Verifier};
/// use time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let manager = KeyManager::new(
///     Arc::new(MemoryKeyStore::new()),
///     KeyFormat::new("sk_live")?,
///     Peppers::new(Pepper::generate(1)?),
/// );
/// let old = manager.create(NewKey::new("acme", "repo:read".parse()?)).await?;
/// let new = manager.roll(&old.record.id, Duration::hours(1)).await?;
///
/// let verifier = manager.verifier();
/// // During the grace period both keys work.
/// assert!(verifier.verify(old.key.expose_secret(), None).await.is_ok());
/// assert!(verifier.verify(new.key.expose_secret(), None).await.is_ok());
///
/// manager.revoke(&new.record.id).await?;
/// let rejection = verifier.verify(new.key.expose_secret(), None).await.unwrap_err();
/// assert_eq!(rejection.reason(), Reason::Revoked);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KeyManager<S: ?Sized> {
    store: Arc<S>,
    format: KeyFormat,
    peppers: Arc<Peppers>,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
    rate_limiter: Arc<dyn RateLimiter>,
    token_revocation: Option<TokenRevocation>,
}

/// Where revoking a key also revokes the access tokens minted from it.
#[derive(Debug, Clone)]
struct TokenRevocation {
    store: Arc<dyn RevocationStore>,
    longest_lifetime: Duration,
}

impl<S: KeyStore + ?Sized> KeyManager<S> {
    /// A manager for keys of `format`, hashed under `peppers`, kept in
    /// `store`.
    pub fn new(store: Arc<S>, format: KeyFormat, peppers: Peppers) -> Self {
        Self {
            store,
            format,
            peppers: Arc::new(peppers),
            clock: Arc::new(SystemClock),
            rng: SystemRandom::new(),
            rate_limiter: Arc::new(MemoryRateLimiter::new()),
            token_revocation: None,
        }
    }

    /// Replaces the rate limiter that every verifier of this manager
    /// shares (by default one in this process's memory).
    #[must_use]
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = limiter;
        self
    }

    /// Makes [`revoke`](Self::revoke) also revoke every access token issued
    /// to the key so far, through `store`; the entry is kept for
    /// `longest_lifetime`, the longest lifetime such a token can have.
    #[must_use]
    pub fn with_token_revocation(
        mut self,
        store: Arc<dyn RevocationStore>,
        longest_lifetime: Duration,
    ) -> Self {
        self.token_revocation = Some(TokenRevocation {
            store,
            longest_lifetime,
        });
        self
    }

    /// Replaces the clock (for tests and simulations).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The key format.
    pub fn format(&self) -> &KeyFormat {
        &self.format
    }

    /// A verifier for this manager's keys, sharing its store, peppers,
    /// clock and rate limiter: however many verifiers there are, a key's
    /// rate limit is counted once.
    pub fn verifier(&self) -> KeyVerifier<S> {
        KeyVerifier::new(
            Arc::clone(&self.store),
            self.format.clone(),
            Arc::clone(&self.peppers),
        )
        .with_clock(Arc::clone(&self.clock))
        .with_rate_limiter(Arc::clone(&self.rate_limiter))
    }

    /// Creates a key. The returned [`CreatedKey::key`] is the only copy of
    /// the plaintext key.
    pub async fn create(&self, new: NewKey) -> Result<CreatedKey, ManageError> {
        check_label(
            &new.subject,
            "the subject is longer than 256 bytes",
            "the subject contains a control character",
        )?;
        check_label(
            &new.name,
            "the name is longer than 256 bytes",
            "the name contains a control character",
        )?;
        check_metadata(&new.metadata)?;
        check_limits(new.credits.as_ref(), new.rate_limit.as_ref())?;
        check_scopes(&new.scopes)?;
        if new.subject.is_empty() {
            return Err(ManageError::InvalidInput("the subject is empty"));
        }
        let now = self.clock.now();
        let mut last_error = StoreError::Conflict("a key with this id exists");
        for _ in 0..ID_ATTEMPTS {
            let generated = self
                .format
                .generate(&self.rng)
                .map_err(|_| ManageError::Random)?;
            let record = KeyRecord {
                id: generated.id,
                prefix: self.format.prefix().to_owned(),
                hash: self.peppers.hash(generated.secret.expose_secret()),
                subject: new.subject.clone(),
                name: new.name.clone(),
                scopes: new.scopes.clone(),
                created_at: now,
                expires_at: new.expires_at,
                disabled: false,
                revoked_at: None,
                metadata: new.metadata.clone(),
                credits: new.credits,
                rate_limit: new.rate_limit,
                last_used_at: None,
                rolled_from: None,
                rolled_into: None,
            };
            match self.store.insert(record.clone()).await {
                Ok(()) => {
                    return Ok(CreatedKey {
                        key: generated.key,
                        record: Arc::new(record),
                    });
                }
                Err(StoreError::Conflict(reason)) => last_error = StoreError::Conflict(reason),
                Err(other) => return Err(other.into()),
            }
        }
        Err(last_error.into())
    }

    /// The record of a key.
    pub async fn get(&self, id: &KeyId) -> Result<Arc<KeyRecord>, ManageError> {
        self.store.get(id).await?.ok_or(ManageError::NotFound)
    }

    /// Every key of `subject`, oldest first, revoked ones included.
    pub async fn list_by_subject(&self, subject: &str) -> Result<Vec<Arc<KeyRecord>>, ManageError> {
        Ok(self.store.list_by_subject(subject).await?)
    }

    /// Replaces a key's scopes.
    pub async fn update_scopes(
        &self,
        id: &KeyId,
        scopes: ScopeSet,
    ) -> Result<Arc<KeyRecord>, ManageError> {
        check_scopes(&scopes)?;
        self.change(id, KeyUpdate::Scopes(scopes)).await
    }

    /// Replaces a key's metadata.
    pub async fn update_metadata(
        &self,
        id: &KeyId,
        metadata: Metadata,
    ) -> Result<Arc<KeyRecord>, ManageError> {
        check_metadata(&metadata)?;
        self.change(id, KeyUpdate::Metadata(metadata)).await
    }

    /// Sets (`Some`) or removes (`None`) a key's usage credits.
    pub async fn set_credits(
        &self,
        id: &KeyId,
        credits: Option<Credits>,
    ) -> Result<Arc<KeyRecord>, ManageError> {
        check_limits(credits.as_ref(), None)?;
        self.change(id, KeyUpdate::Credits(credits)).await
    }

    /// Sets (`Some`) or removes (`None`) a key's rate limit.
    pub async fn set_rate_limit(
        &self,
        id: &KeyId,
        limit: Option<RateLimit>,
    ) -> Result<Arc<KeyRecord>, ManageError> {
        check_limits(None, limit.as_ref())?;
        self.change(id, KeyUpdate::RateLimit(limit)).await
    }

    /// Disables a key: it is rejected until enabled again.
    pub async fn disable(&self, id: &KeyId) -> Result<Arc<KeyRecord>, ManageError> {
        self.change(id, KeyUpdate::Disabled(true)).await
    }

    /// Enables a disabled key.
    pub async fn enable(&self, id: &KeyId) -> Result<Arc<KeyRecord>, ManageError> {
        self.change(id, KeyUpdate::Disabled(false)).await
    }

    /// Revokes a key for good. Revoking twice keeps the first time. With
    /// [`with_token_revocation`](Self::with_token_revocation), the access
    /// tokens minted from the key are revoked too; if that fails the error
    /// is returned (the key itself is revoked already) so the caller can
    /// retry.
    pub async fn revoke(&self, id: &KeyId) -> Result<Arc<KeyRecord>, ManageError> {
        let now = self.clock.now();
        let record = self.store.update(id, KeyUpdate::Revoke(now)).await?;
        if let Some(tokens) = &self.token_revocation {
            tokens
                .store
                .revoke_client(
                    id.as_str(),
                    now,
                    now.saturating_add(tokens.longest_lifetime),
                )
                .await?;
        }
        Ok(record)
    }

    /// Replaces a key with a new one that copies its subject, name, scopes,
    /// expiry, metadata, disabled flag, credits and rate limit (so during
    /// the grace period the two keys each have them: a metered key rolled
    /// with a grace period can spend its credits twice over until then). The old key keeps working
    /// for `grace` (zero: it stops at once), then is rejected.
    pub async fn roll(&self, id: &KeyId, grace: Duration) -> Result<CreatedKey, ManageError> {
        if grace.is_negative() {
            return Err(ManageError::InvalidInput("the grace period is negative"));
        }
        let old = self.get(id).await?;
        if old.revoked_at.is_some() {
            return Err(ManageError::Revoked);
        }
        if old.rolled_into.is_some() {
            return Err(ManageError::AlreadyRolled);
        }
        let now = self.clock.now();
        let generated = self
            .format
            .generate(&self.rng)
            .map_err(|_| ManageError::Random)?;
        let record = KeyRecord {
            id: generated.id,
            prefix: self.format.prefix().to_owned(),
            hash: self.peppers.hash(generated.secret.expose_secret()),
            created_at: now,
            revoked_at: None,
            last_used_at: None,
            rolled_from: Some(old.id),
            rolled_into: None,
            ..KeyRecord::clone(&old)
        };
        match self
            .store
            .roll(id, now.saturating_add(grace), record.clone())
            .await
        {
            Ok(()) => Ok(CreatedKey {
                key: generated.key,
                record: Arc::new(record),
            }),
            // Lost a race with a concurrent roll or revoke: report what the
            // store now says.
            Err(StoreError::Conflict(_)) => match self.get(id).await?.revoked_at {
                Some(_) => Err(ManageError::Revoked),
                None => Err(ManageError::AlreadyRolled),
            },
            Err(other) => Err(other.into()),
        }
    }

    /// Changes a key that is not revoked.
    async fn change(&self, id: &KeyId, update: KeyUpdate) -> Result<Arc<KeyRecord>, ManageError> {
        if self.get(id).await?.revoked_at.is_some() {
            return Err(ManageError::Revoked);
        }
        Ok(self.store.update(id, update).await?)
    }
}

fn check_label(
    text: &str,
    too_long: &'static str,
    control: &'static str,
) -> Result<(), ManageError> {
    if text.len() > MAX_LABEL_BYTES {
        return Err(ManageError::InvalidInput(too_long));
    }
    if text.chars().any(char::is_control) {
        return Err(ManageError::InvalidInput(control));
    }
    Ok(())
}

/// A set built with `collect` skips the parser's bounds; a stored record
/// must stay within them so that it reads back.
fn check_scopes(scopes: &ScopeSet) -> Result<(), ManageError> {
    let text_len = scopes
        .iter()
        .map(|scope| scope.as_str().len() + 1)
        .sum::<usize>();
    if scopes.len() > ScopeSet::MAX_SCOPES || text_len > ScopeSet::MAX_LEN + 1 {
        return Err(ManageError::InvalidInput("too many scopes"));
    }
    Ok(())
}

fn check_limits(credits: Option<&Credits>, limit: Option<&RateLimit>) -> Result<(), ManageError> {
    if credits.is_some_and(|credits| credits.validate().is_err()) {
        return Err(ManageError::InvalidInput(
            "a credit refill needs a positive interval",
        ));
    }
    if limit.is_some_and(|limit| limit.validate().is_err()) {
        return Err(ManageError::InvalidInput(
            "a rate limit needs at least one request per positive period",
        ));
    }
    Ok(())
}

fn check_metadata(metadata: &Metadata) -> Result<(), ManageError> {
    let size = serde_json::to_vec(metadata)
        .map(|json| json.len())
        .unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(ManageError::InvalidInput(
            "metadata is larger than 4096 bytes of JSON",
        ));
    }
    Ok(())
}
