//! Verifying presented access tokens.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::rejection::{Reason, Rejection};
use crate::scope::Requirement;
use crate::store::StoreError;
use crate::telemetry;
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
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    ring: KeyRing,
    validation: Arc<Validation>,
    revocations: Option<Arc<dyn RevocationStore>>,
    clock: Arc<dyn Clock>,
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
        }
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
        let verified = self.verify_signed(token)?;
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

    /// Everything but revocation: shape, signature, the validation rules.
    fn verify_signed(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let untrusted = UntrustedToken::parse(token, self.validation.max_size())?;
        self.ring
            .verify(untrusted, &self.validation, self.clock.now())
    }

    /// The scope check on a token that passed every other one, reported.
    fn conclude(
        verified: VerifiedToken,
        required: Option<&Requirement>,
    ) -> Result<Principal, Rejection> {
        let claims = Arc::new(verified.into_claims());
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
        let verified = match self.verify_signed(credential) {
            Ok(verified) => verified,
            Err(error) => return Verification::ready(Self::refuse(error)),
        };
        let Some(store) = &self.revocations else {
            return Verification::ready(Self::conclude(verified, required));
        };
        let claims = verified.claims();
        let (jti, client, iat) = (claims.token_id(), claims.client_id(), claims.issued_at());
        // A store that answers at once completes without a boxed future.
        if let Some(answer) = store.is_revoked_immediate(jti, client, iat) {
            return Verification::ready(match not_revoked(answer) {
                Ok(()) => Self::conclude(verified, required),
                Err(error) => Self::refuse(error),
            });
        }
        Verification::waiting(async move {
            let claims = verified.claims();
            let answer = store
                .is_revoked(claims.token_id(), claims.client_id(), claims.issued_at())
                .await;
            match not_revoked(answer) {
                Ok(()) => Self::conclude(verified, required),
                Err(error) => Self::refuse(error),
            }
        })
    }
}
