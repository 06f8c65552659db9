//! The single error type shared by scopes, scope sets and requirements.

use core::fmt;

/// Why a scope, a scope set or a requirement was rejected.
///
/// `position` is a byte offset into the text that was parsed, so a caller
/// can point at the offending character in a configuration file or request.
/// Errors raised by the programmatic constructors (for example
/// [`Requirement::all_of`](super::Requirement::all_of)) have no source text
/// and report position `0`.
///
/// ```
/// use credential_core::scope::{Requirement, ScopeErrorKind};
///
/// let err = Requirement::parse("a AND (").unwrap_err();
/// assert_eq!(err.position, 7);
/// assert_eq!(err.kind, ScopeErrorKind::ExpectedScope);
/// assert_eq!(
///     err.to_string(),
///     "invalid scope requirement at byte 7: expected a scope",
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid {input} at byte {position}: {kind}")]
#[non_exhaustive]
pub struct ScopeError {
    /// What was being parsed.
    pub input: ScopeInput,
    /// Byte offset of the problem in the parsed text.
    pub position: usize,
    /// What is wrong.
    pub kind: ScopeErrorKind,
}

impl ScopeError {
    pub(super) const fn new(input: ScopeInput, position: usize, kind: ScopeErrorKind) -> Self {
        Self {
            input,
            position,
            kind,
        }
    }
}

/// The kind of text a [`ScopeError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScopeInput {
    /// A single scope token, e.g. `repo:read`.
    Scope,
    /// A space-separated scope set, e.g. `repo:read repo:write`.
    ScopeSet,
    /// A requirement expression, e.g. `a AND (b OR c)`.
    Requirement,
}

impl fmt::Display for ScopeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scope => "scope",
            Self::ScopeSet => "scope set",
            Self::Requirement => "scope requirement",
        })
    }
}

/// What is wrong with the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeErrorKind {
    /// The input is empty where something was required.
    #[error("input is empty")]
    Empty,
    /// The input exceeds its byte limit.
    #[error("longer than {limit} bytes")]
    TooLong {
        /// The maximum number of bytes.
        limit: usize,
    },
    /// A scope has an empty segment (`a::b`, `:a`, `a:`).
    #[error("empty segment")]
    EmptySegment,
    /// A scope has more segments than allowed.
    #[error("more than {limit} segments")]
    TooManySegments {
        /// The maximum number of segments.
        limit: usize,
    },
    /// A character outside the allowed scope alphabet.
    #[error("invalid character {0:?}")]
    InvalidCharacter(char),
    /// A `*` that is not a whole segment (`repo*`, `*:a*`).
    #[error("`*` must be a whole segment")]
    PartialWildcard,
    /// Whitespace other than a single space between the scopes of a set.
    #[error("unexpected whitespace (scopes are separated by single spaces)")]
    UnexpectedWhitespace,
    /// More scopes than allowed in a set or a requirement.
    #[error("more than {limit} scopes")]
    TooManyScopes {
        /// The maximum number of scopes.
        limit: usize,
    },
    /// A requirement names a wildcard scope; only concrete scopes can be required.
    #[error("required scopes cannot contain `*`")]
    WildcardInRequirement,
    /// A requirement names the scope `AND` or `OR`, which would read as an operator.
    #[error("`AND` and `OR` are operators and cannot be required as scopes")]
    ReservedWord,
    /// A scope or `(` was expected.
    #[error("expected a scope")]
    ExpectedScope,
    /// An operator or `)` was expected after a complete operand.
    #[error("expected `AND`, `OR` or `)`")]
    ExpectedOperator,
    /// A `(` is never closed; the position is that of the `(`.
    #[error("`(` is never closed")]
    UnclosedParenthesis,
    /// A `)` has no matching `(`.
    #[error("`)` has no matching `(`")]
    UnmatchedParenthesis,
    /// Parentheses are nested deeper than allowed.
    #[error("nested deeper than {limit} levels")]
    TooDeep {
        /// The maximum nesting depth.
        limit: usize,
    },
}
