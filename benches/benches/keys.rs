//! API-key verification beside its raw primitives: HMAC-SHA-256 of the
//! secret plus a hash-map lookup, over a store of 100 000 keys. The HMAC is
//! `ring`'s, the peer for bare primitives, and also RustCrypto's `hmac`,
//! which verification itself uses. Also key
//! generation, scope requirement evaluation, and the combined verifier's
//! dispatch between keys and tokens.
// Setup that fails must stop the bench, so setup may unwrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use credential_benches::{interleaved, ready};
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::scope::{Requirement, ScopeSet};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
use credential_core::{CredentialVerifier, Verifier};
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const KEYS: usize = 100_000;
const PEPPER: [u8; 32] = [0x42; 32];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn key_verify(c: &mut Criterion) {
    let rt = runtime();
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(Pepper::new(1, &PEPPER).unwrap()),
    );
    // 100k keys; keep one to present. Last-used writes happen once a
    // minute per key, so the loop measures the read path.
    let scopes: ScopeSet = "reports:read reports:write".parse().unwrap();
    let mut presented = String::new();
    rt.block_on(async {
        for i in 0..KEYS {
            let created = manager
                .create(NewKey::new("acme", scopes.clone()))
                .await
                .unwrap();
            if i == KEYS / 2 {
                presented = created.key.expose_secret().to_owned();
            }
        }
    });
    let verifier = manager.verifier();
    rt.block_on(verifier.verify(&presented, None)).unwrap();

    // The raw primitives on the same data: a map of 100k 16-byte ids to
    // 32-byte digests, and HMAC-SHA-256 of the secret, keyed once.
    let key = Hmac::<Sha256>::new_from_slice(&PEPPER).unwrap();
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &PEPPER);
    let mut map: HashMap<[u8; 16], [u8; 32]> = HashMap::with_capacity(KEYS);
    for i in 0..KEYS {
        let mut id = [b'0'; 16];
        id[..8].copy_from_slice(format!("{i:08}").as_bytes());
        map.insert(id, [0u8; 32]);
    }
    let id: [u8; 16] = *b"00050000aaaaaaaa";
    map.insert(id, [1u8; 32]);
    let secret = presented.as_bytes()[25..68].to_vec();

    let mut group = c.benchmark_group("key_verify");
    group.bench_function("ours/memory_store", |b| {
        b.iter(|| ready(verifier.verify(black_box(&presented), None)).unwrap())
    });
    let primitives = || {
        let digest = ring::hmac::sign(&ring_key, black_box(&secret));
        let stored = map.get(black_box(&id)).unwrap();
        black_box((digest, stored));
    };
    let rustcrypto_primitives = || {
        let mut mac = key.clone();
        mac.update(black_box(&secret));
        let digest = mac.finalize().into_bytes();
        let stored = map.get(black_box(&id)).unwrap();
        black_box((digest, stored));
    };
    group.bench_function("primitives/hmac_sha256+hashmap_get", |b| b.iter(primitives));
    group.bench_function("primitives/rustcrypto_hmac_sha256+hashmap_get", |b| {
        b.iter(rustcrypto_primitives)
    });
    group.finish();
    interleaved(
        "key_verify vs primitives",
        5000,
        || ready(verifier.verify(black_box(&presented), None)).unwrap(),
        primitives,
    );
    interleaved(
        "key_verify vs primitives with RustCrypto's HMAC",
        5000,
        || ready(verifier.verify(black_box(&presented), None)).unwrap(),
        rustcrypto_primitives,
    );

    let required: Requirement = "reports:read AND (reports:write OR admin)".parse().unwrap();
    let mut group = c.benchmark_group("scope_requirement");
    let granted: ScopeSet = "billing:* reports:read reports:write users:read"
        .parse()
        .unwrap();
    group.bench_function("ours/is_satisfied_by", |b| {
        b.iter(|| black_box(&required).is_satisfied_by(black_box(&granted)))
    });
    group.bench_function("ours/parse_expression", |b| {
        b.iter(|| {
            black_box("reports:read AND (reports:write OR admin)")
                .parse::<Requirement>()
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("key_generation");
    let small = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(Pepper::new(1, &PEPPER).unwrap()),
    );
    group.bench_function("ours/create_in_memory", |b| {
        b.iter(|| ready(small.create(NewKey::new("acme", scopes.clone()))).unwrap())
    });
    group.finish();

    // Dispatch: the same key and an access token through one verifier.
    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(Algorithm::HS256).unwrap())
        .unwrap();
    let issuer = TokenIssuer::new(ring.clone(), "https://auth.example.com");
    let token = issuer
        .mint("acme", "0123456789abcdef", &scopes)
        .unwrap()
        .token
        .expose_secret()
        .to_owned();
    // Every iteration verifies in full: no verified-token cache.
    let tokens = TokenVerifier::new(ring, Validation::new("https://auth.example.com"))
        .with_cache_capacity(0);
    let both = CredentialVerifier::new(manager.verifier(), tokens.clone());
    let mut group = c.benchmark_group("combined_dispatch");
    group.bench_function("ours/api_key", |b| {
        b.iter(|| ready(both.verify(black_box(&presented), None)).unwrap())
    });
    group.bench_function("ours/hs256_token", |b| {
        b.iter(|| ready(both.verify(black_box(&token), None)).unwrap())
    });
    group.bench_function("direct/hs256_token", |b| {
        b.iter(|| ready(tokens.verify(black_box(&token), None)).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = key_verify
}
criterion_main!(benches);
