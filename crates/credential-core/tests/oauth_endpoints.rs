//! The OAuth 2.0 endpoints end to end: the token endpoint's
//! `client_credentials` and `refresh_token` grants, introspection,
//! revocation, client authentication and the JWKS document, with exact
//! statuses, headers and JSON bodies.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::tokens::{AUDIENCE, ISSUER, TokenStack, token_stack};
use common::{Fixture, ProbeStore, START, fixture, forge, with_wrong_secret};
use credential_core::key::{CreatedKey, NewKey};
use credential_core::oauth::{OAuthEndpoints, OAuthResponse};
use credential_core::ratelimit::RateLimit;
use credential_core::token::TokenVerifier;
use credential_core::{CredentialKind, Principal, Reason, Verifier};
use serde_json::{Value, json};
use time::Duration;

const PREFIX: &str = "sk_live";
const ACME_SCOPES: &str = "reports:read reports:write tokens:introspect";
const REALM_CHALLENGE: &str = r#"Basic realm="api""#;

struct World {
    keys: Fixture,
    acme: CreatedKey,
    other: CreatedKey,
    verifier: TokenVerifier,
    endpoints: OAuthEndpoints<ProbeStore>,
    /// The `acme` key's principal, as an adapter would hand it to the
    /// introspection and revocation endpoints.
    caller: Principal,
}

async fn world() -> World {
    build(true).await
}

async fn build(with_refresher: bool) -> World {
    let keys = fixture();
    let acme = keys
        .manager
        .create(NewKey::new("acme", ACME_SCOPES.parse().unwrap()))
        .await
        .unwrap();
    let other = keys
        .manager
        .create(NewKey::new("other", ACME_SCOPES.parse().unwrap()))
        .await
        .unwrap();
    let clock = Arc::new(keys.clock.clone());
    let TokenStack {
        issuer,
        verifier,
        refresher,
    } = token_stack(&keys, Duration::seconds(5));
    let mut endpoints =
        OAuthEndpoints::new(keys.manager.verifier(), issuer, verifier.clone()).with_clock(clock);
    if with_refresher {
        endpoints = endpoints.with_refresher(refresher);
    }
    let caller = keys
        .manager
        .verifier()
        .verify(acme.key.expose_secret(), None)
        .await
        .unwrap();
    World {
        keys,
        acme,
        other,
        verifier,
        endpoints,
        caller,
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

/// An `application/x-www-form-urlencoded` body (`:` becomes `%3A`).
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

fn body_json(response: &OAuthResponse) -> Value {
    serde_json::from_str(response.body())
        .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", response.body()))
}

fn header<'a>(response: &'a OAuthResponse, name: &str) -> Option<&'a str> {
    response
        .headers()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.as_str())
}

/// The headers of every JSON answer: content type and no caching.
fn assert_json_headers(response: &OAuthResponse) {
    assert_eq!(
        header(response, "content-type"),
        Some("application/json"),
        "{response:?}"
    );
    assert_eq!(
        header(response, "cache-control"),
        Some("no-store"),
        "{response:?}"
    );
    assert_eq!(header(response, "pragma"), Some("no-cache"), "{response:?}");
}

/// An OAuth error answer: status, exact `error`, a description, the
/// no-store headers, and a `Basic` challenge exactly when `challenge`.
fn assert_error(response: &OAuthResponse, status: u16, code: &str, challenge: bool) {
    assert_eq!(response.status(), status, "{}", response.body());
    assert_json_headers(response);
    let body = body_json(response);
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    let expected = challenge.then_some(REALM_CHALLENGE);
    assert_eq!(
        header(response, "www-authenticate"),
        expected,
        "{response:?}"
    );
    assert_eq!(header(response, "retry-after"), None, "{response:?}");
}

/// A successful token answer, as JSON.
fn assert_token_success(response: &OAuthResponse) -> Value {
    assert_eq!(response.status(), 200, "{}", response.body());
    assert_json_headers(response);
    assert_eq!(response.headers().len(), 3, "{response:?}");
    let body = body_json(response);
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["expires_in"], 900, "{body}");
    assert!(body["access_token"].is_string(), "{body}");
    body
}

fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {body}"))
}

