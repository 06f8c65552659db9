//! Scopes, scope sets and requirements through the public API.

// Test helpers outside `#[test]` functions are not covered by clippy.toml's
// test allowances.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use credential_core::scope::{
    Requirement, Scope, ScopeError, ScopeErrorKind, ScopeInput, ScopeSet,
};
use proptest::prelude::*;

fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

fn set(s: &str) -> ScopeSet {
    ScopeSet::parse(s).unwrap()
}

fn req(s: &str) -> Requirement {
    Requirement::parse(s).unwrap()
}

fn req_err(s: &str) -> (usize, ScopeErrorKind) {
    let e = Requirement::parse(s).unwrap_err();
    assert_eq!(e.input, ScopeInput::Requirement);
    (e.position, e.kind)
}

fn set_err(s: &str) -> (usize, ScopeErrorKind) {
    let e = ScopeSet::parse(s).unwrap_err();
    assert_eq!(e.input, ScopeInput::ScopeSet);
    (e.position, e.kind)
}

// ---------------------------------------------------------------- coverage

#[test]
fn coverage_table() {
    let table = [
        // non-trailing `*` is exactly one segment
        ("*:read", "repo:read", true),
        ("*:read", "billing:read", true),
        ("*:read", "repo:x:read", false),
        ("*:read", "read", false),
        ("repo:*:read", "repo:a:read", true),
        ("repo:*:read", "repo:a:b:read", false),
        // trailing `*` is one or more segments
        ("billing:*", "billing:invoices", true),
        ("billing:*", "billing:invoices:write", true),
        ("billing:*", "billing", false),
        ("billing:*", "billingx:invoices", false),
        // lone `*` is everything
        ("*", "a", true),
        ("*", "a:b:c:d", true),
        ("*", "*:x", true),
        // case-sensitive literals
        ("repo:read", "repo:read", true),
        ("repo:read", "Repo:read", false),
        ("repo:read", "repo:READ", false),
        ("Billing:*", "billing:x", false),
        // pattern against pattern
        ("billing:*", "billing:invoices:*", true),
        ("billing:invoices:*", "billing:*", false),
        ("*:read", "repo:read", true),
        ("repo:read", "*:read", false),
        ("*:*", "repo:*", true),
        ("*:*:*", "repo:*", false),
        ("a:*:c", "a:*", false),
    ];
    for (granted, other, expected) in table {
        assert_eq!(
            scope(granted).covers(&scope(other)),
            expected,
            "{granted} covers {other}"
        );
        if !scope(other).is_wildcard() {
            assert_eq!(set(granted).grants(&scope(other)), expected);
        }
    }
}

#[test]
fn scope_accessors() {
    assert!(scope("*").is_wildcard() && scope("a:*:b").is_wildcard());
    assert!(!scope("a:b").is_wildcard());
    let s = scope("billing:invoices:write");
    assert_eq!(s.as_str(), "billing:invoices:write");
    assert_eq!(
        s.segments().collect::<Vec<_>>(),
        ["billing", "invoices", "write"]
    );
    assert_eq!(s.to_string(), "billing:invoices:write");
    assert_eq!("billing:invoices:write".parse::<Scope>().unwrap(), s);
    assert!(scope("a") < scope("b"));
}

// ---------------------------------------------------------------- sets

#[test]
fn set_parsing_is_strict() {
    assert_eq!(set_err(" a"), (0, ScopeErrorKind::UnexpectedWhitespace));
    assert_eq!(set_err("a "), (1, ScopeErrorKind::UnexpectedWhitespace));
    assert_eq!(set_err("a  b"), (2, ScopeErrorKind::UnexpectedWhitespace));
    assert_eq!(set_err("a\tb"), (1, ScopeErrorKind::UnexpectedWhitespace));
    assert_eq!(set_err("a\r\nb"), (1, ScopeErrorKind::UnexpectedWhitespace));
    assert_eq!(set_err("a b:"), (4, ScopeErrorKind::EmptySegment));
    assert_eq!(set_err("a b(c"), (3, ScopeErrorKind::InvalidCharacter('(')));
    assert_eq!(set_err("a re*"), (4, ScopeErrorKind::PartialWildcard));
}

