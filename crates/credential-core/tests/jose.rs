//! JWS algorithms, JSON Web Keys and signing/verifying keys, through the
//! public API: round trips, standard vectors, secrecy of private members,
//! and interoperability with `jsonwebtoken`.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_core::token::jose::{
    Algorithm, JoseError, Jwk, JwkSet, MAX_JWK_LEN, SigningKey, VerifyingKey,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const SIGNERS: [Algorithm; 3] = [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256];

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

fn jwk(value: &Value) -> Jwk {
    Jwk::parse(value.to_string().as_bytes()).unwrap()
}

/// The JSON members of a key's private JWK.
fn private_members(key: &SigningKey) -> serde_json::Map<String, Value> {
    let json = key.to_private_jwk("k").to_json();
    let Value::Object(members) = serde_json::from_str(&json).unwrap() else {
        panic!("a JWK is an object: {json}");
    };
    members
}

/// The secret bytes of a key: `k` of an HMAC key, `d` of the others.
fn secret_of(key: &SigningKey) -> Vec<u8> {
    let members = private_members(key);
    let text = members.get("k").or_else(|| members.get("d")).unwrap();
    unb64(text.as_str().unwrap())
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn key_types_are_send_and_sync() {
    assert_send_sync::<SigningKey>();
    assert_send_sync::<VerifyingKey>();
    assert_send_sync::<Jwk>();
    assert_send_sync::<JwkSet>();
    assert_send_sync::<JoseError>();
}

#[test]
fn each_signing_algorithm_round_trips() {
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let verifying = key.verifying_key();
        assert_eq!(verifying.algorithm(), alg);
        for message in [&b""[..], b"a.b", &[0xff; 10_000]] {
            let signature = key.sign(message).unwrap();
            assert!(verifying.verify(message, &signature), "{alg}");
            assert!(verifying.clone().verify(message, &signature), "{alg}");
        }
    }
}

#[test]
fn wrong_lengths_flipped_bits_and_other_messages_fail() {
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let verifying = key.verifying_key();
        let signature = key.sign(b"header.payload").unwrap();
        assert!(!verifying.verify(b"header.payload", &[]), "{alg}");
        assert!(
            !verifying.verify(b"header.payload", &signature[..signature.len() - 1]),
            "{alg}"
        );
        let mut longer = signature.clone();
        longer.push(0);
        assert!(!verifying.verify(b"header.payload", &longer), "{alg}");
        assert!(!verifying.verify(b"header.payloaD", &signature), "{alg}");
        assert!(!verifying.verify(b"header.payload.", &signature), "{alg}");
        for byte in 0..signature.len() {
            for bit in [0, 3, 7] {
                let mut flipped = signature.clone();
                flipped[byte] ^= 1 << bit;
                assert!(
                    !verifying.verify(b"header.payload", &flipped),
                    "{alg} byte {byte} bit {bit}"
                );
            }
        }
    }
}

#[test]
fn a_key_verifies_only_its_own_signatures() {
    let keys: Vec<SigningKey> = SIGNERS
        .iter()
        .chain(SIGNERS.iter())
        .map(|alg| SigningKey::generate(*alg).unwrap())
        .collect();
    for (i, signer) in keys.iter().enumerate() {
        let signature = signer.sign(b"m").unwrap();
        for (j, other) in keys.iter().enumerate() {
            assert_eq!(
                other.verifying_key().verify(b"m", &signature),
                i == j,
                "{i} {j}"
            );
        }
    }
}

#[test]
fn es256_signatures_are_fixed_width_not_der() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    for _ in 0..20 {
        let signature = key.sign(b"m").unwrap();
        // DER would be 70 to 72 bytes and would not verify as the fixed
        // r||s form.
        assert_eq!(signature.len(), 64);
        assert!(key.verifying_key().verify(b"m", &signature));
    }
}

#[test]
fn private_jwk_round_trips() {
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let jwk = key.to_private_jwk("2030-01");
        assert!(jwk.is_private());
        assert_eq!(jwk.kid(), Some("2030-01"));
        assert_eq!(jwk.algorithm(), Some(alg));

        let loaded = SigningKey::from_jwk(&Jwk::parse(jwk.to_json().as_bytes()).unwrap()).unwrap();
        assert_eq!(loaded.algorithm(), alg);
        let signature = loaded.sign(b"persisted").unwrap();
        assert!(
            key.verifying_key().verify(b"persisted", &signature),
            "{alg}"
        );
        assert!(
            loaded
                .verifying_key()
                .verify(b"persisted", &key.sign(b"persisted").unwrap())
        );
        if alg != Algorithm::ES256 {
            assert_eq!(
                signature,
                key.sign(b"persisted").unwrap(),
                "{alg} is deterministic"
            );
        }
        assert_eq!(loaded.to_private_jwk("2030-01").to_json(), jwk.to_json());
    }
}

