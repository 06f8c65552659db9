//! Access-token verification beside its peers, on the same token: this
//! workspace, `jsonwebtoken` 9 (whose `ring` backend is the same crypto)
//! and the bare `ring` primitive over the token's signing input.
//!
//! Every token is minted at a fixed clock with `exp` one hour later, so
//! verification never crosses expiry while the bench runs.
// Setup that fails must stop the bench, so setup may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use credential_benches::interleaved;
use credential_core::Verifier;
use credential_core::clock::ManualClock;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{
    KeyRing, MemoryRevocationStore, TokenIssuer, TokenVerifier, UntrustedToken, Validation,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use ring::hmac;
use ring::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};
use serde::Deserialize;
use time::OffsetDateTime;

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "https://api.example.com";
const HS256_SECRET: [u8; 32] = [0x5c; 32];

/// The RFC 9068 claims, as `jsonwebtoken` users declare them.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
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

/// One minted token and everything that verifies it.
struct Case {
    token: String,
    ring: KeyRing,
    validation: Validation,
    now: OffsetDateTime,
    verifier: TokenVerifier,
    runtime: tokio::runtime::Runtime,
    /// The JWS signing input, `header.payload`.
    input: Vec<u8>,
    signature: Vec<u8>,
    /// The public key as JWK members, base64url (`x`, and `y` for P-256).
    x: Option<String>,
    y: Option<String>,
}

impl Case {
    fn new(key: SigningKey) -> Self {
        let ring = KeyRing::new();
        ring.add_signing_key("k1", key).unwrap();
        let jwk = ring
            .public_jwks()
            .keys()
            .first()
            .map(|jwk| jwk.to_json())
            .unwrap_or_default();

        // `jsonwebtoken` reads the system clock: fix ours to it.
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let clock = Arc::new(ManualClock::new(now));
        let issuer = TokenIssuer::new(ring.clone(), ISSUER)
            .with_audience(AUDIENCE)
            .with_lifetime(time::Duration::hours(1))
            .with_clock(clock.clone());
        let issued = issuer
            .mint(
                "acme",
                "0123456789abcdef",
                &"reports:read billing:*".parse().unwrap(),
            )
            .unwrap();
        let token = issued.token.expose_secret().to_owned();

        let validation = Validation::new(ISSUER).with_audience(AUDIENCE);
        let verifier = TokenVerifier::new(ring.clone(), validation.clone())
            .with_revocations(Arc::new(MemoryRevocationStore::new()))
            .with_clock(clock);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();

        let (input, signature) = token.rsplit_once('.').unwrap();
        let case = Self {
            input: input.as_bytes().to_vec(),
            signature: unb64(signature).unwrap(),
            x: member(&jwk, "x"),
            y: member(&jwk, "y"),
            token,
            ring,
            validation,
            now,
            verifier,
            runtime,
        };
        assert!(case.keyring_verify(), "the token must verify");
        assert!(case.verifier_verify(), "the token must verify");
        case
    }

    /// `UntrustedToken::parse` + `KeyRing::verify`: the synchronous path.
    fn keyring_verify(&self) -> bool {
        UntrustedToken::parse(black_box(&self.token), self.validation.max_size())
            .and_then(|untrusted| self.ring.verify(untrusted, &self.validation, self.now))
            .is_ok()
    }

    /// `TokenVerifier::verify_token` on a current-thread runtime, with a
    /// memory revocation store.
    fn verifier_verify(&self) -> bool {
        self.runtime
            .block_on(self.verifier.verify_token(black_box(&self.token)))
            .is_ok()
    }

    /// `Verifier::verify` of a token verified before: the verified-token
    /// cache's hit, with the time, revocation and scope checks it keeps.
    fn verifier_cached(&self) -> bool {
        let verification = Verifier::verify(&self.verifier, black_box(&self.token), None);
        self.runtime.block_on(verification).is_ok()
    }