#[test]
fn sets_are_order_free_and_deduplicated() {
    let s = set("repo:write repo:read repo:write");
    assert_eq!(s.len(), 2);
    assert_eq!(s.to_string(), "repo:read repo:write");
    assert_eq!(s, set("repo:read repo:write"));
    assert_eq!(
        s.iter().map(Scope::as_str).collect::<Vec<_>>(),
        ["repo:read", "repo:write"]
    );
    let collected: ScopeSet = [scope("b"), scope("a"), scope("b")].into_iter().collect();
    assert_eq!(collected, set("a b"));
    assert_eq!(
        ScopeSet::try_from_scopes([scope("b"), scope("a")]).unwrap(),
        set("a b")
    );
}

#[test]
fn empty_set() {
    assert!(ScopeSet::empty().is_empty());
    assert_eq!(ScopeSet::default(), ScopeSet::empty());
    assert_eq!(set(""), ScopeSet::empty());
    assert_eq!(ScopeSet::empty().to_string(), "");
    assert!(!ScopeSet::empty().grants(&scope("a")));
}

#[test]
fn contains_is_exact_but_grants_expands_wildcards() {
    let granted = set("billing:* repo:read");
    assert!(granted.contains(&scope("billing:*")));
    assert!(!granted.contains(&scope("billing:invoices")));
    assert!(granted.grants(&scope("billing:invoices")));
    assert!(!granted.grants(&scope("billing")));
    assert!(granted.covers(&set("billing:invoices:* repo:read")));
    assert!(!granted.covers(&set("billing:* repo:*")));
}