#[test]
fn signing_key_from_jwk_needs_a_consistent_private_key() {
    let ed = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let public = ed.verifying_key().to_public_jwk("k").unwrap();
    assert_eq!(
        SigningKey::from_jwk(&public).unwrap_err(),
        JoseError::MissingMember("d")
    );

    // The private part of one key with the public part of another.
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let mut members = private_members(&SigningKey::generate(alg).unwrap());
        let other = private_members(&SigningKey::generate(alg).unwrap());
        members.insert("x".into(), other["x"].clone());
        let mixed = jwk(&Value::Object(members));
        assert_eq!(
            SigningKey::from_jwk(&mixed).unwrap_err(),
            JoseError::InvalidKey,
            "{alg}"
        );
    }

    let rsa = rfc7515_rsa_jwk(None);
    assert_eq!(
        SigningKey::from_jwk(&rsa).unwrap_err(),
        JoseError::UnsupportedAlgorithm
    );
}

#[test]
fn generate_and_hs256_refuse_what_cannot_sign() {
    assert_eq!(
        SigningKey::generate(Algorithm::RS256).unwrap_err(),
        JoseError::UnsupportedAlgorithm
    );
    assert_eq!(
        SigningKey::generate(Algorithm::PS256).unwrap_err(),
        JoseError::UnsupportedAlgorithm
    );
    assert_eq!(
        SigningKey::hs256(b"too short").unwrap_err(),
        JoseError::KeyTooShort
    );
}

#[test]
fn verifying_key_algorithm_comes_from_alg_or_type() {
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let mut members = private_members(&key);
        members.remove("alg");
        let untagged = jwk(&Value::Object(members));
        assert_eq!(untagged.algorithm(), None);
        assert_eq!(VerifyingKey::from_jwk(&untagged).unwrap().algorithm(), alg);
        for other in Algorithm::ALL.into_iter().filter(|other| *other != alg) {
            assert_eq!(
                VerifyingKey::from_jwk_with_algorithm(&untagged, other).unwrap_err(),
                JoseError::AlgorithmMismatch,
                "{alg} as {other}"
            );
        }
    }
}

#[test]
fn rsa_jwk_must_pin_one_algorithm() {
    let untagged = rfc7515_rsa_jwk(None);
    assert_eq!(
        VerifyingKey::from_jwk(&untagged).unwrap_err(),
        JoseError::AlgorithmRequired
    );
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let key = VerifyingKey::from_jwk_with_algorithm(&untagged, alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let tagged = rfc7515_rsa_jwk(Some(alg));
        assert_eq!(VerifyingKey::from_jwk(&tagged).unwrap().algorithm(), alg);
    }
    for alg in [Algorithm::HS256, Algorithm::EdDSA, Algorithm::ES256] {
        assert_eq!(
            VerifyingKey::from_jwk_with_algorithm(&untagged, alg).unwrap_err(),
            JoseError::AlgorithmMismatch
        );
    }
    let rs = rfc7515_rsa_jwk(Some(Algorithm::RS256));
    assert_eq!(
        VerifyingKey::from_jwk_with_algorithm(&rs, Algorithm::PS256).unwrap_err(),
        JoseError::AlgorithmMismatch
    );
}

#[test]
fn rsa_pss_and_pkcs1_are_told_apart() {
    let vector = Vector::load("rfc7515-a2-rs256.json");
    let pair = vector.rsa_key_pair();
    let rng = ring::rand::SystemRandom::new();
    let mut pss = vec![0; pair.public().modulus_len()];
    pair.sign(&ring::signature::RSA_PSS_SHA256, &rng, b"m", &mut pss)
        .unwrap();
    let mut pkcs1 = vec![0; pair.public().modulus_len()];
    pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, b"m", &mut pkcs1)
        .unwrap();

    let untagged = rfc7515_rsa_jwk(None);
    let ps256 = VerifyingKey::from_jwk_with_algorithm(&untagged, Algorithm::PS256).unwrap();
    let rs256 = VerifyingKey::from_jwk_with_algorithm(&untagged, Algorithm::RS256).unwrap();
    assert!(ps256.verify(b"m", &pss));
    assert!(!ps256.verify(b"n", &pss));
    assert!(!ps256.verify(b"m", &pkcs1));
    assert!(rs256.verify(b"m", &pkcs1));
    assert!(!rs256.verify(b"m", &pss));
    assert!(!rs256.verify(b"m", &pkcs1[1..]));
}