    fn bench_ours(&self, group: &mut BenchmarkGroup<'_, WallTime>) {
        group.bench_function("ours/parse+keyring_verify", |b| {
            b.iter(|| self.keyring_verify());
        });
        group.bench_function("ours/verifier_block_on", |b| {
            b.iter(|| self.verifier_verify());
        });
        group.bench_function("ours/verifier_cached_hit", |b| {
            b.iter(|| self.verifier_cached());
        });
    }

    /// Benches `jsonwebtoken`'s decode + validate and returns it.
    fn bench_jsonwebtoken<'a>(
        &'a self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        alg: jsonwebtoken::Algorithm,
        key: &'a jsonwebtoken::DecodingKey,
    ) -> impl Fn() -> bool + 'a {
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let decode = move || {
            jsonwebtoken::decode::<AccessClaims>(black_box(&self.token), key, &validation).is_ok()
        };
        assert!(decode(), "jsonwebtoken must accept the token");
        group.bench_function("jsonwebtoken/decode", |b| b.iter(&decode));
        decode
    }
}

fn hs256_verify(c: &mut Criterion) {
    let case = Case::new(SigningKey::hs256(&HS256_SECRET).unwrap());
    let jwt_key = jsonwebtoken::DecodingKey::from_secret(&HS256_SECRET);
    let ring_key = hmac::Key::new(hmac::HMAC_SHA256, &HS256_SECRET);
    let verify = || hmac::verify(&ring_key, black_box(&case.input), &case.signature).is_ok();
    assert!(verify());

    let mut group = c.benchmark_group("hs256_verify");
    case.bench_ours(&mut group);
    let decode = case.bench_jsonwebtoken(&mut group, jsonwebtoken::Algorithm::HS256, &jwt_key);
    group.bench_function("ring/hmac_verify", |b| b.iter(verify));
    group.finish();
    interleaved(
        "hs256_verify vs jsonwebtoken",
        2000,
        || case.keyring_verify(),
        decode,
    );
}

fn eddsa_verify(c: &mut Criterion) {
    let case = Case::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let x = case.x.as_deref().unwrap();
    let jwt_key = jsonwebtoken::DecodingKey::from_ed_components(x).unwrap();
    let ring_key = UnparsedPublicKey::new(&ED25519, unb64(x).unwrap());
    let verify = || {
        ring_key
            .verify(black_box(&case.input), &case.signature)
            .is_ok()
    };
    assert!(verify());

    let mut group = c.benchmark_group("eddsa_verify");
    case.bench_ours(&mut group);
    let _decode = case.bench_jsonwebtoken(&mut group, jsonwebtoken::Algorithm::EdDSA, &jwt_key);
    group.bench_function("ring/ed25519_verify", |b| b.iter(verify));
    group.finish();
    interleaved("eddsa_verify vs ring", 50, || case.keyring_verify(), verify);
}

fn es256_verify(c: &mut Criterion) {
    let case = Case::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let mut point = vec![0x04];
    point.extend(unb64(case.x.as_deref().unwrap()).unwrap());
    point.extend(unb64(case.y.as_deref().unwrap()).unwrap());
    let ring_key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point);
    let verify = || {
        ring_key
            .verify(black_box(&case.input), &case.signature)
            .is_ok()
    };
    assert!(verify());

    let mut group = c.benchmark_group("es256_verify");
    case.bench_ours(&mut group);
    group.bench_function("ring/p256_verify", |b| b.iter(verify));
    group.finish();
}

/// The string member `name` of a flat JSON object, as written.
fn member(json: &str, name: &str) -> Option<String> {
    let (_, rest) = json.split_once(&format!("\"{name}\":\""))?;
    let (value, _) = rest.split_once('"')?;
    Some(value.to_owned())
}

/// Decodes base64url without padding.
fn unb64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = ((acc << 6) | u32::from(value)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

criterion_group! {
    name = tokens;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = hs256_verify, eddsa_verify, es256_verify
}
criterion_main!(tokens);