fn unix(at: time::OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

impl World {
    fn acme_id(&self) -> String {
        self.acme.record.id.as_str().to_owned()
    }

    fn acme_key(&self) -> &str {
        self.acme.key.expose_secret()
    }

    fn acme_basic(&self) -> String {
        basic(&self.acme_id(), self.acme_key())
    }

    fn other_basic(&self) -> String {
        basic(
            self.other.record.id.as_str(),
            self.other.key.expose_secret(),
        )
    }

    /// A `client_credentials` exchange of the `acme` key by Basic.
    async fn exchange(&self) -> Value {
        self.exchange_as(&self.acme_basic()).await
    }

    async fn exchange_as(&self, authorization: &str) -> Value {
        let response = self
            .endpoints
            .token(b"grant_type=client_credentials", Some(authorization))
            .await;
        assert_token_success(&response)
    }

    async fn refresh(&self, refresh_token: &str, authorization: Option<&str>) -> OAuthResponse {
        self.endpoints
            .token(
                &form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ]),
                authorization,
            )
            .await
    }

    /// A refresh by the `acme` client, authenticated by Basic.
    async fn acme_refresh(&self, refresh_token: &str) -> OAuthResponse {
        self.refresh(refresh_token, Some(&self.acme_basic())).await
    }

    async fn introspect(&self, token: &str) -> OAuthResponse {
        self.endpoints
            .introspect(&form(&[("token", token)]), &self.caller)
            .await
    }

    async fn revoke(&self, token: &str) -> OAuthResponse {
        self.endpoints
            .revoke(&form(&[("token", token)]), &self.caller)
            .await
    }

    async fn reason(&self, access_token: &str) -> Option<Reason> {
        self.verifier
            .verify(access_token, None)
            .await
            .err()
            .map(|rejection| rejection.reason())
    }
}

fn assert_inactive(response: &OAuthResponse, what: &str) {
    assert_eq!(response.status(), 200, "{what}");
    assert_eq!(response.body(), r#"{"active":false}"#, "{what}");
    assert_json_headers(response);
}

fn assert_revocation_ok(response: &OAuthResponse) {
    assert_eq!(response.status(), 200, "{response:?}");
    assert_eq!(response.body(), "", "{response:?}");
}

// ---- token endpoint: client_credentials ----

#[tokio::test]
async fn client_credentials_by_basic_issues_a_verifiable_pair() {
    let w = world().await;
    let response = w
        .endpoints
        .token(b"grant_type=client_credentials", Some(&w.acme_basic()))
        .await;
    assert_eq!(
        response.headers(),
        [
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
            ("pragma", "no-cache".to_owned()),
        ]
    );
    let body = assert_token_success(&response);
    let mut names: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(body["scope"], ACME_SCOPES);
    let refresh = text(&body, "refresh_token");
    assert!(refresh.starts_with("rt_"), "{refresh}");

    let principal = w
        .verifier
        .verify(text(&body, "access_token"), None)
        .await
        .unwrap();
    assert_eq!(principal.kind(), CredentialKind::AccessToken);
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.client_id(), Some(w.acme_id().as_str()));
    assert_eq!(principal.scopes().to_string(), ACME_SCOPES);
    assert_eq!(principal.expires_at(), Some(START + Duration::minutes(15)));
}

#[tokio::test]
async fn client_credentials_by_form_parameters() {
    let w = world().await;
    let id = w.acme_id();
    let response = w
        .endpoints
        .token(
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", w.acme_key()),
            ]),
            None,
        )
        .await;
    let body = assert_token_success(&response);
    assert_eq!(body["scope"], ACME_SCOPES);
    assert!(text(&body, "refresh_token").starts_with("rt_"));
    let principal = w
        .verifier
        .verify(text(&body, "access_token"), None)
        .await
        .unwrap();
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.client_id(), Some(id.as_str()));
}

#[tokio::test]
async fn a_narrowed_scope_is_honoured() {
    let w = world().await;
    // Written by hand: `:` percent-encoded, the space as `+`.
    let response = w
        .endpoints
        .token(
            b"grant_type=client_credentials&scope=reports%3Aread+tokens%3Aintrospect",
            Some(&w.acme_basic()),
        )
        .await;
    let body = assert_token_success(&response);
    assert_eq!(body["scope"], "reports:read tokens:introspect");
    let principal = w
        .verifier
        .verify(text(&body, "access_token"), None)
        .await
        .unwrap();
    assert_eq!(
        principal.scopes().to_string(),
        "reports:read tokens:introspect"
    );
}

