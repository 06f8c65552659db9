//! Why a credential was refused, precisely inside and opaquely outside.
//!
//! A [`Rejection`] carries an internal [`Reason`] for logs, metrics and
//! tests, and renders a [`PublicFace`] for the HTTP response that leaks
//! nothing: an unknown key, a bad checksum, a wrong secret, an expired,
//! revoked, disabled or rolled-past-grace key all look the same to the
//! caller.
//!
//! | reason | status | `WWW-Authenticate` |
//! | --- | --- | --- |
//! | no credential | 401 | `Bearer realm="…"` (no error code) |
//! | malformed credential | 400 | `error="invalid_request"` |
//! | unknown, bad checksum, wrong secret, bad signature, bad claims, expired, revoked, disabled | 401 | `error="invalid_token"` |
//! | missing scope | 403 | `error="insufficient_scope", scope="…"` |
//! | rate limited | 429 | — (`Retry-After`) |
//! | credits used up | 429 or configured | — |
//! | store unavailable | 503 | — |

use std::fmt;
use std::time::Duration;

use crate::scope::ScopeSet;

/// The internal reason for a rejection. Never shown to the caller as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No credential was presented.
    Missing,
    /// The credential is not well-formed (length, alphabet, shape).
    Malformed,
    /// A well-formed key of another prefix (issuer or environment).
    WrongPrefix,
    /// The checksum does not match: a typo or a forgery.
    BadChecksum,
    /// No key has this id.
    UnknownKey,
    /// The key exists but the secret is wrong.
    BadSecret,
    /// The key's hash was made by a pepper that is no longer configured.
    UnknownPepper,
    /// A token's signature does not verify.
    BadSignature,
    /// A token names no signing key the verifier knows (unknown or retired
    /// `kid`, or no `kid` where several keys could apply).
    UnknownSigningKey,
    /// A token's `alg` is `none` or not one this library verifies.
    UnsupportedAlgorithm,
    /// A token's `alg` differs from the algorithm its key is pinned to.
    AlgorithmMismatch,
    /// A token's header marks an extension critical (`crit`) that is not
    /// understood.
    CriticalHeader,
    /// A token's `typ` is not one the verifier accepts.
    WrongTokenType,
    /// A token's claims are malformed: wrong JSON types, duplicate names,
    /// a missing required claim.
    InvalidClaims,
    /// A token's `iss` is not an accepted issuer.
    WrongIssuer,
    /// A token's `aud` does not name an accepted audience, or names one when
    /// none is configured.
    WrongAudience,
    /// A token's `nbf` is in the future.
    NotYetValid,
    /// The credential's expiry has passed.
    Expired,
    /// The credential was revoked.
    Revoked,
    /// The key is disabled.
    Disabled,
    /// The key was rolled and its grace period is over.
    RolledPastGrace,
    /// The credential lacks a required scope.
    InsufficientScope,
    /// The credential's rate limit is exhausted for now.
    RateLimited,
    /// The credential has no usage credits left.
    CreditsExhausted,
    /// A store could not answer; the request fails closed.
    StoreUnavailable,
}

impl Reason {
    /// A stable snake_case name, for log fields and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::WrongPrefix => "wrong_prefix",
            Self::BadChecksum => "bad_checksum",
            Self::UnknownKey => "unknown_key",
            Self::BadSecret => "bad_secret",
            Self::UnknownPepper => "unknown_pepper",
            Self::BadSignature => "bad_signature",
            Self::UnknownSigningKey => "unknown_signing_key",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::CriticalHeader => "critical_header",
            Self::WrongTokenType => "wrong_token_type",
            Self::InvalidClaims => "invalid_claims",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
            Self::RolledPastGrace => "rolled_past_grace",
            Self::InsufficientScope => "insufficient_scope",
            Self::RateLimited => "rate_limited",
            Self::CreditsExhausted => "credits_exhausted",
            Self::StoreUnavailable => "store_unavailable",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused credential: the internal reason plus what the response needs.
///
/// ```
/// use credential_core::rejection::{FaceConfig, Reason, Rejection};
///
/// let config = FaceConfig::new("api")?;
/// let face = Rejection::new(Reason::Revoked).public_face(&config);
/// assert_eq!(face.status(), 401);
/// assert_eq!(face.www_authenticate(), Some(r#"Bearer realm="api", error="invalid_token""#));
/// // A revoked key and an unknown one cannot be told apart from outside.
/// assert_eq!(face, Rejection::new(Reason::UnknownKey).public_face(&config));
/// # Ok::<(), credential_core::rejection::InvalidRealm>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: Reason,
    missing_scopes: Option<ScopeSet>,
    retry_after: Option<Duration>,
}

