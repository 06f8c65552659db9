//! OAuth 2.0 endpoint types through the public API: every error each parser
//! can produce with its status and body, exact success bodies, redaction.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credential_core::oauth::{
    ClientAuthMethod, ClientCredentials, IntrospectionRequest, IntrospectionResponse,
    JSON_CONTENT_TYPE, MAX_FORM_LEN, NO_STORE_HEADERS, OAuthError, OAuthErrorCode, OAuthResponse,
    PresentedToken, RevocationRequest, RevocationResponse, TokenMetadata, TokenRequest,
    TokenResponse, TokenTypeHint, require_form_content_type,
};
use credential_core::scope::ScopeSet;
use credential_core::{AccessToken, RefreshToken};
use proptest::prelude::*;

const ID: &str = "0123456789abcdef";
const KEY: &str = "sk_live_0123456789abcdef_SECRETSECRET";
const REALM: &str = "token";

fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

fn body(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

fn token_err(body: &[u8], authorization: Option<&str>) -> OAuthError {
    TokenRequest::parse(body, authorization).expect_err("request must be refused")
}

/// Pins the code, the status, the challenge and the JSON of an error, and
/// the headers of its response.
fn assert_error(err: &OAuthError, code: OAuthErrorCode, status: u16, challenge: bool) {
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.status(), status, "{err}");
    let expected_challenge = challenge.then(|| format!("Basic realm=\"{REALM}\""));
    assert_eq!(err.www_authenticate(REALM), expected_challenge, "{err}");
    let json: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"error": code.as_str(), "error_description": err.description()})
    );
    let response = err.to_response(REALM);
    assert_eq!(response.status(), status);
    assert_eq!(response.body(), err.to_json());
    let mut expected_headers = vec![
        ("content-type", JSON_CONTENT_TYPE.to_owned()),
        ("cache-control", "no-store".to_owned()),
        ("pragma", "no-cache".to_owned()),
    ];
    if let Some(challenge) = expected_challenge {
        expected_headers.push(("www-authenticate", challenge));
    }
    assert_eq!(response.headers(), expected_headers.as_slice());
}

// ---- token endpoint: success ----

