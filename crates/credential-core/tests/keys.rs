//! API key format, hashing and lifecycle, through the public API.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use common::{START, fixture, one_char_mutations, pepper, with_wrong_secret};
use credential_core::key::{
    KeyFormat, KeyParseError, KeyStore, MAX_KEY_LEN, ManageError, MemoryKeyStore, Metadata, NewKey,
    Peppers, SCANNER_REGEX,
};
use credential_core::{Reason, Verifier};
use regex::Regex;
use time::Duration;

fn new_key(scopes: &str) -> NewKey {
    NewKey::new("acme", scopes.parse().unwrap()).name("test key")
}

#[tokio::test]
async fn generated_keys_match_the_published_scanner_regexes() {
    let generic = Regex::new(&format!("^{SCANNER_REGEX}$")).unwrap();
    for prefix in ["sk_live", "sk_test", "pk", "acme_prod_v2"] {
        let f = fixture();
        let manager = credential_core::key::KeyManager::new(
            Arc::clone(&f.store),
            KeyFormat::new(prefix).unwrap(),
            Peppers::new(pepper(1)),
        );
        let specific = Regex::new(&format!("^{}$", manager.format().scanner_regex())).unwrap();
        for _ in 0..50 {
            let created = manager.create(new_key("a")).await.unwrap();
            let key = created.key.expose_secret();
            assert!(generic.is_match(key), "{key}");
            assert!(specific.is_match(key), "{key}");
            assert!(key.len() <= MAX_KEY_LEN);
            assert!(key.starts_with(&format!("{prefix}_{}_", created.record.id)));
        }
    }
}

#[test]
fn scanner_regex_does_not_match_near_misses() {
    let re = Regex::new(&KeyFormat::new("sk_live").unwrap().scanner_regex()).unwrap();
    let id = "0123456789abcdef";
    let tail = "A".repeat(49);
    assert!(re.is_match(&format!("token: sk_live_{id}_{tail} end")));
    assert!(!re.is_match(&format!("sk_test_{id}_{tail}")));
    assert!(!re.is_match(&format!("sk_live_{id}_{}", "A".repeat(48))));
    assert!(!re.is_match(&format!("sk_live_{id}_{}", "A".repeat(50))));
    assert!(!re.is_match(&format!("sk_live_{}_{tail}", "0".repeat(15))));
}

#[tokio::test]
async fn a_prefix_containing_underscores_parses_from_the_right() {
    let format = KeyFormat::new("acme_live_eu").unwrap();
    let manager = credential_core::key::KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        format.clone(),
        Peppers::new(pepper(1)),
    );
    let created = manager.create(new_key("a")).await.unwrap();
    let parsed = format.parse(created.key.expose_secret()).unwrap();
    assert_eq!(parsed.id(), created.record.id);
    // The same key does not parse for a prefix that is a suffix or a part of it.
    for other in ["live_eu", "acme_live", "eu", "acme"] {
        let err = KeyFormat::new(other)
            .unwrap()
            .parse(created.key.expose_secret())
            .unwrap_err();
        assert!(
            matches!(err, KeyParseError::WrongPrefix | KeyParseError::Shape),
            "{other}: {err:?}"
        );
    }
}

#[tokio::test]
async fn every_single_character_change_is_rejected_before_the_store() {
    let f = fixture();
    let created = f.manager.create(new_key("a")).await.unwrap();
    let format = f.manager.format();
    let key = created.key.expose_secret();
    let mut rejected_by_checksum = 0;
    let mutations = one_char_mutations(key);
    for mutated in &mutations {
        match format.parse(mutated) {
            Err(KeyParseError::BadChecksum) => rejected_by_checksum += 1,
            Err(_) => {}
            Ok(_) => panic!("a one-character change parsed: {mutated}"),
        }
    }
    // CRC-32 detects every single-symbol change, so none gets past the parser.
    assert!(rejected_by_checksum > mutations.len() / 2);
}

