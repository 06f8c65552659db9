//! Minting access tokens.

use std::sync::Arc;

use ring::rand::SystemRandom;
use time::{Duration, OffsetDateTime};

use crate::base62;
use crate::clock::{Clock, SystemClock};
use crate::key::{KeyRecord, Metadata};
use crate::scope::ScopeSet;
use crate::secret::AccessToken;
use crate::token::claims::Claims;
use crate::token::header::Header;
use crate::token::jose::b64;
use crate::token::keyring::KeyRing;
use crate::token::validation::ACCESS_TOKEN_TYPE;
use crate::verify::Principal;

/// Default access-token lifetime.
pub const DEFAULT_LIFETIME: Duration = Duration::minutes(15);

/// Length of a generated `jti`: 22 base62 characters, about 131 bits.
const JTI_LEN: usize = 22;

/// A freshly minted access token and what it grants.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: AccessToken,
    /// Its `jti`.
    pub jti: String,
    /// Its `exp`.
    pub expires_at: OffsetDateTime,
    /// Its `scope`.
    pub scope: ScopeSet,
}

impl IssuedToken {
    /// Seconds until expiry, for an OAuth `expires_in`.
    pub fn expires_in(&self, now: OffsetDateTime) -> u64 {
        // `exp` is a whole second; round the remainder up so a token minted
        // for 900 s says 900, not 899.
        let left = self.expires_at - now;
        let whole = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
        u64::try_from(whole).unwrap_or(0)
    }
}

/// Why a token could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The requested scope is not covered by the scopes the key grants
    /// (OAuth `invalid_scope`).
    #[error("the requested scope exceeds the granted scope")]
    InvalidScope,
    /// Tokens are minted for API keys only, not for other tokens.
    #[error("tokens are minted for API keys only")]
    NotAnApiKey,
    /// The key ring has no signing key.
    #[error("no signing key is configured")]
    NoSigningKey,
    /// Signing or randomness failed.
    #[error("signing failed")]
    Signing,
}

/// Mints RFC 9068 access tokens with the key ring's current signing key.
///
/// ```
/// use credential_core::token::{KeyRing, TokenIssuer, Validation, UntrustedToken};
/// use credential_core::token::jose::{Algorithm, SigningKey};
///
/// let ring = KeyRing::new();
/// ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA)?)?;
/// let issuer = TokenIssuer::new(ring.clone(), "https://auth.example.com")
///     .with_audience("https://api.example.com");
/// let issued = issuer.mint("acme", "0123456789abcdef", &"reports:read".parse()?)?;
///
/// let validation = Validation::new("https://auth.example.com").with_audience("https://api.example.com");
/// let untrusted = UntrustedToken::parse(issued.token.expose_secret(), validation.max_size())?;
/// let verified = ring.verify(untrusted, &validation, time::OffsetDateTime::now_utc())?;
/// assert_eq!(verified.claims().subject(), Some("acme"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    ring: KeyRing,
    issuer: String,
    audience: Vec<String>,
    lifetime: Duration,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
}

impl TokenIssuer {
    /// An issuer that signs with `ring` and names itself `issuer` (`iss`).
    pub fn new(ring: KeyRing, issuer: impl Into<String>) -> Self {
        Self {
            ring,
            issuer: issuer.into(),
            audience: Vec::new(),
            lifetime: DEFAULT_LIFETIME,
            clock: Arc::new(SystemClock),
            rng: SystemRandom::new(),
        }
    }

    /// Adds an audience (`aud`) to every token.
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// Sets the token lifetime (default 15 minutes).
    #[must_use]
    pub fn with_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Replaces the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The token lifetime.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The key ring.
    pub fn key_ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Mints a token for a verified API key: `sub` is the key's subject,
    /// `client_id` its id. `requested` narrows the scope; it must be
    /// covered by the key's scopes. `None` grants all of them.
    pub fn mint_for_key(
        &self,
        key: &KeyRecord,
        requested: Option<&ScopeSet>,
    ) -> Result<IssuedToken, IssueError> {
        let scope = match requested {
            Some(requested) if key.scopes.covers(requested) => requested.clone(),
            Some(_) => return Err(IssueError::InvalidScope),
            None => key.scopes.clone(),
        };
        self.mint(&key.subject, key.id.as_str(), &scope)
    }

    /// Mints a token for a principal verified by its API key, like
    /// [`mint_for_key`](Self::mint_for_key). A principal from an access
    /// token is refused: a token must not renew itself past its `exp` or
    /// out of reach of its `jti`'s revocation.
    pub fn mint_for(
        &self,
        principal: &Principal,
        requested: Option<&ScopeSet>,
    ) -> Result<IssuedToken, IssueError> {
        let key_id = principal.key_id().ok_or(IssueError::NotAnApiKey)?;
        let granted = principal.scopes();
        let scope = match requested {
            Some(requested) if granted.covers(requested) => requested.clone(),
            Some(_) => return Err(IssueError::InvalidScope),
            None => granted.clone(),
        };
        self.mint(principal.subject(), key_id.as_str(), &scope)
    }

    /// Mints a token for `subject`, issued to `client_id`, granting `scope`.
    pub fn mint(
        &self,
        subject: &str,
        client_id: &str,
        scope: &ScopeSet,
    ) -> Result<IssuedToken, IssueError> {
        let now = self.clock.now();
        let mut jti = [0u8; JTI_LEN];
        base62::fill_random(&self.rng, &mut jti).map_err(|_| IssueError::Signing)?;
        let jti: String = jti.iter().map(|&b| char::from(b)).collect();
        // NumericDate has whole seconds: truncate so the token says what
        // is checked.
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let expires_at = now.saturating_add(self.lifetime);
        let claims = Claims {
            iss: Some(self.issuer.clone()),
            sub: Some(subject.to_owned()),
            aud: self.audience.clone(),
            exp: Some(expires_at),
            nbf: None,
            iat: Some(now),
            jti: Some(jti.clone()),
            client_id: Some(client_id.to_owned()),
            scope: Some(scope.clone()),
            extra: Metadata::new(),
        };
        let token = self.sign(&claims)?;
        Ok(IssuedToken {
            token,
            jti,
            expires_at,
            scope: scope.clone(),
        })
    }

    /// Signs `claims` as an `at+jwt` with the current signing key.
    pub(crate) fn sign(&self, claims: &Claims) -> Result<AccessToken, IssueError> {
        let entry = self.ring.signer().ok_or(IssueError::NoSigningKey)?;
        let key = entry.signing.as_ref().ok_or(IssueError::NoSigningKey)?;
        let header = Header::new(
            key.algorithm(),
            Some(entry.kid.clone()),
            Some(ACCESS_TOKEN_TYPE),
        );
        let claims = serde_json::to_vec(claims).map_err(|_| IssueError::Signing)?;
        let mut token = String::with_capacity(64 + claims.len() * 4 / 3 + 90);
        b64::encode_into(header.to_json().as_bytes(), &mut token);
        token.push('.');
        b64::encode_into(&claims, &mut token);
        let signature = key
            .sign(token.as_bytes())
            .map_err(|_| IssueError::Signing)?;
        token.push('.');
        b64::encode_into(&signature, &mut token);
        Ok(AccessToken::new(token))
    }
}
