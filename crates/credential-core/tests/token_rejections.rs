//! Every strictness rule of token verification, each with a token that
//! breaks it and the rejection it gets.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use common::START;
use common::tokens::{AUDIENCE, ISSUER, b64, claims_json, craft, token_fixture, validation};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{TokenVerifier, Validation};
use credential_core::{FaceConfig, Reason, Verifier};
use ring::hmac;

const HEADER: &str = r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}"#;

async fn reason_of(verifier: &TokenVerifier, token: &str) -> Reason {
    let rejection = verifier.verify(token, None).await.unwrap_err();
    rejection.reason()
}

fn signer(f: &common::tokens::TokenFixture) -> SigningKey {
    // The fixture's key is private to the ring: re-create a ring whose key
    // the test holds.
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    f.ring
        .add_signing_key(
            "k1",
            SigningKey::from_jwk(&key.to_private_jwk("k1")).unwrap(),
        )
        .unwrap();
    key
}

#[tokio::test]
async fn a_well_formed_token_verifies() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let principal = f
        .verifier
        .verify(&craft(HEADER, &claims_json(), &key), None)
        .await
        .unwrap();
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.token_id(), Some("j1"));
}

#[tokio::test]
async fn alg_none_never_verifies() {
    let f = token_fixture(Algorithm::EdDSA);
    let claims = b64(claims_json().as_bytes());
    for header in [
        r#"{"alg":"none","kid":"k1","typ":"at+jwt"}"#,
        r#"{"alg":"None","kid":"k1","typ":"at+jwt"}"#,
        r#"{"alg":"NONE","typ":"at+jwt"}"#,
    ] {
        for signature in ["", "AAAA"] {
            let token = format!("{}.{claims}.{signature}", b64(header.as_bytes()));
            let reason = reason_of(&f.verifier, &token).await;
            assert!(
                matches!(reason, Reason::UnsupportedAlgorithm | Reason::Malformed),
                "{header} {signature:?}: {reason:?}"
            );
        }
    }
}

#[tokio::test]
async fn alg_must_match_the_key() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    // Header says ES256 for an Ed25519 key.
    let token = craft(
        r#"{"alg":"ES256","kid":"k1","typ":"at+jwt"}"#,
        &claims_json(),
        &key,
    );
    assert_eq!(
        reason_of(&f.verifier, &token).await,
        Reason::AlgorithmMismatch
    );
}