/// Member names of every key in a JWK Set document.
fn member_names(set_json: &str) -> Vec<Vec<String>> {
    let set: Value = serde_json::from_str(set_json).unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key.as_object().unwrap().keys().cloned().collect())
        .collect()
}

#[test]
fn public_exports_never_carry_private_members() {
    let keys: Vec<SigningKey> = SIGNERS
        .iter()
        .map(|alg| SigningKey::generate(*alg).unwrap())
        .collect();
    let set: JwkSet = keys
        .iter()
        .enumerate()
        .map(|(i, key)| key.to_private_jwk(&format!("k{i}")))
        .chain([rfc7515_rsa_jwk(Some(Algorithm::PS256))])
        .collect();

    // The private form has them, so the check below can fail.
    assert!(
        member_names(&set.to_json())
            .iter()
            .any(|names| names.iter().any(|n| n == "d"))
    );
    assert!(
        member_names(&set.to_json())
            .iter()
            .any(|names| names.iter().any(|n| n == "k"))
    );

    let public = set.to_public_json();
    let names = member_names(&public);
    assert_eq!(names.len(), 3, "the HS256 key is dropped: {public}");
    for key in &names {
        assert!(!key.iter().any(|n| n == "d" || n == "k"), "{key:?}");
    }
    let kty: Vec<String> = serde_json::from_str::<Value>(&public).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kty"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kty, ["OKP", "EC", "RSA"]);

    for key in &keys {
        let verifying = key.verifying_key();
        match verifying.to_public_jwk("p") {
            None => assert_eq!(key.algorithm(), Algorithm::HS256),
            Some(jwk) => {
                let members: Value = serde_json::from_str(&jwk.to_json()).unwrap();
                let members = members.as_object().unwrap();
                assert!(!members.contains_key("d") && !members.contains_key("k"));
                assert_eq!(members["alg"], key.algorithm().as_str());
                assert_eq!(members["use"], "sig");
                assert_eq!(members["kid"], "p");
                let reloaded = VerifyingKey::from_jwk(&jwk).unwrap();
                assert!(reloaded.verify(b"m", &key.sign(b"m").unwrap()));
            }
        }
    }
}

#[test]
fn debug_never_shows_secret_bytes() {
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let secret = secret_of(&key);
        let private_jwk = key.to_private_jwk("kid");
        let mut shown = vec![
            format!("{key:?}"),
            format!("{private_jwk:?}"),
            format!("{private_jwk:#?}"),
        ];
        if alg == Algorithm::HS256 {
            shown.push(format!("{:?}", key.verifying_key()));
            shown.push(format!(
                "{:?}",
                VerifyingKey::from_jwk(&private_jwk).unwrap()
            ));
        }
        let encoded = b64(&secret);
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let list = format!("{:?}", &secret[..4]);
        for debug in &shown {
            assert!(!debug.contains(&encoded[..8]), "{alg}: {debug}");
            assert!(!debug.contains(&hex[..8]), "{alg}: {debug}");
            assert!(!debug.contains(&list[..list.len() - 1]), "{alg}: {debug}");
        }
    }
    let key = SigningKey::hs256(&[0x5a; 32]).unwrap();
    assert_eq!(format!("{key:?}"), "SigningKey { algorithm: HS256, .. }");
    assert_eq!(
        format!("{:?}", key.verifying_key()),
        "VerifyingKey { algorithm: HS256, .. }"
    );
}

#[test]
fn hs256_keys_are_never_published() {
    let key = SigningKey::generate(Algorithm::HS256).unwrap();
    assert!(key.verifying_key().to_public_jwk("k").is_none());
    assert!(key.to_private_jwk("k").to_public().is_none());
}