#[test]
fn serde_uses_the_text_form_and_validates() {
    assert_eq!(serde_json::to_string(&set("b a")).unwrap(), r#""a b""#);
    assert_eq!(
        serde_json::from_str::<ScopeSet>(r#""b a""#).unwrap(),
        set("a b")
    );
    assert!(serde_json::from_str::<ScopeSet>(r#""a  b""#).is_err());
    assert!(serde_json::from_str::<Scope>(r#""x:""#).is_err());
    assert!(serde_json::from_str::<Scope>(r#"["x"]"#).is_err());
    let r: Requirement = serde_json::from_str(r#""a OR (b AND c)""#).unwrap();
    assert_eq!(serde_json::to_string(&r).unwrap(), r#""a OR b AND c""#);
    assert!(serde_json::from_str::<Requirement>(r#""a:*""#).is_err());
}

// ---------------------------------------------------------------- requirements

#[test]
fn and_binds_tighter_than_or() {
    let r = req("a OR b AND c");
    assert_eq!(r, req("a OR (b AND c)"));
    assert_ne!(r, req("(a OR b) AND c"));
    assert!(r.is_satisfied_by(&set("a")));
    assert!(r.is_satisfied_by(&set("b c")));
    assert!(!r.is_satisfied_by(&set("b")));
    assert!(!r.is_satisfied_by(&set("c")));

    let r = req("(a OR b) AND c");
    assert!(!r.is_satisfied_by(&set("a")));
    assert!(r.is_satisfied_by(&set("a c")));
    assert_eq!(r.to_string(), "(a OR b) AND c");
}

#[test]
fn requirements_expand_granted_wildcards() {
    let r = req("reports:read AND (billing:invoices:write OR admin)");
    assert!(r.is_satisfied_by(&set("reports:* billing:*")));
    assert!(r.is_satisfied_by(&set("*")));
    assert!(!r.is_satisfied_by(&set("reports billing:*")));
}

#[test]
fn parentheses_may_touch_scopes() {
    assert_eq!(req("(a OR b)AND(c:d)"), req("(a OR b) AND c:d"));
    assert_eq!(req("\t( a\nOR b )\r\nAND c:d "), req("(a OR b) AND c:d"));
}

#[test]
fn missing_scopes() {
    let r = req("a AND (b OR c:d)");
    assert_eq!(r.missing(&set("a b")), None);
    assert_eq!(r.missing(&set("a")), Some(set("b")));
    assert_eq!(r.missing(&set("b")), Some(set("a")));
    assert_eq!(r.missing(&ScopeSet::empty()), Some(set("a b")));

    // OR picks the alternative with the fewest missing scopes, first on ties.
    let r = req("a AND b AND c OR d AND e OR f AND g");
    assert_eq!(r.missing(&set("d")), Some(set("e")));
    assert_eq!(r.missing(&ScopeSet::empty()), Some(set("d e")));

    // AND unions what each side misses, without duplicates.
    let r = req("(x OR y) AND (x OR z) AND w");
    assert_eq!(r.missing(&ScopeSet::empty()), Some(set("w x")));
    assert_eq!(r.missing(&set("*")), None);

    assert_eq!(req("a:b").missing(&set("a:*")), None);
    assert_eq!(req("a").missing(&set("a:*")), Some(set("a")));
}

#[test]
fn constructors() {
    let a = Requirement::scope(scope("a")).unwrap();
    let b = Requirement::scope(scope("b")).unwrap();
    let c = Requirement::scope(scope("c")).unwrap();
    let r = Requirement::all_of([Requirement::any_of([a, b]).unwrap(), c]).unwrap();
    assert_eq!(r, req("(a OR b) AND c"));
    assert_eq!(r.scopes(), set("a b c"));
    assert_eq!(
        Requirement::scope(scope("a:*")).unwrap_err().kind,
        ScopeErrorKind::WildcardInRequirement
    );
    assert_eq!(
        Requirement::scope(scope("OR")).unwrap_err().kind,
        ScopeErrorKind::ReservedWord
    );
    assert_eq!(
        Requirement::any_of([]).unwrap_err().kind,
        ScopeErrorKind::Empty
    );
}

#[test]
fn requirement_errors_have_positions() {
    let cases: &[(&str, usize, ScopeErrorKind)] = &[
        ("", 0, ScopeErrorKind::Empty),
        ("a AND (", 7, ScopeErrorKind::ExpectedScope),
        ("a OR", 4, ScopeErrorKind::ExpectedScope),
        ("OR a", 0, ScopeErrorKind::ExpectedScope),
        ("a AND AND b", 6, ScopeErrorKind::ExpectedScope),
        ("a AND ()", 7, ScopeErrorKind::ExpectedScope),
        ("a b", 2, ScopeErrorKind::ExpectedOperator),
        ("a or b", 2, ScopeErrorKind::ExpectedOperator),
        ("(a OR b) c", 9, ScopeErrorKind::ExpectedOperator),
        ("a AND (b OR c", 6, ScopeErrorKind::UnclosedParenthesis),
        ("a AND b)", 7, ScopeErrorKind::UnmatchedParenthesis),
        ("a AND repo:*", 11, ScopeErrorKind::WildcardInRequirement),
        ("*", 0, ScopeErrorKind::WildcardInRequirement),
        ("a OR b::c", 7, ScopeErrorKind::EmptySegment),
        ("a OR b\"", 6, ScopeErrorKind::InvalidCharacter('"')),
        ("a OR rep*", 8, ScopeErrorKind::PartialWildcard),
    ];
    for (input, position, kind) in cases {
        assert_eq!(req_err(input), (*position, *kind), "{input:?}");
    }
}

#[test]
fn error_display() {
    let e = Requirement::parse("a AND (").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid scope requirement at byte 7: expected a scope"
    );
    let e = Scope::parse("repo:re*d").unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid scope at byte 7: `*` must be a whole segment"
    );
    let e = Scope::parse("a\u{7f}").unwrap_err();
    assert_eq!(
        e.to_string(),
        r"invalid scope at byte 1: invalid character '\u{7f}'"
    );
    let _: &dyn std::error::Error = &e;
}

// ---------------------------------------------------------------- bounds

#[test]
fn scope_bounds() {
    assert!(Scope::parse(&"a".repeat(128)).is_ok());
    let e = Scope::parse(&"a".repeat(129)).unwrap_err();
    assert_eq!(e.kind, ScopeErrorKind::TooLong { limit: 128 });
    assert!(Scope::parse(&["a"; 16].join(":")).is_ok());
    let e = Scope::parse(&["a"; 17].join(":")).unwrap_err();
    assert_eq!(e.kind, ScopeErrorKind::TooManySegments { limit: 16 });
}

#[test]
fn set_bounds() {
    let names: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
    assert_eq!(set(&names[..64].join(" ")).len(), 64);
    assert_eq!(
        set_err(&names.join(" ")).1,
        ScopeErrorKind::TooManyScopes { limit: 64 }
    );
    assert_eq!(
        set_err(&"a".repeat(10_000)),
        (4096, ScopeErrorKind::TooLong { limit: 4096 })
    );
    let many = (0..65).map(|i| scope(&format!("s{i}")));
    assert_eq!(
        ScopeSet::try_from_scopes(many).unwrap_err().kind,
        ScopeErrorKind::TooManyScopes { limit: 64 }
    );
}

#[test]
fn requirement_bounds_never_overflow_the_stack() {
    assert_eq!(
        req_err(&"(".repeat(10_000)),
        (1024, ScopeErrorKind::TooLong { limit: 1024 })
    );
    assert_eq!(
        req_err(&"(".repeat(1000)),
        (16, ScopeErrorKind::TooDeep { limit: 16 })
    );
    assert_eq!(
        req_err(&")".repeat(1000)),
        (0, ScopeErrorKind::ExpectedScope)
    );
    let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(req(&nested(16)), req("a"));
    assert_eq!(
        req_err(&nested(17)).1,
        ScopeErrorKind::TooDeep { limit: 16 }
    );

    // Alternating AND/OR nesting at the depth limit still displays and parses back.
    let mut text = String::from("x");
    for i in 0..16 {
        text = format!("y{i} AND (z{i} OR {text})");
    }
    let deep = req(&text);
    assert_eq!(req(&deep.to_string()), deep);
    let too_deep = format!("w AND (v OR {text})");
    assert_eq!(req_err(&too_deep).1, ScopeErrorKind::TooDeep { limit: 16 });

    let leaves: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
    assert!(Requirement::parse(&leaves[..64].join(" AND ")).is_ok());
    assert_eq!(
        req_err(&leaves.join(" AND ")).1,
        ScopeErrorKind::TooManyScopes { limit: 64 }
    );
}

// ---------------------------------------------------------------- properties

/// Every character allowed in a segment.
fn alphabet() -> Vec<char> {
    (0x21u8..=0x7e)
        .map(char::from)
        .filter(|c| !matches!(c, '"' | '\\' | ':' | '*' | '(' | ')'))
        .collect()
}

fn segment(max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet()), 1..=max_len).prop_map(String::from_iter)
}

/// Concrete scopes over the whole alphabet, up to the segment limit
/// (16 × 7 + 15 = 127 bytes, within the length limit).
fn concrete_scope() -> impl Strategy<Value = Scope> {
    prop::collection::vec(segment(7), 1..=16).prop_map(|segments| scope(&segments.join(":")))
}

/// Concrete scopes short enough for large requirements to stay within
/// [`Requirement::MAX_LEN`].
fn short_scope() -> BoxedStrategy<Scope> {
    prop::collection::vec(segment(4), 1..=3)
        .prop_map(|segments| scope(&segments.join(":")))
        .boxed()
}

fn any_scope() -> impl Strategy<Value = Scope> {
    let part = prop_oneof![3 => segment(7), 1 => Just("*".to_owned())];
    prop::collection::vec(part, 1..=16).prop_map(|segments| scope(&segments.join(":")))
}

fn any_set() -> impl Strategy<Value = ScopeSet> {
    prop::collection::vec(any_scope(), 0..=20).prop_map(ScopeSet::from_iter)
}

fn requirement_over(leaf: BoxedStrategy<Scope>) -> impl Strategy<Value = Requirement> {
    let leaf = leaf.prop_filter_map("keyword", |s| Requirement::scope(s).ok());
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..=4)
                .prop_filter_map("limits", |rs| Requirement::all_of(rs).ok()),
            prop::collection::vec(inner, 1..=4)
                .prop_filter_map("limits", |rs| Requirement::any_of(rs).ok()),
        ]
    })
}

/// Small alphabets, so that coverage relations between random values are common.
fn small_pattern() -> impl Strategy<Value = Scope> {
    let part = prop_oneof![Just("a"), Just("b"), Just("*")];
    prop::collection::vec(part, 1..=4).prop_map(|segments| scope(&segments.join(":")))
}

fn small_concrete() -> BoxedStrategy<Scope> {
    let part = prop_oneof![Just("a"), Just("b"), Just("c")];
    prop::collection::vec(part, 1..=3)
        .prop_map(|segments| scope(&segments.join(":")))
        .boxed()
}

/// Reference matcher: does pattern `p` match concrete `c`?
fn matches(p: &[&str], c: &[&str]) -> bool {
    match (p, c) {
        ([], []) => true,
        (["*"], rest) => !rest.is_empty(),
        ([ph, pt @ ..], [ch, ct @ ..]) => (*ph == "*" || ph == ch) && matches(pt, ct),
        _ => false,
    }
}

/// All concrete scopes over {a, b, c} with 1..=5 segments: enough to witness
/// any difference between patterns over {a, b, *} with at most 4 segments.
fn universe() -> Vec<Scope> {
    let mut all = vec![String::new()];
    let mut out = Vec::new();
    for _ in 0..5 {
        let mut next = Vec::new();
        for prefix in &all {
            for seg in ["a", "b", "c"] {
                let s = if prefix.is_empty() {
                    seg.to_owned()
                } else {
                    format!("{prefix}:{seg}")
                };
                out.push(scope(&s));
                next.push(s);
            }
        }
        all = next;
    }
    out
}

fn segs(s: &Scope) -> Vec<&str> {
    s.segments().collect()
}

fn check_error_position(input: &str, e: &ScopeError) {
    assert!(e.position <= input.len(), "{input:?}: {e}");
    if let ScopeErrorKind::InvalidCharacter(c) = e.kind {
        assert!(
            input.get(e.position..).unwrap().starts_with(c),
            "{input:?}: {e}"
        );
    }
}

proptest! {
    #[test]
    fn scope_round_trips(s in any_scope()) {
        let text = s.to_string();
        prop_assert_eq!(text.as_str(), s.as_str());
        prop_assert_eq!(Scope::parse(&text).unwrap(), s.clone());
        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), s);
    }

    #[test]
    fn set_round_trips(s in any_set()) {
        let text = s.to_string();
        prop_assert!(text.len() <= ScopeSet::MAX_LEN);
        prop_assert_eq!(ScopeSet::parse(&text).unwrap(), s.clone());
        let json = serde_json::to_string(&s).unwrap();
        prop_assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), s);
    }

    #[test]
    fn requirement_round_trips(r in requirement_over(short_scope())) {
        let text = r.to_string();
        let parsed = Requirement::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_string(), text);
        prop_assert_eq!(parsed, r);
    }

    #[test]
    fn set_covers_itself(s in any_set()) {
        prop_assert!(s.covers(&s));
        prop_assert!(s.covers(&ScopeSet::empty()));
        for member in &s {
            prop_assert!(s.contains(member));
            prop_assert!(s.grants(member));
        }
    }

    #[test]
    fn trailing_star_covers_deeper_scopes(s in concrete_scope()) {
        let parts = segs(&s);
        prop_assume!(parts.len() >= 2);
        let first = parts[0];
        let below_first = scope(&format!("{first}:*"));
        prop_assert!(below_first.covers(&s));
        prop_assert!(!below_first.covers(&scope(first)));
        prop_assert!(scope("*").covers(&s));
        if let Ok(deeper) = Scope::parse(&format!("{s}:*")) {
            prop_assert!(!deeper.covers(&s));
        }
    }

    #[test]
    fn star_replaces_any_one_segment(s in concrete_scope(), i in any::<prop::sample::Index>()) {
        let parts = segs(&s);
        let i = i.index(parts.len());
        let mut pattern = parts.clone();
        pattern[i] = "*";
        let pattern = scope(&pattern.join(":"));
        prop_assert!(pattern.covers(&s));
        prop_assert!(!s.covers(&pattern));
        // A non-trailing `*` is exactly one segment; a trailing one reaches deeper.
        if let Ok(longer) = Scope::parse(&format!("{s}:x")) {
            prop_assert_eq!(pattern.covers(&longer), i + 1 == parts.len());
        }
    }

    #[test]
    fn covers_is_reflexive_and_transitive(a in small_pattern(), b in small_pattern(), c in small_pattern()) {
        prop_assert!(a.covers(&a));
        if a.covers(&b) && b.covers(&c) {
            prop_assert!(a.covers(&c));
        }
        if a.covers(&b) && b.covers(&a) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn covers_is_exact_subsumption(p in small_pattern(), q in small_pattern()) {
        let universe = universe();
        let subsumed = universe
            .iter()
            .filter(|c| matches(&segs(&q), &segs(c)))
            .all(|c| matches(&segs(&p), &segs(c)));
        prop_assert_eq!(p.covers(&q), subsumed, "{} covers {}", p, q);
    }

    #[test]
    fn covers_agrees_with_grants(
        granted in prop::collection::vec(small_pattern(), 0..5),
        c in small_concrete(),
    ) {
        let set: ScopeSet = granted.iter().cloned().collect();
        let by_members = granted.iter().any(|p| p.covers(&c));
        prop_assert_eq!(set.grants(&c), by_members);
        prop_assert_eq!(by_members, granted.iter().any(|p| matches(&segs(p), &segs(&c))));
        prop_assert_eq!(set.covers(&ScopeSet::from_iter([c.clone()])), by_members);
    }

    #[test]
    fn missing_is_sufficient_and_needed(
        r in requirement_over(small_concrete()),
        granted in prop::collection::vec(small_pattern(), 0..4),
    ) {
        let granted: ScopeSet = granted.into_iter().collect();
        match r.missing(&granted) {
            None => prop_assert!(r.is_satisfied_by(&granted)),
            Some(missing) => {
                prop_assert!(!r.is_satisfied_by(&granted));
                prop_assert!(!missing.is_empty());
                prop_assert!(r.is_satisfied_by(&granted.union(&missing)));
                prop_assert!(r.scopes().covers(&missing));
                for s in &missing {
                    prop_assert!(!granted.grants(s));
                }
            }
        }
        prop_assert!(r.is_satisfied_by(&r.scopes()));
    }

    #[test]
    fn parsers_never_panic(input in "\\PC{0,64}|[ ():*aANDOR\t]{0,64}") {
        for e in [
            Scope::parse(&input).err(),
            ScopeSet::parse(&input).err(),
            Requirement::parse(&input).err(),
        ].into_iter().flatten() {
            check_error_position(&input, &e);
        }
        if let Ok(r) = Requirement::parse(&input) {
            prop_assert_eq!(Requirement::parse(&r.to_string()).unwrap(), r);
        }
    }

    #[test]
    fn token_soup_parses_or_errors(tokens in prop::collection::vec(
        prop_oneof![Just("("), Just(")"), Just(" "), Just("AND"), Just("OR"), Just("a"), Just("b:c")],
        0..200,
    )) {
        let input: String = tokens.concat();
        match Requirement::parse(&input) {
            Ok(r) => prop_assert_eq!(Requirement::parse(&r.to_string()).unwrap(), r),
            Err(e) => check_error_position(&input, &e),
        }
    }
}

#[test]
fn a_requirement_whose_canonical_form_is_too_long_is_refused() {
    // Parentheses may touch `AND`; the canonical form adds a space on each
    // side, which would take this one past the limit and make its own
    // text unparsable.
    let input = (0..32)
        .map(|i| format!("(s{i:02}aaaaaaaa OR t{i:02}bbbbbbbb)"))
        .collect::<Vec<_>>()
        .join("AND");
    assert!(input.len() <= Requirement::MAX_LEN);
    let error = Requirement::parse(&input).unwrap_err();
    assert_eq!(error.kind, ScopeErrorKind::TooLong { limit: 1024 });
    // Just under the limit, the canonical form parses back.
    let fits = (0..30)
        .map(|i| format!("(s{i:02}aaaaaaaa OR t{i:02}bbbbbbbb)"))
        .collect::<Vec<_>>()
        .join("AND");
    let parsed = Requirement::parse(&fits).unwrap();
    assert_eq!(Requirement::parse(&parsed.to_string()).unwrap(), parsed);
}
