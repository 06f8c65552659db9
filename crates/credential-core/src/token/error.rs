//! Why a token was refused, with the detail tests and logs need.

use std::fmt;

use crate::rejection::{Reason, Rejection};

/// A token that failed parsing, verification or validation.
///
/// [`reason`](Self::reason) is the coarse internal reason shared with every
/// other credential; [`detail`](Self::detail) says exactly which rule
/// failed. Neither ever contains token contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenError {
    reason: Reason,
    detail: &'static str,
}

impl TokenError {
    pub(crate) const fn new(reason: Reason, detail: &'static str) -> Self {
        Self { reason, detail }
    }

    pub(crate) const fn malformed(detail: &'static str) -> Self {
        Self::new(Reason::Malformed, detail)
    }

    pub(crate) const fn claims(detail: &'static str) -> Self {
        Self::new(Reason::InvalidClaims, detail)
    }

    /// The internal reason.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// Which rule failed, e.g. `"duplicate claim"` or `"exp is not a number"`.
    pub fn detail(&self) -> &'static str {
        self.detail
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token rejected ({}): {}", self.reason, self.detail)
    }
}

impl std::error::Error for TokenError {}

impl From<TokenError> for Rejection {
    fn from(error: TokenError) -> Self {
        Rejection::new(error.reason)
    }
}
