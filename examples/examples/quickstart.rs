//! Create a key, verify it, check scopes, see rejections, revoke and roll.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;
use std::sync::Arc;

use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::scope::Requirement;
use credential_core::{FaceConfig, Rejection, Verifier};
use time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // A store, a key format and a pepper. In production the pepper comes from
    // a secret manager, never from the database that holds the hashes.
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_demo")?,
        Peppers::new(Pepper::generate(1)?),
    );
    let verifier = manager.verifier();
    let faces = FaceConfig::new("quickstart")?;

    let created = manager
        .create(NewKey::new("acme-corp", "reports:read billing:*".parse()?).name("nightly export"))
        .await?;
    let key = created.key.expose_secret();
    println!("Created key {} for subject acme-corp.", created.record.id);
    println!("  The whole key, shown this once: {key}");
    println!(
        "  The store keeps only its keyed hash: {:?}",
        created.record.hash
    );

    let principal = verifier.verify(key, None).await?;
    println!(
        "Verified: subject {}, key id {}, scopes \"{}\".",
        principal.subject(),
        created.record.id,
        principal.scopes()
    );

    let read: Requirement = "reports:read AND (billing:invoices:read OR admin)".parse()?;
    match verifier.verify(key, Some(&read)).await {
        Ok(_) => println!("Requirement `{read}` is met (billing:* covers billing:invoices:read)."),
        Err(rejection) => return Err(unexpected("the read requirement", &rejection)),
    }
    let write: Requirement = "reports:write".parse()?;
    match verifier.verify(key, Some(&write)).await {
        Ok(_) => return Err("a key without reports:write passed `reports:write`".into()),
        Err(rejection) => describe("Requirement `reports:write`", &rejection, &faces),
    }

    let tampered = tamper(key);
    match verifier.verify(&tampered, None).await {
        Ok(_) => return Err("a tampered key verified".into()),
        Err(rejection) => describe("A key with one character changed", &rejection, &faces),
    }

    let rolled = manager
        .roll(&created.record.id, Duration::minutes(10))
        .await?;
    println!(
        "Rolled key {} into {}; the old key works for 10 more minutes.",
        created.record.id, rolled.record.id
    );
    verifier.verify(key, None).await?;
    verifier.verify(rolled.key.expose_secret(), None).await?;
    println!("  During the grace period both keys verify.");

    manager.revoke(&rolled.record.id).await?;
    match verifier.verify(rolled.key.expose_secret(), None).await {
        Ok(_) => return Err("a revoked key verified".into()),
        Err(rejection) => describe("The revoked new key", &rejection, &faces),
    }

    println!("Done.");
    Ok(())
}

/// Changes one character of the secret part, keeping the alphabet.
fn tamper(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    let at = chars.len().saturating_sub(10);
    if let Some(c) = chars.get_mut(at) {
        *c = if *c == 'a' { 'b' } else { 'a' };
    }
    chars.into_iter().collect()
}

fn describe(what: &str, rejection: &Rejection, faces: &FaceConfig) {
    let face = rejection.public_face(faces);
    println!(
        "{what} is rejected: internal reason `{}`, HTTP {}, WWW-Authenticate: {}",
        rejection.reason(),
        face.status(),
        face.www_authenticate().unwrap_or("-"),
    );
}

fn unexpected(what: &str, rejection: &Rejection) -> Box<dyn Error> {
    format!("{what} was rejected: {}", rejection.reason()).into()
}