#[test]
fn client_credentials_with_basic() {
    let request = TokenRequest::parse(
        b"grant_type=client_credentials&scope=reports%3Aread+billing%3A*",
        Some(&basic(ID, KEY)),
    )
    .unwrap();
    assert_eq!(request.grant_type(), "client_credentials");
    let TokenRequest::ClientCredentials { client, scope } = request else {
        panic!("client_credentials expected");
    };
    assert_eq!(client.client_id, ID);
    assert_eq!(client.client_secret.expose_secret(), KEY);
    assert_eq!(client.method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(
        scope,
        Some(ScopeSet::parse("billing:* reports:read").unwrap())
    );
}

#[test]
fn client_credentials_with_form_parameters() {
    let request = TokenRequest::parse(
        &body(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", KEY),
            ("unknown", "ignored"),
        ]),
        None,
    )
    .unwrap();
    let client = request.client().unwrap();
    assert_eq!(client.method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(client.client_secret.expose_secret(), KEY);
    assert!(request.scope().is_none());
}

#[test]
fn refresh_token_grant_with_and_without_client() {
    let with = TokenRequest::parse(
        b"grant_type=refresh_token&refresh_token=rt_abc_SECRET&scope=a",
        Some(&basic(ID, KEY)),
    )
    .unwrap();
    let TokenRequest::RefreshToken {
        refresh_token,
        scope,
        client,
    } = with
    else {
        panic!("refresh_token expected");
    };
    assert_eq!(refresh_token.expose_secret(), "rt_abc_SECRET");
    assert_eq!(scope.unwrap().to_string(), "a");
    assert_eq!(client.unwrap().client_id, ID);

    let without = TokenRequest::parse(
        b"grant_type=refresh_token&refresh_token=rt_abc_SECRET",
        None,
    )
    .unwrap();
    assert!(without.client().is_none());
}

#[test]
fn basic_with_percent_encoded_colon_and_spaces() {
    let id = "my client:1";
    let secret = "pa ss:wo+rd%";
    let header = basic(id, secret);
    let client = ClientCredentials::from_basic(&header).unwrap();
    assert_eq!(client.client_id, id);
    assert_eq!(client.client_secret.expose_secret(), secret);

    // `+` for a space, as form-urlencoding writes it.
    let header = format!(
        "Basic {}",
        STANDARD.encode("my+client%3A1:pa+ss%3Awo%2Brd%25")
    );
    let client = ClientCredentials::from_basic(&header).unwrap();
    assert_eq!(client.client_id, id);
    assert_eq!(client.client_secret.expose_secret(), secret);
}

#[test]
fn basic_scheme_is_case_insensitive_and_spaces_are_tolerated() {
    let encoded = STANDARD.encode(format!("{ID}:{KEY}"));
    for header in [
        format!("Basic {encoded}"),
        format!("basic {encoded}"),
        format!("BASIC {encoded}"),
        format!("bAsIc    {encoded}"),
    ] {
        let request = TokenRequest::parse(b"grant_type=client_credentials", Some(&header)).unwrap();
        assert_eq!(request.client().unwrap().client_id, ID, "{header}");
    }
}

#[test]
fn parameters_sent_empty_count_as_omitted() {
    // An empty scope is no scope, and an empty client_secret no secret.
    let request = TokenRequest::parse(
        b"grant_type=client_credentials&scope=&client_secret=&state",
        Some(&basic(ID, KEY)),
    )
    .unwrap();
    assert!(request.scope().is_none());
    // A repeat whose first copy is empty is not a repeat.
    let request = TokenRequest::parse(
        b"grant_type=&grant_type=refresh_token&refresh_token=x",
        None,
    )
    .unwrap();
    assert_eq!(request.grant_type(), "refresh_token");
    let err = token_err(b"grant_type=", None);
    assert_eq!(err.description(), "the grant_type parameter is missing");
}

#[test]
fn body_at_the_size_limit_is_accepted() {
    let mut body = b"grant_type=refresh_token&refresh_token=x&pad=".to_vec();
    body.resize(MAX_FORM_LEN, b'a');
    assert!(TokenRequest::parse(&body, None).is_ok());
}

// ---- token endpoint: every error ----

/// Parses each `(body, Authorization)` and pins the error it must produce.
fn assert_token_errors(
    cases: &[(&[u8], Option<&str>)],
    code: OAuthErrorCode,
    status: u16,
    challenge: bool,
) {
    for (body, authorization) in cases {
        let err = token_err(body, *authorization);
        let shown = String::from_utf8_lossy(body);
        assert_eq!(err.code(), code, "{shown} / {authorization:?}");
        assert_error(&err, code, status, challenge);
    }
}

#[test]
fn token_request_errors() {
    let header = basic(ID, KEY);
    let h = Some(header.as_str());
    let oversize = vec![b'a'; MAX_FORM_LEN + 1];
    let invalid_request: [(&[u8], Option<&str>); 11] = [
        (&oversize, None),
        (b"grant_type=client_credentials&x=%C3%28", h),
        (b"grant_type=\xff", None),
        (
            b"grant_type=client_credentials&grant_type=client_credentials",
            h,
        ),
        (b"grant_type=client_credentials&scope=a&scope=b", h),
        (
            b"grant_type=refresh_token&refresh_token=a&refresh_token=b",
            None,
        ),
        (
            b"grant_type=client_credentials&client_id=a&client_id=a&client_secret=s",
            None,
        ),
        (b"scope=a", h),
        (b"grant_type=refresh_token", None),
        // Basic and a form secret: two methods.
        (
            b"grant_type=client_credentials&client_id=0123456789abcdef&client_secret=k",
            h,
        ),
        // Basic and a form client_id naming another client.
        (
            b"grant_type=client_credentials&client_id=fedcba9876543210",
            h,
        ),
    ];
    assert_token_errors(&invalid_request, OAuthErrorCode::InvalidRequest, 400, false);

    let unsupported: [(&[u8], Option<&str>); 2] = [
        (b"grant_type=password", h),
        (b"grant_type=authorization_code&code=x", None),
    ];
    assert_token_errors(
        &unsupported,
        OAuthErrorCode::UnsupportedGrantType,
        400,
        false,
    );

    let invalid_scope: [(&[u8], Option<&str>); 2] = [
        (b"grant_type=client_credentials&scope=a++b", h),
        (b"grant_type=refresh_token&refresh_token=x&scope=%22", None),
    ];
    assert_token_errors(&invalid_scope, OAuthErrorCode::InvalidScope, 400, false);

    // Form credentials or none: 400 without a challenge.
    let invalid_client_form: [(&[u8], Option<&str>); 3] = [
        (b"grant_type=client_credentials", None),
        (
            b"grant_type=client_credentials&client_id=0123456789abcdef",
            None,
        ),
        (
            b"grant_type=refresh_token&refresh_token=x&client_id=a",
            None,
        ),
    ];
    assert_token_errors(
        &invalid_client_form,
        OAuthErrorCode::InvalidClient,
        400,
        false,
    );

    // An `Authorization` header: 401 with a Basic challenge.
    let invalid_client_header: [(&[u8], Option<&str>); 2] = [
        (b"grant_type=client_credentials", Some("Basic %%%")),
        (b"grant_type=client_credentials", Some("Bearer abc")),
    ];
    assert_token_errors(
        &invalid_client_header,
        OAuthErrorCode::InvalidClient,
        401,
        true,
    );
}

#[test]
fn malformed_basic_is_401_with_challenge() {
    let no_colon = format!("Basic {}", STANDARD.encode("no-colon"));
    let not_utf8 = format!("Basic {}", STANDARD.encode(b"id:\xc3\x28"));
    let encoded_not_utf8 = format!("Basic {}", STANDARD.encode("id:%C3%28"));
    let empty_id = format!("Basic {}", STANDARD.encode(":secret"));
    for header in [
        "Basic",
        "Basic ",
        "Basic ====",
        &no_colon,
        &not_utf8,
        &encoded_not_utf8,
        &empty_id,
    ] {
        let err = token_err(b"grant_type=client_credentials", Some(header));
        assert_error(&err, OAuthErrorCode::InvalidClient, 401, true);
        assert_eq!(
            err.description(),
            "the Basic credentials are malformed",
            "{header}"
        );
    }
}

#[test]
fn both_methods_is_invalid_request() {
    let err = token_err(
        &body(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", KEY),
        ]),
        Some(&basic(ID, KEY)),
    );
    assert_error(&err, OAuthErrorCode::InvalidRequest, 400, false);
    assert_eq!(
        err.description(),
        "the client used more than one authentication method"
    );
}

