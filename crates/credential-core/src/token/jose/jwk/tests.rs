use super::*;

const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const ED_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const EC_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
const OCT_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

fn parse(json: &str) -> Result<Jwk, JoseError> {
    Jwk::parse(json.as_bytes())
}

/// A 2048-bit modulus: top bit set, odd.
fn modulus(bits: usize) -> String {
    let mut n = vec![0xffu8; bits / 8];
    if let Some(top) = n.first_mut() {
        *top = 0x80;
    }
    b64::encode(&n)
}

fn rsa(n: &str, e: &str) -> String {
    format!(r#"{{"kty":"RSA","alg":"RS256","n":"{n}","e":"{e}"}}"#)
}

#[test]
fn parses_each_key_type() {
    let oct = parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}"}}"#)).unwrap();
    assert!(oct.is_private());
    assert_eq!(oct.material().default_algorithm(), Some(Algorithm::HS256));

    let okp = parse(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","d":"{ED_D}"}}"#
    ))
    .unwrap();
    assert!(okp.is_private());
    let ec = parse(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}"}}"#
    ))
    .unwrap();
    assert!(!ec.is_private());
    let rsa = parse(&rsa(&modulus(2048), "AQAB")).unwrap();
    assert_eq!(rsa.algorithm(), Some(Algorithm::RS256));
    assert!(!rsa.is_private());
}

#[test]
fn keeps_kid_alg_and_use() {
    let jwk = parse(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","kid":"a","alg":"EdDSA","use":"sig","key_ops":["verify"],"x5t":"zz"}}"#
    ))
    .unwrap();
    assert_eq!(jwk.kid(), Some("a"));
    assert_eq!(jwk.algorithm(), Some(Algorithm::EdDSA));
    assert_eq!(
        jwk.to_json(),
        format!(
            r#"{{"kty":"OKP","kid":"a","use":"sig","alg":"EdDSA","crv":"Ed25519","x":"{ED_X}"}}"#
        )
    );
}

