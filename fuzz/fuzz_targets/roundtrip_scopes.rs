#![no_main]
//! Structure-aware: scopes built from arbitrary segments parse exactly when
//! they are valid by construction; sets of them are accepted exactly within
//! the limits, and display → parse is the identity; coverage agrees with
//! wildcard-free equality and is reflexive and transitive.

#![forbid(unsafe_code)]

use arbitrary::Arbitrary;
use credential_core::scope::{Scope, ScopeSet};
use libfuzzer_sys::fuzz_target;

/// Every character a scope segment may hold: RFC 6749 NQCHAR without `:`,
/// `*`, `(` and `)`.
const ALPHABET: &[u8] =
    b"!#$%&'+,-./0123456789;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";

#[derive(Debug, Arbitrary)]
enum Segment {
    Wildcard,
    /// Indices into [`ALPHABET`]; empty makes an invalid (empty) segment.
    Literal(Vec<u8>),
}

impl Segment {
    fn text(&self) -> String {
        match self {
            Self::Wildcard => "*".to_owned(),
            Self::Literal(chars) => chars
                .iter()
                .map(|&i| char::from(ALPHABET[usize::from(i) % ALPHABET.len()]))
                .collect(),
        }
    }
}

fn build(segments: &[Segment]) -> (String, bool) {
    let texts: Vec<String> = segments.iter().map(Segment::text).collect();
    let text = texts.join(":");
    let valid = !texts.is_empty()
        && texts.len() <= Scope::MAX_SEGMENTS
        && text.len() <= Scope::MAX_LEN
        && texts.iter().all(|segment| !segment.is_empty());
    (text, valid)
}

fuzz_target!(|input: Vec<Vec<Segment>>| {
    let mut scopes = Vec::new();
    for segments in &input {
        let (text, valid) = build(segments);
        match Scope::parse(&text) {
            Ok(scope) => {
                assert!(valid, "{text:?} parsed but is not a valid scope");
                assert_eq!(scope.as_str(), text);
                assert_eq!(scope.segments().count(), segments.len());
                assert_eq!(
                    scope.is_wildcard(),
                    segments.iter().any(|s| matches!(s, Segment::Wildcard))
                );
                scopes.push(scope);
            }
            Err(error) => assert!(!valid, "{text:?} is valid but refused: {error}"),
        }
    }

    // Pairs and triples of a bounded sample, to keep an execution fast.
    let sample = &scopes[..scopes.len().min(8)];
    for a in sample {
        assert!(a.covers(a), "{a} does not cover itself");
        for b in sample {
            if !a.is_wildcard() {
                assert_eq!(a.covers(b), a == b, "literal {a} vs {b}");
            }
            if a.covers(b) && b.covers(a) {
                assert_eq!(a, b, "{a} and {b} cover each other");
            }
            for c in sample {
                if a.covers(b) && b.covers(c) {
                    assert!(a.covers(c), "{a} covers {b} covers {c}, but not {c}");
                }
            }
        }
    }

    let mut distinct: Vec<&Scope> = scopes.iter().collect();
    distinct.sort();
    distinct.dedup();
    let text_len =
        distinct.iter().map(|s| s.as_str().len()).sum::<usize>() + distinct.len().saturating_sub(1);
    let within = distinct.len() <= ScopeSet::MAX_SCOPES && text_len <= ScopeSet::MAX_LEN;
    let set = match ScopeSet::try_from_scopes(scopes.iter().cloned()) {
        Ok(set) => {
            assert!(within, "a set over the limits was built");
            set
        }
        Err(error) => {
            assert!(!within, "a set within the limits was refused: {error}");
            return;
        }
    };
    assert_eq!(set.iter().collect::<Vec<_>>(), distinct);
    let text = set.to_string();
    assert_eq!(text.len(), text_len);
    assert_eq!(
        ScopeSet::parse(&text),
        Ok(set.clone()),
        "display → parse is not the identity"
    );
    for scope in &scopes {
        assert!(set.contains(scope) && set.grants(scope));
    }
    let collected: ScopeSet = scopes.iter().cloned().collect();
    assert_eq!(collected, set);
});
