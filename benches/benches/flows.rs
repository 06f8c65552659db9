//! Issuing: minting access tokens and redeeming refresh tokens.
// Setup that fails must stop the bench, so setup may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use credential_benches::ready;
use credential_core::key::{
    KeyFormat, KeyManager, KeyStore, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::scope::ScopeSet;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, MemoryRefreshStore, Refresher, TokenIssuer};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn issuing(c: &mut Criterion) {
    let scope: ScopeSet = "reports:read reports:write".parse().unwrap();
    let mut group = c.benchmark_group("token_minting");
    for alg in [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256] {
        let ring = KeyRing::new();
        ring.add_signing_key("k1", SigningKey::generate(alg).unwrap())
            .unwrap();
        let issuer = TokenIssuer::new(ring, "https://auth.example.com")
            .with_audience("https://api.example.com");
        group.bench_function(format!("ours/{}", alg.as_str()), |b| {
            b.iter(|| {
                issuer
                    .mint(black_box("acme"), "0123456789abcdef", &scope)
                    .unwrap()
            })
        });
    }
    group.finish();

    let store = Arc::new(MemoryKeyStore::new());
    let manager = KeyManager::new(
        Arc::clone(&store),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(Pepper::new(1, &[1; 32]).unwrap()),
    );
    let key = ready(manager.create(NewKey::new("acme", scope.clone()))).unwrap();
    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA).unwrap())
        .unwrap();
    let issuer = TokenIssuer::new(ring, "https://auth.example.com");
    let key_store: Arc<dyn KeyStore> = store;
    let refresher = Refresher::new(
        Arc::new(MemoryRefreshStore::new()),
        key_store,
        KeyFormat::new("rt").unwrap(),
        manager.format(),
        Arc::new(Peppers::new(Pepper::new(1, &[2; 32]).unwrap())),
    )
    .unwrap();
    let client = key.record.id;
    let mut group = c.benchmark_group("refresh_redemption");
    group.bench_function("ours/eddsa_memory_stores", |b| {
        b.iter_batched(
            || {
                let access = issuer.mint("acme", client.as_str(), &scope).unwrap();
                ready(refresher.issue(client, "acme", &scope, &access)).unwrap()
            },
            |refresh| {
                ready(refresher.redeem(refresh.expose_secret(), None, &issuer, client)).unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = issuing
}
criterion_main!(benches);
