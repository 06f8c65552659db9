//! Token-level interoperability with `jsonwebtoken` 9 in both directions,
//! and the RFC 7515 Appendix A.1 token end to end.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::START;
use common::tokens::{AUDIENCE, ISSUER, validation};
use credential_core::Reason;
use credential_core::clock::ManualClock;
use credential_core::scope::ScopeSet;
use credential_core::token::jose::{Algorithm, Jwk, SigningKey, VerifyingKey};
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, UntrustedToken, Validation};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

const CLIENT_ID: &str = "0123456789abcdef";
const SIGNING_ALGORITHMS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256];

/// RFC 8410 §7: the PKCS#8 v1 prefix of an Ed25519 private key; the
/// 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The RFC 9068 claims, as `jsonwebtoken` users declare them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    jti: String,
    client_id: String,
    scope: String,
}

fn access_claims(now: OffsetDateTime) -> AccessClaims {
    AccessClaims {
        iss: ISSUER.to_owned(),
        sub: "acme".to_owned(),
        aud: AUDIENCE.to_owned(),
        exp: now.unix_timestamp() + 600,
        iat: now.unix_timestamp(),
        jti: "jwt-1".to_owned(),
        client_id: CLIENT_ID.to_owned(),
        scope: "reports:read billing:*".to_owned(),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn jwt_algorithm(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
    }
}

/// One algorithm's keys on both sides.
struct Peer {
    alg: Algorithm,
    /// Our ring: its signing key `k1` mints; the key `jwt_kid` verifies
    /// what `encoding` signs.
    ring: KeyRing,
    /// `jsonwebtoken`'s key for tokens our ring verifies.
    encoding: EncodingKey,
    /// `jsonwebtoken`'s key for tokens our ring signs.
    decoding: DecodingKey,
    jwt_kid: &'static str,
}

/// The members of our key `kid` as a private JWK, as JSON.
fn private_members(ring: &KeyRing, kid: &str) -> Value {
    let jwk = ring
        .private_jwks()
        .into_iter()
        .find(|jwk| jwk.kid() == Some(kid))
        .unwrap();
    serde_json::from_str(&jwk.to_json()).unwrap()
}

fn member<'a>(members: &'a Value, name: &str) -> &'a str {
    members[name].as_str().unwrap()
}

fn peer(alg: Algorithm) -> Peer {
    let ring = KeyRing::new();
    match alg {
        Algorithm::HS256 => {
            let secret = [0x5c_u8; 48];
            ring.add_signing_key("k1", SigningKey::hs256(&secret).unwrap())
                .unwrap();
            Peer {
                alg,
                ring,
                encoding: EncodingKey::from_secret(&secret),
                decoding: DecodingKey::from_secret(&secret),
                jwt_kid: "k1",
            }
        }
        Algorithm::EdDSA => {
            ring.add_signing_key("k1", SigningKey::generate(alg).unwrap())
                .unwrap();
            let members = private_members(&ring, "k1");
            let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
            pkcs8.extend_from_slice(&unb64(member(&members, "d")));
            Peer {
                alg,
                encoding: EncodingKey::from_ed_der(&pkcs8),
                decoding: DecodingKey::from_ed_components(member(&members, "x")).unwrap(),
                ring,
                jwt_kid: "k1",
            }
        }
        Algorithm::ES256 => {
            // Our key mints; a key `ring` generates as PKCS#8 signs for
            // `jsonwebtoken`, and its public point joins our ring as a JWK.
            ring.add_signing_key("k1", SigningKey::generate(alg).unwrap())
                .unwrap();
            let members = private_members(&ring, "k1");
            let rng = SystemRandom::new();
            let document =
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, document.as_ref(), &rng)
                    .unwrap();
            let point = pair.public_key().as_ref();
            assert_eq!((point.len(), point[0]), (65, 0x04));
            let public = format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}"#,
                b64(&point[1..33]),
                b64(&point[33..])
            );
            let verifying =
                VerifyingKey::from_jwk(&Jwk::parse(public.as_bytes()).unwrap()).unwrap();
            ring.add_verifying_key("jwt-p256", verifying).unwrap();
            Peer {
                alg,
                encoding: EncodingKey::from_ec_der(document.as_ref()),
                decoding: DecodingKey::from_ec_components(
                    member(&members, "x"),
                    member(&members, "y"),
                )
                .unwrap(),
                ring,
                jwt_kid: "jwt-p256",
            }
        }
        Algorithm::RS256 | Algorithm::PS256 => unreachable!("RSA only verifies"),
    }
}

/// `jsonwebtoken` validation of an RFC 9068 access token: our issuer and
/// audience, the claims it can require, no leeway.
fn jwt_validation(alg: Algorithm) -> jsonwebtoken::Validation {
    let mut validation = jsonwebtoken::Validation::new(jwt_algorithm(alg));
    validation.leeway = 0;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}

