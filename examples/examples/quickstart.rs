//! Create a key, verify it, check scopes, see rejections, exchange it for
//! an access token, refresh the token, revoke, and roll.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;
use std::sync::Arc;

use credential_core::key::{
    KeyFormat, KeyManager, KeyStore, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::oauth::OAuthEndpoints;
use credential_core::scope::Requirement;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRefreshStore, MemoryRevocationStore, Refresher, TokenIssuer, TokenVerifier,
    Validation,
};
use credential_core::{CredentialVerifier, FaceConfig, Rejection, Verifier};
use serde_json::Value;
use time::Duration;

const ISSUER: &str = "https://auth.quickstart.example";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // A store, a key format and a pepper. In production the pepper comes from
    // a secret manager, never from the database that holds the hashes.
    let store = Arc::new(MemoryKeyStore::new());
    let peppers = Peppers::new(Pepper::generate(1)?);
    let revocations = Arc::new(MemoryRevocationStore::new());
    let manager = KeyManager::new(Arc::clone(&store), KeyFormat::new("sk_demo")?, peppers)
        .with_token_revocation(revocations.clone(), Duration::minutes(15));
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

    // Access tokens: an Ed25519 signing key, an issuer, and one verifier that
    // takes keys and tokens from the same header.
    let ring = KeyRing::new();
    ring.add_signing_key("2030-01", SigningKey::generate(Algorithm::EdDSA)?)?;
    let issuer = TokenIssuer::new(ring.clone(), ISSUER);
    let tokens =
        TokenVerifier::new(ring, Validation::new(ISSUER)).with_revocations(revocations.clone());
    let key_store: Arc<dyn KeyStore> = store.clone();
    let refresher = Refresher::new(
        Arc::new(MemoryRefreshStore::new()),
        key_store,
        KeyFormat::new("rt_demo")?,
        manager.format(),
        Arc::new(Peppers::new(Pepper::generate(1)?)),
    )?
    .with_revocations(revocations.clone());
    let endpoints =
        OAuthEndpoints::new(manager.verifier(), issuer, tokens.clone()).with_refresher(refresher);
    let both = CredentialVerifier::new(manager.verifier(), tokens.clone());

    // POST /oauth/token, client_credentials: the key id is the client_id,
    // the key its secret; the client asks for less than the key grants.
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={key}&scope=reports%3Aread",
        created.record.id
    );
    let response = endpoints.token(body.as_bytes(), None).await;
    let json: Value = serde_json::from_str(response.body())?;
    let (Some(access), Some(refresh)) = (text(&json, "access_token"), text(&json, "refresh_token"))
    else {
        return Err(format!(
            "token endpoint answered {}: {}",
            response.status(),
            response.body()
        )
        .into());
    };
    println!(
        "Exchanged the key for an access token (HTTP {}), scope \"{}\", expires in {} s, and a refresh token {}…",
        response.status(),
        text(&json, "scope").unwrap_or_default(),
        json.get("expires_in").unwrap_or(&Value::Null),
        refresh.get(..8).unwrap_or_default(),
    );
    let principal = both.verify(access, None).await?;
    println!(
        "Verified the access token: {} credential, subject {}, client {}, scopes \"{}\".",
        principal.kind().as_str(),
        principal.subject(),
        principal.client_id().unwrap_or_default(),
        principal.scopes()
    );
    match both
        .verify(access, Some(&"billing:invoices:read".parse()?))
        .await
    {
        Ok(_) => return Err("a narrowed token passed a scope it was not given".into()),
        Err(rejection) => describe(
            "The narrowed token, asked for billing:invoices:read,",
            &rejection,
            &faces,
        ),
    }

    // The client authenticates again: a refresh token works only for the
    // key it was issued to.
    let body = format!(
        "grant_type=refresh_token&refresh_token={refresh}&client_id={}&client_secret={key}",
        created.record.id
    );
    let response = endpoints.token(body.as_bytes(), None).await;
    let renewed: Value = serde_json::from_str(response.body())?;
    let Some(new_access) = text(&renewed, "access_token") else {
        return Err(format!(
            "refresh answered {}: {}",
            response.status(),
            response.body()
        )
        .into());
    };
    both.verify(new_access, None).await?;
    println!(
        "Refreshed: a new access token and a new refresh token; the old refresh token is used up."
    );

    let body = format!("token={new_access}");
    let response = endpoints.revoke(body.as_bytes(), &principal).await;
    match both.verify(new_access, None).await {
        Ok(_) => return Err("a revoked access token verified".into()),
        Err(rejection) => describe(
            &format!(
                "After POST /oauth/revoke (HTTP {}), the access token",
                response.status()
            ),
            &rejection,
            &faces,
        ),
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

/// A string member of a JSON object.
fn text<'a>(json: &'a Value, name: &str) -> Option<&'a str> {
    json.get(name).and_then(Value::as_str)
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
