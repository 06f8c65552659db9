//! An order-free set of scopes, as carried by a credential.

use core::fmt;
use core::slice;
use core::str::FromStr;
use std::sync::Arc;

use super::error::{ScopeError, ScopeErrorKind, ScopeInput};
use super::token::Scope;

/// A set of scopes, written space-separated as in RFC 6749 §3.3, e.g.
/// `repo:read repo:write billing:*`.
///
/// Order does not matter and duplicates collapse: the set is stored sorted,
/// so two sets with the same members are equal and display identically.
/// Cloning is a reference-count increment.
///
/// ```
/// use credential_core::scope::{Scope, ScopeSet};
///
/// let granted = ScopeSet::parse("repo:read billing:* repo:read")?;
/// assert_eq!(granted.len(), 2);
/// assert_eq!(granted.to_string(), "billing:* repo:read");
///
/// assert!(granted.contains(&Scope::parse("billing:*")?));
/// assert!(granted.grants(&Scope::parse("billing:invoices:write")?));
/// assert!(!granted.grants(&Scope::parse("repo:write")?));
///
/// let narrower: ScopeSet = "billing:invoices:* repo:read".parse()?;
/// assert!(granted.covers(&narrower));
/// assert!(!narrower.covers(&granted));
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeSet(Arc<[Scope]>);

impl ScopeSet {
    /// Maximum length of the text form in bytes.
    pub const MAX_LEN: usize = 4096;
    /// Maximum number of scopes.
    pub const MAX_SCOPES: usize = 64;

    /// The set with no scopes.
    #[must_use]
    pub fn empty() -> Self {
        Self(Arc::from([]))
    }

    /// Parses a space-separated scope set.
    ///
    /// The empty string is the empty set. Scopes are separated by exactly one
    /// ASCII space; leading, trailing or repeated spaces and any other
    /// whitespace are rejected. The input may hold at most
    /// [`MAX_SCOPES`](Self::MAX_SCOPES) scopes (duplicates included) and
    /// [`MAX_LEN`](Self::MAX_LEN) bytes.
    ///
    /// # Errors
    ///
    /// Returns a [`ScopeError`] locating the first problem.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let error = |position, kind| ScopeError::new(ScopeInput::ScopeSet, position, kind);
        if input.len() > Self::MAX_LEN {
            return Err(error(
                Self::MAX_LEN,
                ScopeErrorKind::TooLong {
                    limit: Self::MAX_LEN,
                },
            ));
        }
        if input.is_empty() {
            return Ok(Self::empty());
        }
        let mut scopes = Vec::new();
        let mut offset = 0;
        for token in input.split(' ') {
            if token.is_empty() {
                // Point at the surplus space: the one at `offset`, or the
                // trailing one when the input ends here.
                let position = if offset < input.len() {
                    offset
                } else {
                    offset.saturating_sub(1)
                };
                return Err(error(position, ScopeErrorKind::UnexpectedWhitespace));
            }
            if scopes.len() == Self::MAX_SCOPES {
                return Err(error(
                    offset,
                    ScopeErrorKind::TooManyScopes {
                        limit: Self::MAX_SCOPES,
                    },
                ));
            }
            let scope =
                Scope::parse_within(token, offset, ScopeInput::ScopeSet).map_err(|mut e| {
                    if let ScopeErrorKind::InvalidCharacter(c) = e.kind
                        && c.is_whitespace()
                    {
                        e.kind = ScopeErrorKind::UnexpectedWhitespace;
                    }
                    e
                })?;
            scopes.push(scope);
            offset = offset.saturating_add(token.len()).saturating_add(1);
        }
        Ok(Self::from_vec(scopes))
    }

    /// Builds a set from scopes, enforcing the limits that [`parse`](Self::parse)
    /// applies, so that the result always survives a round trip through text.
    ///
    /// [`FromIterator`] does not check limits; use this for sets that are
    /// persisted or sent to other services.
    ///
    /// # Errors
    ///
    /// [`ScopeErrorKind::TooManyScopes`] or [`ScopeErrorKind::TooLong`]
    /// (at position `0`) when the distinct scopes exceed the limits.
    pub fn try_from_scopes<I: IntoIterator<Item = Scope>>(scopes: I) -> Result<Self, ScopeError> {
        let set: Self = scopes.into_iter().collect();
        let error = |kind| ScopeError::new(ScopeInput::ScopeSet, 0, kind);
        if set.len() > Self::MAX_SCOPES {
            return Err(error(ScopeErrorKind::TooManyScopes {
                limit: Self::MAX_SCOPES,
            }));
        }
        let text_len = set
            .iter()
            .map(|s| s.as_str().len())
            .sum::<usize>()
            .saturating_add(set.len().saturating_sub(1));
        if text_len > Self::MAX_LEN {
            return Err(error(ScopeErrorKind::TooLong {
                limit: Self::MAX_LEN,
            }));
        }
        Ok(set)
    }

    fn from_vec(mut scopes: Vec<Scope>) -> Self {
        scopes.sort_unstable();
        scopes.dedup();
        Self(scopes.into())
    }

    /// The scopes in sorted order.
    pub fn iter(&self) -> slice::Iter<'_, Scope> {
        self.0.iter()
    }

    /// Number of distinct scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set has no scopes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `scope` is literally a member; `*` is not expanded.
    #[must_use]
    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.binary_search(scope).is_ok()
    }

    /// Whether some member covers `scope`, wildcards expanded.
    ///
    /// This is the check for a required concrete scope.
    #[must_use]
    pub fn grants(&self, scope: &Scope) -> bool {
        self.contains(scope) || self.0.iter().any(|granted| granted.covers(scope))
    }

    /// Whether every member of `other` is covered by some member of `self`,
    /// i.e. `other` grants nothing that `self` does not.
    #[must_use]
    pub fn covers(&self, other: &Self) -> bool {
        other.iter().all(|scope| self.grants(scope))
    }

    /// The members of this set that `granted` covers: what is left of a
    /// grant after the grantor's own scopes shrank.
    pub fn restrict_to(&self, granted: &ScopeSet) -> ScopeSet {
        self.iter()
            .filter(|scope| granted.iter().any(|g| g.covers(scope)))
            .cloned()
            .collect()
    }

    /// The scopes in either set.
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        self.iter().chain(other.iter()).cloned().collect()
    }
}

