//! A single scope token and wildcard coverage between two tokens.

use core::fmt;
use core::iter::{FusedIterator, Peekable};
use core::str::{FromStr, Split};

use super::error::{ScopeError, ScopeErrorKind, ScopeInput};

const SEPARATOR: char = ':';
const WILDCARD: &str = "*";

/// A validated scope token such as `repo:read`, `billing:invoices:write` or
/// `billing:*`.
///
/// A scope is `segment(:segment)*`, compared case-sensitively. See the
/// [module documentation](super) for the alphabet and the wildcard rules.
///
/// ```
/// use credential_core::scope::Scope;
///
/// let granted = Scope::parse("billing:*")?;
/// assert!(granted.is_wildcard());
/// assert!(granted.covers(&Scope::parse("billing:invoices:write")?));
/// assert!(!granted.covers(&Scope::parse("billing")?));
///
/// let required: Scope = "repo:read".parse()?;
/// assert_eq!(required.segments().collect::<Vec<_>>(), ["repo", "read"]);
/// assert_eq!(required.to_string(), "repo:read");
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(Box<str>);

impl Scope {
    /// Maximum length of a scope in bytes.
    pub const MAX_LEN: usize = 128;
    /// Maximum number of `:`-separated segments.
    pub const MAX_SEGMENTS: usize = 16;

    /// Parses and validates a scope token.
    ///
    /// # Errors
    ///
    /// Returns a [`ScopeError`] locating the first problem: an empty input,
    /// an over-long token, an empty segment, too many segments, a character
    /// outside the scope alphabet or a `*` that is not a whole segment.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        Self::parse_within(input, 0, ScopeInput::Scope)
    }

    /// Parses a token found at byte `offset` of a larger text, so errors point
    /// into that text.
    pub(super) fn parse_within(
        token: &str,
        offset: usize,
        input: ScopeInput,
    ) -> Result<Self, ScopeError> {
        validate(token).map_err(|(position, kind)| {
            ScopeError::new(input, offset.saturating_add(position), kind)
        })?;
        Ok(Self(token.into()))
    }

    /// The scope as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `:`-separated segments, in order.
    #[must_use]
    pub fn segments(&self) -> Segments<'_> {
        Segments(self.0.split(SEPARATOR))
    }

    /// Whether any segment is the wildcard `*`.
    #[must_use]
    pub fn is_wildcard(&self) -> bool {
        self.wildcard_offset().is_some()
    }

    /// Byte offset of the first `*`, which is always a whole segment.
    pub(super) fn wildcard_offset(&self) -> Option<usize> {
        self.0.find('*')
    }

    /// Whether every concrete scope matched by `other` is also matched by
    /// `self`.
    ///
    /// For a concrete `other` this is plain matching. When `other` is itself
    /// a pattern this is subsumption, which decides whether a derived
    /// credential's scopes stay within its parent's.
    ///
    /// ```
    /// use credential_core::scope::Scope;
    ///
    /// let parent = Scope::parse("repo:*")?;
    /// assert!(parent.covers(&Scope::parse("repo:*:read")?));
    /// assert!(!Scope::parse("repo:*:read")?.covers(&parent));
    /// # Ok::<(), credential_core::scope::ScopeError>(())
    /// ```
    #[must_use]
    pub fn covers(&self, other: &Self) -> bool {
        let mut mine = self.segments().peekable();
        let mut theirs = other.segments().peekable();
        loop {
            match (mine.next(), theirs.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) => {
                    let a_trailing = a == WILDCARD && mine.peek().is_none();
                    let b_trailing = b == WILDCARD && theirs.peek().is_none();
                    if a_trailing {
                        return true;
                    }
                    // `other` goes on to any depth while `self` stops at a
                    // fixed depth or demands more segments.
                    if b_trailing {
                        return false;
                    }
                    // A single-segment `*` matches a literal or another
                    // single-segment `*`; a literal matches only itself.
                    if a != WILDCARD && a != b {
                        return false;
                    }
                }
                // Includes a trailing `*` with nothing left to match: `billing:*`
                // does not cover `billing`.
                (Some(_), None) | (None, Some(_)) => return false,
            }
        }
    }
}

/// Validates a token, returning the relative position and kind of the first
/// problem.
fn validate(token: &str) -> Result<(), (usize, ScopeErrorKind)> {
    if token.is_empty() {
        return Err((0, ScopeErrorKind::Empty));
    }
    if token.len() > Scope::MAX_LEN {
        return Err((
            Scope::MAX_LEN,
            ScopeErrorKind::TooLong {
                limit: Scope::MAX_LEN,
            },
        ));
    }
    let mut chars: Peekable<_> = token.char_indices().peekable();
    let mut segment_start = 0;
    let mut segments = 1;
    while let Some((i, c)) = chars.next() {
        match c {
            SEPARATOR => {
                if i == segment_start {
                    return Err((i, ScopeErrorKind::EmptySegment));
                }
                segment_start = i.saturating_add(1);
                segments += 1;
                if segments > Scope::MAX_SEGMENTS {
                    return Err((
                        segment_start,
                        ScopeErrorKind::TooManySegments {
                            limit: Scope::MAX_SEGMENTS,
                        },
                    ));
                }
            }
            '*' => {
                let ends_segment = matches!(chars.peek(), None | Some((_, SEPARATOR)));
                if i != segment_start || !ends_segment {
                    return Err((i, ScopeErrorKind::PartialWildcard));
                }
            }
            c if is_segment_char(c) => {}
            c => return Err((i, ScopeErrorKind::InvalidCharacter(c))),
        }
    }
    if segment_start == token.len() {
        return Err((segment_start, ScopeErrorKind::EmptySegment));
    }
    Ok(())
}

