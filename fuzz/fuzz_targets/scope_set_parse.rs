#![no_main]
//! `ScopeSet::parse` and `Scope::parse` on arbitrary text never panic; a set
//! that parses is sorted and deduplicated, within its limits, displays to
//! text that parses back to the same set, and covers and grants itself.

#![forbid(unsafe_code)]

use credential_core::scope::{Scope, ScopeSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scope::parse(text) {
        Ok(scope) => {
            assert_eq!(scope.as_str(), text);
            assert!(scope.covers(&scope));
            assert_eq!(scope.segments().count(), text.split(':').count());
        }
        Err(error) => assert!(error.position <= text.len(), "{error} is past the end"),
    }
    let set = match ScopeSet::parse(text) {
        Ok(set) => set,
        Err(error) => {
            let _ = error.to_string();
            assert!(
                error.position <= text.len(),
                "{error} is past the end of {text:?}"
            );
            return;
        }
    };
    assert!(set.len() <= ScopeSet::MAX_SCOPES);
    assert_eq!(set.is_empty(), text.is_empty());
    let scopes: Vec<&Scope> = set.iter().collect();
    assert!(
        scopes.windows(2).all(|pair| pair[0] < pair[1]),
        "not sorted and deduplicated"
    );
    for scope in &scopes {
        assert!(text.split(' ').any(|word| word == scope.as_str()));
        assert_eq!(Scope::parse(scope.as_str()).as_ref(), Ok(*scope));
        assert!(set.contains(scope) && set.grants(scope));
    }
    let shown = set.to_string();
    assert!(shown.len() <= text.len() && shown.len() <= ScopeSet::MAX_LEN);
    let reparsed = ScopeSet::parse(&shown).expect("the displayed set parses");
    assert_eq!(reparsed, set, "display/parse round trip changed the set");
    assert_eq!(reparsed.to_string(), shown, "display is not canonical");
    assert_eq!(
        ScopeSet::try_from_scopes(set.iter().cloned()).as_ref(),
        Ok(&set),
        "try_from_scopes refuses a parsed set"
    );
    assert!(set.covers(&set) && set.covers(&ScopeSet::empty()));
    assert_eq!(set.union(&set), set);
    assert_eq!(set.restrict_to(&set), set);
});