#[test]
fn parse_rejects_malformed_input_without_panicking() {
    let format = KeyFormat::new("sk_live").unwrap();
    let long = "a".repeat(MAX_KEY_LEN + 1);
    let cases: &[(&str, KeyParseError)] = &[
        ("", KeyParseError::Shape),
        ("_", KeyParseError::Shape),
        ("__", KeyParseError::Shape),
        ("sk_live", KeyParseError::Shape),
        ("sk_live_0123456789abcdef", KeyParseError::Shape),
        ("sk_live_0123456789abcdef_short", KeyParseError::Shape),
        (
            "sk live_0123456789abcdef_x",
            KeyParseError::InvalidCharacter,
        ),
        (
            "sk_live_0123456789abcdéf_x",
            KeyParseError::InvalidCharacter,
        ),
        (
            "sk_live_0123456789abcdef_x\n",
            KeyParseError::InvalidCharacter,
        ),
        (&long, KeyParseError::TooLong),
    ];
    for (input, expected) in cases {
        assert_eq!(format.parse(input).unwrap_err(), *expected, "{input:?}");
    }
    let tail = "A".repeat(49);
    assert_eq!(
        format
            .parse(&format!("sk_test_0123456789abcdef_{tail}"))
            .unwrap_err(),
        KeyParseError::WrongPrefix
    );
    assert_eq!(
        format
            .parse(&format!("sk_live_0123456789abcdef_{tail}"))
            .unwrap_err(),
        KeyParseError::BadChecksum
    );
    assert_eq!(
        format
            .parse(&format!("_0123456789abcdef_{tail}"))
            .unwrap_err(),
        KeyParseError::Shape
    );
}

#[tokio::test]
async fn the_store_never_sees_the_secret() {
    let f = fixture();
    let created = f.manager.create(new_key("a b")).await.unwrap();
    let stored = f.store.get(&created.record.id).await.unwrap().unwrap();
    let json = serde_json::to_string(&*stored).unwrap();
    let key = created.key.expose_secret();
    let secret = &key[key.rfind('_').unwrap() + 1..key.len() - 6];
    assert_eq!(secret.len(), 43);
    assert!(!json.contains(secret));
    assert_eq!(stored.hash, pepper(1).hash(secret.as_bytes()));
}

#[tokio::test]
async fn records_round_trip_through_json() {
    let f = fixture();
    let mut metadata = Metadata::new();
    metadata.insert("team".into(), "billing".into());
    let created = f
        .manager
        .create(
            new_key("a:b c")
                .metadata(metadata)
                .expires_at(START + Duration::days(30)),
        )
        .await
        .unwrap();
    let json = serde_json::to_string(&*created.record).unwrap();
    let back: credential_core::KeyRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, *created.record);
}

#[tokio::test]
async fn lifecycle_create_get_list_update() {
    let f = fixture();
    let a = f.manager.create(new_key("repo:read")).await.unwrap();
    f.clock.advance(Duration::seconds(1));
    let b = f.manager.create(new_key("repo:write")).await.unwrap();
    f.manager
        .create(NewKey::new("other", "x".parse().unwrap()))
        .await
        .unwrap();

    assert_eq!(
        f.manager
            .get(&a.record.id)
            .await
            .unwrap()
            .scopes
            .to_string(),
        "repo:read"
    );
    assert_eq!(a.record.created_at, START);
    assert_eq!(a.record.name, "test key");
    let listed: Vec<_> = f
        .manager
        .list_by_subject("acme")
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![a.record.id, b.record.id]);
    assert!(
        f.manager
            .list_by_subject("nobody")
            .await
            .unwrap()
            .is_empty()
    );

    let updated = f
        .manager
        .update_scopes(&a.record.id, "repo:*".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(updated.scopes.to_string(), "repo:*");
    let mut metadata = Metadata::new();
    metadata.insert("env".into(), "ci".into());
    let updated = f
        .manager
        .update_metadata(&a.record.id, metadata.clone())
        .await
        .unwrap();
    assert_eq!(updated.metadata, metadata);
    assert_eq!(
        f.manager.get(&a.record.id).await.unwrap().metadata,
        metadata
    );

    let missing = "0000000000000000".parse().unwrap();
    assert!(matches!(
        f.manager.get(&missing).await,
        Err(ManageError::NotFound)
    ));
    assert!(matches!(
        f.manager.disable(&missing).await,
        Err(ManageError::NotFound)
    ));
}