impl Rejection {
    /// A rejection for `reason`.
    pub fn new(reason: Reason) -> Self {
        Self {
            reason,
            missing_scopes: None,
            retry_after: None,
        }
    }

    /// A `403` naming the scopes that would have satisfied the requirement.
    pub fn insufficient_scope(missing: ScopeSet) -> Self {
        Self {
            reason: Reason::InsufficientScope,
            missing_scopes: Some(missing),
            retry_after: None,
        }
    }

    /// A `429` that may be retried after `retry_after`.
    pub fn rate_limited(retry_after: Duration) -> Self {
        Self {
            reason: Reason::RateLimited,
            missing_scopes: None,
            retry_after: Some(retry_after),
        }
    }

    /// Used-up credits; `refill_in` when they refill at a known time.
    pub fn credits_exhausted(refill_in: Option<Duration>) -> Self {
        Self {
            reason: Reason::CreditsExhausted,
            missing_scopes: None,
            retry_after: refill_in,
        }
    }

    /// The internal reason.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// For [`Reason::InsufficientScope`]: scopes that would have sufficed.
    pub fn missing_scopes(&self) -> Option<&ScopeSet> {
        self.missing_scopes.as_ref()
    }

    /// When a retry may succeed, for `429` rejections.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// What the caller sees: status, challenge, error code and body.
    pub fn public_face(&self, config: &FaceConfig) -> PublicFace {
        let (status, error, description) = match self.reason {
            Reason::Missing => (401, None, "authentication is required"),
            Reason::Malformed => (
                400,
                Some(ErrorCode::InvalidRequest),
                "the credential is malformed",
            ),
            Reason::WrongPrefix
            | Reason::BadChecksum
            | Reason::UnknownKey
            | Reason::BadSecret
            | Reason::UnknownPepper
            | Reason::BadSignature
            | Reason::UnknownSigningKey
            | Reason::UnsupportedAlgorithm
            | Reason::AlgorithmMismatch
            | Reason::CriticalHeader
            | Reason::WrongTokenType
            | Reason::InvalidClaims
            | Reason::WrongIssuer
            | Reason::WrongAudience
            | Reason::NotYetValid
            | Reason::Expired
            | Reason::Revoked
            | Reason::Disabled
            | Reason::RolledPastGrace => (
                401,
                Some(ErrorCode::InvalidToken),
                "the credential is invalid",
            ),
            Reason::InsufficientScope => (
                403,
                Some(ErrorCode::InsufficientScope),
                "the credential lacks a required scope",
            ),
            Reason::RateLimited => (429, Some(ErrorCode::RateLimited), "too many requests"),
            Reason::CreditsExhausted => (
                config.credits_status,
                Some(ErrorCode::CreditsExhausted),
                "usage credits are used up",
            ),
            Reason::StoreUnavailable => (
                503,
                Some(ErrorCode::TemporarilyUnavailable),
                "the service is temporarily unavailable",
            ),
        };
        let www_authenticate = match status {
            400 | 401 | 403 => Some(challenge(config, error, self.missing_scopes.as_ref())),
            _ => None,
        };
        let retry_after = match self.reason {
            Reason::RateLimited | Reason::CreditsExhausted => {
                self.retry_after.map(whole_seconds_up)
            }
            _ => None,
        };
        PublicFace {
            status,
            error,
            description,
            www_authenticate,
            retry_after,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "credential rejected: {}", self.reason)
    }
}

impl std::error::Error for Rejection {}

