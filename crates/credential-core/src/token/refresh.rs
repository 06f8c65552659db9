//! Refresh tokens: opaque, single use, rotated on every redemption, with
//! reuse detection (RFC 9700 §4.14.2).
//!
//! A refresh token has the API key shape with its own prefix
//! (`rt_{id}_{secret}{checksum}`) and is stored only as a keyed hash.
//! Redeeming one returns a new access token and a new refresh token and
//! consumes the old one. Presenting a consumed token again means it was
//! copied: the whole family is revoked, along with the access tokens issued
//! with it — unless the second presentation comes within a short grace
//! period, the signature of a client retrying after a lost response. That
//! retry gets the very same pair back: the response is kept sealed under a
//! key derived from the consumed token's secret, so only its holder can
//! open it.

use std::sync::Arc;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock};
use crate::key::format::KeyParseError;
use crate::key::{HashCheck, KeyFormat, KeyId, KeyRecord, KeyStore, Peppers};
use crate::scope::ScopeSet;
use crate::secret::{AccessToken, KeySecret, RefreshToken};
use crate::store::StoreError;
use crate::token::issuer::{IssueError, IssuedToken, TokenIssuer};
use crate::token::jose::b64;
use crate::token::refresh_store::{Consume, RefreshRecord, RefreshStore};
use crate::token::revocation::RevocationStore;

/// Default refresh-token lifetime.
pub const DEFAULT_REFRESH_LIFETIME: Duration = Duration::days(30);
/// Default window in which a consumed token may be presented again and get
/// the same response.
pub const DEFAULT_REUSE_GRACE: Duration = Duration::seconds(5);

/// Why a refresh token was not redeemed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedeemError {
    /// The token is unknown, malformed, expired, revoked, reused, or its
    /// client key is no longer valid (OAuth `invalid_grant`). The detail is
    /// for logs only.
    #[error("invalid grant: {0}")]
    InvalidGrant(&'static str),
    /// The requested scope exceeds the originally granted scope.
    #[error("the requested scope exceeds the granted scope")]
    InvalidScope,
    /// A store failed; nothing was issued.
    #[error("a store is unavailable")]
    Unavailable,
    /// Minting failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl From<StoreError> for RedeemError {
    fn from(_: StoreError) -> Self {
        Self::Unavailable
    }
}

/// An access token and the refresh token to renew it.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The access token.
    pub access: IssuedToken,
    /// The refresh token; the only copy of its plaintext.
    pub refresh: RefreshToken,
}

/// Issues and redeems refresh tokens.
#[derive(Debug, Clone)]
pub struct Refresher {
    store: Arc<dyn RefreshStore>,
    keys: Arc<dyn KeyStore>,
    format: KeyFormat,
    peppers: Arc<Peppers>,
    revocations: Option<Arc<dyn RevocationStore>>,
    lifetime: Duration,
    grace: Duration,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
}

/// A refresh prefix equal to the API key prefix would let one credential
/// pass for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("refresh tokens need a prefix different from API keys'")]
pub struct SamePrefix;

impl Refresher {
    /// Refresh tokens of `format`, hashed under `peppers`, kept in `store`.
    /// `keys` is the API key store: a family stops working when its key is
    /// no longer valid. `key_format` is the API keys' format, which must
    /// differ from `format`.
    pub fn new(
        store: Arc<dyn RefreshStore>,
        keys: Arc<dyn KeyStore>,
        format: KeyFormat,
        key_format: &KeyFormat,
        peppers: Arc<Peppers>,
    ) -> Result<Self, SamePrefix> {
        if format.prefix() == key_format.prefix() {
            return Err(SamePrefix);
        }
        Ok(Self {
            store,
            keys,
            format,
            peppers,
            revocations: None,
            lifetime: DEFAULT_REFRESH_LIFETIME,
            grace: DEFAULT_REUSE_GRACE,
            clock: Arc::new(SystemClock),
            rng: SystemRandom::new(),
        })
    }

    /// Revokes the access tokens of a family when the family is revoked.
    #[must_use]
    pub fn with_revocations(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = Some(store);
        self
    }