/// A `jsonwebtoken` header: its default `typ` (`JWT`) and `kid`.
fn jwt_header(peer: &Peer) -> Header {
    let mut header = Header::new(jwt_algorithm(peer.alg));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    header.kid = Some(peer.jwt_kid.to_owned());
    header
}

fn verifier(ring: &KeyRing, validation: Validation) -> TokenVerifier {
    TokenVerifier::new(ring.clone(), validation).with_clock(Arc::new(ManualClock::new(START)))
}

#[test]
fn our_tokens_decode_and_validate_with_jsonwebtoken() {
    for alg in SIGNING_ALGORITHMS {
        let peer = peer(alg);
        // `jsonwebtoken` checks `exp` against the system clock, so mint
        // with it.
        let issuer = TokenIssuer::new(peer.ring.clone(), ISSUER).with_audience(AUDIENCE);
        let issued = issuer
            .mint(
                "acme",
                CLIENT_ID,
                &"reports:read billing:*".parse().unwrap(),
            )
            .unwrap();
        let token = issued.token.expose_secret();

        let data =
            jsonwebtoken::decode::<AccessClaims>(token, &peer.decoding, &jwt_validation(alg))
                .unwrap_or_else(|e| panic!("{alg}: {e:?}"));
        assert_eq!(data.header.alg, jwt_algorithm(alg));
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"), "{alg}");
        assert_eq!(data.header.kid.as_deref(), Some("k1"), "{alg}");
        let exp = issued.expires_at.unix_timestamp();
        assert_eq!(
            data.claims,
            AccessClaims {
                iss: ISSUER.to_owned(),
                sub: "acme".to_owned(),
                aud: AUDIENCE.to_owned(),
                exp,
                iat: exp - issuer.lifetime().whole_seconds(),
                jti: issued.jti.clone(),
                client_id: CLIENT_ID.to_owned(),
                scope: issued.scope.to_string(),
            },
            "{alg}"
        );
        assert_eq!(data.claims.jti.len(), 22, "{alg}");
        assert_eq!(data.claims.scope.split(' ').count(), 2, "{alg}");

        // The same decoder refuses the token for another audience, and
        // refuses it altered.
        let mut other_audience = jwt_validation(alg);
        other_audience.set_audience(&["https://other.example.com"]);
        let error = jsonwebtoken::decode::<AccessClaims>(token, &peer.decoding, &other_audience)
            .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::InvalidAudience, "{alg}");
        let (input, signature) = token.rsplit_once('.').unwrap();
        let mut signature = unb64(signature);
        signature[5] ^= 1;
        let tampered = format!("{input}.{}", b64(&signature));
        let error =
            jsonwebtoken::decode::<AccessClaims>(&tampered, &peer.decoding, &jwt_validation(alg))
                .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::InvalidSignature, "{alg}");
    }
}

#[tokio::test]
async fn jsonwebtoken_tokens_verify_when_jwt_type_is_allowed() {
    for alg in SIGNING_ALGORITHMS {
        let peer = peer(alg);
        let claims = access_claims(START);
        let token = jsonwebtoken::encode(&jwt_header(&peer), &claims, &peer.encoding).unwrap();

        let accepting = verifier(&peer.ring, validation().allow_type("JWT"));
        let verified = accepting
            .verify_token(&token)
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.header().algorithm(), alg);
        assert_eq!(verified.header().token_type(), Some("JWT"));
        assert_eq!(verified.header().key_id(), Some(peer.jwt_kid));
        let ours = verified.claims();
        assert_eq!(ours.issuer(), Some(ISSUER), "{alg}");
        assert_eq!(ours.subject(), Some("acme"), "{alg}");
        assert_eq!(ours.audience(), [AUDIENCE], "{alg}");
        assert_eq!(ours.client_id(), Some(CLIENT_ID), "{alg}");
        assert_eq!(ours.token_id(), Some("jwt-1"), "{alg}");
        // A scope set is order-free.
        assert_eq!(
            ours.scope(),
            &claims.scope.parse::<ScopeSet>().unwrap(),
            "{alg}"
        );
        assert_eq!(ours.scope().len(), 2, "{alg}");
        assert_eq!(
            ours.expires_at().map(OffsetDateTime::unix_timestamp),
            Some(claims.exp)
        );
        assert_eq!(
            ours.issued_at().map(OffsetDateTime::unix_timestamp),
            Some(claims.iat)
        );
        assert!(ours.extra().is_empty(), "{alg}");

        // The default validation wants `at+jwt`.
        let strict = verifier(&peer.ring, validation());
        let error = strict.verify_token(&token).await.unwrap_err();
        assert_eq!(error.reason(), Reason::WrongTokenType, "{alg}");
    }
}

