#![no_main]
//! `Jwk::parse` and `JwkSet::parse` on arbitrary bytes never panic; a JWK
//! that parses re-parses from its own JSON with the same kid, algorithm and
//! privacy, its public form re-parses and holds no secret, keys built from
//! it never panic and sign what they verify; a set round-trips likewise.

#![forbid(unsafe_code)]

use credential_core::token::KeyRing;
use credential_core::token::jose::{Jwk, JwkSet, SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

const MESSAGE: &[u8] = b"header.payload";

fn check_jwk(jwk: &Jwk) {
    let _ = format!("{jwk:?}");
    let json = jwk.to_json();
    let again = Jwk::parse(json.as_bytes()).expect("a JWK's own JSON parses");
    assert_eq!(again.kid(), jwk.kid());
    assert_eq!(again.algorithm(), jwk.algorithm());
    assert_eq!(again.is_private(), jwk.is_private());
    assert_eq!(again.to_json(), json, "to_json is not stable");

    match jwk.to_public() {
        Some(public) => {
            assert!(!public.is_private(), "to_public kept a private member");
            let text = public.to_json();
            let reparsed = Jwk::parse(text.as_bytes()).expect("a public JWK parses");
            assert!(!reparsed.is_private());
            assert_eq!(reparsed.kid(), jwk.kid());
            assert_eq!(reparsed.algorithm(), jwk.algorithm());
            assert!(
                SigningKey::from_jwk(&public).is_err(),
                "a signing key from a public JWK"
            );
        }
        None => assert!(jwk.is_private(), "only a symmetric key has no public form"),
    }

    let verifying = VerifyingKey::from_jwk(jwk);
    if let Ok(key) = &verifying {
        let _ = format!("{key:?}");
        assert!(!key.verify(MESSAGE, b""), "an empty signature verified");
        if let Some(kid) = jwk.kid() {
            let _ = key.to_public_jwk(kid);
        }
    }
    if let Ok(signing) = SigningKey::from_jwk(jwk) {
        assert!(jwk.is_private());
        let key = signing.verifying_key();
        assert_eq!(key.algorithm(), signing.algorithm());
        let signature = signing.sign(MESSAGE).expect("a loaded key signs");
        assert!(
            key.verify(MESSAGE, &signature),
            "a key does not verify its own signature"
        );
        if let Ok(from_jwk) = &verifying {
            assert!(
                from_jwk.verify(MESSAGE, &signature),
                "the JWK's verifying key refuses its signing key's signature"
            );
        }
        let private = signing.to_private_jwk("k");
        let reloaded = SigningKey::from_jwk(&private).expect("a saved private JWK reloads");
        let again = reloaded.sign(MESSAGE).expect("a reloaded key signs");
        assert!(
            key.verify(MESSAGE, &again),
            "a reloaded key signs differently"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(jwk) = Jwk::parse(data) {
        check_jwk(&jwk);
    }
    let Ok(set) = JwkSet::parse(data) else {
        return;
    };
    for jwk in set.keys() {
        check_jwk(jwk);
    }
    let json = set.to_json();
    let again = JwkSet::parse(json.as_bytes()).expect("a set's own JSON parses");
    assert_eq!(again.keys().len(), set.keys().len());
    let public = JwkSet::parse(set.to_public_json().as_bytes()).expect("a public set parses");
    let publishable = set
        .keys()
        .iter()
        .filter(|jwk| jwk.to_public().is_some())
        .count();
    assert_eq!(public.keys().len(), publishable);
    assert!(public.keys().iter().all(|jwk| !jwk.is_private()));
    let ring = KeyRing::new();
    let _ = ring.add_jwks(&set);
    let _ = ring.public_jwks();
});