#[tokio::test]
async fn a_wider_scope_is_invalid_scope() {
    let w = world().await;
    for scope in ["reports:read admin", "reports:*", "billing:read"] {
        let response = w
            .endpoints
            .token(
                &form(&[("grant_type", "client_credentials"), ("scope", scope)]),
                Some(&w.acme_basic()),
            )
            .await;
        assert_error(&response, 400, "invalid_scope", false);
        assert_eq!(
            response.body(),
            r#"{"error":"invalid_scope","error_description":"the requested scope is invalid, unknown or exceeds the granted scope"}"#,
            "{scope}"
        );
    }
}

#[tokio::test]
async fn a_wrong_key_is_invalid_client_401_by_basic_and_400_by_form() {
    let w = world().await;
    let id = w.acme_id();
    let wrong = with_wrong_secret(w.acme_key(), PREFIX);
    for secret in [wrong.as_str(), "not-a-key", "sk_live_garbage"] {
        let response = w
            .endpoints
            .token(b"grant_type=client_credentials", Some(&basic(&id, secret)))
            .await;
        assert_error(&response, 401, "invalid_client", true);
        assert_eq!(
            response.body(),
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
        );

        let response = w
            .endpoints
            .token(
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", secret),
                ]),
                None,
            )
            .await;
        assert_error(&response, 400, "invalid_client", false);
    }
}

#[tokio::test]
async fn client_id_must_be_the_keys_id() {
    let w = world().await;
    let other_id = w.other.record.id.as_str().to_owned();
    // A valid key under another key's id, and under an id of the wrong case.
    for id in [other_id, w.acme_id().to_uppercase()] {
        let response = w
            .endpoints
            .token(
                b"grant_type=client_credentials",
                Some(&basic(&id, w.acme_key())),
            )
            .await;
        assert_error(&response, 401, "invalid_client", true);
        let response = w
            .endpoints
            .token(
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", w.acme_key()),
                ]),
                None,
            )
            .await;
        assert_error(&response, 400, "invalid_client", false);
    }
}

#[tokio::test]
async fn revoked_and_disabled_keys_are_invalid_client() {
    let w = world().await;
    w.keys.manager.disable(&w.acme.record.id).await.unwrap();
    let response = w
        .endpoints
        .token(b"grant_type=client_credentials", Some(&w.acme_basic()))
        .await;
    assert_error(&response, 401, "invalid_client", true);
    w.keys.manager.enable(&w.acme.record.id).await.unwrap();
    w.exchange().await;

    w.keys.manager.revoke(&w.other.record.id).await.unwrap();
    let response = w
        .endpoints
        .token(b"grant_type=client_credentials", Some(&w.other_basic()))
        .await;
    assert_error(&response, 401, "invalid_client", true);
    let other_id = w.other.record.id.as_str().to_owned();
    let response = w
        .endpoints
        .token(
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &other_id),
                ("client_secret", w.other.key.expose_secret()),
            ]),
            None,
        )
        .await;
    assert_error(&response, 400, "invalid_client", false);
}

#[tokio::test]
async fn a_rate_limited_key_gets_429_with_retry_after() {
    let w = world().await;
    let limited = w
        .keys
        .manager
        .create(
            NewKey::new("acme", "reports:read".parse().unwrap())
                .rate_limit(RateLimit::new(1, Duration::minutes(1)).unwrap()),
        )
        .await
        .unwrap();
    let authorization = basic(limited.record.id.as_str(), limited.key.expose_secret());
    w.exchange_as(&authorization).await;
    let response = w
        .endpoints
        .token(b"grant_type=client_credentials", Some(&authorization))
        .await;
    assert_eq!(response.status(), 429, "{}", response.body());
    assert_json_headers(&response);
    assert_eq!(header(&response, "retry-after"), Some("60"));
    assert_eq!(header(&response, "www-authenticate"), None);
    assert_eq!(
        body_json(&response),
        json!({"error": "rate_limited", "error_description": "too many requests"})
    );
    // Once the period has passed the key works again.
    w.keys.clock.advance(Duration::minutes(1));
    w.exchange_as(&authorization).await;
}

#[tokio::test]
async fn a_key_store_outage_is_503_temporarily_unavailable() {
    let w = world().await;
    w.keys.store.set_down(true);
    let id = w.acme_id();
    for (body, authorization) in [
        (
            b"grant_type=client_credentials".to_vec(),
            Some(w.acme_basic()),
        ),
        (
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", w.acme_key()),
            ]),
            None,
        ),
    ] {
        let response = w.endpoints.token(&body, authorization.as_deref()).await;
        assert_error(&response, 503, "temporarily_unavailable", false);
        assert_eq!(
            body_json(&response),
            json!({
                "error": "temporarily_unavailable",
                "error_description": "the service is temporarily unavailable"
            })
        );
    }
    w.keys.store.set_down(false);
    w.exchange().await;
}

