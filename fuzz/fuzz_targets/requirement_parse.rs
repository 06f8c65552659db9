#![no_main]
//! `Requirement::parse` on arbitrary text never panics; a requirement that
//! parses displays to canonical text that parses back to it, and
//! `missing` is `None` exactly when `is_satisfied_by` holds, on fixed
//! granted sets, and names scopes that do satisfy it once granted.

#![forbid(unsafe_code)]

use credential_core::scope::Requirement;
use credential_fuzz::check_requirement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let requirement = match Requirement::parse(text) {
        Ok(requirement) => requirement,
        Err(error) => {
            let _ = error.to_string();
            assert!(
                error.position <= text.len(),
                "{error} is past the end of {text:?}"
            );
            return;
        }
    };
    let shown = requirement.to_string();
    let reparsed = match Requirement::parse(&shown) {
        Ok(reparsed) => reparsed,
        Err(error) => panic!("the canonical form {shown:?} of {text:?} does not parse: {error}"),
    };
    assert_eq!(
        reparsed, requirement,
        "display/parse round trip changed the requirement"
    );
    assert_eq!(reparsed.to_string(), shown, "display is not canonical");
    let _ = format!("{requirement:?}");
    let mentioned = requirement.scopes();
    assert!(!mentioned.is_empty());
    assert!(mentioned.iter().all(|scope| !scope.is_wildcard()));
    check_requirement(&requirement);
});