#[test]
fn oversize_and_utf8_bodies_have_exact_json() {
    let err = token_err(&vec![b'a'; MAX_FORM_LEN + 1], None);
    assert_eq!(
        err.to_json(),
        r#"{"error":"invalid_request","error_description":"the request body is larger than 8192 bytes"}"#
    );
    let err = token_err(b"grant_type=%FF", None);
    assert_eq!(
        err.to_json(),
        r#"{"error":"invalid_request","error_description":"a request parameter is not valid UTF-8"}"#
    );
    let err = token_err(
        b"grant_type=client_credentials&scope=a%20%20b",
        Some(&basic(ID, KEY)),
    );
    assert_eq!(
        err.to_json(),
        r#"{"error":"invalid_scope","error_description":"the scope parameter is malformed"}"#
    );
}

// ---- errors an adapter builds after verification ----

#[test]
fn adapter_errors() {
    let basic_client = ClientCredentials::from_basic(&basic(ID, KEY)).unwrap();
    assert_error(
        &basic_client.reject(),
        OAuthErrorCode::InvalidClient,
        401,
        true,
    );
    let form_client =
        ClientCredentials::parse(&body(&[("client_id", ID), ("client_secret", KEY)]), None)
            .unwrap()
            .unwrap();
    assert_error(
        &form_client.reject(),
        OAuthErrorCode::InvalidClient,
        400,
        false,
    );
    for (code, status) in [
        (OAuthErrorCode::InvalidGrant, 400),
        (OAuthErrorCode::UnauthorizedClient, 400),
        (OAuthErrorCode::InvalidScope, 400),
        (OAuthErrorCode::UnsupportedTokenType, 400),
        (OAuthErrorCode::ServerError, 500),
        (OAuthErrorCode::TemporarilyUnavailable, 503),
    ] {
        assert_error(&OAuthError::new(code), code, status, false);
    }
    assert_eq!(
        OAuthError::new(OAuthErrorCode::InvalidGrant).to_json(),
        r#"{"error":"invalid_grant","error_description":"the grant is invalid, expired, revoked or was issued to another client"}"#
    );
}

// ---- client credentials for introspection and revocation ----

#[test]
fn client_credentials_parse_and_require() {
    assert!(
        ClientCredentials::parse(b"token=x", None)
            .unwrap()
            .is_none()
    );
    let err = ClientCredentials::require(b"token=x", None).unwrap_err();
    assert_error(&err, OAuthErrorCode::InvalidClient, 400, false);
    let client = ClientCredentials::require(b"token=x", Some(&basic(ID, KEY))).unwrap();
    assert!(client.matches_key_id(&ID.parse().unwrap()));
    let err =
        ClientCredentials::require(b"token=x&client_secret=a", Some(&basic(ID, KEY))).unwrap_err();
    assert_error(&err, OAuthErrorCode::InvalidRequest, 400, false);
}

// ---- introspection ----