#[tokio::test]
async fn malformed_token_requests() {
    let w = world().await;
    let auth = w.acme_basic();

    let missing_grant = w
        .endpoints
        .token(b"scope=reports%3Aread", Some(&auth))
        .await;
    assert_error(&missing_grant, 400, "invalid_request", false);
    assert_eq!(
        missing_grant.body(),
        r#"{"error":"invalid_request","error_description":"the grant_type parameter is missing"}"#
    );

    for grant in ["password", "authorization_code", "Client_Credentials"] {
        let response = w
            .endpoints
            .token(&form(&[("grant_type", grant)]), Some(&auth))
            .await;
        assert_error(&response, 400, "unsupported_grant_type", false);
    }

    let anonymous = w
        .endpoints
        .token(b"grant_type=client_credentials", None)
        .await;
    assert_error(&anonymous, 400, "invalid_client", false);
    assert_eq!(
        anonymous.body(),
        r#"{"error":"invalid_client","error_description":"client authentication is required"}"#
    );

    // A refresh grant without its token.
    let response = w
        .endpoints
        .token(b"grant_type=refresh_token", Some(&auth))
        .await;
    assert_error(&response, 400, "invalid_request", false);
}

// ---- token endpoint: refresh_token ----

#[tokio::test]
async fn a_refresh_returns_a_new_pair() {
    let w = world().await;
    let first = w.exchange().await;
    w.keys.clock.advance(Duration::minutes(20));
    // The first access token has expired by now.
    assert_eq!(
        w.reason(text(&first, "access_token")).await,
        Some(Reason::Expired)
    );
    let response = w.acme_refresh(text(&first, "refresh_token")).await;
    let second = assert_token_success(&response);
    assert_eq!(second["scope"], ACME_SCOPES);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert!(text(&second, "refresh_token").starts_with("rt_"));
    let principal = w
        .verifier
        .verify(text(&second, "access_token"), None)
        .await
        .unwrap();
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.client_id(), Some(w.acme_id().as_str()));

    // The successor redeems in turn, and may narrow the scope but not
    // widen it.
    let narrowed = w
        .endpoints
        .token(
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", text(&second, "refresh_token")),
                ("scope", "reports:read"),
            ]),
            Some(&w.acme_basic()),
        )
        .await;
    let third = assert_token_success(&narrowed);
    assert_eq!(third["scope"], "reports:read");
    let widened = w
        .endpoints
        .token(
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", text(&third, "refresh_token")),
                ("scope", "reports:read admin"),
            ]),
            Some(&w.acme_basic()),
        )
        .await;
    assert_error(&widened, 400, "invalid_scope", false);
    // The refused request did not consume the token.
    assert_token_success(&w.acme_refresh(text(&third, "refresh_token")).await);
}

#[tokio::test]
async fn a_retry_within_the_grace_gets_the_same_answer() {
    let w = world().await;
    let first = w.exchange().await;
    let refresh = text(&first, "refresh_token");
    let original = w.acme_refresh(refresh).await;
    let second = assert_token_success(&original);

    // A retry at once: the very same body.
    let retry = w.acme_refresh(refresh).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.body(), original.body());
    assert_eq!(retry.headers(), original.headers());

    // A retry later in the grace period: the same tokens; `expires_in`
    // counts down to the same expiry.
    w.keys.clock.advance(Duration::seconds(4));
    let late = w.acme_refresh(refresh).await;
    assert_eq!(late.status(), 200, "{}", late.body());
    let late = body_json(&late);
    assert_eq!(late["access_token"], second["access_token"]);
    assert_eq!(late["refresh_token"], second["refresh_token"]);
    assert_eq!(late["scope"], second["scope"]);
    assert_eq!(late["expires_in"], 896);

    // The family is intact: the successor redeems.
    assert_token_success(&w.acme_refresh(text(&second, "refresh_token")).await);
}

