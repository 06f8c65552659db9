//! Throughput of key and token verification from many tasks at once, on a
//! multi-threaded runtime with one and with two worker threads.
//!
//! Not a criterion bench: it prints verifications per second for each
//! worker count, so the scaling from one to two threads shows directly.
// Setup that fails must stop the bench, so setup may unwrap.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::Instant;

use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRevocationStore, TokenIssuer, TokenVerifier, Validation,
};
use credential_core::{CredentialVerifier, Verifier};

const TASKS: usize = 64;
const PER_TASK: usize = 2_000;

fn main() {
    for workers in [1, 2] {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .build()
            .unwrap();
        let rate = runtime.block_on(run());
        println!(
            "concurrency: {workers} worker thread(s), {TASKS} tasks: {:.0} verifications/s (half API keys, half HS256 tokens)",
            rate
        );
    }
}

async fn run() -> f64 {
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_live").unwrap(),
        Peppers::new(Pepper::new(1, &[1; 32]).unwrap()),
    );
    let mut keys = Vec::new();
    for _ in 0..16 {
        let created = manager
            .create(NewKey::new("acme", "reports:read".parse().unwrap()))
            .await
            .unwrap();
        keys.push(created.key.expose_secret().to_owned());
    }
    let ring = KeyRing::new();
    ring.add_signing_key("k1", SigningKey::generate(Algorithm::HS256).unwrap())
        .unwrap();
    let issuer = TokenIssuer::new(ring.clone(), "https://auth.example.com");
    let tokens: Vec<String> = (0..16)
        .map(|_| {
            issuer
                .mint("acme", "0123456789abcdef", &"reports:read".parse().unwrap())
                .unwrap()
                .token
                .expose_secret()
                .to_owned()
        })
        .collect();
    let verifier = Arc::new(CredentialVerifier::new(
        manager.verifier(),
        // Every verification in full, as before the verified-token cache.
        TokenVerifier::new(ring, Validation::new("https://auth.example.com"))
            .with_revocations(Arc::new(MemoryRevocationStore::new()))
            .with_cache_capacity(0),
    ));
    let credentials: Arc<Vec<String>> = Arc::new(keys.into_iter().chain(tokens).collect());

    let start = Instant::now();
    let mut handles = Vec::with_capacity(TASKS);
    for task in 0..TASKS {
        let verifier = Arc::clone(&verifier);
        let credentials = Arc::clone(&credentials);
        handles.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                let credential = &credentials[(task + i) % credentials.len()];
                verifier.verify(credential, None).await.unwrap();
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    (TASKS * PER_TASK) as f64 / start.elapsed().as_secs_f64()
}
