//! What a verifier accepts: issuers, audiences, token types, leeway, size,
//! required claims.

use time::{Duration, OffsetDateTime};

use crate::rejection::Reason;
use crate::token::claims::Claims;
use crate::token::error::TokenError;
use crate::token::header::Header;

/// Default largest token accepted, in bytes.
pub const DEFAULT_MAX_SIZE: usize = 8 * 1024;

/// The `typ` of an RFC 9068 access token.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Rules a token's header and claims must meet.
///
/// The defaults are strict: one exact issuer, no audience (so a token that
/// carries `aud` is rejected until one is configured), `typ` must be
/// `at+jwt`, zero leeway, at most 8 KiB, and the claims RFC 9068 requires
/// (`iss`, `exp`, `sub`, `client_id`, `iat`, `jti`, plus `aud` once an
/// audience is configured). `exp` is always required: a token that never
/// expires is never accepted.
///
/// ```
/// use credential_core::token::Validation;
/// use time::Duration;
///
/// let validation = Validation::new("https://auth.example.com")
///     .with_audience("https://api.example.com")
///     .with_leeway(Duration::seconds(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    issuers: Vec<String>,
    audiences: Vec<String>,
    types: Vec<String>,
    allow_untyped: bool,
    leeway: Duration,
    max_size: usize,
    required: Vec<String>,
}

impl Validation {
    /// Accepts tokens whose `iss` is exactly `issuer`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuers: vec![issuer.into()],
            audiences: Vec::new(),
            types: vec![ACCESS_TOKEN_TYPE.to_owned()],
            allow_untyped: false,
            leeway: Duration::ZERO,
            max_size: DEFAULT_MAX_SIZE,
            required: ["iss", "exp", "sub", "client_id", "iat", "jti"]
                .map(str::to_owned)
                .to_vec(),
        }
    }

    /// Also accepts `issuer`.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Accepts tokens whose `aud` names `audience`, and from then on
    /// requires `aud`.
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        if !self.required.iter().any(|name| name == "aud") {
            self.required.push("aud".to_owned());
        }
        self
    }

    /// Also accepts header `typ` `token_type` (compared case-insensitively,
    /// with or without `application/`), e.g. `JWT` for identity providers'
    /// tokens.
    #[must_use]
    pub fn allow_type(mut self, token_type: impl Into<String>) -> Self {
        self.types.push(token_type.into());
        self
    }

    /// Also accepts tokens with no `typ` header.
    #[must_use]
    pub fn allow_untyped(mut self) -> Self {
        self.allow_untyped = true;
        self
    }

    /// Tolerates this much clock skew on `exp` and `nbf` (default zero).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.max(Duration::ZERO);
        self
    }

    /// Rejects tokens longer than `bytes` before any parsing.
    #[must_use]
    pub fn with_max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Replaces the required claims (by JSON name; `exp` is always
    /// required, and `aud` while an audience is configured). A token
    /// without `sub` yields a principal whose subject is empty.
    #[must_use]
    pub fn require_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.required = names.into_iter().map(Into::into).collect();
        if !self.required.iter().any(|name| name == "exp") {
            self.required.push("exp".to_owned());
        }
        if !self.audiences.is_empty() && !self.required.iter().any(|name| name == "aud") {
            self.required.push("aud".to_owned());
        }
        self
    }

    /// The tolerated clock skew.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// The largest token accepted, in bytes.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Checks the header's `typ`.
    pub(crate) fn check_header(&self, header: &Header) -> Result<(), TokenError> {
        let accepted = match header.token_type() {
            None => self.allow_untyped,
            Some(typ) => {
                let typ = strip_application(typ);
                self.types
                    .iter()
                    .any(|allowed| strip_application(allowed).eq_ignore_ascii_case(typ))
            }
        };
        if accepted {
            Ok(())
        } else {
            Err(TokenError::new(
                Reason::WrongTokenType,
                "typ is not accepted",
            ))
        }
    }

    /// Checks the claims of a token whose signature verified.
    pub(crate) fn check_claims(
        &self,
        claims: &Claims,
        now: OffsetDateTime,
    ) -> Result<(), TokenError> {
        self.check_lasting(claims)?;
        self.check_times(claims, now)
    }

    /// The checks whose answer never changes for a token: required claims,
    /// issuer, audience.
    fn check_lasting(&self, claims: &Claims) -> Result<(), TokenError> {
        if let Some(missing) = self.required.iter().find(|name| !claims.has(name)) {
            return Err(TokenError::claims(match missing.as_str() {
                "exp" => "exp is missing",
                "sub" => "sub is missing",
                "aud" => "aud is missing",
                "iss" => "iss is missing",
                _ => "a required claim is missing",
            }));
        }
        match claims.issuer() {
            Some(iss) if self.issuers.iter().any(|accepted| accepted == iss) => {}
            Some(_) => return Err(TokenError::new(Reason::WrongIssuer, "iss is not accepted")),
            // Absent and not required: nothing to compare.
            None => {}
        }
        let audience = claims.audience();
        if self.audiences.is_empty() {
            if !audience.is_empty() {
                return Err(TokenError::new(
                    Reason::WrongAudience,
                    "aud is present but no audience is configured",
                ));
            }
        } else if !audience.iter().any(|aud| self.audiences.contains(aud)) {
            return Err(TokenError::new(
                Reason::WrongAudience,
                "aud names no accepted audience",
            ));
        }
        Ok(())
    }

    /// The checks that depend on the moment: `exp` and `nbf`, with the
    /// leeway.
    pub(crate) fn check_times(
        &self,
        claims: &Claims,
        now: OffsetDateTime,
    ) -> Result<(), TokenError> {
        let widen = |at: OffsetDateTime| {
            if self.leeway.is_zero() {
                at
            } else {
                at.saturating_add(self.leeway)
            }
        };
        if let Some(exp) = claims.expires_at()
            && now >= widen(exp)
        {
            return Err(TokenError::new(Reason::Expired, "exp has passed"));
        }
        if let Some(nbf) = claims.not_before()
            && widen(now) < nbf
        {
            return Err(TokenError::new(Reason::NotYetValid, "nbf is in the future"));
        }
        Ok(())
    }
}

fn strip_application(typ: &str) -> &str {
    match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..).unwrap_or(typ),
        _ => typ,
    }
}