    /// Sets how long a refresh token stays redeemable (default 30 days).
    #[must_use]
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets the reuse grace period (default 5 seconds; zero disables it).
    #[must_use]
    pub fn with_reuse_grace(mut self, grace: Duration) -> Self {
        self.grace = grace.max(Duration::ZERO);
        self
    }

    /// Replaces the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The refresh-token format.
    pub fn format(&self) -> &KeyFormat {
        &self.format
    }

    /// Starts a family for the API key `client_id` acting for `subject`,
    /// alongside the access token `access`.
    pub async fn issue(
        &self,
        client_id: KeyId,
        subject: &str,
        scope: &ScopeSet,
        access: &IssuedToken,
    ) -> Result<RefreshToken, RedeemError> {
        let (record, token) = self.generate(None, client_id, subject, scope, access)?;
        self.store.insert(record).await?;
        Ok(token)
    }

    /// Redeems `presented` for a new pair, minting with `issuer`, for the
    /// client that authenticated as the API key `client`. A token of
    /// another client is an invalid grant (RFC 6749 §6) and is not
    /// consumed. `requested` may narrow the scope of the new access token.
    ///
    /// The family's scope shrinks with its key's: a redemption grants only
    /// what the key still covers.
    pub async fn redeem(
        &self,
        presented: &str,
        requested: Option<&ScopeSet>,
        issuer: &TokenIssuer,
        client: KeyId,
    ) -> Result<TokenPair, RedeemError> {
        let (record, secret) = self.authenticate(presented).await?;
        if client != record.client_id {
            return Err(RedeemError::InvalidGrant("issued to another client"));
        }
        if record.consumed_at.is_some() {
            return self.reused(&record, &secret).await;
        }
        let now = self.clock.now();
        let key = self.check_client(&record, now).await?;
        let family_scope = record.scope.restrict_to(&key.scopes);
        if family_scope.is_empty() && !record.scope.is_empty() {
            return Err(RedeemError::InvalidGrant(
                "the key no longer grants the family's scope",
            ));
        }
        let scope = match requested {
            Some(requested) if family_scope.covers(requested) => requested.clone(),
            Some(_) => return Err(RedeemError::InvalidScope),
            None => family_scope.clone(),
        };
        let access = issuer.mint(&record.subject, record.client_id.as_str(), &scope)?;
        let (successor, refresh) = self.generate(
            Some(record.family),
            record.client_id,
            &record.subject,
            &family_scope,
            &access,
        )?;
        let pair = TokenPair { access, refresh };
        let sealed = seal(&record.id, &secret, &pair, &self.rng)?;
        match self
            .store
            .consume(&record.id, now, sealed, successor)
            .await?
        {
            Consume::Consumed => Ok(pair),
            // Another redemption won the race: answer as to a retry.
            Consume::AlreadyConsumed(stored) => self.reused(&stored, &secret).await,
            Consume::Revoked => Err(RedeemError::InvalidGrant("family revoked")),
        }
    }

    /// A new refresh token and its record: the first of a new family when
    /// `family` is `None`, issued alongside `access`.
    fn generate(
        &self,
        family: Option<KeyId>,
        client_id: KeyId,
        subject: &str,
        scope: &ScopeSet,
        access: &IssuedToken,
    ) -> Result<(RefreshRecord, RefreshToken), RedeemError> {
        let now = self.clock.now();
        let generated = self
            .format
            .generate(&self.rng)
            .map_err(|_| IssueError::Signing)?;
        let record = RefreshRecord {
            id: generated.id,
            hash: self.peppers.hash(generated.secret.expose_secret()),
            family: family.unwrap_or(generated.id),
            client_id,
            subject: subject.to_owned(),
            scope: scope.clone(),
            created_at: now,
            expires_at: now.saturating_add(self.lifetime),
            access_jti: Some(access.jti.clone()),
            access_expires_at: Some(access.expires_at),
            consumed_at: None,
            successor: None,
            retry: None,
            revoked_at: None,
        };
        Ok((record, RefreshToken::new(generated.key.expose_secret())))
    }

