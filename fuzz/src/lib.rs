//! Fixed keys, clock, rings and helpers shared by the fuzz targets.
//!
//! Key material and the clock are fixed (the clock never moves), so that a
//! crashing input replays the same way. What the library itself draws at
//! random stays random: a minted token's `jti`, ES256 signatures, and new
//! API keys.

#![forbid(unsafe_code)]

pub mod key_text;

use std::future::Future;
use std::sync::{Arc, LazyLock};

use credential_core::clock::ManualClock;
use credential_core::scope::{Requirement, ScopeSet};
use credential_core::token::jose::{Algorithm, Jwk, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer, UntrustedToken, Validation, VerifiedToken};
use time::{Duration, OffsetDateTime};

/// `iss` of every minted token and the issuer every validation accepts.
pub const ISSUER: &str = "https://auth.example.com";
/// `aud` of the minted tokens that carry one.
pub const AUDIENCE: &str = "https://api.example.com";
/// The fixed "now": 2030-01-01T00:00:00Z.
pub const NOW_UNIX: i64 = 1_893_456_000;

/// The fixed HS256 secret (32 bytes).
pub const HS256_SECRET: &[u8; 32] = b"credential-fuzz fixed hs256 key!";
/// The Ed25519 key of RFC 8037, Appendix A.1.
pub const ED25519_PRIVATE_JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed1","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// The P-256 key of RFC 7515, Appendix A.3.
pub const P256_PRIVATE_JWK: &str = r#"{"kty":"EC","crv":"P-256","kid":"es1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

/// Key id of the HS256 key.
pub const HS256_KID: &str = "hs1";
/// Key id of the Ed25519 key.
pub const EDDSA_KID: &str = "ed1";
/// Key id of the P-256 key.
pub const ES256_KID: &str = "es1";

/// The fixed "now".
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW_UNIX).expect("a valid timestamp")
}

/// A clock that always reads [`now`].
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(now()))
}

/// The signing key for `alg` (HS256, EdDSA or ES256), from fixed material.
pub fn signing_key(alg: Algorithm) -> SigningKey {
    match alg {
        Algorithm::HS256 => SigningKey::hs256(HS256_SECRET).expect("a 32-byte HS256 key"),
        Algorithm::EdDSA => signing_key_from_jwk(ED25519_PRIVATE_JWK),
        Algorithm::ES256 => signing_key_from_jwk(P256_PRIVATE_JWK),
        other => panic!("no fixed signing key for {other}"),
    }
}

fn signing_key_from_jwk(json: &str) -> SigningKey {
    let jwk = Jwk::parse(json.as_bytes()).expect("a fixed private JWK");
    SigningKey::from_jwk(&jwk).expect("a fixed signing key")
}

/// The key id of the fixed key for `alg`.
pub fn kid(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => HS256_KID,
        Algorithm::EdDSA => EDDSA_KID,
        _ => ES256_KID,
    }
}

/// A ring whose signing key is the fixed key for `alg`, plus the public
/// half of one asymmetric key of another algorithm that only verifies (so
/// that `kid`/`alg` mismatches are reachable).
pub fn ring(alg: Algorithm) -> KeyRing {
    let ring = KeyRing::new();
    let other = if alg == Algorithm::ES256 {
        Algorithm::EdDSA
    } else {
        Algorithm::ES256
    };
    ring.add_verifying_key(kid(other), signing_key(other).verifying_key())
        .expect("a valid kid");
    ring.add_signing_key(kid(alg), signing_key(alg))
        .expect("a valid kid");
    ring
}

/// Rings for the three signing algorithms, built once.
pub static RINGS: LazyLock<[(Algorithm, KeyRing); 3]> = LazyLock::new(|| {
    [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256].map(|alg| (alg, ring(alg)))
});

/// The ring for `alg` from [`RINGS`].
pub fn fixed_ring(alg: Algorithm) -> &'static KeyRing {
    RINGS
        .iter()
        .find(|(a, _)| *a == alg)
        .map(|(_, ring)| ring)
        .expect("a ring per signing algorithm")
}

/// An issuer on `ring` whose clock reads [`now`].
pub fn issuer(ring: &KeyRing, audience: bool) -> TokenIssuer {
    let issuer = TokenIssuer::new(ring.clone(), ISSUER).with_clock(clock());
    if audience {
        issuer.with_audience(AUDIENCE)
    } else {
        issuer
    }
}

/// The strict validation matching [`issuer`]: RFC 9068 defaults.
pub fn validation(audience: bool) -> Validation {
    let validation = Validation::new(ISSUER);
    if audience {
        validation.with_audience(AUDIENCE)
    } else {
        validation
    }
}

/// A validation that accepts everything [`validation`] accepts and more:
/// untyped and `JWT` tokens, only `exp` (and `aud`) required, a leeway.
pub fn lax_validation(audience: bool) -> Validation {
    validation(audience)
        .allow_untyped()
        .allow_type("JWT")
        .require_claims(Vec::<String>::new())
        .with_leeway(Duration::seconds(60))
}

