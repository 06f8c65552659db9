//! Verifying presented access tokens.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::{Clock, SystemClock};
use crate::rejection::{Reason, Rejection};
use crate::scope::Requirement;
use crate::store::StoreError;
use crate::telemetry;
use crate::token::cache::{DEFAULT_CACHE_CAPACITY, VerifiedTokens};
use crate::token::claims::Claims;
use crate::token::error::TokenError;
use crate::token::keyring::KeyRing;
use crate::token::revocation::RevocationStore;
use crate::token::untrusted::{UntrustedToken, VerifiedToken};
use crate::token::validation::Validation;
use crate::verify::{CredentialKind, Principal, Verification, Verifier};

/// Verifies access tokens: shape and size, header, key, signature, claims,
/// then revocation and the scope requirement.
///
/// The signature and claims are checked in process, with no store round
/// trip; the only lookup is the revocation check, which the in-memory
/// store answers without a lock while nothing is revoked.
///
/// # Verified tokens are remembered
///
/// A client sends the same access token with every request of its
/// lifetime. The verifier keeps up to
/// [`DEFAULT_CACHE_CAPACITY`](crate::token::DEFAULT_CACHE_CAPACITY) tokens
/// whose signature and claims passed (see
/// [`with_cache_capacity`](Self::with_cache_capacity)), so that the same
/// bytes presented again skip the signature and the parsing:
///
/// - a hit needs every byte of the token to match, compared in constant
///   time; any other token, however close, is verified in full, and so is
///   a token without `kid` (whose key is found by elimination);
/// - any change to the [`KeyRing`] (a key added, rotated, retired or
///   removed) makes every kept token verify in full again;
/// - what depends on the moment is checked on every request, hit or not:
///   `exp` and `nbf` against the clock, the signing key's retirement
///   time, revocation, and the scope requirement;
/// - the kept tokens are bearer credentials: they are wiped from memory
///   when they leave the cache, and never logged. Memory is bounded by the
///   capacity times the validation's maximum token size, plus the claims.
///
/// Clones share the cache, as they share the ring.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    ring: KeyRing,
    validation: Arc<Validation>,
    revocations: Option<Arc<dyn RevocationStore>>,
    clock: Arc<dyn Clock>,
    cache: Option<Arc<VerifiedTokens>>,
}

impl TokenVerifier {
    /// A verifier for tokens signed by keys of `ring` that meet
    /// `validation`.
    pub fn new(ring: KeyRing, validation: Validation) -> Self {
        Self {
            ring,
            validation: Arc::new(validation),
            revocations: None,
            clock: Arc::new(SystemClock),
            cache: VerifiedTokens::new(DEFAULT_CACHE_CAPACITY).map(Arc::new),
        }
    }