    /// The record of a live refresh token (unconsumed, unrevoked,
    /// unexpired, and its API key still valid), for introspection. `None`
    /// for anything else.
    pub async fn inspect(&self, presented: &str) -> Result<Option<RefreshRecord>, StoreError> {
        let record = match self.authenticate(presented).await {
            Ok((record, _)) if record.consumed_at.is_none() => record,
            Ok(_) | Err(RedeemError::InvalidGrant(_)) => return Ok(None),
            Err(_) => return Err(StoreError::unavailable("refresh store")),
        };
        // A token whose key is no longer valid can never be redeemed.
        match self.check_client(&record, self.clock.now()).await {
            Ok(_) => Ok(Some(record)),
            Err(RedeemError::Unavailable) => Err(StoreError::unavailable("key store")),
            Err(_) => Ok(None),
        }
    }

    /// The record of any refresh token whose secret checks out, consumed,
    /// revoked or expired alike; for revocation requests.
    pub async fn inspect_any(&self, presented: &str) -> Result<Option<RefreshRecord>, StoreError> {
        match self.authenticate_any(presented).await {
            Ok((record, _)) => Ok(Some(record)),
            Err(RedeemError::Unavailable) => Err(StoreError::unavailable("refresh store")),
            Err(_) => Ok(None),
        }
    }

    /// Revokes the family of `presented` (RFC 7009). Returns whether a
    /// family was found; an unknown or invalid token is not an error.
    pub async fn revoke(&self, presented: &str) -> Result<bool, StoreError> {
        match self.authenticate_any(presented).await {
            Ok((record, _)) => {
                self.revoke_family(&record.family).await?;
                Ok(true)
            }
            Err(RedeemError::Unavailable) => Err(StoreError::unavailable("refresh store")),
            Err(_) => Ok(false),
        }
    }

    /// Revokes a whole family and the access tokens issued with it.
    pub async fn revoke_family(&self, family: &KeyId) -> Result<(), StoreError> {
        let access = self.store.revoke_family(family, self.clock.now()).await?;
        if let Some(revocations) = &self.revocations {
            for (jti, exp) in access {
                revocations.revoke_token(&jti, exp).await?;
            }
        }
        Ok(())
    }

    /// Parses, looks up and checks the secret and lifecycle of a presented
    /// token, consumed or not.
    async fn authenticate(
        &self,
        presented: &str,
    ) -> Result<(RefreshRecord, KeySecret), RedeemError> {
        let (record, secret) = self.authenticate_any(presented).await?;
        if record.revoked_at.is_some() {
            return Err(RedeemError::InvalidGrant("family revoked"));
        }
        if record.expires_at <= self.clock.now() {
            return Err(RedeemError::InvalidGrant("expired"));
        }
        Ok((record, secret))
    }

    /// Parses, looks up and checks the secret only.
    async fn authenticate_any(
        &self,
        presented: &str,
    ) -> Result<(RefreshRecord, KeySecret), RedeemError> {
        let parsed = self.format.parse(presented).map_err(|error| {
            RedeemError::InvalidGrant(match error {
                KeyParseError::BadChecksum => "bad checksum",
                _ => "not a refresh token",
            })
        })?;
        let record = self
            .store
            .get(&parsed.id())
            .await?
            .ok_or(RedeemError::InvalidGrant("unknown"))?;
        match self
            .peppers
            .check(parsed.secret().expose_secret(), &record.hash)
        {
            // A refresh token lives for days; its hash is not upgraded in
            // place: the next redemption stores its successor under the
            // current pepper anyway.
            HashCheck::Match | HashCheck::MatchNeedsUpgrade(_) => {
                Ok((record, parsed.secret().clone()))
            }
            HashCheck::Mismatch | HashCheck::UnknownPepper => {
                Err(RedeemError::InvalidGrant("wrong secret"))
            }
        }
    }

    /// The family's API key must still be valid; returns its record.
    async fn check_client(
        &self,
        record: &RefreshRecord,
        now: OffsetDateTime,
    ) -> Result<Arc<KeyRecord>, RedeemError> {
        let key = self
            .keys
            .get(&record.client_id)
            .await?
            .ok_or(RedeemError::InvalidGrant("client key is gone"))?;
        key.lifecycle_check(now)
            .map_err(|_| RedeemError::InvalidGrant("client key is no longer valid"))?;
        Ok(key)
    }

