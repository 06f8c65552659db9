//! Signing and verification keys by `kid`, with rotation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use time::OffsetDateTime;

use crate::rejection::Reason;
use crate::token::error::TokenError;
use crate::token::jose::{Algorithm, JoseError, Jwk, JwkSet, SigningKey, VerifyingKey};
use crate::token::untrusted::{UntrustedToken, VerifiedToken};
use crate::token::validation::Validation;

/// Longest `kid` accepted.
const MAX_KID_LEN: usize = 128;

/// A key ring: `kid` → a key pinned to exactly one algorithm.
///
/// - A token's header `alg` must equal its key's algorithm, so an RSA or
///   Ed25519 public key can never be used as an HMAC secret, and `none`
///   never verifies.
/// - An unknown `kid` fails closed. A token without `kid` is accepted only
///   when the ring holds exactly one key that verifies.
/// - Rotation: [`rotate`](Self::rotate) makes a new key sign while the
///   previous one keeps verifying until its retirement time, so tokens it
///   signed live out their lifetime.
///
/// Clones share the same keys. Changes are atomic: a verification sees the
/// ring either before or after a change, never half of one.
///
/// ```
/// use credential_core::token::KeyRing;
/// use credential_core::token::jose::{Algorithm, SigningKey};
///
/// let ring = KeyRing::new();
/// ring.add_signing_key("2030-01", SigningKey::generate(Algorithm::EdDSA)?)?;
/// assert_eq!(ring.signing_key_id().as_deref(), Some("2030-01"));
/// // Only public keys are published.
/// assert_eq!(ring.public_jwks().keys().len(), 1);
/// # Ok::<(), credential_core::token::jose::JoseError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: RwLock<Arc<RingState>>,
    /// Counts changes, so that what was verified against one state can
    /// tell it is out of date.
    generation: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct RingState {
    entries: HashMap<String, Arc<Entry>>,
    signer: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kid: String,
    verifying: VerifyingKey,
    pub(crate) signing: Option<SigningKey>,
    retire_at: Option<OffsetDateTime>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    fn snapshot(&self) -> Arc<RingState> {
        Arc::clone(
            &self
                .shared
                .state
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// How many changes the ring has seen. Read it before verifying: a
    /// result tagged with it is current while it stays the same.
    pub(crate) fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    // Each change builds a new state and swaps it in whole.
    fn change<T>(
        &self,
        f: impl FnOnce(&mut RingState) -> Result<T, JoseError>,
    ) -> Result<T, JoseError> {
        let mut guard = self
            .shared
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = RingState::clone(&guard);
        let out = f(&mut next)?;
        *guard = Arc::new(next);
        // Still under the lock: no snapshot of the new state is taken
        // before the count moves on.
        self.shared.generation.fetch_add(1, Ordering::Release);
        Ok(out)
    }

    /// Adds a key that signs from now on; the previous signing key keeps
    /// verifying (retire it with [`retire`](Self::retire), or use
    /// [`rotate`](Self::rotate)).
    pub fn add_signing_key(&self, kid: &str, key: SigningKey) -> Result<(), JoseError> {
        check_kid(kid)?;
        self.change(|state| {
            let entry = Entry {
                kid: kid.to_owned(),
                verifying: key.verifying_key(),
                signing: Some(key),
                retire_at: None,
            };
            state.entries.insert(kid.to_owned(), Arc::new(entry));
            state.signer = Some(kid.to_owned());
            Ok(())
        })
    }

    /// Adds a key that only verifies, e.g. an identity provider's public
    /// key or an old signing key loaded from storage.
    pub fn add_verifying_key(&self, kid: &str, key: VerifyingKey) -> Result<(), JoseError> {
        check_kid(kid)?;
        self.change(|state| {
            let entry = Entry {
                kid: kid.to_owned(),
                verifying: key,
                signing: None,
                retire_at: None,
            };
            state.entries.insert(kid.to_owned(), Arc::new(entry));
            if state.signer.as_deref() == Some(kid) {
                state.signer = None;
            }
            Ok(())
        })
    }

    /// Adds every key of a JWK Set that has a `kid`, as verification keys.
    /// Returns how many were added.
    pub fn add_jwks(&self, jwks: &JwkSet) -> Result<usize, JoseError> {
        let mut added = 0;
        for jwk in jwks.keys() {
            if let Some(kid) = jwk.kid() {
                self.add_verifying_key(kid, VerifyingKey::from_jwk(jwk)?)?;
                added += 1;
            }
        }
        Ok(added)
    }

    /// Makes `kid`/`key` the signing key and retires the previous signing
    /// key at `retire_previous_at` (normally now plus the longest token
    /// lifetime).
    pub fn rotate(
        &self,
        kid: &str,
        key: SigningKey,
        retire_previous_at: OffsetDateTime,
    ) -> Result<(), JoseError> {
        check_kid(kid)?;
        self.change(|state| {
            if let Some(previous) = state.signer.take()
                && let Some(entry) = state.entries.get(&previous)
            {
                let retired = entry.retired(retire_previous_at);
                state.entries.insert(previous, Arc::new(retired));
            }
            let entry = Entry {
                kid: kid.to_owned(),
                verifying: key.verifying_key(),
                signing: Some(key),
                retire_at: None,
            };
            state.entries.insert(kid.to_owned(), Arc::new(entry));
            state.signer = Some(kid.to_owned());
            Ok(())
        })
    }

    /// Stops `kid` verifying from `at` on. Returns whether the key existed.
    pub fn retire(&self, kid: &str, at: OffsetDateTime) -> bool {
        self.change(|state| {
            let Some(entry) = state.entries.get(kid) else {
                return Ok(false);
            };
            let retired = entry.retired(at);
            state.entries.insert(kid.to_owned(), Arc::new(retired));
            if state.signer.as_deref() == Some(kid) {
                state.signer = None;
            }
            Ok(true)
        })
        .unwrap_or(false)
    }

    /// Removes keys whose retirement time has passed. Returns how many.
    pub fn remove_retired(&self, now: OffsetDateTime) -> usize {
        self.change(|state| {
            let before = state.entries.len();
            state
                .entries
                .retain(|_, entry| entry.retire_at.is_none_or(|at| at > now));
            Ok(before - state.entries.len())
        })
        .unwrap_or(0)
    }

    /// The id of the current signing key.
    pub fn signing_key_id(&self) -> Option<String> {
        self.snapshot().signer.clone()
    }

    /// The algorithm of the current signing key.
    pub fn signing_algorithm(&self) -> Option<Algorithm> {
        let state = self.snapshot();
        let signer = state.signer.as_ref()?;
        state
            .entries
            .get(signer)
            .map(|entry| entry.verifying.algorithm())
    }

    pub(crate) fn signer(&self) -> Option<Arc<Entry>> {
        let state = self.snapshot();
        let signer = state.signer.as_ref()?;
        state.entries.get(signer).cloned()
    }

    /// The public keys as a JWK Set, for a JWKS endpoint. Symmetric (HS256)
    /// keys are never published; retired keys are until they are removed.
    pub fn public_jwks(&self) -> JwkSet {
        let state = self.snapshot();
        let mut keys: Vec<&Arc<Entry>> = state.entries.values().collect();
        keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        keys.iter()
            .filter_map(|entry| entry.verifying.to_public_jwk(&entry.kid))
            .collect::<Vec<Jwk>>()
            .into_iter()
            .collect()
    }

    /// The private signing keys as JWKs, to persist them.
    pub fn private_jwks(&self) -> Vec<Jwk> {
        let state = self.snapshot();
        let mut keys: Vec<Jwk> = state
            .entries
            .values()
            .filter_map(|entry| {
                entry
                    .signing
                    .as_ref()
                    .map(|key| key.to_private_jwk(&entry.kid))
            })
            .collect();
        keys.sort_by(|a, b| a.kid().cmp(&b.kid()));
        keys
    }

    /// Verifies `token`'s signature and checks it against `validation` at
    /// `now`. Claims are parsed only after the signature verified.
    pub fn verify(
        &self,
        token: UntrustedToken<'_>,
        validation: &Validation,
        now: OffsetDateTime,
    ) -> Result<VerifiedToken, TokenError> {
        self.verify_with_key(token, validation, now)
            .map(|(verified, _)| verified)
    }

    /// [`verify`](Self::verify), also answering when the key that verified
    /// the token retires, if it was set to.
    pub(crate) fn verify_with_key(
        &self,
        token: UntrustedToken<'_>,
        validation: &Validation,
        now: OffsetDateTime,
    ) -> Result<(VerifiedToken, Option<OffsetDateTime>), TokenError> {
        validation.check_header(token.header())?;
        // A snapshot, not the lock: a waiting writer must not stall every
        // verification behind a slow signature check.
        let state = self.snapshot();
        let entry = match token.header().key_id() {
            Some(kid) => state
                .entries
                .get(kid)
                .ok_or(TokenError::new(Reason::UnknownSigningKey, "kid is unknown"))?,
            None => {
                let mut live = state.entries.values().filter(|entry| entry.is_live(now));
                match (live.next(), live.next()) {
                    (Some(only), None) => only,
                    _ => return Err(TokenError::new(Reason::UnknownSigningKey, "kid is missing")),
                }
            }
        };
        if !entry.is_live(now) {
            return Err(TokenError::new(Reason::UnknownSigningKey, "kid is retired"));
        }
        if entry.verifying.algorithm() != token.header().algorithm() {
            return Err(TokenError::new(
                Reason::AlgorithmMismatch,
                "alg differs from the key's algorithm",
            ));
        }
        if !entry
            .verifying
            .verify(token.signing_input(), token.signature())
        {
            return Err(TokenError::new(
                Reason::BadSignature,
                "signature does not verify",
            ));
        }
        let verified = token.into_verified()?;
        validation.check_claims(verified.claims(), now)?;
        Ok((verified, entry.retire_at))
    }
}

impl Entry {
    /// The same key, verifying only, until `at`.
    fn retired(&self, at: OffsetDateTime) -> Self {
        Self {
            kid: self.kid.clone(),
            verifying: self.verifying.clone(),
            signing: None,
            retire_at: Some(at),
        }
    }

    fn is_live(&self, now: OffsetDateTime) -> bool {
        self.retire_at.is_none_or(|at| now < at)
    }
}

fn check_kid(kid: &str) -> Result<(), JoseError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN || kid.chars().any(char::is_control) {
        return Err(JoseError::InvalidKeyId);
    }
    Ok(())
}