#[tokio::test]
async fn reuse_after_the_grace_is_invalid_grant_and_ends_the_family() {
    let w = world().await;
    let first = w.exchange().await;
    let second = assert_token_success(&w.acme_refresh(text(&first, "refresh_token")).await);
    w.keys.clock.advance(Duration::seconds(5));

    let reused = w.acme_refresh(text(&first, "refresh_token")).await;
    assert_error(&reused, 400, "invalid_grant", false);
    assert_eq!(
        reused.body(),
        r#"{"error":"invalid_grant","error_description":"the grant is invalid, expired, revoked or was issued to another client"}"#
    );
    let successor = w.acme_refresh(text(&second, "refresh_token")).await;
    assert_error(&successor, 400, "invalid_grant", false);
    // The access tokens issued with the family are revoked too.
    for pair in [&first, &second] {
        assert_eq!(
            w.reason(text(pair, "access_token")).await,
            Some(Reason::Revoked)
        );
    }
    // A new exchange starts a healthy family.
    let fresh = w.exchange().await;
    assert_token_success(&w.acme_refresh(text(&fresh, "refresh_token")).await);
}

#[tokio::test]
async fn another_clients_credentials_cannot_redeem_or_burn_a_refresh_token() {
    let w = world().await;
    let first = w.exchange().await;
    let refresh = text(&first, "refresh_token");

    let stolen = w.refresh(refresh, Some(&w.other_basic())).await;
    assert_error(&stolen, 400, "invalid_grant", false);
    let other_id = w.other.record.id.as_str().to_owned();
    let stolen = w
        .endpoints
        .token(
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", &other_id),
                ("client_secret", w.other.key.expose_secret()),
            ]),
            None,
        )
        .await;
    assert_error(&stolen, 400, "invalid_grant", false);
    // Even after the grace period, the attempt neither consumed the token
    // nor counted as a reuse.
    w.keys.clock.advance(Duration::minutes(1));
    assert_token_success(&w.acme_refresh(refresh).await);
}

#[tokio::test]
async fn a_refresh_with_bad_client_credentials_is_invalid_client_and_consumes_nothing() {
    let w = world().await;
    let first = w.exchange().await;
    let refresh = text(&first, "refresh_token");
    let wrong = basic(&w.acme_id(), &with_wrong_secret(w.acme_key(), PREFIX));
    let response = w.refresh(refresh, Some(&wrong)).await;
    assert_error(&response, 401, "invalid_client", true);
    assert_token_success(&w.acme_refresh(refresh).await);
}

#[tokio::test]
async fn a_refresh_during_a_key_store_outage_is_503_and_consumes_nothing() {
    let w = world().await;
    let first = w.exchange().await;
    let refresh = text(&first, "refresh_token");
    w.keys.store.set_down(true);
    let response = w.acme_refresh(refresh).await;
    assert_error(&response, 503, "temporarily_unavailable", false);
    w.keys.store.set_down(false);
    assert_token_success(&w.acme_refresh(refresh).await);
}

#[tokio::test]
async fn a_refresh_token_of_a_revoked_key_no_longer_redeems() {
    let w = world().await;
    let first = w.exchange().await;
    w.keys.manager.revoke(&w.acme.record.id).await.unwrap();
    // The client cannot authenticate any more.
    let response = w.acme_refresh(text(&first, "refresh_token")).await;
    assert_error(&response, 401, "invalid_client", true);
}

#[tokio::test]
async fn credentials_of_other_kinds_are_not_refresh_tokens() {
    let w = world().await;
    let pair = w.exchange().await;
    let unknown = forge("rt", "0123456789abcdef", &"Q".repeat(43));
    let wrong_secret = with_wrong_secret(text(&pair, "refresh_token"), "rt");
    for wrong in [
        text(&pair, "access_token"),
        w.acme_key(),
        w.other.key.expose_secret(),
        unknown.as_str(),
        wrong_secret.as_str(),
        "rt_garbage",
    ] {
        let response = w.acme_refresh(wrong).await;
        assert_error(&response, 400, "invalid_grant", false);
    }
    // None of that touched the real refresh token.
    assert_token_success(&w.acme_refresh(text(&pair, "refresh_token")).await);
}