/// Parses and verifies `token` with `ring` at `at`.
pub fn verify(
    ring: &KeyRing,
    token: &str,
    validation: &Validation,
    at: OffsetDateTime,
) -> Option<VerifiedToken> {
    let untrusted = UntrustedToken::parse(token, validation.max_size()).ok()?;
    ring.verify(untrusted, validation, at).ok()
}

/// Signs raw header and claims JSON with `key`, whatever they say, as a
/// compact JWS.
pub fn craft(header: &[u8], claims: &[u8], key: &SigningKey) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let signature = key
        .sign(token.as_bytes())
        .expect("signing with a fixed key");
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// Checks what every token that verified under `validation` at [`now`]
/// must satisfy: the algorithm of the key its `kid` names, an accepted
/// issuer and audience, not expired, not before its `nbf`.
pub fn check_verified(verified: &VerifiedToken, ring_alg: Algorithm, validation_audience: bool) {
    let header = verified.header();
    assert_eq!(
        header.algorithm(),
        ring_alg,
        "verified under a key of another algorithm"
    );
    if let Some(kid) = header.key_id() {
        assert_eq!(kid, self::kid(ring_alg), "verified under an unexpected kid");
    }
    let claims = verified.claims();
    if let Some(iss) = claims.issuer() {
        assert_eq!(iss, ISSUER, "verified with a foreign issuer");
    }
    if validation_audience {
        assert!(
            claims.audience().iter().any(|aud| aud == AUDIENCE),
            "verified without the configured audience"
        );
    } else {
        assert!(
            claims.audience().is_empty(),
            "verified with an unexpected audience"
        );
    }
    let exp = claims.expires_at().expect("exp is always required");
    assert!(exp + Duration::seconds(60) > now(), "verified after exp");
    if let Some(nbf) = claims.not_before() {
        assert!(nbf <= now() + Duration::seconds(60), "verified before nbf");
    }
}

/// Splits `data` at its first `0xFF` byte (never valid in UTF-8, so it
/// cannot clash with text): `(before, Some(after))`, or `(data, None)`.
pub fn split_ff(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    }
}

/// Granted sets that requirement targets check against.
pub static GRANTED_SETS: LazyLock<Vec<ScopeSet>> = LazyLock::new(|| {
    [
        "",
        "reports:read",
        "reports:* billing:read",
        "*",
        "a b c",
        "a:* *:b",
    ]
    .iter()
    .map(|text| ScopeSet::parse(text).expect("a fixed scope set"))
    .collect()
});

/// Checks the invariants of a requirement that parsed.
pub fn check_requirement(requirement: &Requirement) {
    for granted in GRANTED_SETS.iter() {
        let satisfied = requirement.is_satisfied_by(granted);
        let missing = requirement.missing(granted);
        assert_eq!(
            missing.is_none(),
            satisfied,
            "missing() and is_satisfied_by() disagree for {granted}"
        );
        if let Some(missing) = missing {
            assert!(!missing.is_empty(), "unsatisfied, yet nothing is missing");
            assert!(
                requirement.is_satisfied_by(&granted.union(&missing)),
                "granting what missing() names does not satisfy {requirement}"
            );
        }
    }
    let mentioned = requirement.scopes();
    assert!(
        requirement.is_satisfied_by(&mentioned),
        "granting every mentioned scope does not satisfy {requirement}"
    );
}

/// A current-thread runtime for the async verifiers, built once.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
});

/// Runs `future` to completion on the shared runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}

/// The body of the `token_verify_*` targets, for the ring of `alg`.
///
/// The first byte picks the mode. Even: the rest is a token, verified as
/// is. Odd: the rest is header JSON and claims JSON split at the first
/// `0xFF`, signed with the ring's own key and then verified, so that the
/// claims parser and the validation rules, which run only after the
/// signature verified, see arbitrary JSON too.
pub fn fuzz_verify(alg: Algorithm, data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let ring = fixed_ring(alg);
    let crafted;
    let token = if mode & 1 == 0 {
        match std::str::from_utf8(rest) {
            Ok(token) => token,
            Err(_) => return,
        }
    } else {
        let (header, claims) = split_ff(rest);
        crafted = craft(header, claims.unwrap_or_default(), &signing_key(alg));
        &crafted
    };
    for audience in [true, false] {
        let strict = validation(audience);
        let lax = lax_validation(audience);
        let strictly = verify(ring, token, &strict, now());
        let laxly = verify(ring, token, &lax, now());
        if let Some(verified) = &strictly {
            check_verified(verified, alg, audience);
            let claims = verified.claims();
            for (name, present) in [
                ("iss", claims.issuer().is_some()),
                ("sub", claims.subject().is_some()),
                ("iat", claims.issued_at().is_some()),
                ("jti", claims.token_id().is_some()),
                ("client_id", claims.client_id().is_some()),
            ] {
                assert!(present, "verified strictly without {name}");
            }
            assert!(
                verified.header().token_type().is_some(),
                "verified strictly without typ"
            );
            assert!(
                laxly.is_some(),
                "the strict validation accepts what the lax one refuses"
            );
        }
        if let Some(verified) = &laxly {
            check_verified(verified, alg, audience);
        }
    }
}
