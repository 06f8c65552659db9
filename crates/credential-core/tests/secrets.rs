//! Secret types: redacted `Debug`, constant-time equality, thread safety.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use credential_core::key::{Pepper, Peppers};
use credential_core::{ApiKey, KeySecret, Principal, Verifier};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}

#[test]
fn secret_types_are_wiped_on_drop() {
    assert_zeroize_on_drop::<ApiKey>();
    assert_zeroize_on_drop::<KeySecret>();
    assert_zeroize_on_drop::<Pepper>();
}

#[test]
fn secret_types_are_send_and_sync() {
    assert_send_sync::<ApiKey>();
    assert_send_sync::<KeySecret>();
    assert_send_sync::<Pepper>();
    assert_send_sync::<Peppers>();
    assert_send_sync::<Principal>();
    assert_send_sync::<credential_core::key::KeyManager<credential_core::key::MemoryKeyStore>>();
    assert_send_sync::<credential_core::key::KeyVerifier<dyn credential_core::key::KeyStore>>();
}

#[tokio::test]
async fn debug_output_never_contains_secret_material() {
    let f = common::fixture();
    let created = f.key("a").await;
    let key = created.key.expose_secret().to_owned();
    let secret = &key[key.rfind('_').unwrap() + 1..];
    let parsed = f.manager.format().parse(&key).unwrap();
    let principal = f.manager.verifier().verify(&key, None).await.unwrap();

    let pepper_bytes = [0x5au8; 32];
    let pepper = Pepper::new(3, &pepper_bytes).unwrap();
    let pepper_hex: String = pepper_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let digest_hex: String = created
        .record
        .hash
        .digest()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let outputs = [
        format!("{:?}", created.key),
        format!("{:#?}", created.key),
        format!("{created:?}"),
        format!("{:?}", parsed),
        format!("{:?}", parsed.secret()),
        format!("{pepper:?}"),
        format!("{:?}", Peppers::new(Pepper::new(4, &pepper_bytes).unwrap())),
        format!("{:?}", created.record),
        format!("{principal:?}"),
        format!("{:?}", f.manager),
        format!("{:?}", f.manager.verifier()),
    ];
    for output in &outputs {
        assert!(!output.contains(secret), "secret in {output}");
        assert!(
            !output.contains(&secret[..12]),
            "part of the secret in {output}"
        );
        assert!(!output.contains(&pepper_hex), "pepper in {output}");
        assert!(!output.contains("90, 90, 90"), "pepper bytes in {output}");
        assert!(!output.contains(&digest_hex), "hash in {output}");
    }
    // What Debug does show is useful: the public id.
    assert!(
        outputs[0].contains(created.record.id.as_str()),
        "{}",
        outputs[0]
    );
    assert_eq!(format!("{:?}", parsed.secret()), "KeySecret(<redacted>)");
    assert_eq!(format!("{pepper:?}"), "Pepper { version: 3, .. }");
}

#[test]
fn secrets_compare_by_value() {
    assert_eq!(ApiKey::new("sk_a_b"), ApiKey::new("sk_a_b"));
    assert_ne!(ApiKey::new("sk_a_b"), ApiKey::new("sk_a_c"));
    assert_ne!(ApiKey::new("sk_a_b"), ApiKey::new("sk_a_bb"));
    assert_eq!(
        Pepper::new(1, &[1; 32]).unwrap(),
        Pepper::new(1, &[1; 32]).unwrap()
    );
    assert_ne!(
        Pepper::new(1, &[1; 32]).unwrap(),
        Pepper::new(1, &[2; 32]).unwrap()
    );
    assert_ne!(
        Pepper::new(1, &[1; 32]).unwrap(),
        Pepper::new(2, &[1; 32]).unwrap()
    );
}

#[test]
fn a_pepper_must_be_long_enough() {
    assert!(Pepper::new(1, &[0; 31]).is_err());
    assert!(Pepper::new(1, &[0; 32]).is_ok());
    let a = Pepper::generate(1).unwrap();
    let b = Pepper::generate(1).unwrap();
    assert_ne!(a.expose_secret(), b.expose_secret());
    assert_eq!(a.expose_secret().len(), 32);
}

#[test]
fn debug_of_a_string_that_is_not_a_key_shows_nothing_of_it() {
    for text in [
        "my_db_password_hunter2",
        "eyJhbGciOi.eyJzdWIi.sig_with_underscore",
        "x",
    ] {
        let key = format!("{:?}", ApiKey::new(text));
        let refresh = format!("{:?}", credential_core::RefreshToken::new(text));
        assert_eq!(key, r#"ApiKey("…")"#);
        assert_eq!(refresh, r#"RefreshToken("…")"#);
    }
}

#[tokio::test]
async fn debug_of_what_holds_tokens_and_client_secrets_shows_none_of_them() {
    use credential_core::oauth::{OAuthEndpoints, OAuthFront};
    use credential_core::token::jose::{Algorithm, SigningKey};
    use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};

    let f = common::fixture();
    let created = f.key("a").await;
    let key = created.key.expose_secret();
    let secret = &key[key.rfind('_').unwrap() + 1..];

    // A verifier that has kept a verified token in its cache.
    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(Algorithm::HS256).unwrap())
        .unwrap();
    let issuer = TokenIssuer::new(ring.clone(), "https://auth.example.com");
    let token = issuer.mint_for_key(&created.record, None).unwrap();
    let token = token.token.expose_secret();
    let verifier = TokenVerifier::new(ring, Validation::new("https://auth.example.com"));
    verifier.verify(token, None).await.unwrap();
    let signature = &token[token.rfind('.').unwrap() + 1..];

    // A form head holding a client's Basic credentials.
    let front = OAuthFront::new(
        OAuthEndpoints::new(f.manager.verifier(), issuer, verifier.clone()),
        credential_core::FaceConfig::default(),
    );
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{key}", created.record.id.as_str()),
        )
    );
    let head = front
        .check_head(
            Some(b"application/x-www-form-urlencoded"),
            &[basic.as_bytes()],
        )
        .unwrap();
    assert_eq!(head.authorization(), Some(basic.as_str()));

    for output in [
        format!("{verifier:?}"),
        format!("{head:?}"),
        format!("{front:?}"),
    ] {
        assert!(!output.contains(signature), "token in {output}");
        assert!(
            !output.contains(&basic[6..]),
            "client credentials in {output}"
        );
        assert!(!output.contains(secret), "secret in {output}");
    }
}