#[tokio::test]
async fn jsonwebtoken_at_jwt_tokens_verify_with_the_default_validation() {
    for alg in SIGNING_ALGORITHMS {
        let peer = peer(alg);
        let mut header = jwt_header(&peer);
        header.typ = Some("at+jwt".to_owned());
        let token = jsonwebtoken::encode(&header, &access_claims(START), &peer.encoding).unwrap();
        let verified = verifier(&peer.ring, validation())
            .verify_token(&token)
            .await
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(verified.claims().subject(), Some("acme"));
        assert_eq!(verified.header().token_type(), Some("at+jwt"));
    }
}

#[tokio::test]
async fn jsonwebtoken_audience_arrays_and_other_header_members_are_understood() {
    let peer = peer(Algorithm::EdDSA);
    let mut header = jwt_header(&peer);
    header.cty = Some("JWT".to_owned());
    header.x5t = Some("bm90IGEgdGh1bWJwcmludA".to_owned());
    let mut claims = serde_json::to_value(access_claims(START)).unwrap();
    claims["aud"] = serde_json::json!(["https://other.example.com", AUDIENCE]);
    claims["tenant"] = "t-42".into();
    let token = jsonwebtoken::encode(&header, &claims, &peer.encoding).unwrap();
    let verified = verifier(&peer.ring, validation().allow_type("JWT"))
        .verify_token(&token)
        .await
        .unwrap();
    assert_eq!(
        verified.claims().audience(),
        ["https://other.example.com", AUDIENCE]
    );
    assert_eq!(
        verified.claims().extra().get("tenant"),
        Some(&Value::from("t-42"))
    );
}

#[tokio::test]
async fn a_jsonwebtoken_token_without_kid_uses_the_only_key() {
    let peer = peer(Algorithm::HS256);
    let header = Header::new(jsonwebtoken::Algorithm::HS256);
    assert_eq!(header.kid, None);
    let token = jsonwebtoken::encode(&header, &access_claims(START), &peer.encoding).unwrap();
    let verified = verifier(&peer.ring, validation().allow_type("JWT"))
        .verify_token(&token)
        .await
        .unwrap();
    assert_eq!(verified.claims().token_id(), Some("jwt-1"));
}

#[tokio::test]
async fn a_jsonwebtoken_token_signed_with_another_secret_is_a_bad_signature() {
    let peer = peer(Algorithm::HS256);
    let token = jsonwebtoken::encode(
        &jwt_header(&peer),
        &access_claims(START),
        &EncodingKey::from_secret(&[0xa3; 48]),
    )
    .unwrap();
    let error = verifier(&peer.ring, validation().allow_type("JWT"))
        .verify_token(&token)
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Reason::BadSignature);
}

/// A DER element: `tag`, definite length, `body`.
fn der(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match body.len() {
        len @ 0..0x80 => out.push(len as u8),
        len @ 0x80..0x100 => out.extend([0x81, len as u8]),
        len => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(body);
    out
}

/// A DER INTEGER holding the unsigned big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut body = Vec::new();
    if bytes[start] & 0x80 != 0 {
        body.push(0);
    }
    body.extend_from_slice(&bytes[start..]);
    der(0x02, &body)
}

/// The RFC 7515 Appendix A.2 RSA key: its public JWK, and its private key
/// as a PKCS#1 `RSAPrivateKey` for `jsonwebtoken`.
fn rfc7515_rsa_key() -> (Value, Vec<u8>) {
    let vector = load_vector("rfc7515-a2-rs256.json");
    let jwk = vector["jwk"].clone();
    let private = &vector["rsa_private_components"];
    let mut body = der_uint(&[0]);
    for value in [
        &jwk["n"],
        &jwk["e"],
        &private["d"],
        &private["p"],
        &private["q"],
        &private["dp"],
        &private["dq"],
        &private["qi"],
    ] {
        body.extend(der_uint(&unb64(value.as_str().unwrap())));
    }
    (jwk, der(0x30, &body))
}