impl Default for ScopeSet {
    fn default() -> Self {
        Self::empty()
    }
}

impl FromStr for ScopeSet {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut scopes = self.iter();
        if let Some(first) = scopes.next() {
            f.write_str(first.as_str())?;
        }
        for scope in scopes {
            f.write_str(" ")?;
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// Collects scopes into a set, sorting and removing duplicates.
///
/// No limits are enforced; see [`ScopeSet::try_from_scopes`].
impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self::from_vec(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = slice::Iter<'a, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> (usize, ScopeErrorKind) {
        let e = ScopeSet::parse(input).unwrap_err();
        assert_eq!(e.input, ScopeInput::ScopeSet);
        (e.position, e.kind)
    }

    fn set(input: &str) -> ScopeSet {
        ScopeSet::parse(input).unwrap()
    }

    fn scope(input: &str) -> Scope {
        Scope::parse(input).unwrap()
    }

    #[test]
    fn parses_sorted_and_deduplicated() {
        let s = set("c b a b");
        assert_eq!(s.len(), 3);
        assert_eq!(s.to_string(), "a b c");
        assert_eq!(s, set("a b c"));
        assert_eq!(set(""), ScopeSet::empty());
        assert!(set("").is_empty());
        assert_eq!(ScopeSet::default().to_string(), "");
    }

    #[test]
    fn whitespace_errors_point_at_the_surplus_character() {
        assert_eq!(err(" a"), (0, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err("a "), (1, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err("a  b"), (2, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err(" "), (0, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err("a\tb"), (1, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err("a b\n"), (3, ScopeErrorKind::UnexpectedWhitespace));
        assert_eq!(err("a b\u{a0}c"), (3, ScopeErrorKind::UnexpectedWhitespace));
    }

    #[test]
    fn scope_errors_are_offset_into_the_set() {
        assert_eq!(err("a b::c"), (4, ScopeErrorKind::EmptySegment));
        assert_eq!(err("ab é"), (3, ScopeErrorKind::InvalidCharacter('é')));
        assert_eq!(err("é x*"), (0, ScopeErrorKind::InvalidCharacter('é')));
    }

    #[test]
    fn bounds() {
        let names: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        assert_eq!(set(&names[..64].join(" ")).len(), 64);
        let over = names.join(" ");
        let position = over.rfind(' ').unwrap() + 1;
        assert_eq!(
            err(&over),
            (position, ScopeErrorKind::TooManyScopes { limit: 64 })
        );

        let long = vec!["a".repeat(100); 41].join(" ");
        assert!(long.len() > 4096);
        assert_eq!(err(&long), (4096, ScopeErrorKind::TooLong { limit: 4096 }));
    }

    #[test]
    fn try_from_scopes_enforces_parse_limits() {
        let many = (0..65).map(|i| scope(&format!("s{i}")));
        let e = ScopeSet::try_from_scopes(many).unwrap_err();
        assert_eq!(e.kind, ScopeErrorKind::TooManyScopes { limit: 64 });

        let long = (0..40).map(|i| scope(&format!("{i:03}{}", "a".repeat(100))));
        let e = ScopeSet::try_from_scopes(long).unwrap_err();
        assert_eq!(e.kind, ScopeErrorKind::TooLong { limit: 4096 });

        let dupes = std::iter::repeat_n(scope("a"), 100);
        assert_eq!(ScopeSet::try_from_scopes(dupes).unwrap(), set("a"));
    }

    #[test]
    fn grants_and_covers() {
        let granted = set("billing:* repo:read");
        assert!(granted.grants(&scope("repo:read")));
        assert!(granted.grants(&scope("billing:x:y")));
        assert!(!granted.grants(&scope("billing")));
        assert!(!granted.contains(&scope("billing:x")));
        assert!(granted.covers(&set("billing:x repo:read")));
        assert!(granted.covers(&ScopeSet::empty()));
        assert!(!ScopeSet::empty().covers(&granted));
        assert!(set("*").covers(&granted));
    }

    #[test]
    fn union_merges() {
        let u = set("a c").union(&set("b c"));
        assert_eq!(u, set("a b c"));
        assert_eq!(set("a").union(&ScopeSet::empty()), set("a"));
    }

    #[test]
    fn clone_shares_storage() {
        let a = set("a b");
        let b = a.clone();
        assert!(Arc::ptr_eq(&a.0, &b.0));
    }
}