#[test]
fn oversized_jwk_is_refused() {
    let json = format!(r#"{{"kty":"oct","pad":"{}"}}"#, "a".repeat(MAX_JWK_LEN));
    assert_eq!(
        Jwk::parse(json.as_bytes()).unwrap_err(),
        JoseError::TooLarge
    );
}

fn rfc7515_rsa_jwk(alg: Option<Algorithm>) -> Jwk {
    let mut members = Vector::load("rfc7515-a2-rs256.json").jwk;
    if let Some(alg) = alg {
        members["alg"] = alg.as_str().into();
    }
    jwk(&members)
}

/// One standard vector from `tests/vectors/`.
#[derive(serde::Deserialize)]
struct Vector {
    source: String,
    alg: String,
    jwk: Value,
    #[serde(default)]
    private_jwk: Option<Value>,
    #[serde(default)]
    rsa_private_components: Option<Value>,
    deterministic: bool,
    signing_input: String,
    signature: String,
}

impl Vector {
    fn dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
    }

    fn load(name: &str) -> Self {
        serde_json::from_str(&std::fs::read_to_string(Self::dir().join(name)).unwrap()).unwrap()
    }

    fn rsa_key_pair(&self) -> ring::rsa::KeyPair {
        let private = self.rsa_private_components.as_ref().unwrap();
        let member = |name: &str| unb64(private[name].as_str().unwrap());
        ring::rsa::KeyPair::from_components(&ring::rsa::KeyPairComponents {
            public_key: ring::rsa::PublicKeyComponents {
                n: unb64(self.jwk["n"].as_str().unwrap()),
                e: unb64(self.jwk["e"].as_str().unwrap()),
            },
            d: member("d"),
            p: member("p"),
            q: member("q"),
            dP: member("dp"),
            dQ: member("dq"),
            qInv: member("qi"),
        })
        .unwrap()
    }

    fn run(&self) {
        let alg = Algorithm::from_name(&self.alg).unwrap();
        let input = self.signing_input.as_bytes();
        let signature = unb64(&self.signature);
        let key = VerifyingKey::from_jwk_with_algorithm(&jwk(&self.jwk), alg).unwrap();
        assert!(key.verify(input, &signature), "{}", self.source);

        let mut mutated = input.to_vec();
        *mutated.last_mut().unwrap() ^= 1;
        assert!(
            !key.verify(&mutated, &signature),
            "{}: mutated input",
            self.source
        );
        let mut flipped = signature.clone();
        flipped[0] ^= 0x80;
        assert!(
            !key.verify(input, &flipped),
            "{}: flipped signature",
            self.source
        );

        if let Some(private) = &self.private_jwk {
            let signer = SigningKey::from_jwk(&jwk(private)).unwrap();
            let fresh = signer.sign(input).unwrap();
            assert!(
                key.verify(input, &fresh),
                "{}: fresh signature",
                self.source
            );
            if self.deterministic {
                assert_eq!(b64(&fresh), self.signature, "{}: reproduced", self.source);
            }
        }
        if self.rsa_private_components.is_some() {
            let pair = self.rsa_key_pair();
            let mut fresh = vec![0; pair.public().modulus_len()];
            let rng = ring::rand::SystemRandom::new();
            pair.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, input, &mut fresh)
                .unwrap();
            assert_eq!(b64(&fresh), self.signature, "{}: reproduced", self.source);
        }
    }
}

#[test]
fn standard_vectors() {
    let mut names: Vec<String> = std::fs::read_dir(Vector::dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "rfc7515-a1-hs256.json",
            "rfc7515-a2-rs256.json",
            "rfc7515-a3-es256.json",
            "rfc8037-a4-eddsa.json"
        ]
    );
    for name in &names {
        Vector::load(name).run();
    }
}

#[test]
fn rfc8037_public_key_is_derived_from_the_private_key() {
    let vector = Vector::load("rfc8037-a4-eddsa.json");
    let signer = SigningKey::from_jwk(&jwk(vector.private_jwk.as_ref().unwrap())).unwrap();
    let public = signer.verifying_key().to_public_jwk("x").unwrap();
    let members: Value = serde_json::from_str(&public.to_json()).unwrap();
    assert_eq!(members["x"], vector.jwk["x"]);
}

/// PKCS#8 documents for `jsonwebtoken`, from a private JWK's members.
mod pkcs8 {
    pub(super) const ED25519_PREFIX: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pub(super) const ED25519_MIDDLE: [u8; 3] = [0x81, 0x21, 0x00];
    pub(super) const P256_PREFIX: [u8; 36] = [
        0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
        0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30,
        0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
    ];
    pub(super) const P256_MIDDLE: [u8; 6] = [0xa1, 0x44, 0x03, 0x42, 0x00, 0x04];

    pub(super) fn document(
        prefix: &[u8],
        private: &[u8],
        middle: &[u8],
        public: &[&[u8]],
    ) -> Vec<u8> {
        let mut out = [prefix, private, middle].concat();
        for part in public {
            out.extend_from_slice(part);
        }
        out
    }
}