#[test]
fn introspection_request() {
    let request =
        IntrospectionRequest::parse(b"token=eyJ.e30.sig&token_type_hint=access_token&client_id=x")
            .unwrap();
    assert_eq!(request.token.expose_secret(), "eyJ.e30.sig");
    assert_eq!(request.token_type_hint, Some(TokenTypeHint::AccessToken));
    let request = IntrospectionRequest::parse(b"token=t&token_type_hint=mystery").unwrap();
    assert_eq!(request.token_type_hint, None);
}

#[test]
fn introspection_request_errors() {
    let oversize = vec![b'a'; MAX_FORM_LEN + 1];
    let cases: [&[u8]; 6] = [
        &oversize,
        b"token=%FF",
        b"token_type_hint=access_token",
        b"token=",
        b"token=a&token=b",
        b"token=a&token_type_hint=access_token&token_type_hint=refresh_token",
    ];
    for body in cases {
        let err = IntrospectionRequest::parse(body).unwrap_err();
        assert_error(&err, OAuthErrorCode::InvalidRequest, 400, false);
        let err = RevocationRequest::parse(body).unwrap_err();
        assert_error(&err, OAuthErrorCode::InvalidRequest, 400, false);
    }
}

#[test]
fn inactive_introspection_is_exactly_active_false() {
    let inactive = IntrospectionResponse::inactive();
    assert!(!inactive.is_active());
    assert_eq!(inactive.to_json(), r#"{"active":false}"#);
    let response = inactive.to_response();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), r#"{"active":false}"#);
    for (name, value) in NO_STORE_HEADERS {
        assert!(response.headers().contains(&(name, value.to_owned())));
    }
}

#[test]
fn active_introspection() {
    let mut metadata = TokenMetadata::default();
    metadata.scope = Some("reports:read".parse().unwrap());
    metadata.client_id = Some(ID.to_owned());
    metadata.token_type = Some("Bearer".to_owned());
    metadata.exp = Some(1_700_003_600);
    metadata.iat = Some(1_700_000_000);
    metadata.sub = Some("acme".to_owned());
    metadata.aud = vec!["https://api.example".to_owned()];
    metadata.iss = Some("https://issuer.example".to_owned());
    metadata.jti = Some("jti-1".to_owned());
    let response = IntrospectionResponse::active(metadata);
    assert!(response.is_active());
    assert_eq!(
        response.to_json(),
        concat!(
            r#"{"active":true,"scope":"reports:read","client_id":"0123456789abcdef","#,
            r#""token_type":"Bearer","exp":1700003600,"iat":1700000000,"sub":"acme","#,
            r#""aud":"https://api.example","iss":"https://issuer.example","jti":"jti-1"}"#
        )
    );
}

// ---- revocation ----

#[test]
fn revocation_request_and_response() {
    let request =
        RevocationRequest::parse(b"token=rt_abc_SECRET&token_type_hint=refresh_token").unwrap();
    assert_eq!(request.token, PresentedToken::new("rt_abc_SECRET"));
    assert_eq!(request.token_type_hint, Some(TokenTypeHint::RefreshToken));
    let response = RevocationResponse.to_response();
    assert_eq!(response.status(), RevocationResponse::STATUS);
    assert_eq!(response.status(), 200);
    assert!(response.headers().is_empty());
    assert_eq!(response.into_body(), "");
}

// ---- token response ----

