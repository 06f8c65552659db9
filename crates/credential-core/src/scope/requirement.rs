//! Boolean requirements over concrete scopes, checked against a granted set.

use core::fmt;
use core::iter;
use core::str::FromStr;

use super::error::{ScopeError, ScopeErrorKind, ScopeInput};
use super::parser;
use super::set::ScopeSet;
use super::token::Scope;

/// A boolean combination of required scopes, such as
/// `reports:read AND (billing:read OR admin)`.
///
/// Parse it once at start-up and check each request's granted
/// [`ScopeSet`] against it. `AND` binds tighter than `OR`, so `a OR b AND c`
/// means `a OR (b AND c)`. Required scopes are concrete: wildcards belong in
/// granted sets only.
///
/// ```
/// use credential_core::scope::{Requirement, ScopeSet};
///
/// let required = Requirement::parse("reports:read AND (billing:read OR admin)")?;
///
/// let granted = ScopeSet::parse("reports:* billing:read")?;
/// assert!(required.is_satisfied_by(&granted));
/// assert_eq!(required.missing(&granted), None);
///
/// let granted = ScopeSet::parse("billing:read")?;
/// assert!(!required.is_satisfied_by(&granted));
/// assert_eq!(required.missing(&granted), Some(ScopeSet::parse("reports:read")?));
///
/// // The canonical form parses back to the same requirement.
/// assert_eq!(required.to_string().parse::<Requirement>()?, required);
/// # Ok::<(), credential_core::scope::ScopeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Requirement(Node);

/// Expression tree, kept normalised so that structurally equal trees are
/// exactly those with the same canonical text: an `All` never directly holds
/// an `All`, an `Any` never directly holds an `Any`, and neither holds fewer
/// than two children.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Node {
    Scope(Scope),
    All(Vec<Node>),
    Any(Vec<Node>),
}

impl Requirement {
    /// Maximum length of the text form in bytes.
    pub const MAX_LEN: usize = 1024;
    /// Maximum nesting depth of parentheses.
    pub const MAX_DEPTH: usize = 16;
    /// Maximum number of scopes (leaves) in a requirement.
    pub const MAX_SCOPES: usize = 64;