/// `Retry-After` is in whole seconds; round up so a client never retries
/// too early, and never say 0.
fn whole_seconds_up(wait: Duration) -> u64 {
    let secs = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0));
    secs.max(1)
}

/// The `WWW-Authenticate` value (RFC 6750 §3).
fn challenge(config: &FaceConfig, error: Option<ErrorCode>, scopes: Option<&ScopeSet>) -> String {
    let mut value = String::with_capacity(64);
    value.push_str("Bearer realm=");
    push_quoted(&mut value, &config.realm);
    if let Some(error) = error {
        value.push_str(", error=");
        push_quoted(&mut value, error.as_str());
    }
    if let Some(scopes) = scopes.filter(|s| !s.is_empty()) {
        value.push_str(", scope=");
        push_quoted(&mut value, &scopes.to_string());
    }
    value
}

/// RFC 9110 §5.6.4 quoted-string: backslash-escape `"` and `\`.
fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// An error code in a response body (and, for the RFC 6750 ones, in the
/// `WWW-Authenticate` challenge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// RFC 6750 `invalid_request`.
    InvalidRequest,
    /// RFC 6750 `invalid_token`.
    InvalidToken,
    /// RFC 6750 `insufficient_scope`.
    InsufficientScope,
    /// `rate_limited`.
    RateLimited,
    /// `credits_exhausted`.
    CreditsExhausted,
    /// `temporarily_unavailable` (the RFC 6749 name for a server that cannot
    /// answer now).
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The code as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::RateLimited => "rate_limited",
            Self::CreditsExhausted => "credits_exhausted",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// How rejections are presented: the realm and the status for used-up
/// credits (429 unless set, e.g. 402 Payment Required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceConfig {
    realm: String,
    credits_status: u16,
}

/// A realm that cannot be put in a header: only visible ASCII and spaces
/// are allowed, at most 128 of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a realm is 1 to 128 visible ASCII characters or spaces")]
pub struct InvalidRealm;

/// A status for used-up credits that is not a 4xx client error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the credits-exhausted status must be a 4xx status, got {0}")]
pub struct InvalidStatus(pub u16);

impl FaceConfig {
    /// A configuration with the given realm.
    pub fn new(realm: &str) -> Result<Self, InvalidRealm> {
        let printable = realm.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if realm.is_empty() || realm.len() > 128 || !printable {
            return Err(InvalidRealm);
        }
        Ok(Self {
            realm: realm.to_owned(),
            credits_status: 429,
        })
    }

    /// Sets the status for [`Reason::CreditsExhausted`] (default 429).
    pub fn with_credits_status(mut self, status: u16) -> Result<Self, InvalidStatus> {
        if !(400..500).contains(&status) {
            return Err(InvalidStatus(status));
        }
        self.credits_status = status;
        Ok(self)
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

impl Default for FaceConfig {
    /// Realm `api`, credits status 429.
    fn default() -> Self {
        Self {
            realm: "api".to_owned(),
            credits_status: 429,
        }
    }
}

/// Everything an HTTP adapter needs to answer a rejection, free of any
/// framework's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFace {
    status: u16,
    error: Option<ErrorCode>,
    description: &'static str,
    www_authenticate: Option<String>,
    retry_after: Option<u64>,
}

impl PublicFace {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The error code, absent when no credential was sent (RFC 6750 §3.1).
    pub fn error(&self) -> Option<ErrorCode> {
        self.error
    }

    /// A short human-readable description, the same for every invalid
    /// credential.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The `WWW-Authenticate` header value, for 400, 401 and 403.
    pub fn www_authenticate(&self) -> Option<&str> {
        self.www_authenticate.as_deref()
    }

    /// The `Retry-After` header value in seconds, for 429.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// The default JSON body: `{"error":"…","error_description":"…"}`.
    /// Without an error code (no credential sent) the error is
    /// `unauthorized`.
    pub fn json_body(&self) -> String {
        let error = self.error.map_or("unauthorized", ErrorCode::as_str);
        serde_json::json!({ "error": error, "error_description": self.description }).to_string()
    }
}