#[tokio::test]
async fn hs256_signed_with_a_public_key_as_the_secret_is_rejected() {
    // The classic confusion: take the verifier's public key and use it as
    // an HMAC secret. Each key pins its algorithm, so this never verifies.
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let f = token_fixture(alg);
        let public = f.ring.public_jwks().to_public_json();
        let header = r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#;
        let input = format!(
            "{}.{}",
            b64(header.as_bytes()),
            b64(claims_json().as_bytes())
        );
        for secret in [
            public.as_bytes().to_vec(),
            public.clone().into_bytes().split_off(10),
        ] {
            let tag = hmac::sign(
                &hmac::Key::new(hmac::HMAC_SHA256, &secret),
                input.as_bytes(),
            );
            let token = format!("{input}.{}", b64(tag.as_ref()));
            assert_eq!(
                reason_of(&f.verifier, &token).await,
                Reason::AlgorithmMismatch,
                "{alg:?}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_and_missing_kid_fail_closed() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let unknown = craft(
        r#"{"alg":"EdDSA","kid":"k9","typ":"at+jwt"}"#,
        &claims_json(),
        &key,
    );
    assert_eq!(
        reason_of(&f.verifier, &unknown).await,
        Reason::UnknownSigningKey
    );

    // Without kid, one key: it is the only candidate and verifies.
    let no_kid = craft(r#"{"alg":"EdDSA","typ":"at+jwt"}"#, &claims_json(), &key);
    assert!(f.verifier.verify(&no_kid, None).await.is_ok());
    // With a second key in the ring, a token without kid is rejected.
    f.ring
        .add_verifying_key(
            "k2",
            SigningKey::generate(Algorithm::EdDSA)
                .unwrap()
                .verifying_key(),
        )
        .unwrap();
    assert_eq!(
        reason_of(&f.verifier, &no_kid).await,
        Reason::UnknownSigningKey
    );
}

#[tokio::test]
async fn unknown_crit_is_rejected() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    for header in [
        r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","crit":["exp"],"exp":1}"#,
        r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","crit":["b64"],"b64":false}"#,
        r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","crit":[]}"#,
    ] {
        let token = craft(header, &claims_json(), &key);
        assert_eq!(
            reason_of(&f.verifier, &token).await,
            Reason::CriticalHeader,
            "{header}"
        );
    }
    // Unknown, non-critical header members are ignored (RFC 7515 §4).
    let token = craft(
        r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","x-note":{"a":[1]}}"#,
        &claims_json(),
        &key,
    );
    assert!(f.verifier.verify(&token, None).await.is_ok());
}

#[tokio::test]
async fn base64_must_be_strict_url_safe_without_padding() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let good = craft(HEADER, &claims_json(), &key);
    let (input, signature) = good.rsplit_once('.').unwrap();
    let (header, payload) = input.split_once('.').unwrap();
    let variants = [
        format!("{header}=.{payload}.{signature}"),
        format!("{header}.{payload}=.{signature}"),
        format!("{input}.{signature}="),
        format!("{input}.{signature}=="),
        format!(
            "{}.{payload}.{signature}",
            header.replace('-', "+").replace('_', "/") + "+"
        ),
        format!(
            "{input}.{}",
            signature.replacen(|c: char| c.is_ascii_alphanumeric(), "+", 1)
        ),
        format!(
            "{input}.{}",
            signature.replacen(|c: char| c.is_ascii_alphanumeric(), "/", 1)
        ),
        format!(" {good}"),
        format!("{good} "),
        format!("{good}\n"),
        format!("{header}. {payload}.{signature}"),
        format!("{good}.extra"),
        format!("{good}."),
        format!("{good}.."),
        input.to_owned(),
        format!("{header}.{payload}"),
        String::new(),
        "..".to_owned(),
    ];
    for token in &variants {
        let reason = reason_of(&f.verifier, token).await;
        assert!(
            matches!(reason, Reason::Malformed | Reason::BadSignature),
            "{token:?} gave {reason:?}"
        );
    }
}

#[tokio::test]
async fn duplicate_json_members_are_rejected() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let dup_header = r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt","kid":"k1"}"#;
    assert_eq!(
        reason_of(&f.verifier, &craft(dup_header, &claims_json(), &key)).await,
        Reason::Malformed
    );
    let dup_alg = r#"{"alg":"HS256","kid":"k1","typ":"at+jwt","alg":"EdDSA"}"#;
    assert_eq!(
        reason_of(&f.verifier, &craft(dup_alg, &claims_json(), &key)).await,
        Reason::Malformed
    );

    let claims = claims_json();
    for extra in [
        r#","sub":"root""#,
        r#","exp":99999999999"#,
        r#","x":1,"x":2"#,
        r#","x":{"y":1,"y":2}"#,
    ] {
        let dup = format!("{}{extra}}}", &claims[..claims.len() - 1]);
        let token = craft(HEADER, &dup, &key);
        let rejection = f.verifier.verify(&token, None).await.unwrap_err();
        assert_eq!(rejection.reason(), Reason::InvalidClaims, "{dup}");
    }
}