    /// Parses a requirement expression.
    ///
    /// Scopes and the uppercase keywords `AND` and `OR` are separated by
    /// ASCII whitespace; `(` and `)` may touch their neighbours.
    ///
    /// # Errors
    ///
    /// Returns a [`ScopeError`] locating the first problem, including
    /// violations of [`MAX_LEN`](Self::MAX_LEN),
    /// [`MAX_DEPTH`](Self::MAX_DEPTH) and [`MAX_SCOPES`](Self::MAX_SCOPES).
    ///
    /// The canonical form ([`Display`](std::fmt::Display)) puts spaces
    /// around every keyword, so it can be longer than the input; an input
    /// whose canonical form exceeds [`MAX_LEN`](Self::MAX_LEN) is refused
    /// too, so that every parsed requirement writes back to text that
    /// parses.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let requirement = parser::parse(input).map(Self)?;
        let canonical = requirement.to_string().len();
        if canonical > Self::MAX_LEN {
            return Err(error(
                input.len().min(Self::MAX_LEN),
                ScopeErrorKind::TooLong {
                    limit: Self::MAX_LEN,
                },
            ));
        }
        Ok(requirement)
    }

    /// A requirement for a single concrete scope.
    ///
    /// # Errors
    ///
    /// [`ScopeErrorKind::WildcardInRequirement`] if `scope` contains `*`
    /// (positioned at the `*`), or [`ScopeErrorKind::ReservedWord`] if it is
    /// `AND` or `OR`, which could not be written back as text.
    pub fn scope(scope: Scope) -> Result<Self, ScopeError> {
        if let Some(position) = scope.wildcard_offset() {
            return Err(error(position, ScopeErrorKind::WildcardInRequirement));
        }
        if parser::is_keyword(scope.as_str()) {
            return Err(error(0, ScopeErrorKind::ReservedWord));
        }
        Ok(Self(Node::Scope(scope)))
    }

    /// A requirement satisfied when every one of `requirements` is.
    ///
    /// ```
    /// use credential_core::scope::{Requirement, Scope};
    ///
    /// let read = Requirement::scope(Scope::parse("repo:read")?)?;
    /// let either = Requirement::parse("admin OR owner")?;
    /// let both = Requirement::all_of([read, either])?;
    /// assert_eq!(both.to_string(), "repo:read AND (admin OR owner)");
    /// # Ok::<(), credential_core::scope::ScopeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ScopeErrorKind::Empty`] for no requirements, or
    /// [`ScopeErrorKind::TooManyScopes`], [`ScopeErrorKind::TooDeep`] or
    /// [`ScopeErrorKind::TooLong`] when the result would exceed the limits
    /// that [`parse`](Self::parse) enforces, so that its text form always
    /// parses back. Positions are `0`.
    pub fn all_of<I: IntoIterator<Item = Self>>(requirements: I) -> Result<Self, ScopeError> {
        Self::combine(requirements, Node::all)
    }

    /// A requirement satisfied when at least one of `requirements` is.
    ///
    /// # Errors
    ///
    /// As for [`all_of`](Self::all_of).
    pub fn any_of<I: IntoIterator<Item = Self>>(requirements: I) -> Result<Self, ScopeError> {
        Self::combine(requirements, Node::any)
    }

    fn combine<I: IntoIterator<Item = Self>>(
        requirements: I,
        make: fn(Vec<Node>) -> Node,
    ) -> Result<Self, ScopeError> {
        let children: Vec<Node> = requirements.into_iter().map(|r| r.0).collect();
        if children.is_empty() {
            return Err(error(0, ScopeErrorKind::Empty));
        }
        let node = make(children);
        if node.leaves() > Self::MAX_SCOPES {
            return Err(error(
                0,
                ScopeErrorKind::TooManyScopes {
                    limit: Self::MAX_SCOPES,
                },
            ));
        }
        if node.nesting() > Self::MAX_DEPTH {
            return Err(error(
                0,
                ScopeErrorKind::TooDeep {
                    limit: Self::MAX_DEPTH,
                },
            ));
        }
        let requirement = Self(node);
        // Checked last, as the nesting and leaf limits keep this rendering small.
        if requirement.to_string().len() > Self::MAX_LEN {
            return Err(error(
                0,
                ScopeErrorKind::TooLong {
                    limit: Self::MAX_LEN,
                },
            ));
        }
        Ok(requirement)
    }

    /// Whether `granted` satisfies the requirement, wildcards expanded.
    #[must_use]
    pub fn is_satisfied_by(&self, granted: &ScopeSet) -> bool {
        self.0.is_satisfied_by(granted)
    }

    /// Scopes that, granted in addition, would satisfy the requirement, or
    /// `None` if it is already satisfied.
    ///
    /// For `AND` this is the union of what each operand misses; for `OR` it
    /// is the cheapest alternative (fewest scopes, first on a tie). Suitable
    /// for the `scope` attribute of an RFC 6750 `insufficient_scope` error.
    #[must_use]
    pub fn missing(&self, granted: &ScopeSet) -> Option<ScopeSet> {
        self.0.missing(granted)
    }

    /// Every scope the requirement mentions.
    #[must_use]
    pub fn scopes(&self) -> ScopeSet {
        let mut scopes = Vec::new();
        self.0.collect_scopes(&mut scopes);
        scopes.into_iter().collect()
    }
}

fn error(position: usize, kind: ScopeErrorKind) -> ScopeError {
    ScopeError::new(ScopeInput::Requirement, position, kind)
}

// Recursion over `Node` is bounded: `parse` and the constructors cap the
// nesting, and normalisation alternates `All` and `Any`, so a tree is at most
// about twice `MAX_DEPTH` levels deep.
impl Node {
    pub(super) fn all(children: Vec<Self>) -> Self {
        Self::flatten(children, true)
    }

