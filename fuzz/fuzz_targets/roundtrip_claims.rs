#![no_main]
//! Structure-aware: `TokenIssuer::mint` with a fixed ring and clock, for an
//! arbitrary subject, client id and scope set, yields a token that verifies
//! under the matching `Validation` with exactly the claims that went in,
//! until one second before `exp`, and not at `exp`.

#![forbid(unsafe_code)]

use arbitrary::Arbitrary;
use credential_core::Reason;
use credential_core::scope::{Scope, ScopeSet};
use credential_core::token::UntrustedToken;
use credential_core::token::jose::Algorithm;
use credential_fuzz::{AUDIENCE, ISSUER, fixed_ring, issuer, now, validation};
use libfuzzer_sys::fuzz_target;
use time::Duration;

#[derive(Debug, Arbitrary)]
struct Input {
    algorithm: u8,
    audience: bool,
    lifetime_seconds: u16,
    subject: String,
    client_id: String,
    scopes: Vec<String>,
}

fuzz_target!(|input: Input| {
    let alg = match input.algorithm % 3 {
        0 => Algorithm::HS256,
        1 => Algorithm::EdDSA,
        _ => Algorithm::ES256,
    };
    let ring = fixed_ring(alg);
    let lifetime = Duration::seconds(i64::from(input.lifetime_seconds) + 1);
    let issuer = issuer(ring, input.audience).with_lifetime(lifetime);
    let scopes = input
        .scopes
        .iter()
        .filter_map(|text| Scope::parse(text).ok());
    let Ok(scope) = ScopeSet::try_from_scopes(scopes) else {
        return;
    };

    let issued = issuer
        .mint(&input.subject, &input.client_id, &scope)
        .expect("minting with a fixed key never fails");
    let now = now();
    assert_eq!(issued.scope, scope);
    assert_eq!(issued.expires_at, now + lifetime);
    assert_eq!(issued.expires_in(now), lifetime.unsigned_abs().as_secs());

    let validation = validation(input.audience);
    let token = issued.token.expose_secret();
    let untrusted = match UntrustedToken::parse(token, validation.max_size()) {
        Ok(untrusted) => untrusted,
        Err(error) => {
            assert!(
                token.len() > validation.max_size(),
                "a minted token does not parse: {error}"
            );
            return;
        }
    };
    assert_eq!(untrusted.header().algorithm(), alg);
    let verified = ring
        .verify(untrusted, &validation, now)
        .expect("a freshly minted token verifies");
    let claims = verified.claims();
    assert_eq!(claims.issuer(), Some(ISSUER));
    assert_eq!(claims.subject(), Some(input.subject.as_str()));
    assert_eq!(claims.client_id(), Some(input.client_id.as_str()));
    assert_eq!(claims.scope(), &scope);
    assert_eq!(claims.token_id(), Some(issued.jti.as_str()));
    assert_eq!(claims.issued_at(), Some(now));
    assert_eq!(claims.expires_at(), Some(now + lifetime));
    assert_eq!(claims.not_before(), None);
    let expected_audience: &[&str] = if input.audience { &[AUDIENCE] } else { &[] };
    assert_eq!(claims.audience(), expected_audience);
    assert!(claims.extra().is_empty());

    let last_second = now + lifetime - Duration::seconds(1);
    let parse = || UntrustedToken::parse(token, validation.max_size()).expect("parsed before");
    assert!(ring.verify(parse(), &validation, last_second).is_ok());
    let expired = ring
        .verify(parse(), &validation, now + lifetime)
        .expect_err("a token verifies at its exp");
    assert_eq!(expired.reason(), Reason::Expired);
});