#[tokio::test]
async fn rs256_tokens_without_a_matching_key_are_rejected() {
    let (rsa_jwk, rsa_der) = rfc7515_rsa_key();
    let claims = access_claims(START);
    let rs256 = |kid: Option<&str>| {
        let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(&rsa_der)).unwrap()
    };

    // A ring holding only an HS256 key.
    let peer = peer(Algorithm::HS256);
    let hs_only = verifier(&peer.ring, validation().allow_type("JWT"));
    for (kid, reason) in [
        (Some("k1"), Reason::AlgorithmMismatch),
        (Some("rsa-1"), Reason::UnknownSigningKey),
        (None, Reason::AlgorithmMismatch),
    ] {
        let error = hs_only.verify_token(&rs256(kid)).await.unwrap_err();
        assert_eq!(error.reason(), reason, "kid {kid:?}");
    }

    // The same token verifies once the RSA key is in the ring, pinned to
    // RS256: the rejections above are about the key alone.
    let rsa_key = VerifyingKey::from_jwk_with_algorithm(
        &Jwk::parse(rsa_jwk.to_string().as_bytes()).unwrap(),
        Algorithm::RS256,
    )
    .unwrap();
    peer.ring.add_verifying_key("rsa-1", rsa_key).unwrap();
    let verified = hs_only.verify_token(&rs256(Some("rsa-1"))).await.unwrap();
    assert_eq!(verified.claims().subject(), Some("acme"));

    // Key confusion: HS256 keyed with the RSA public key, sent to the RSA
    // key's kid.
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("rsa-1".to_owned());
    for secret in [
        unb64(rsa_jwk["n"].as_str().unwrap()),
        rsa_jwk.to_string().into_bytes(),
    ] {
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
        let error = hs_only.verify_token(&token).await.unwrap_err();
        assert_eq!(error.reason(), Reason::AlgorithmMismatch);
    }
}

fn load_vector(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// RFC 7515 Appendix A.1, character for character.
const RFC7515_A1_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC7515_A1_EXP: i64 = 1_300_819_380;

#[test]
fn rfc7515_appendix_a1_token_verifies_until_it_expires() {
    let vector = load_vector("rfc7515-a1-hs256.json");
    assert_eq!(
        RFC7515_A1_TOKEN.rsplit_once('.').unwrap(),
        (
            vector["signing_input"].as_str().unwrap(),
            vector["signature"].as_str().unwrap()
        )
    );
    let jwk = Jwk::parse(vector["jwk"].to_string().as_bytes()).unwrap();
    let ring = KeyRing::new();
    // No kid in the header: the ring's only key applies.
    ring.add_verifying_key("rfc7515-a1", VerifyingKey::from_jwk(&jwk).unwrap())
        .unwrap();
    let validation = Validation::new("joe")
        .allow_type("JWT")
        .require_claims(["iss", "exp"]);
    let at = |unix: i64| OffsetDateTime::from_unix_timestamp(unix).unwrap();
    let verify = |now: OffsetDateTime| {
        let untrusted = UntrustedToken::parse(RFC7515_A1_TOKEN, validation.max_size()).unwrap();
        assert_eq!(untrusted.header().algorithm(), Algorithm::HS256);
        assert_eq!(untrusted.header().token_type(), Some("JWT"));
        assert_eq!(untrusted.header().key_id(), None);
        ring.verify(untrusted, &validation, now)
    };

    for now in [at(RFC7515_A1_EXP - 3600), at(RFC7515_A1_EXP - 1)] {
        let verified = verify(now).unwrap();
        let claims = verified.claims();
        assert_eq!(claims.issuer(), Some("joe"));
        assert_eq!(claims.expires_at(), Some(at(RFC7515_A1_EXP)));
        assert_eq!(claims.subject(), None);
        assert_eq!(claims.extra().len(), 1);
        assert_eq!(
            claims.extra().get("http://example.com/is_root"),
            Some(&Value::Bool(true))
        );
    }
    for now in [at(RFC7515_A1_EXP), at(RFC7515_A1_EXP + 1), START] {
        assert_eq!(verify(now).unwrap_err().reason(), Reason::Expired);
    }

    // Another issuer is refused while the token is still fresh.
    let untrusted = UntrustedToken::parse(RFC7515_A1_TOKEN, 8192).unwrap();
    let error = ring
        .verify(
            untrusted,
            &Validation::new("jane")
                .allow_type("JWT")
                .require_claims(["iss", "exp"]),
            at(RFC7515_A1_EXP - 1),
        )
        .unwrap_err();
    assert_eq!(error.reason(), Reason::WrongIssuer);

    // `jsonwebtoken`, with its expiry check off since its clock is the
    // system's, agrees on the signature and the claims.
    let mut jwt = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    jwt.validate_exp = false;
    jwt.set_issuer(&["joe"]);
    let key = DecodingKey::from_secret(&unb64(vector["jwk"]["k"].as_str().unwrap()));
    let data = jsonwebtoken::decode::<Value>(RFC7515_A1_TOKEN, &key, &jwt).unwrap();
    assert_eq!(data.claims["iss"], "joe");
    assert_eq!(data.claims["exp"], RFC7515_A1_EXP);
    assert_eq!(data.claims["http://example.com/is_root"], true);
}
