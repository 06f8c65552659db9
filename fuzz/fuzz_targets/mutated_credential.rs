#![no_main]
//! Structure-aware: one edit (a byte replaced by a different byte, or
//! deleted, or inserted, or the string truncated) to a valid access token
//! or a valid API key always makes verification fail, through
//! `KeyRing::verify` and through the `CredentialVerifier` that serves both.

#![forbid(unsafe_code)]

use std::sync::{Arc, LazyLock};

use arbitrary::Arbitrary;
use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
use credential_core::token::jose::Algorithm;
use credential_core::token::{KeyRing, TokenVerifier};
use credential_core::{CredentialVerifier, Verifier};
use credential_fuzz::{
    block_on, clock, fixed_ring, issuer, kid, now, signing_key, validation, verify,
};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    /// `(algorithm, token)`: one valid token per signing algorithm.
    tokens: Vec<(Algorithm, String)>,
    key: String,
    verifier: CredentialVerifier<MemoryKeyStore>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let tokens: Vec<(Algorithm, String)> = [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256]
        .into_iter()
        .map(|alg| {
            let scope = "reports:read billing:*".parse().expect("a valid scope set");
            let issued = issuer(fixed_ring(alg), true)
                .mint("acme", "0123456789abcdef", &scope)
                .expect("minting with a fixed key");
            (alg, issued.token.expose_secret().to_owned())
        })
        .collect();
    let pepper = Pepper::new(1, b"credential-fuzz fixed pepper, 32+ bytes").expect("a pepper");
    let manager = KeyManager::new(
        Arc::new(MemoryKeyStore::new()),
        KeyFormat::new("sk_live").expect("a valid prefix"),
        Peppers::new(pepper),
    )
    .with_clock(clock());
    let scope = "reports:read".parse().expect("a valid scope set");
    let created = block_on(manager.create(NewKey::new("acme", scope))).expect("a new key");
    // One verifier for keys and tokens; tokens of every algorithm share one
    // ring here so that the dispatcher sees them all.
    let ring = KeyRing::new();
    for alg in [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256] {
        ring.add_verifying_key(kid(alg), signing_key(alg).verifying_key())
            .expect("a valid kid");
    }
    let tokens_verifier = TokenVerifier::new(ring, validation(true)).with_clock(clock());
    let verifier = CredentialVerifier::new(manager.verifier(), tokens_verifier);
    let fixture = Fixture {
        tokens,
        key: created.key.expose_secret().to_owned(),
        verifier,
    };
    // The unedited credentials do verify: otherwise the target proves nothing.
    for (alg, token) in &fixture.tokens {
        assert!(verify(fixed_ring(*alg), token, &validation(true), now()).is_some());
        block_on(fixture.verifier.verify(token, None)).expect("the fixed token verifies");
    }
    block_on(fixture.verifier.verify(&fixture.key, None)).expect("the fixed key verifies");
    fixture
});

#[derive(Debug, Arbitrary)]
enum Edit {
    Replace { at: usize, byte: u8 },
    Delete { at: usize },
    Insert { at: usize, byte: u8 },
    Truncate { len: usize },
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// 0..=2: the token of that algorithm; otherwise the API key.
    target: u8,
    edit: Edit,
}

fn apply(original: &str, edit: &Edit) -> Vec<u8> {
    let mut bytes = original.as_bytes().to_vec();
    let len = bytes.len();
    match *edit {
        Edit::Replace { at, byte } => {
            let at = at % len;
            let old = bytes[at];
            bytes[at] = if byte == old { old ^ 1 } else { byte };
        }
        Edit::Delete { at } => {
            bytes.remove(at % len);
        }
        Edit::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
        Edit::Truncate { len: keep } => bytes.truncate(keep % len),
    }
    bytes
}

fuzz_target!(|input: Input| {
    let fixture = &*FIXTURE;
    let (ring_alg, original) = match fixture.tokens.get(usize::from(input.target)) {
        Some((alg, token)) => (Some(*alg), token.as_str()),
        None => (None, fixture.key.as_str()),
    };
    let edited = apply(original, &input.edit);
    assert_ne!(edited, original.as_bytes());
    // A byte that breaks UTF-8 is still a different string when decoded
    // lossily, as an adapter might.
    let edited = String::from_utf8_lossy(&edited);
    if edited == original {
        return;
    }
    if let Some(alg) = ring_alg {
        assert!(
            verify(fixed_ring(alg), &edited, &validation(true), now()).is_none(),
            "an edited {alg} token verified: {edited:?}"
        );
    }
    let outcome = block_on(fixture.verifier.verify(&edited, None));
    assert!(
        outcome.is_err(),
        "an edited credential verified: {edited:?}"
    );
});
