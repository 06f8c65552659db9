//! Token fixtures: a ring, an issuer and a verifier on a manual clock, and a
//! way to sign arbitrary header and claims JSON.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::clock::ManualClock;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRevocationStore, TokenIssuer, TokenVerifier, Validation,
};

use super::START;

pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "https://api.example.com";

pub struct TokenFixture {
    pub ring: KeyRing,
    pub clock: ManualClock,
    pub issuer: TokenIssuer,
    pub verifier: TokenVerifier,
    pub revocations: Arc<MemoryRevocationStore>,
}

pub fn validation() -> Validation {
    Validation::new(ISSUER).with_audience(AUDIENCE)
}

pub fn token_fixture(alg: Algorithm) -> TokenFixture {
    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(alg).unwrap())
        .unwrap();
    let clock = ManualClock::new(START);
    let issuer = TokenIssuer::new(ring.clone(), ISSUER)
        .with_audience(AUDIENCE)
        .with_clock(Arc::new(clock.clone()));
    let revocations = Arc::new(MemoryRevocationStore::new());
    let verifier = TokenVerifier::new(ring.clone(), validation())
        .with_revocations(revocations.clone())
        .with_clock(Arc::new(clock.clone()));
    TokenFixture {
        ring,
        clock,
        issuer,
        verifier,
        revocations,
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header` and `claims` (raw JSON text) with `key`, whatever they say.
pub fn craft(header: &str, claims: &str, key: &SigningKey) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(&signature))
}

/// Valid claims at the fixture's start time, as JSON text.
pub fn claims_json() -> String {
    let now = START.unix_timestamp();
    format!(
        r#"{{"iss":"{ISSUER}","sub":"acme","aud":"{AUDIENCE}","exp":{},"iat":{now},"jti":"j1","client_id":"0123456789abcdef","scope":"a b"}}"#,
        now + 600
    )
}

/// An EdDSA issuer, a verifier with a revocation store, and a refresher
/// (prefix `rt`) over a key fixture's store, all on its clock.
pub struct TokenStack {
    pub issuer: TokenIssuer,
    pub verifier: TokenVerifier,
    pub refresher: credential_core::token::Refresher,
}

pub fn token_stack(keys: &super::Fixture, grace: time::Duration) -> TokenStack {
    use credential_core::key::{KeyFormat, KeyStore, Peppers};
    use credential_core::token::{MemoryRefreshStore, Refresher};

    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA).unwrap())
        .unwrap();
    let clock = Arc::new(keys.clock.clone());
    let issuer = TokenIssuer::new(ring.clone(), ISSUER)
        .with_audience(AUDIENCE)
        .with_clock(clock.clone());
    let revocations = Arc::new(MemoryRevocationStore::new());
    let verifier = TokenVerifier::new(ring, validation())
        .with_revocations(revocations.clone())
        .with_clock(clock.clone());
    let key_store: Arc<dyn KeyStore> = keys.store.clone();
    let refresher = Refresher::new(
        Arc::new(MemoryRefreshStore::new()),
        key_store,
        KeyFormat::new("rt").unwrap(),
        keys.manager.format(),
        Arc::new(Peppers::new(super::pepper(1))),
    )
    .unwrap()
    .with_revocations(revocations)
    .with_reuse_grace(grace)
    .with_clock(clock);
    TokenStack {
        issuer,
        verifier,
        refresher,
    }
}