#[tokio::test]
async fn without_a_refresher_there_is_no_refresh_grant_and_no_refresh_token() {
    let w = build(false).await;
    let body = w.exchange().await;
    let mut names: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    names.sort();
    assert_eq!(names, ["access_token", "expires_in", "scope", "token_type"]);

    // A refresh token from endpoints that do have a refresher.
    let elsewhere = world().await.exchange().await;
    for authorization in [Some(w.acme_basic()), None] {
        let response = w
            .refresh(text(&elsewhere, "refresh_token"), authorization.as_deref())
            .await;
        assert_error(&response, 400, "unsupported_grant_type", false);
    }
    // Introspection of a refresh-shaped token is simply inactive.
    assert_inactive(
        &w.introspect(text(&elsewhere, "refresh_token")).await,
        "refresh token without a refresher",
    );
}

/// RFC 6749 §6: omitting `scope` is "treated as equal to the scope
/// originally granted", and the grant was the narrowed scope the token
/// response announced.
#[tokio::test]
async fn a_refresh_keeps_the_scope_of_a_narrowed_grant() {
    let w = world().await;
    let response = w
        .endpoints
        .token(
            b"grant_type=client_credentials&scope=reports%3Aread",
            Some(&w.acme_basic()),
        )
        .await;
    let first = assert_token_success(&response);
    assert_eq!(first["scope"], "reports:read");
    let introspected = body_json(&w.introspect(text(&first, "refresh_token")).await);
    assert_eq!(introspected["scope"], "reports:read", "{introspected}");
    let second = assert_token_success(&w.acme_refresh(text(&first, "refresh_token")).await);
    assert_eq!(second["scope"], "reports:read");
}

/// RFC 6749 §6: a client that was issued credentials must authenticate
/// to refresh; every refresh token here belongs to an API-key client.
#[tokio::test]
async fn a_refresh_without_client_authentication_is_invalid_client() {
    let w = world().await;
    let first = w.exchange().await;
    let response = w.refresh(text(&first, "refresh_token"), None).await;
    assert_error(&response, 400, "invalid_client", false);
    assert_token_success(&w.acme_refresh(text(&first, "refresh_token")).await);
}

// ---- introspection ----

#[tokio::test]
async fn an_active_access_token_is_described() {
    let w = world().await;
    let pair = w.exchange().await;
    let access = text(&pair, "access_token");
    let jti = w
        .verifier
        .verify_token(access)
        .await
        .unwrap()
        .claims()
        .token_id()
        .unwrap()
        .to_owned();
    let response = w.introspect(access).await;
    assert_eq!(response.status(), 200);
    assert_json_headers(&response);
    assert_eq!(
        body_json(&response),
        json!({
            "active": true,
            "scope": ACME_SCOPES,
            "client_id": w.acme_id(),
            "token_type": "Bearer",
            "exp": unix(START + Duration::minutes(15)),
            "iat": unix(START),
            "sub": "acme",
            "aud": AUDIENCE,
            "iss": ISSUER,
            "jti": jti,
        })
    );
    // The hint that names its type changes nothing.
    let hinted = w
        .endpoints
        .introspect(
            &form(&[("token", access), ("token_type_hint", "access_token")]),
            &w.caller,
        )
        .await;
    assert_eq!(hinted.body(), response.body());
}

#[tokio::test]
async fn an_active_refresh_token_is_described() {
    let w = world().await;
    let pair = w.exchange().await;
    let refresh = text(&pair, "refresh_token");
    let response = w.introspect(refresh).await;
    assert_eq!(response.status(), 200);
    assert_json_headers(&response);
    assert_eq!(
        body_json(&response),
        json!({
            "active": true,
            "scope": ACME_SCOPES,
            "client_id": w.acme_id(),
            "token_type": "refresh_token",
            "exp": unix(START + Duration::days(30)),
            "iat": unix(START),
            "sub": "acme",
        })
    );
    for hint in ["refresh_token", "access_token", "unknown"] {
        let hinted = w
            .endpoints
            .introspect(
                &form(&[("token", refresh), ("token_type_hint", hint)]),
                &w.caller,
            )
            .await;
        assert_eq!(hinted.body(), response.body(), "{hint}");
    }
    // Introspection does not consume it.
    assert_token_success(&w.acme_refresh(refresh).await);
}

/// RFC 7662 §2.1: a server that does not find the token under the hinted
/// type must search the other types.
#[tokio::test]
async fn a_wrong_hint_does_not_hide_an_access_token() {
    let w = world().await;
    let pair = w.exchange().await;
    let access = text(&pair, "access_token");
    let response = w
        .endpoints
        .introspect(
            &form(&[("token", access), ("token_type_hint", "refresh_token")]),
            &w.caller,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(&response)["active"], true, "{}", response.body());
}