#[tokio::test]
async fn create_validates_its_input() {
    let f = fixture();
    let mut big = Metadata::new();
    big.insert("blob".into(), "x".repeat(5000).into());
    for bad in [
        NewKey::new("", "a".parse().unwrap()),
        NewKey::new("a".repeat(300), "a".parse().unwrap()),
        NewKey::new("acme\n", "a".parse().unwrap()),
        new_key("a").name("line\rbreak"),
        new_key("a").metadata(big.clone()),
        NewKey::new(
            "acme",
            (0..65)
                .map(|i| {
                    format!("s{i}")
                        .parse::<credential_core::scope::Scope>()
                        .unwrap()
                })
                .collect(),
        ),
    ] {
        assert!(matches!(
            f.manager.create(bad).await,
            Err(ManageError::InvalidInput(_))
        ));
    }
    let created = f.manager.create(new_key("a")).await.unwrap();
    assert!(matches!(
        f.manager.update_metadata(&created.record.id, big).await,
        Err(ManageError::InvalidInput(_))
    ));
    assert!(f.store.inner.len() == 1);
}

#[tokio::test]
async fn disable_enable_revoke() {
    let f = fixture();
    let verifier = f.manager.verifier();
    let created = f.manager.create(new_key("a")).await.unwrap();
    let key = created.key.expose_secret();
    let id = created.record.id;

    f.manager.disable(&id).await.unwrap();
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::Disabled
    );
    f.manager.enable(&id).await.unwrap();
    assert!(verifier.verify(key, None).await.is_ok());

    f.clock.advance(Duration::minutes(3));
    let revoked = f.manager.revoke(&id).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(START + Duration::minutes(3)));
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::Revoked
    );

    // Revocation is final: the first time is kept, and the key can no
    // longer be enabled, changed or rolled.
    f.clock.advance(Duration::minutes(3));
    let again = f.manager.revoke(&id).await.unwrap();
    assert_eq!(again.revoked_at, Some(START + Duration::minutes(3)));
    assert!(matches!(
        f.manager.enable(&id).await,
        Err(ManageError::Revoked)
    ));
    assert!(matches!(
        f.manager.update_scopes(&id, "b".parse().unwrap()).await,
        Err(ManageError::Revoked)
    ));
    assert!(matches!(
        f.manager.roll(&id, Duration::minutes(1)).await,
        Err(ManageError::Revoked)
    ));
    assert_eq!(
        verifier.verify(key, None).await.unwrap_err().reason(),
        Reason::Revoked
    );
}