    /// Keeps up to `capacity` verified tokens instead of the default
    /// (above eight, rounded up to a multiple of eight); 0 turns the cache
    /// off, so that every request verifies its token's signature and parses
    /// its claims.
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = VerifiedTokens::new(capacity).map(Arc::new);
        self
    }

    /// How many verified tokens are kept at most; 0 when the cache is off.
    pub fn cache_capacity(&self) -> usize {
        self.cache.as_ref().map_or(0, |cache| cache.capacity())
    }

    /// Checks every token against `store` for revocation.
    #[must_use]
    pub fn with_revocations(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = Some(store);
        self
    }

    /// Replaces the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The revocation store checked for every token, if any.
    pub fn revocations(&self) -> Option<&Arc<dyn RevocationStore>> {
        self.revocations.as_ref()
    }

    /// The validation rules.
    pub fn validation(&self) -> &Validation {
        &self.validation
    }

    /// Verifies `token` completely, revocation included, and returns it.
    pub async fn verify_token(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let verified = self.verify_signed(token, self.clock.now())?;
        if let Some(store) = &self.revocations {
            let claims = verified.claims();
            let (jti, client, iat) = (claims.token_id(), claims.client_id(), claims.issued_at());
            let answer = match store.is_revoked_immediate(jti, client, iat) {
                Some(answer) => answer,
                None => store.is_revoked(jti, client, iat).await,
            };
            not_revoked(answer)?;
        }
        Ok(verified)
    }

    /// Everything but revocation, at `now`: shape, signature, the
    /// validation rules.
    fn verify_signed(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedToken, TokenError> {
        let untrusted = UntrustedToken::parse(token, self.validation.max_size())?;
        self.ring.verify(untrusted, &self.validation, now)
    }

    /// [`verify_signed`](Self::verify_signed)'s claims, from the cache when
    /// the same token verified before and nothing has changed since; the
    /// time rules are checked either way.
    fn verified_claims(&self, token: &str) -> Result<Arc<Claims>, TokenError> {
        let now = self.clock.now();
        let Some(cache) = &self.cache else {
            return self
                .verify_signed(token, now)
                .map(|v| Arc::new(v.into_claims()));
        };
        // Read before verifying: a ring change from here on leaves what is
        // kept below out of date, never the other way round.
        let generation = self.ring.generation();
        if let Some(claims) = cache.get(token.as_bytes(), generation, now) {
            // The rest of the validation passed when the token was kept,
            // under these same rules: they never change for a verifier.
            self.validation.check_times(&claims, now)?;
            return Ok(claims);
        }
        let untrusted = UntrustedToken::parse(token, self.validation.max_size())?;
        // Without a `kid`, the key is the only live one at this moment,
        // which a later moment (or a clone's clock) need not agree with:
        // such tokens are verified in full every time.
        let names_its_key = untrusted.header().key_id().is_some();
        let (verified, key_retires) =
            self.ring
                .verify_with_key(untrusted, &self.validation, now)?;
        let claims = Arc::new(verified.into_claims());
        if names_its_key {
            let expires = claims
                .expires_at()
                .map(|exp| exp.saturating_add(self.validation.leeway()));
            let until = match (key_retires, expires) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            cache.insert(token.as_bytes(), Arc::clone(&claims), generation, until);
        }
        Ok(claims)
    }

    /// The scope check on a token that passed every other one, reported.
    fn conclude(
        claims: Arc<Claims>,
        required: Option<&Requirement>,
    ) -> Result<Principal, Rejection> {
        let jti = claims.token_id().unwrap_or_default();
        if let Some(missing) = required.and_then(|requirement| requirement.missing(claims.scope()))
        {
            telemetry::rejected(
                CredentialKind::AccessToken,
                Reason::InsufficientScope,
                Some(&jti),
            );
            return Err(Rejection::insufficient_scope(missing));
        }
        telemetry::accepted(CredentialKind::AccessToken, &jti);
        Ok(Principal::from_token(claims))
    }

    /// A rejected token, reported without its contents.
    fn refuse(error: TokenError) -> Result<Principal, Rejection> {
        telemetry::rejected(CredentialKind::AccessToken, error.reason(), None);
        Err(error.into())
    }
}

/// A revocation store's answer as a check: revoked, or the store failed,
/// is a refusal.
fn not_revoked(answer: Result<bool, StoreError>) -> Result<(), TokenError> {
    match answer {
        Ok(false) => Ok(()),
        Ok(true) => Err(TokenError::new(Reason::Revoked, "token is revoked")),
        Err(_) => Err(TokenError::new(
            Reason::StoreUnavailable,
            "revocation store failed",
        )),
    }
}

impl Verifier for TokenVerifier {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        let claims = match self.verified_claims(credential) {
            Ok(claims) => claims,
            Err(error) => return Verification::ready(Self::refuse(error)),
        };
        let Some(store) = &self.revocations else {
            return Verification::ready(Self::conclude(claims, required));
        };
        let (jti, client, iat) = (claims.token_id(), claims.client_id(), claims.issued_at());
        // A store that answers at once completes without a boxed future.
        if let Some(answer) = store.is_revoked_immediate(jti, client, iat) {
            return Verification::ready(match not_revoked(answer) {
                Ok(()) => Self::conclude(claims, required),
                Err(error) => Self::refuse(error),
            });
        }
        Verification::waiting(async move {
            let answer = store
                .is_revoked(claims.token_id(), claims.client_id(), claims.issued_at())
                .await;
            match not_revoked(answer) {
                Ok(()) => Self::conclude(claims, required),
                Err(error) => Self::refuse(error),
            }
        })
    }
}