#[test]
fn token_response_json_is_exact() {
    let response = TokenResponse::new(
        AccessToken::new("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
        3600,
        "reports:read billing:*".parse().unwrap(),
    );
    assert_eq!(
        response.to_json(),
        r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","token_type":"Bearer","expires_in":3600,"scope":"billing:* reports:read"}"#
    );
    let response = response.with_refresh_token(RefreshToken::new("rt_0123456789abcdef_R"));
    assert_eq!(
        response.to_json(),
        r#"{"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","token_type":"Bearer","expires_in":3600,"refresh_token":"rt_0123456789abcdef_R","scope":"billing:* reports:read"}"#
    );
    let http = response.to_response();
    assert_eq!(http.status(), 200);
    assert_eq!(
        http.headers(),
        [
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
            ("pragma", "no-cache".to_owned()),
        ]
    );
    assert_eq!(http.body(), response.to_json());
}

// ---- content type ----

#[test]
fn content_type_check() {
    for ok in [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded;charset=UTF-8",
        "APPLICATION/X-WWW-FORM-URLENCODED ; charset=utf-8",
    ] {
        assert!(require_form_content_type(Some(ok)).is_ok(), "{ok}");
    }
    for bad in [
        None,
        Some(""),
        Some("application/json"),
        Some("multipart/form-data"),
    ] {
        let err = require_form_content_type(bad).unwrap_err();
        assert_error(&err, OAuthErrorCode::InvalidRequest, 400, false);
    }
}

// ---- redaction ----

#[test]
fn debug_of_parsed_requests_holds_no_secret() {
    // Secrets without `_`, so that no prefix rule could hide them by luck.
    let (secret, refresh, token) = ("S3cretKey", "R3freshToken", "Pr3sentedToken");
    let refresh_body = body(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", ID),
        ("client_secret", secret),
    ]);
    let token_body = body(&[("token", token)]);
    let issued = TokenResponse::new(AccessToken::new(token), 1, ScopeSet::empty())
        .with_refresh_token(RefreshToken::new(refresh));
    let debugs = [
        format!(
            "{:?}",
            TokenRequest::parse(b"grant_type=client_credentials", Some(&basic(ID, secret)))
        ),
        format!("{:?}", TokenRequest::parse(&refresh_body, None)),
        format!("{:?}", ClientCredentials::from_basic(&basic(ID, secret))),
        format!("{:?}", IntrospectionRequest::parse(&token_body)),
        format!("{:?}", RevocationRequest::parse(&token_body)),
        format!("{issued:?}"),
        format!("{:?}", issued.to_response()),
    ];
    for debug in debugs {
        assert!(
            debug.starts_with("Ok(") || !debug.contains("Err"),
            "{debug}"
        );
        for needle in ["S3cret", "R3fresh", "Pr3sented"] {
            assert!(!debug.contains(needle), "{debug}");
        }
    }
}

#[test]
fn debug_shapes_are_pinned() {
    let client = ClientCredentials::from_basic(&basic(ID, KEY)).unwrap();
    assert_eq!(
        format!("{client:?}"),
        r#"ClientCredentials { client_id: "0123456789abcdef", client_secret: <redacted>, method: ClientSecretBasic }"#
    );
    assert_eq!(
        format!("{:?}", PresentedToken::new("x")),
        "PresentedToken(<redacted>)"
    );
}

#[test]
fn types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    assert_send_sync::<TokenRequest>();
    assert_send_sync::<ClientCredentials>();
    assert_send_sync::<OAuthError>();
    assert_send_sync::<OAuthResponse>();
    assert_send_sync::<IntrospectionRequest>();
    assert_send_sync::<RevocationRequest>();
    assert_zeroize_on_drop::<PresentedToken>();
}

// ---- never panic ----

proptest! {
    #[test]
    fn token_request_parse_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        authorization in proptest::option::of(any::<String>()),
    ) {
        if let Err(err) = TokenRequest::parse(&body, authorization.as_deref()) {
            let _ = (err.status(), err.to_json(), err.www_authenticate(REALM));
        }
    }

    #[test]
    fn token_request_parse_never_panics_on_form_like_input(
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    Just("grant_type".to_owned()),
                    Just("scope".to_owned()),
                    Just("refresh_token".to_owned()),
                    Just("client_id".to_owned()),
                    Just("client_secret".to_owned()),
                    "[a-z_%+=&]{0,6}",
                ],
                prop_oneof![
                    Just("client_credentials".to_owned()),
                    Just("refresh_token".to_owned()),
                    "[ -~]{0,12}",
                    "%[0-9A-Fa-f]{2}",
                ],
            ),
            0..8,
        ),
        header in proptest::option::of("(Basic|basic|Bearer)? {0,3}[A-Za-z0-9+/=]{0,24}"),
    ) {
        let body: String = pairs.iter().map(|(k, v)| format!("{k}={v}&")).collect();
        let _ = TokenRequest::parse(body.as_bytes(), header.as_deref());
    }

    #[test]
    fn client_credentials_never_panic(
        header in any::<String>(),
        raw in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let _ = ClientCredentials::from_basic(&header);
        let encoded = format!("Basic {}", STANDARD.encode(&raw));
        let _ = ClientCredentials::from_basic(&encoded);
        let _ = ClientCredentials::parse(&raw, Some(&header));
    }

    #[test]
    fn basic_round_trips_any_id_and_secret(id in "[^\u{0}]{1,20}", secret in "[^\u{0}]{1,40}") {
        let client = ClientCredentials::from_basic(&basic(&id, &secret)).unwrap();
        prop_assert_eq!(client.client_id, id);
        prop_assert_eq!(client.client_secret.expose_secret(), secret.as_str());
    }

    #[test]
    fn introspection_and_revocation_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = IntrospectionRequest::parse(&body);
        let _ = RevocationRequest::parse(&body);
    }
}
