//! The token a client presents for introspection or revocation, and the
//! hint about its type (RFC 7662 §2.1, RFC 7009 §2.1).

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::error::{OAuthError, OAuthErrorCode};
use super::form::Form;
use crate::{AccessToken, RefreshToken};

/// A token of unknown type sent to the introspection or revocation
/// endpoint: an access token, a refresh token or anything else.
///
/// It is a bearer credential until proven otherwise, so it is treated as a
/// secret: `Debug` is redacted, memory is wiped on drop, equality is
/// constant-time.
///
/// ```
/// use credential_core::oauth::PresentedToken;
///
/// let token = PresentedToken::new("rt_0123456789abcdef_SECRET");
/// assert_eq!(format!("{token:?}"), "PresentedToken(<redacted>)");
/// assert_eq!(token.expose_secret(), "rt_0123456789abcdef_SECRET");
/// ```
#[derive(Clone)]
pub struct PresentedToken(Zeroizing<String>);

impl PresentedToken {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Zeroizing::new(token.into()))
    }

    /// The token string, to look up or verify.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The token as an access token, to verify as one.
    pub fn to_access_token(&self) -> AccessToken {
        AccessToken::new(self.0.as_str())
    }

    /// The token as a refresh token, to look up as one.
    pub fn to_refresh_token(&self) -> RefreshToken {
        RefreshToken::new(self.0.as_str())
    }
}

impl fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PresentedToken(<redacted>)")
    }
}

impl PartialEq for PresentedToken {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for PresentedToken {}

impl ZeroizeOnDrop for PresentedToken {}

/// The `token_type_hint` values of the OAuth Token Type Hints registry
/// that this crate issues.
///
/// A hint only orders the search: a server that does not find the token
/// under the hinted type must look under the others (RFC 7009 §2.1,
/// RFC 7662 §2.1). An unknown hint is therefore not an error; the parsers
/// report it as no hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// The registered name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }

    /// The hint named `value`, or `None` for a name not listed here.
    pub fn from_name(value: &str) -> Option<Self> {
        match value {
            "access_token" => Some(Self::AccessToken),
            "refresh_token" => Some(Self::RefreshToken),
            _ => None,
        }
    }
}

/// Reads `token` (required) and `token_type_hint` (optional).
pub(crate) fn token_and_hint(
    form: &Form,
) -> Result<(PresentedToken, Option<TokenTypeHint>), OAuthError> {
    let token = form.get("token")?.ok_or(OAuthError::described(
        OAuthErrorCode::InvalidRequest,
        OAuthError::MISSING_TOKEN,
    ))?;
    let hint = form
        .get("token_type_hint")?
        .and_then(TokenTypeHint::from_name);
    Ok((PresentedToken::new(token), hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_names_round_trip() {
        for hint in [TokenTypeHint::AccessToken, TokenTypeHint::RefreshToken] {
            assert_eq!(TokenTypeHint::from_name(hint.as_str()), Some(hint));
        }
        assert_eq!(TokenTypeHint::from_name("Access_Token"), None);
    }

    #[test]
    fn conversions_keep_the_token() {
        let token = PresentedToken::new("abc");
        assert_eq!(token.to_access_token().expose_secret(), "abc");
        assert_eq!(token.to_refresh_token().expose_secret(), "abc");
        assert_eq!(token, PresentedToken::new("abc"));
        assert_ne!(token, PresentedToken::new("abd"));
    }
}