#[test]
fn interop_with_jsonwebtoken() {
    use jsonwebtoken::crypto;
    use jsonwebtoken::{Algorithm as JwtAlgorithm, DecodingKey, EncodingKey};

    let input = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0";
    for alg in SIGNERS {
        let key = SigningKey::generate(alg).unwrap();
        let members = private_members(&key);
        let member = |name: &str| members[name].as_str().unwrap().to_owned();
        let (jwt_alg, encoding, decoding) = match alg {
            Algorithm::HS256 => {
                let secret = unb64(&member("k"));
                (
                    JwtAlgorithm::HS256,
                    EncodingKey::from_secret(&secret),
                    DecodingKey::from_secret(&secret),
                )
            }
            Algorithm::EdDSA => {
                let (d, x) = (unb64(&member("d")), unb64(&member("x")));
                let der =
                    pkcs8::document(&pkcs8::ED25519_PREFIX, &d, &pkcs8::ED25519_MIDDLE, &[&x]);
                (
                    JwtAlgorithm::EdDSA,
                    EncodingKey::from_ed_der(&der),
                    DecodingKey::from_ed_components(&member("x")).unwrap(),
                )
            }
            Algorithm::ES256 => {
                let (d, x, y) = (
                    unb64(&member("d")),
                    unb64(&member("x")),
                    unb64(&member("y")),
                );
                let der = pkcs8::document(&pkcs8::P256_PREFIX, &d, &pkcs8::P256_MIDDLE, &[&x, &y]);
                (
                    JwtAlgorithm::ES256,
                    EncodingKey::from_ec_der(&der),
                    DecodingKey::from_ec_components(&member("x"), &member("y")).unwrap(),
                )
            }
            _ => unreachable!(),
        };

        // Ours signs, theirs verifies.
        let ours = b64(&key.sign(input).unwrap());
        assert!(
            crypto::verify(&ours, input, &decoding, jwt_alg).unwrap(),
            "{alg}"
        );
        // Theirs signs, ours verifies.
        let theirs = crypto::sign(input, &encoding, jwt_alg).unwrap();
        assert!(key.verifying_key().verify(input, &unb64(&theirs)), "{alg}");
        assert!(
            !key.verifying_key().verify(b"other", &unb64(&theirs)),
            "{alg}"
        );
    }
}

fn member_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "oct", "OKP", "EC", "RSA", "Ed25519", "P-256", "HS256", "EdDSA", "ES256", "RS256",
            "PS256", "sig", "AQAB", "",
        ])
        .prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|bytes| Value::from(b64(&bytes))),
        prop::collection::vec(any::<u8>(), 30..34).prop_map(|bytes| Value::from(b64(&bytes))),
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!([{"a": 1}])),
    ]
}

fn jwk_like() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "kty", "crv", "x", "y", "d", "k", "n", "e", "alg", "use", "kid", "p",
    ]);
    prop::collection::btree_map(name.prop_map(str::to_owned), member_value(), 0..9)
        .prop_map(|members| serde_json::to_string(&members).unwrap())
}

proptest! {
    #[test]
    fn parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = Jwk::parse(&bytes);
        let _ = JwkSet::parse(&bytes);
    }

    #[test]
    fn jwk_like_input_parses_or_errors_and_round_trips(json in jwk_like(), signature in prop::collection::vec(any::<u8>(), 0..300)) {
        let set = format!(r#"{{"keys":[{json}]}}"#);
        let _ = JwkSet::parse(set.as_bytes());
        if let Ok(jwk) = Jwk::parse(json.as_bytes()) {
            let again = Jwk::parse(jwk.to_json().as_bytes()).unwrap();
            prop_assert_eq!(again.to_json(), jwk.to_json());
            if let Ok(key) = VerifyingKey::from_jwk(&jwk) {
                let _ = key.verify(b"m", &signature);
            }
            if let Ok(key) = SigningKey::from_jwk(&jwk) {
                prop_assert!(key.verifying_key().verify(b"m", &key.sign(b"m").unwrap()));
            }
        }
    }

    #[test]
    fn verify_never_panics(message in prop::collection::vec(any::<u8>(), 0..100), signature in prop::collection::vec(any::<u8>(), 0..600)) {
        for alg in SIGNERS {
            let key = SigningKey::generate(alg).unwrap().verifying_key();
            prop_assert!(!key.verify(&message, &signature));
        }
        let rsa = VerifyingKey::from_jwk(&rfc7515_rsa_jwk(Some(Algorithm::PS256))).unwrap();
        prop_assert!(!rsa.verify(&message, &signature));
    }
}