    pub(super) fn any(children: Vec<Self>) -> Self {
        Self::flatten(children, false)
    }

    fn flatten(children: Vec<Self>, all: bool) -> Self {
        let mut flat = Vec::with_capacity(children.len());
        for child in children {
            match child {
                Self::All(inner) if all => flat.extend(inner),
                Self::Any(inner) if !all => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match <[Self; 1]>::try_from(flat) {
            Ok([only]) => only,
            Err(flat) if all => Self::All(flat),
            Err(flat) => Self::Any(flat),
        }
    }

    fn leaves(&self) -> usize {
        match self {
            Self::Scope(_) => 1,
            Self::All(children) | Self::Any(children) => children.iter().map(Self::leaves).sum(),
        }
    }

    /// Parenthesis depth of the canonical text: one level per `Any` directly
    /// inside an `All`.
    fn nesting(&self) -> usize {
        match self {
            Self::Scope(_) => 0,
            Self::All(children) => children
                .iter()
                .map(|child| {
                    let own = usize::from(matches!(child, Self::Any(_)));
                    child.nesting().saturating_add(own)
                })
                .max()
                .unwrap_or(0),
            Self::Any(children) => children.iter().map(Self::nesting).max().unwrap_or(0),
        }
    }

    fn is_satisfied_by(&self, granted: &ScopeSet) -> bool {
        match self {
            Self::Scope(scope) => granted.grants(scope),
            Self::All(children) => children.iter().all(|c| c.is_satisfied_by(granted)),
            Self::Any(children) => children.iter().any(|c| c.is_satisfied_by(granted)),
        }
    }

    fn missing(&self, granted: &ScopeSet) -> Option<ScopeSet> {
        match self {
            Self::Scope(scope) => {
                (!granted.grants(scope)).then(|| iter::once(scope.clone()).collect())
            }
            Self::All(children) => children
                .iter()
                .filter_map(|c| c.missing(granted))
                .reduce(|acc, more| acc.union(&more)),
            Self::Any(children) => {
                let mut best: Option<ScopeSet> = None;
                for child in children {
                    let needed = child.missing(granted)?;
                    if best.as_ref().is_none_or(|b| needed.len() < b.len()) {
                        best = Some(needed);
                    }
                }
                best
            }
        }
    }

    fn collect_scopes(&self, out: &mut Vec<Scope>) {
        match self {
            Self::Scope(scope) => out.push(scope.clone()),
            Self::All(children) | Self::Any(children) => {
                for child in children {
                    child.collect_scopes(out);
                }
            }
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, inside_all: bool) -> fmt::Result {
        match self {
            Self::Scope(scope) => f.write_str(scope.as_str()),
            Self::All(children) => write_joined(f, children, " AND ", true),
            // Only an `OR` under an `AND` needs parentheses, as `AND` binds tighter.
            Self::Any(children) if inside_all => {
                f.write_str("(")?;
                write_joined(f, children, " OR ", false)?;
                f.write_str(")")
            }
            Self::Any(children) => write_joined(f, children, " OR ", false),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    children: &[Node],
    separator: &str,
    inside_all: bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        child.write(f, inside_all)?;
    }
    Ok(())
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, false)
    }
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Requirement")
            .field(&self.to_string())
            .finish()
    }
}

impl FromStr for Requirement {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(input: &str) -> Requirement {
        Requirement::parse(input).unwrap()
    }

    fn set(input: &str) -> ScopeSet {
        ScopeSet::parse(input).unwrap()
    }

    fn scope(input: &str) -> Requirement {
        Requirement::scope(Scope::parse(input).unwrap()).unwrap()
    }

    #[test]
    fn normalises_nested_operators() {
        assert_eq!(req("(a AND b) AND c"), req("a AND b AND c"));
        assert_eq!(req("a OR (b OR c)"), req("a OR b OR c"));
        assert_eq!(req("((a))"), req("a"));
        assert_eq!(
            req("a AND b AND c").0,
            Node::All(vec![scope("a").0, scope("b").0, scope("c").0])
        );
    }