/// RFC 6749 NQCHAR (`%x21 / %x23-5B / %x5D-7E`) minus `:` (the separator),
/// `*` (the wildcard) and `(` `)` (requirement grouping).
const fn is_segment_char(c: char) -> bool {
    matches!(c, '!' | '#'..='\'' | '+'..='9' | ';'..='[' | ']'..='~')
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Iterator over the segments of a [`Scope`], from [`Scope::segments`].
#[derive(Debug, Clone)]
pub struct Segments<'a>(Split<'a, char>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

impl DoubleEndedIterator for Segments<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl FusedIterator for Segments<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> (usize, ScopeErrorKind) {
        let e = Scope::parse(input).unwrap_err();
        assert_eq!(e.input, ScopeInput::Scope);
        (e.position, e.kind)
    }

    fn s(input: &str) -> Scope {
        Scope::parse(input).unwrap()
    }

    #[test]
    fn accepts_the_whole_alphabet() {
        let all: String = (0x21u8..=0x7e)
            .map(char::from)
            .filter(|c| !matches!(c, '"' | '\\' | ':' | '*' | '(' | ')'))
            .collect();
        assert_eq!(all.len(), 94 - 6);
        assert_eq!(s(&all).as_str(), all);
    }

    #[test]
    fn rejects_characters_outside_the_alphabet() {
        for c in ['"', '\\', ' ', '\t', '\n', '(', ')', '\u{7f}', '\0', 'é'] {
            let input = format!("ab{c}d");
            assert_eq!(
                err(&input),
                (2, ScopeErrorKind::InvalidCharacter(c)),
                "{input:?}"
            );
        }
        assert_eq!(err("a:bé"), (3, ScopeErrorKind::InvalidCharacter('é')));
    }

    #[test]
    fn segment_errors_point_at_the_segment() {
        assert_eq!(err(""), (0, ScopeErrorKind::Empty));
        assert_eq!(err(":a"), (0, ScopeErrorKind::EmptySegment));
        assert_eq!(err("a::b"), (2, ScopeErrorKind::EmptySegment));
        assert_eq!(err("a:"), (2, ScopeErrorKind::EmptySegment));
        assert_eq!(err(":"), (0, ScopeErrorKind::EmptySegment));
    }

    #[test]
    fn wildcard_must_be_a_whole_segment() {
        assert_eq!(err("a*"), (1, ScopeErrorKind::PartialWildcard));
        assert_eq!(err("*a"), (0, ScopeErrorKind::PartialWildcard));
        assert_eq!(err("a:**"), (2, ScopeErrorKind::PartialWildcard));
        assert_eq!(err("a:b*:c"), (3, ScopeErrorKind::PartialWildcard));
        assert!(s("*").is_wildcard());
        assert!(s("*:*:a:*").is_wildcard());
        assert!(!s("a:b").is_wildcard());
    }

    #[test]
    fn bounds() {
        let max = "a".repeat(Scope::MAX_LEN);
        assert_eq!(s(&max).as_str().len(), 128);
        let over = "a".repeat(Scope::MAX_LEN + 1);
        assert_eq!(err(&over), (128, ScopeErrorKind::TooLong { limit: 128 }));

        let sixteen = vec!["a"; 16].join(":");
        assert_eq!(s(&sixteen).segments().count(), 16);
        let seventeen = vec!["a"; 17].join(":");
        assert_eq!(
            err(&seventeen),
            (32, ScopeErrorKind::TooManySegments { limit: 16 })
        );
    }

    #[test]
    fn error_positions_are_offset_within_larger_text() {
        let e = Scope::parse_within("a::b", 10, ScopeInput::ScopeSet).unwrap_err();
        assert_eq!((e.position, e.input), (12, ScopeInput::ScopeSet));
    }

    #[test]
    fn segments_iterate_both_ways() {
        let scope = s("billing:invoices:write");
        assert_eq!(
            scope.segments().rev().collect::<Vec<_>>(),
            ["write", "invoices", "billing"]
        );
    }

    #[test]
    fn coverage_rules() {
        let cases = [
            ("a:b", "a:b", true),
            ("a:b", "a:B", false),
            ("a:b", "a", false),
            ("a", "a:b", false),
            ("*", "a", true),
            ("*", "a:b:c", true),
            ("*", "*", true),
            ("*", "*:a", true),
            ("a:*", "a", false),
            ("a:*", "a:b", true),
            ("a:*", "a:b:c", true),
            ("a:*", "a:*", true),
            ("a:*", "a:*:c", true),
            ("a:*", "b:c", false),
            ("*:b", "a:b", true),
            ("*:b", "a:b:c", false),
            ("*:b", "a", false),
            ("*:b", "*:b", true),
            ("*:b", "*", false),
            ("a:*:c", "a:b:c", true),
            ("a:*:c", "a:*:c", true),
            ("a:*:c", "a:*", false),
            ("a:b:*", "a:*", false),
            ("a:b", "a:*", false),
            ("a:b", "*:b", false),
            ("*:*", "a:*", true),
            ("*:*", "a", false),
            ("*:*", "a:b", true),
            ("*:*", "*:*", true),
            ("*:*:*", "*:*", false),
        ];
        for (granted, other, expected) in cases {
            assert_eq!(
                s(granted).covers(&s(other)),
                expected,
                "{granted} covers {other}"
            );
        }
    }
}