#[tokio::test]
async fn unknown_and_garbage_tokens_are_inactive() {
    let w = world().await;
    w.exchange().await;
    let unknown_refresh = forge("rt", "0123456789abcdef", &"Q".repeat(43));
    let forged_access = format!(
        "{}.{}.{}",
        common::tokens::b64(br#"{"alg":"EdDSA","typ":"at+jwt","kid":"k1"}"#),
        common::tokens::b64(common::tokens::claims_json().as_bytes()),
        common::tokens::b64(&[0u8; 64]),
    );
    for token in [
        unknown_refresh.as_str(),
        forged_access.as_str(),
        "garbage",
        "a.b.c",
        "rt_garbage",
        w.acme_key(),
    ] {
        assert_inactive(&w.introspect(token).await, token);
    }
}

#[tokio::test]
async fn expired_tokens_are_inactive() {
    let w = world().await;
    let pair = w.exchange().await;
    w.keys.clock.advance(Duration::minutes(15));
    assert_inactive(
        &w.introspect(text(&pair, "access_token")).await,
        "expired access token",
    );
    // The refresh token lives on, then expires too.
    let response = w.introspect(text(&pair, "refresh_token")).await;
    assert_eq!(body_json(&response)["active"], true);
    w.keys.clock.advance(Duration::days(30));
    assert_inactive(
        &w.introspect(text(&pair, "refresh_token")).await,
        "expired refresh token",
    );
}

#[tokio::test]
async fn revoked_and_consumed_tokens_are_inactive() {
    let w = world().await;
    let first = w.exchange().await;
    let second = assert_token_success(&w.acme_refresh(text(&first, "refresh_token")).await);
    assert_inactive(
        &w.introspect(text(&first, "refresh_token")).await,
        "consumed refresh token",
    );
    assert_eq!(
        body_json(&w.introspect(text(&second, "refresh_token")).await)["active"],
        true
    );

    assert_revocation_ok(&w.revoke(text(&second, "access_token")).await);
    assert_inactive(
        &w.introspect(text(&second, "access_token")).await,
        "revoked access token",
    );
    assert_revocation_ok(&w.revoke(text(&second, "refresh_token")).await);
    assert_inactive(
        &w.introspect(text(&second, "refresh_token")).await,
        "revoked refresh token",
    );
}

/// A refresh token whose client key was revoked can never be redeemed
/// again, so it is not active (RFC 7662 §2.2).
#[tokio::test]
async fn a_refresh_token_of_a_revoked_key_is_inactive() {
    let w = world().await;
    let pair = w.exchange().await;
    w.keys.manager.revoke(&w.acme.record.id).await.unwrap();
    assert_inactive(
        &w.introspect(text(&pair, "refresh_token")).await,
        "refresh token of a revoked key",
    );
}

#[tokio::test]
async fn introspection_without_a_token_is_invalid_request() {
    let w = world().await;
    for body in [&b""[..], b"token=", b"token_type_hint=access_token"] {
        let response = w.endpoints.introspect(body, &w.caller).await;
        assert_error(&response, 400, "invalid_request", false);
        assert_eq!(
            response.body(),
            r#"{"error":"invalid_request","error_description":"the token parameter is missing"}"#
        );
    }
}

// ---- revocation ----

#[tokio::test]
async fn revoking_an_own_access_token() {
    let w = world().await;
    let pair = w.exchange().await;
    let kept = w.exchange().await;
    let response = w.revoke(text(&pair, "access_token")).await;
    assert_revocation_ok(&response);
    assert_eq!(
        w.reason(text(&pair, "access_token")).await,
        Some(Reason::Revoked)
    );
    // Revoking again is the same answer.
    assert_eq!(w.revoke(text(&pair, "access_token")).await, response);
    // Only that token: another access token and the refresh token live on.
    assert_eq!(w.reason(text(&kept, "access_token")).await, None);
    assert_token_success(&w.acme_refresh(text(&pair, "refresh_token")).await);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let w = world().await;
    let first = w.exchange().await;
    let second = assert_token_success(&w.acme_refresh(text(&first, "refresh_token")).await);
    // Revoking the live token ends it and the access token issued with it.
    assert_revocation_ok(&w.revoke(text(&second, "refresh_token")).await);
    let response = w.acme_refresh(text(&second, "refresh_token")).await;
    assert_error(&response, 400, "invalid_grant", false);
    assert_eq!(
        w.reason(text(&second, "access_token")).await,
        Some(Reason::Revoked)
    );

    // Revoking a consumed member ends the live one too.
    let third = w.exchange().await;
    let fourth = assert_token_success(&w.acme_refresh(text(&third, "refresh_token")).await);
    assert_revocation_ok(&w.revoke(text(&third, "refresh_token")).await);
    let response = w.acme_refresh(text(&fourth, "refresh_token")).await;
    assert_error(&response, 400, "invalid_grant", false);
}

#[tokio::test]
async fn foreign_tokens_are_left_alone_with_the_same_answer() {
    let w = world().await;
    let foreign = w.exchange_as(&w.other_basic()).await;
    let unknown = w.revoke("garbage").await;
    assert_revocation_ok(&unknown);
    for token in [
        text(&foreign, "access_token"),
        text(&foreign, "refresh_token"),
    ] {
        assert_eq!(w.revoke(token).await, unknown);
    }
    assert_eq!(w.reason(text(&foreign, "access_token")).await, None);
    let response = w
        .refresh(text(&foreign, "refresh_token"), Some(&w.other_basic()))
        .await;
    assert_token_success(&response);
}

#[tokio::test]
async fn unknown_tokens_are_200_and_a_missing_token_is_400() {
    let w = world().await;
    let unknown_refresh = forge("rt", "0123456789abcdef", &"Q".repeat(43));
    for token in [
        unknown_refresh.as_str(),
        "a.b.c",
        "garbage",
        w.acme_key(),
        w.other.key.expose_secret(),
    ] {
        assert_revocation_ok(&w.revoke(token).await);
    }
    // An API key is not revoked through this endpoint.
    w.exchange().await;

    for body in [&b""[..], b"token=", b"token_type_hint=refresh_token"] {
        let response = w.endpoints.revoke(body, &w.caller).await;
        assert_error(&response, 400, "invalid_request", false);
        assert_eq!(
            response.body(),
            r#"{"error":"invalid_request","error_description":"the token parameter is missing"}"#
        );
    }
}

// ---- client authentication for the other endpoints ----

#[tokio::test]
async fn client_principal_authenticates_the_key() {
    let w = world().await;
    let principal = w
        .endpoints
        .client_principal(b"token=x", Some(&w.acme_basic()))
        .await
        .unwrap();
    assert_eq!(principal.kind(), CredentialKind::ApiKey);
    assert_eq!(principal.subject(), "acme");
    assert_eq!(principal.key_id(), Some(w.acme.record.id));
    assert_eq!(principal.scopes().to_string(), ACME_SCOPES);

    let id = w.acme_id();
    let by_form = w
        .endpoints
        .client_principal(
            &form(&[
                ("token", "x"),
                ("client_id", &id),
                ("client_secret", w.acme_key()),
            ]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(by_form.key_id(), Some(w.acme.record.id));

    let wrong = basic(&id, &with_wrong_secret(w.acme_key(), PREFIX));
    let response = w
        .endpoints
        .client_principal(b"token=x", Some(&wrong))
        .await
        .unwrap_err();
    assert_error(&response, 401, "invalid_client", true);

    let response = w
        .endpoints
        .client_principal(b"token=x", None)
        .await
        .unwrap_err();
    assert_error(&response, 400, "invalid_client", false);
}

// ---- JWKS and redaction ----

#[tokio::test]
async fn jwks_publishes_one_public_okp_key() {
    let w = world().await;
    let jwks: Value = serde_json::from_str(&w.endpoints.jwks()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    let key = &keys[0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["kid"], "k1");
    assert!(key["x"].is_string(), "{key}");
    assert!(key.get("d").is_none(), "{key}");
}

#[tokio::test]
async fn debug_of_a_token_response_does_not_show_the_tokens() {
    let w = world().await;
    let response = w
        .endpoints
        .token(b"grant_type=client_credentials", Some(&w.acme_basic()))
        .await;
    let body = assert_token_success(&response);
    let debug = format!("{response:?}");
    assert!(!debug.contains(text(&body, "access_token")), "{debug}");
    assert!(!debug.contains(text(&body, "refresh_token")), "{debug}");
    // Nor any recognisable part of them.
    let signature = text(&body, "access_token").rsplit('.').next().unwrap();
    assert!(!debug.contains(signature), "{debug}");
    assert!(!debug.contains("rt_"), "{debug}");
    assert!(debug.contains(&format!("<{} bytes>", response.body().len())));
}