#[test]
fn json_errors() {
    assert_eq!(parse("{").unwrap_err(), JoseError::InvalidJson);
    assert_eq!(parse("[]").unwrap_err(), JoseError::NotAnObject);
    assert_eq!(
        parse(r#"{"kty":"oct","kty":"oct"}"#).unwrap_err(),
        JoseError::DuplicateMember("kty".into())
    );
    let big = format!(r#"{{"kty":"oct","pad":"{}"}}"#, "x".repeat(MAX_JWK_LEN));
    assert_eq!(parse(&big).unwrap_err(), JoseError::TooLarge);
}

#[test]
fn missing_and_mistyped_members() {
    assert_eq!(parse("{}").unwrap_err(), JoseError::MissingMember("kty"));
    assert_eq!(
        parse(r#"{"kty":1}"#).unwrap_err(),
        JoseError::InvalidMember("kty")
    );
    assert_eq!(
        parse(r#"{"kty":"oct"}"#).unwrap_err(),
        JoseError::MissingMember("k")
    );
    assert_eq!(
        parse(r#"{"kty":"oct","k":[1]}"#).unwrap_err(),
        JoseError::InvalidMember("k")
    );
    assert_eq!(
        parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}","kid":7}}"#)).unwrap_err(),
        JoseError::InvalidMember("kid")
    );
    assert_eq!(
        parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}","alg":null}}"#)).unwrap_err(),
        JoseError::InvalidMember("alg")
    );
    assert_eq!(
        parse(&format!(r#"{{"kty":"OKP","x":"{ED_X}"}}"#)).unwrap_err(),
        JoseError::MissingMember("crv")
    );
    assert_eq!(
        parse(r#"{"kty":"OKP","crv":"Ed25519"}"#).unwrap_err(),
        JoseError::MissingMember("x")
    );
    assert_eq!(
        parse(&format!(r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}"}}"#)).unwrap_err(),
        JoseError::MissingMember("y")
    );
    assert_eq!(
        parse(r#"{"kty":"RSA","alg":"RS256","e":"AQAB"}"#).unwrap_err(),
        JoseError::MissingMember("n")
    );
    assert_eq!(
        parse(&format!(
            r#"{{"kty":"RSA","alg":"RS256","n":"{}"}}"#,
            modulus(2048)
        ))
        .unwrap_err(),
        JoseError::MissingMember("e")
    );
}

#[test]
fn base64_must_be_unpadded_url_safe() {
    let padded = format!("{ED_X}=");
    let standard = ED_X.replace('_', "/");
    let (head, tail) = ED_X.split_at(10);
    let spaced = format!("{head} {tail}");
    for x in [padded, standard, spaced] {
        assert_eq!(
            parse(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#)).unwrap_err(),
            JoseError::InvalidBase64("x"),
            "{x}"
        );
    }
    assert_eq!(
        parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}=="}}"#)).unwrap_err(),
        JoseError::InvalidBase64("k")
    );
    assert_eq!(
        parse(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","d":"{}"}}"#,
            ED_D.replace('_', "/")
        ))
        .unwrap_err(),
        JoseError::InvalidBase64("d")
    );
}

#[test]
fn curve_members_have_fixed_lengths() {
    let short = b64::encode(&[1; 31]);
    let long = b64::encode(&[1; 33]);
    for bad in [&short, &long] {
        assert_eq!(
            parse(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{bad}"}}"#)).unwrap_err(),
            JoseError::InvalidLength("x")
        );
        assert_eq!(
            parse(&format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","d":"{bad}"}}"#
            ))
            .unwrap_err(),
            JoseError::InvalidLength("d")
        );
        assert_eq!(
            parse(&format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{bad}"}}"#
            ))
            .unwrap_err(),
            JoseError::InvalidLength("y")
        );
        assert_eq!(
            parse(&format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","d":"{bad}"}}"#
            ))
            .unwrap_err(),
            JoseError::InvalidLength("d")
        );
    }
}

#[test]
fn unsupported_kinds() {
    assert_eq!(
        parse(r#"{"kty":"oct2","k":"AA"}"#).unwrap_err(),
        JoseError::UnsupportedKeyType
    );
    assert_eq!(
        parse(r#"{"kty":"ec","crv":"P-256"}"#).unwrap_err(),
        JoseError::UnsupportedKeyType
    );
    assert_eq!(
        parse(r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#).unwrap_err(),
        JoseError::UnsupportedCurve
    );
    assert_eq!(
        parse(r#"{"kty":"OKP","crv":"Ed448","x":"AA"}"#).unwrap_err(),
        JoseError::UnsupportedCurve
    );
    for alg in ["none", "HS512", "hs256", "ES384"] {
        assert_eq!(
            parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}","alg":"{alg}"}}"#)).unwrap_err(),
            JoseError::UnsupportedAlgorithm
        );
    }
    assert_eq!(
        parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}","use":"enc"}}"#)).unwrap_err(),
        JoseError::UnsupportedUse
    );
}

#[test]
fn alg_must_fit_the_key_type() {
    for (kty_members, wrong) in [
        (format!(r#""kty":"oct","k":"{OCT_K}""#), "ES256"),
        (
            format!(r#""kty":"OKP","crv":"Ed25519","x":"{ED_X}""#),
            "HS256",
        ),
        (
            format!(r#""kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}""#),
            "EdDSA",
        ),
        (
            format!(r#""kty":"RSA","n":"{}","e":"AQAB""#, modulus(2048)),
            "ES256",
        ),
    ] {
        assert_eq!(
            parse(&format!(r#"{{{kty_members},"alg":"{wrong}"}}"#)).unwrap_err(),
            JoseError::AlgorithmMismatch,
            "{kty_members}"
        );
    }
    let ps = parse(&format!(
        r#"{{"kty":"RSA","n":"{}","e":"AQAB","alg":"PS256"}}"#,
        modulus(2048)
    ))
    .unwrap();
    assert_eq!(ps.algorithm(), Some(Algorithm::PS256));
}

#[test]
fn hmac_keys_need_32_bytes() {
    let short = b64::encode(&[7; 31]);
    assert_eq!(
        parse(&format!(r#"{{"kty":"oct","k":"{short}"}}"#)).unwrap_err(),
        JoseError::KeyTooShort
    );
    let enough = b64::encode(&[7; 32]);
    assert!(parse(&format!(r#"{{"kty":"oct","k":"{enough}"}}"#)).is_ok());
}

#[test]
fn rsa_modulus_and_exponent_rules() {
    assert_eq!(
        parse(&rsa(&modulus(2040), "AQAB")).unwrap_err(),
        JoseError::KeyTooShort
    );
    assert_eq!(parse(&rsa("", "AQAB")).unwrap_err(), JoseError::KeyTooShort);
    assert!(parse(&rsa(&modulus(8192), "AQAB")).is_ok());
    assert_eq!(
        parse(&rsa(&modulus(8200), "AQAB")).unwrap_err(),
        JoseError::InvalidKey
    );

    let mut even = vec![0xffu8; 256];
    if let Some(low) = even.last_mut() {
        *low = 0xfe;
    }
    assert_eq!(
        parse(&rsa(&b64::encode(&even), "AQAB")).unwrap_err(),
        JoseError::InvalidKey
    );

    // 1, 2 (even), 2^33 + 1 (too large), empty: invalid; 3 is the smallest valid.
    for e in [&[1u8][..], &[2], &[2, 0, 0, 0, 1], &[]] {
        assert_eq!(
            parse(&rsa(&modulus(2048), &b64::encode(e))).unwrap_err(),
            JoseError::InvalidKey,
            "{e:?}"
        );
    }
    assert!(parse(&rsa(&modulus(2048), "Aw")).is_ok());
}

#[test]
fn rsa_leading_zero_octets_are_tolerated_and_dropped() {
    let mut n = vec![0u8];
    n.extend(b64::decode(modulus(2048).as_bytes()).unwrap());
    let jwk = parse(&rsa(&b64::encode(&n), "AAEAAQ")).unwrap();
    let json = jwk.to_json();
    assert!(
        json.contains(&format!(r#""n":"{}""#, modulus(2048))),
        "{json}"
    );
    assert!(json.contains(r#""e":"AQAB""#), "{json}");
    // A 2047-bit modulus padded to 256 bytes is still too short.
    let mut short = vec![0x40u8];
    short.extend([0xff; 255]);
    assert_eq!(
        parse(&rsa(&b64::encode(&short), "AQAB")).unwrap_err(),
        JoseError::KeyTooShort
    );
}

#[test]
fn rsa_private_keys_are_refused() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
        let json = format!(
            r#"{{"kty":"RSA","alg":"RS256","n":"{}","e":"AQAB","{member}":"AQAB"}}"#,
            modulus(2048)
        );
        assert_eq!(
            parse(&json).unwrap_err(),
            JoseError::RsaPrivateKey,
            "{member}"
        );
    }
}

#[test]
fn public_form_drops_private_members() {
    let okp = parse(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","d":"{ED_D}","kid":"k"}}"#
    ))
    .unwrap();
    let public = okp.to_public().unwrap();
    assert!(!public.is_private());
    assert_eq!(public.kid(), Some("k"));
    assert!(!public.to_json().contains(ED_D));
    assert!(okp.to_json().contains(ED_D));

    let ec = parse(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","d":"{EC_D}"}}"#
    ))
    .unwrap();
    assert!(!ec.to_public().unwrap().to_json().contains(EC_D));

    let oct = parse(&format!(r#"{{"kty":"oct","k":"{OCT_K}"}}"#)).unwrap();
    assert!(oct.to_public().is_none());
}

#[test]
fn json_round_trips() {
    for json in [
        format!(r#"{{"kty":"oct","kid":"h","k":"{OCT_K}"}}"#),
        format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","d":"{ED_D}"}}"#),
        format!(
            r#"{{"kty":"EC","use":"sig","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","d":"{EC_D}"}}"#
        ),
        rsa(&modulus(4096), "AQAB"),
    ] {
        let jwk = parse(&json).unwrap();
        let again = parse(&jwk.to_json()).unwrap();
        assert_eq!(again.to_json(), jwk.to_json());
        assert_eq!(serde_json::to_string(&jwk).unwrap(), jwk.to_json());
        let deserialized: Jwk = serde_json::from_str(&json).unwrap();
        assert_eq!(deserialized.to_json(), jwk.to_json());
        assert!(jwk.json_len_bound() >= jwk.to_json().len());
    }
}

#[test]
fn kid_is_escaped_in_json() {
    let jwk = parse(&format!(
        r#"{{"kty":"oct","k":"{OCT_K}","kid":"a\"b\u0001"}}"#
    ))
    .unwrap();
    assert_eq!(jwk.kid(), Some("a\"b\u{1}"));
    let again = parse(&jwk.to_json()).unwrap();
    assert_eq!(again.kid(), jwk.kid());
}

#[test]
fn debug_hides_private_members() {
    let jwk = parse(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","d":"{EC_D}","kid":"k"}}"#
    ))
    .unwrap();
    let debug = format!("{jwk:?}");
    assert_eq!(
        debug,
        r#"Jwk { kty: "EC", crv: "P-256", kid: Some("k"), alg: None, private: true, .. }"#
    );
}