    /// A consumed token presented again: the same pair within the grace
    /// period, otherwise the family is revoked.
    async fn reused(
        &self,
        record: &RefreshRecord,
        secret: &KeySecret,
    ) -> Result<TokenPair, RedeemError> {
        let now = self.clock.now();
        let within_grace = record
            .consumed_at
            .is_some_and(|at| now < at.saturating_add(self.grace));
        if within_grace
            && let Some(pair) = record
                .retry
                .as_deref()
                .and_then(|sealed| open(&record.id, secret, sealed))
        {
            self.check_client(record, now).await?;
            return Ok(pair);
        }
        self.revoke_family(&record.family).await?;
        Err(RedeemError::InvalidGrant("reused"))
    }
}

/// What an honest retry gets back, as sealed.
#[derive(Serialize)]
struct SealedRef<'a> {
    access_token: &'a str,
    jti: &'a str,
    expires_at: i64,
    scope: &'a ScopeSet,
    refresh_token: &'a str,
}

/// The same, as opened; the strings move into zeroizing token types.
#[derive(Deserialize)]
struct Sealed {
    access_token: String,
    jti: String,
    expires_at: i64,
    scope: ScopeSet,
    refresh_token: String,
}

const SEAL_INFO: &[u8] = b"credential refresh retry v1";

fn retry_key(id: &KeyId, secret: &KeySecret) -> Option<LessSafeKey> {
    struct Len;
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let prk =
        hkdf::Salt::new(hkdf::HKDF_SHA256, id.as_str().as_bytes()).extract(secret.expose_secret());
    let okm = prk.expand(&[SEAL_INFO], Len).ok()?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    okm.fill(bytes.as_mut()).ok()?;
    let key = UnboundKey::new(&aead::CHACHA20_POLY1305, bytes.as_ref()).ok()?;
    Some(LessSafeKey::new(key))
}

fn seal(
    id: &KeyId,
    secret: &KeySecret,
    pair: &TokenPair,
    rng: &SystemRandom,
) -> Result<String, RedeemError> {
    let sealed = SealedRef {
        access_token: pair.access.token.expose_secret(),
        jti: &pair.access.jti,
        expires_at: pair.access.expires_at.unix_timestamp(),
        scope: &pair.access.scope,
        refresh_token: pair.refresh.expose_secret(),
    };
    let mut data = Zeroizing::new(serde_json::to_vec(&sealed).map_err(|_| IssueError::Signing)?);
    let key = retry_key(id, secret).ok_or(IssueError::Signing)?;
    let mut nonce = [0u8; aead::NONCE_LEN];
    rng.fill(&mut nonce).map_err(|_| IssueError::Signing)?;
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(id.as_str()),
        &mut *data,
    )
    .map_err(|_| IssueError::Signing)?;
    let mut out = String::new();
    b64::encode_into(&nonce, &mut out);
    out.push('.');
    b64::encode_into(&data, &mut out);
    Ok(out)
}

fn open(id: &KeyId, secret: &KeySecret, sealed: &str) -> Option<TokenPair> {
    let (nonce, data) = sealed.split_once('.')?;
    let nonce: [u8; aead::NONCE_LEN] = b64::decode(nonce.as_bytes())?.try_into().ok()?;
    let mut data = Zeroizing::new(b64::decode(data.as_bytes())?);
    let key = retry_key(id, secret)?;
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(id.as_str()),
            &mut data,
        )
        .ok()?;
    let sealed: Sealed = serde_json::from_slice(plain).ok()?;
    Some(TokenPair {
        access: IssuedToken {
            token: AccessToken::new(sealed.access_token),
            jti: sealed.jti,
            expires_at: OffsetDateTime::from_unix_timestamp(sealed.expires_at).ok()?,
            scope: sealed.scope,
        },
        refresh: RefreshToken::new(sealed.refresh_token),
    })
}