#[tokio::test]
async fn registered_claims_must_have_their_types() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let now = START.unix_timestamp();
    let base = claims_json();
    for (name, bad) in [
        ("exp", format!(r#""{}""#, now + 600)),
        ("exp", "null".to_owned()),
        ("exp", "true".to_owned()),
        ("exp", "[1]".to_owned()),
        ("exp", "1e300".to_owned()),
        ("nbf", format!(r#""{now}""#)),
        ("iat", format!(r#""{now}""#)),
        ("iat", "{}".to_owned()),
        ("sub", "42".to_owned()),
        ("aud", "[1]".to_owned()),
        ("aud", "[]".to_owned()),
        ("scope", r#""a  b""#.to_owned()),
        ("scope", r#"["a"]"#.to_owned()),
    ] {
        let claims: serde_json::Value = serde_json::from_str(&base).unwrap();
        let mut object = claims.as_object().unwrap().clone();
        object.insert(
            name.to_owned(),
            serde_json::from_str(&bad).unwrap_or(serde_json::Value::Null),
        );
        let mut text = serde_json::to_string(&object).unwrap();
        if bad == "1e300" {
            text = text.replace(&format!("\"exp\":{}", "null"), "\"exp\":1e300");
        }
        let token = craft(HEADER, &text, &key);
        assert_eq!(
            reason_of(&f.verifier, &token).await,
            Reason::InvalidClaims,
            "{name}={bad}"
        );
    }
}

#[tokio::test]
async fn expiry_and_not_before_follow_the_clock_with_explicit_leeway() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let now = START.unix_timestamp();
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"acme","aud":"{AUDIENCE}","exp":{},"nbf":{},"iat":{now},"jti":"j","client_id":"c"}}"#,
        now + 60,
        now + 10
    );
    let token = craft(HEADER, &claims, &key);
    assert_eq!(reason_of(&f.verifier, &token).await, Reason::NotYetValid);
    f.clock.advance(time::Duration::seconds(10));
    assert!(f.verifier.verify(&token, None).await.is_ok());
    f.clock.advance(time::Duration::seconds(50));
    assert_eq!(reason_of(&f.verifier, &token).await, Reason::Expired);

    // Leeway is explicit and applies both ways.
    let lenient = TokenVerifier::new(
        f.ring.clone(),
        validation().with_leeway(time::Duration::seconds(30)),
    )
    .with_clock(std::sync::Arc::new(f.clock.clone()));
    assert!(lenient.verify(&token, None).await.is_ok());
    f.clock.advance(time::Duration::seconds(30));
    assert_eq!(
        lenient.verify(&token, None).await.unwrap_err().reason(),
        Reason::Expired
    );
}

#[tokio::test]
async fn issuer_and_audience_are_exact() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let swap = |from: &str, to: &str| craft(HEADER, &claims_json().replace(from, to), &key);
    let wrong_iss = swap(ISSUER, "https://auth.example.com/");
    assert_eq!(
        reason_of(&f.verifier, &wrong_iss).await,
        Reason::WrongIssuer
    );
    let wrong_iss_case = swap(ISSUER, "https://AUTH.example.com");
    assert_eq!(
        reason_of(&f.verifier, &wrong_iss_case).await,
        Reason::WrongIssuer
    );
    let wrong_aud = swap(AUDIENCE, "https://api.example.org");
    assert_eq!(
        reason_of(&f.verifier, &wrong_aud).await,
        Reason::WrongAudience
    );
    let many = swap(
        &format!("\"{AUDIENCE}\""),
        &format!("[\"x\",\"{AUDIENCE}\"]"),
    );
    assert!(f.verifier.verify(&many, None).await.is_ok());

    // A token with aud is rejected when no audience is configured.
    let no_audience = TokenVerifier::new(f.ring.clone(), Validation::new(ISSUER))
        .with_clock(std::sync::Arc::new(f.clock.clone()));
    let token = craft(HEADER, &claims_json(), &key);
    assert_eq!(
        no_audience.verify(&token, None).await.unwrap_err().reason(),
        Reason::WrongAudience
    );
    // And a token without aud is rejected when one is configured.
    let without = craft(
        HEADER,
        &claims_json().replace(&format!(r#""aud":"{AUDIENCE}","#), ""),
        &key,
    );
    assert_eq!(
        reason_of(&f.verifier, &without).await,
        Reason::InvalidClaims
    );
    assert!(no_audience.verify(&without, None).await.is_ok());
}

#[tokio::test]
async fn typ_is_checked() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    for (header, ok) in [
        (r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}"#, true),
        (r#"{"alg":"EdDSA","kid":"k1","typ":"AT+JWT"}"#, true),
        (
            r#"{"alg":"EdDSA","kid":"k1","typ":"application/at+jwt"}"#,
            true,
        ),
        (r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#, false),
        (r#"{"alg":"EdDSA","kid":"k1"}"#, false),
        (r#"{"alg":"EdDSA","kid":"k1","typ":"at+jwt2"}"#, false),
    ] {
        let result = f
            .verifier
            .verify(&craft(header, &claims_json(), &key), None)
            .await;
        match ok {
            true => assert!(result.is_ok(), "{header}"),
            false => assert_eq!(
                result.unwrap_err().reason(),
                Reason::WrongTokenType,
                "{header}"
            ),
        }
    }
    let jwt_ok = TokenVerifier::new(f.ring.clone(), validation().allow_type("JWT"))
        .with_clock(std::sync::Arc::new(f.clock.clone()));
    let token = craft(
        r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#,
        &claims_json(),
        &key,
    );
    assert!(jwt_ok.verify(&token, None).await.is_ok());
}

#[tokio::test]
async fn oversize_and_deeply_nested_input_is_rejected_without_panicking() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let claims = claims_json();
    let padded = format!(
        "{},\"pad\":\"{}\"}}",
        &claims[..claims.len() - 1],
        "x".repeat(9000)
    );
    let token = craft(HEADER, &padded, &key);
    assert!(token.len() > 8192);
    let rejection = f.verifier.verify(&token, None).await.unwrap_err();
    assert_eq!(rejection.reason(), Reason::Malformed);
    assert_eq!(rejection.public_face(&FaceConfig::default()).status(), 400);
    assert_eq!(
        reason_of(&f.verifier, &"a".repeat(1 << 20)).await,
        Reason::Malformed
    );

    for depth in [40, 200, 2000] {
        let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let deep = format!("{},\"deep\":{nested}}}", &claims[..claims.len() - 1]);
        let big = TokenVerifier::new(f.ring.clone(), validation().with_max_size(1 << 20))
            .with_clock(std::sync::Arc::new(f.clock.clone()));
        let token = craft(HEADER, &deep, &key);
        assert_eq!(
            big.verify(&token, None).await.unwrap_err().reason(),
            Reason::InvalidClaims,
            "{depth}"
        );
        let deep_header = format!(r#"{{"alg":"EdDSA","kid":"k1","typ":"at+jwt","x":{nested}}}"#);
        let token = craft(&deep_header, &claims, &key);
        assert_eq!(
            big.verify(&token, None).await.unwrap_err().reason(),
            Reason::Malformed,
            "{depth}"
        );
    }
}

#[tokio::test]
async fn signatures_of_the_wrong_length_or_content_fail() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let good = craft(HEADER, &claims_json(), &key);
    let (input, signature) = good.rsplit_once('.').unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
        .unwrap();
    for bad in [
        &raw[..63],
        &[raw.clone(), vec![0]].concat()[..],
        &[][..],
        &[0u8; 64][..],
    ] {
        let token = format!("{input}.{}", b64(bad));
        let reason = reason_of(&f.verifier, &token).await;
        assert!(
            matches!(reason, Reason::BadSignature | Reason::Malformed),
            "{} bytes: {reason:?}",
            bad.len()
        );
    }
    // A payload changed after signing.
    let (header, _) = input.split_once('.').unwrap();
    let forged = format!(
        "{header}.{}.{signature}",
        b64(claims_json().replace("acme", "root").as_bytes())
    );
    assert_eq!(reason_of(&f.verifier, &forged).await, Reason::BadSignature);
}

#[tokio::test]
async fn every_invalid_token_has_the_same_public_face() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let config = FaceConfig::default();
    let mut faces = Vec::new();
    for token in [
        craft(
            r#"{"alg":"EdDSA","kid":"k9","typ":"at+jwt"}"#,
            &claims_json(),
            &key,
        ),
        craft(
            r#"{"alg":"ES256","kid":"k1","typ":"at+jwt"}"#,
            &claims_json(),
            &key,
        ),
        craft(HEADER, &claims_json().replace(ISSUER, "x"), &key),
        craft(HEADER, &claims_json().replace(AUDIENCE, "x"), &key),
        craft(
            r#"{"alg":"EdDSA","kid":"k1","typ":"JWT"}"#,
            &claims_json(),
            &key,
        ),
        craft(
            HEADER,
            &claims_json().replace("\"sub\":\"acme\"", "\"sub\":1"),
            &key,
        ),
    ] {
        faces.push(
            f.verifier
                .verify(&token, None)
                .await
                .unwrap_err()
                .public_face(&config),
        );
    }
    f.clock.advance(time::Duration::hours(1));
    faces.push(
        f.verifier
            .verify(&craft(HEADER, &claims_json(), &key), None)
            .await
            .unwrap_err()
            .public_face(&config),
    );
    assert!(faces.iter().all(|face| face.status() == 401));
    assert!(faces.windows(2).all(|w| w[0] == w[1]), "{faces:#?}");
}

#[tokio::test]
async fn retired_keys_stop_verifying_at_their_retirement() {
    let f = token_fixture(Algorithm::EdDSA);
    let old = f
        .issuer
        .mint("acme", "0123456789abcdef", &"a".parse().unwrap())
        .unwrap();
    let retire_at = START + time::Duration::minutes(10);
    f.ring
        .rotate(
            "k2",
            SigningKey::generate(Algorithm::ES256).unwrap(),
            retire_at,
        )
        .unwrap();
    assert_eq!(f.ring.signing_key_id().as_deref(), Some("k2"));
    let new = f
        .issuer
        .mint("acme", "0123456789abcdef", &"a".parse().unwrap())
        .unwrap();
    let untrusted =
        credential_core::token::UntrustedToken::parse(new.token.expose_secret(), 8192).unwrap();
    assert_eq!(untrusted.header().key_id(), Some("k2"));
    assert_eq!(untrusted.header().algorithm(), Algorithm::ES256);

    // Both verify while the old key is not retired.
    assert!(
        f.verifier
            .verify(old.token.expose_secret(), None)
            .await
            .is_ok()
    );
    assert!(
        f.verifier
            .verify(new.token.expose_secret(), None)
            .await
            .is_ok()
    );
    f.clock.advance(time::Duration::minutes(10));
    assert_eq!(
        reason_of(&f.verifier, old.token.expose_secret()).await,
        Reason::UnknownSigningKey
    );
    assert!(
        f.verifier
            .verify(new.token.expose_secret(), None)
            .await
            .is_ok()
    );
    let now = credential_core::clock::Clock::now(&f.clock);
    assert_eq!(f.ring.remove_retired(now), 1);
    assert_eq!(f.ring.public_jwks().keys().len(), 1);
}

#[tokio::test]
async fn a_header_with_many_members_is_rejected_before_any_signature_work() {
    let f = token_fixture(Algorithm::EdDSA);
    let key = signer(&f);
    let members: String = (0..17).map(|i| format!(r#","m{i}":{i}"#)).collect();
    let header = format!(r#"{{"alg":"EdDSA","kid":"k1","typ":"at+jwt"{members}}}"#);
    assert_eq!(
        reason_of(&f.verifier, &craft(&header, &claims_json(), &key)).await,
        Reason::Malformed
    );
    let members: String = (0..16).map(|i| format!(r#","m{i}":{i}"#)).collect();
    let header = format!(r#"{{"alg":"EdDSA","kid":"k1","typ":"at+jwt"{members}}}"#);
    assert!(
        f.verifier
            .verify(&craft(&header, &claims_json(), &key), None)
            .await
            .is_ok()
    );
}

#[test]
fn an_untrusted_token_shows_only_its_header_in_debug() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let token = craft(HEADER, &claims_json(), &key);
    let untrusted = credential_core::token::UntrustedToken::parse(&token, 8192).unwrap();
    let debug = format!("{untrusted:?}");
    let (_, payload) = token.split_once('.').unwrap();
    assert!(!debug.contains(&payload[..20]), "{debug}");
    assert!(!debug.contains("acme"), "{debug}");
    assert!(debug.contains("EdDSA"), "{debug}");
}