#[tokio::test]
async fn roll_keeps_the_old_key_until_the_grace_deadline() {
    let f = fixture();
    let verifier = f.manager.verifier();
    let mut metadata = Metadata::new();
    metadata.insert("team".into(), "ops".into());
    let old = f
        .manager
        .create(new_key("repo:read repo:write").metadata(metadata.clone()))
        .await
        .unwrap();
    f.clock.advance(Duration::minutes(1));
    let new = f
        .manager
        .roll(&old.record.id, Duration::hours(1))
        .await
        .unwrap();

    assert_ne!(new.record.id, old.record.id);
    assert_ne!(new.key, old.key);
    assert_eq!(new.record.subject, "acme");
    assert_eq!(new.record.name, "test key");
    assert_eq!(new.record.scopes, old.record.scopes);
    assert_eq!(new.record.metadata, metadata);
    assert_eq!(new.record.rolled_from, Some(old.record.id));
    assert_eq!(new.record.created_at, START + Duration::minutes(1));
    let old_now = f.manager.get(&old.record.id).await.unwrap();
    let rollover = old_now.rolled_into.unwrap();
    assert_eq!(rollover.key, new.record.id);
    assert_eq!(rollover.grace_until, START + Duration::minutes(61));

    f.clock.advance(Duration::minutes(59));
    assert!(verifier.verify(old.key.expose_secret(), None).await.is_ok());
    assert!(verifier.verify(new.key.expose_secret(), None).await.is_ok());

    f.clock.advance(Duration::minutes(1));
    let rejection = verifier
        .verify(old.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::RolledPastGrace);
    assert_eq!(rejection.public_face(&Default::default()).status(), 401);
    assert!(verifier.verify(new.key.expose_secret(), None).await.is_ok());

    // A key rolls once; roll the new one to rotate again.
    assert!(matches!(
        f.manager.roll(&old.record.id, Duration::hours(1)).await,
        Err(ManageError::AlreadyRolled)
    ));
    assert!(matches!(
        f.manager.roll(&old.record.id, Duration::seconds(-1)).await,
        Err(ManageError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn concurrent_rolls_of_one_key_let_exactly_one_win() {
    let f = fixture();
    let old = f.manager.create(new_key("a")).await.unwrap();
    let manager = Arc::new(f.manager);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let manager = Arc::clone(&manager);
        let id = old.record.id;
        tasks.push(tokio::spawn(async move {
            manager.roll(&id, Duration::minutes(5)).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(ManageError::AlreadyRolled) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(f.store.inner.len(), 2);
}

#[tokio::test]
async fn a_roll_with_zero_grace_retires_the_old_key_at_once() {
    let f = fixture();
    let old = f.manager.create(new_key("a")).await.unwrap();
    f.manager
        .roll(&old.record.id, Duration::ZERO)
        .await
        .unwrap();
    let rejection = f
        .manager
        .verifier()
        .verify(old.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::RolledPastGrace);
}

#[tokio::test]
async fn pepper_rotation_upgrades_the_hash_after_a_successful_verify() {
    let before = fixture();
    let created = before.manager.create(new_key("a")).await.unwrap();
    assert_eq!(created.record.hash.pepper_version(), 1);

    // Same store, new current pepper, old one kept for verification.
    let store = Arc::clone(&before.store);
    let rotated = credential_core::key::KeyManager::new(
        Arc::clone(&store),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(pepper(2)).with_previous(pepper(1)),
    );
    let verifier = rotated.verifier();

    // A wrong secret under the old pepper does not upgrade anything.
    let key = created.key.expose_secret();
    let wrong = with_wrong_secret(key, "sk_live");
    assert_eq!(
        verifier.verify(&wrong, None).await.unwrap_err().reason(),
        Reason::BadSecret
    );
    assert_eq!(store.upgrades.load(std::sync::atomic::Ordering::SeqCst), 0);

    assert!(verifier.verify(key, None).await.is_ok());
    let upgraded = store.get(&created.record.id).await.unwrap().unwrap();
    assert_eq!(upgraded.hash.pepper_version(), 2);
    assert_eq!(store.upgrades.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Verifies under the new pepper without another upgrade.
    assert!(verifier.verify(key, None).await.is_ok());
    assert_eq!(store.upgrades.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Once the old pepper is dropped, keys hashed under it stop working,
    // while upgraded keys keep working.
    let other = before.manager.create(new_key("a")).await.unwrap();
    let only_new = credential_core::key::KeyManager::new(
        Arc::clone(&store),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(pepper(2)),
    )
    .verifier();
    assert!(only_new.verify(key, None).await.is_ok());
    let rejection = only_new
        .verify(other.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::UnknownPepper);
    assert_eq!(rejection.public_face(&Default::default()).status(), 401);
}

#[tokio::test]
async fn rolling_a_disabled_key_yields_a_disabled_key() {
    let f = fixture();
    let old = f.manager.create(new_key("a")).await.unwrap();
    f.manager.disable(&old.record.id).await.unwrap();
    let new = f
        .manager
        .roll(&old.record.id, Duration::ZERO)
        .await
        .unwrap();
    assert!(new.record.disabled);
    let rejection = f
        .manager
        .verifier()
        .verify(new.key.expose_secret(), None)
        .await
        .unwrap_err();
    assert_eq!(rejection.reason(), Reason::Disabled);
}