    #[test]
    fn canonical_display() {
        let cases = [
            ("a", "a"),
            ("a AND b", "a AND b"),
            ("(a OR b) AND c:d", "(a OR b) AND c:d"),
            ("a OR b AND c", "a OR b AND c"),
            ("a OR (b AND c)", "a OR b AND c"),
            ("(a)AND(b)", "a AND b"),
            ("  a\tOR\n( b  AND ( c OR d ) )  ", "a OR b AND (c OR d)"),
        ];
        for (input, canonical) in cases {
            let parsed = req(input);
            assert_eq!(parsed.to_string(), canonical, "{input:?}");
            assert_eq!(req(canonical), parsed);
        }
    }

    #[test]
    fn constructors_normalise_and_check() {
        let r = Requirement::all_of([scope("a"), req("b AND c")]).unwrap();
        assert_eq!(r, req("a AND b AND c"));
        let r = Requirement::any_of([scope("a")]).unwrap();
        assert_eq!(r, scope("a"));
        let e = Requirement::all_of([]).unwrap_err();
        assert_eq!((e.position, e.kind), (0, ScopeErrorKind::Empty));

        let e = Requirement::scope(Scope::parse("a:*:b").unwrap()).unwrap_err();
        assert_eq!(
            (e.position, e.kind),
            (2, ScopeErrorKind::WildcardInRequirement)
        );
        for keyword in ["AND", "OR"] {
            let e = Requirement::scope(Scope::parse(keyword).unwrap()).unwrap_err();
            assert_eq!(e.kind, ScopeErrorKind::ReservedWord);
        }
        assert!(Requirement::scope(Scope::parse("and").unwrap()).is_ok());
    }

    #[test]
    fn constructors_enforce_limits() {
        let leaves = (0..65).map(|i| scope(&format!("s{i}")));
        let e = Requirement::all_of(leaves).unwrap_err();
        assert_eq!(e.kind, ScopeErrorKind::TooManyScopes { limit: 64 });

        let long = (0..10).map(|i| scope(&format!("{i}{}", "a".repeat(100))));
        let e = Requirement::any_of(long).unwrap_err();
        assert_eq!(e.kind, ScopeErrorKind::TooLong { limit: 1024 });

        let mut r = scope("x");
        for depth in 1..=17 {
            let alt = Requirement::any_of([r, scope(&format!("y{depth}"))]).unwrap();
            match Requirement::all_of([alt, scope(&format!("z{depth}"))]) {
                Ok(next) => {
                    assert!(depth <= 16);
                    assert_eq!(req(&next.to_string()), next);
                    r = next;
                }
                Err(e) => {
                    assert_eq!(depth, 17);
                    assert_eq!(e.kind, ScopeErrorKind::TooDeep { limit: 16 });
                    return;
                }
            }
        }
        panic!("depth limit not enforced");
    }

    #[test]
    fn evaluation_and_missing() {
        let r = req("a AND (b OR c:d) AND e");
        assert!(r.is_satisfied_by(&set("a b e")));
        assert!(r.is_satisfied_by(&set("*")));
        assert_eq!(r.missing(&set("a b e")), None);
        assert_eq!(r.missing(&ScopeSet::empty()), Some(set("a b e")));
        assert_eq!(r.missing(&set("c:*")), Some(set("a e")));

        let r = req("x:y AND z OR a");
        assert_eq!(r.missing(&ScopeSet::empty()), Some(set("a")));
        assert_eq!(r.missing(&set("z")), Some(set("x:y")));
        let tie = req("p OR q");
        assert_eq!(tie.missing(&ScopeSet::empty()), Some(set("p")));
    }

    #[test]
    fn scopes_lists_every_leaf() {
        assert_eq!(req("b AND (a OR b) AND c:d").scopes(), set("a b c:d"));
    }

    #[test]
    fn debug_shows_the_expression() {
        assert_eq!(format!("{:?}", req("a OR b")), r#"Requirement("a OR b")"#);
    }
}
