// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! Every row of the rejection table, through actix-web: status,
//! `WWW-Authenticate`, `Retry-After` and the exact JSON body.

mod common;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpResponse, test, web};
use common::{PREFIX, Reply, World, WorldExt, challenge};
use credential_actix::{Authenticated, CredentialAuth, ErrorBody};
use credential_core::FaceConfig;
use credential_core::key::{
    Credits, KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::ratelimit::RateLimit;
use credential_core::token::jose::{Algorithm, SigningKey};
use credential_core::token::{KeyRing, TokenIssuer};
use std::sync::Arc;
use time::Duration;

const INVALID: &str = "the credential is invalid";

/// `GET /reports`, which needs `reports:read`, behind `auth`.
async fn reports_app(
    auth: CredentialAuth,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    let read = auth.require("reports:read").unwrap();
    test::init_service(
        App::new().route(
            "/reports",
            web::get()
                .to(|who: Authenticated| async move {
                    HttpResponse::Ok().body(who.subject().to_owned())
                })
                .wrap(read),
        ),
    )
    .await
}

async fn get(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = test::TestRequest::get().uri("/reports");
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    Reply::of(test::call_service(app, request.to_request()).await).await
}

fn bearer(credential: &str) -> String {
    format!("Bearer {credential}")
}

/// The table core shares with every adapter: each row answered with
/// exactly the status, headers and body core renders for it.
#[actix_web::test]
async fn every_row_of_the_shared_rejection_table_is_answered_as_core_renders_it() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let cases = world.rejection_cases().await.unwrap();
    assert!(cases.len() >= 14);
    for case in cases {
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        world.store.set_down(case.store_down);
        let reply = get(&app, &headers).await;
        world.store.set_down(false);
        let names: Vec<String> = reply.headers.keys().map(|n| n.to_string()).collect();
        let header = |name: &str| -> Vec<String> {
            reply
                .headers
                .get_all(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        if let Err(difference) = case.check(reply.status, &names, &header, &reply.body) {
            panic!("{difference}");
        }
    }
}

#[actix_web::test]
async fn a_valid_key_or_token_reaches_the_handler() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let key = world.key("reports:read").await.unwrap();
    let token = world.token(&key, None).unwrap();
    for headers in [
        vec![("x-api-key", key.key.expose_secret().to_owned())],
        vec![("authorization", bearer(key.key.expose_secret()))],
        vec![("authorization", bearer(&token))],
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = get(&app, &headers).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "acme"),
            "{reply:?}"
        );
    }
}

#[actix_web::test]
async fn no_credential_is_401_with_a_bare_challenge() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    // A scheme other than Bearer is not a credential for this API.
    for headers in [vec![], vec![("authorization", "Basic dXNlcjpwYXNz")]] {
        let reply = get(&app, &headers).await;
        reply.assert_refusal(
            401,
            Some(&challenge("")),
            None,
            "unauthorized",
            "authentication is required",
        );
    }
}

#[actix_web::test]
async fn a_malformed_request_or_credential_is_400_invalid_request() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let key = world.key("reports:read").await.unwrap();
    let key = key.key.expose_secret();
    let too_long = format!("{key}x");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("authorization", "Bearer")],
        vec![("authorization", "Bearer two words")],
        vec![("authorization", "Bearer a\"b")],
        // One credential per request.
        vec![("authorization", "Bearer abc"), ("x-api-key", key)],
        vec![("x-api-key", key), ("x-api-key", key)],
        vec![("authorization", "Bearer a"), ("authorization", "Bearer b")],
        vec![("x-api-key", "not a key")],
        vec![("x-api-key", &too_long)],
    ];
    for headers in cases {
        let reply = get(&app, &headers).await;
        reply.assert_refusal(
            400,
            Some(&challenge(r#"error="invalid_request""#)),
            None,
            "invalid_request",
            "the credential is malformed",
        );
    }
}

/// Changes one character of the secret part, keeping the alphabet.
fn tamper(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    let at = chars.len() - 10;
    chars[at] = if chars[at] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

#[actix_web::test]
async fn every_invalid_credential_gets_the_same_401() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let scopes = "reports:read";

    let unknown = {
        // Same prefix, another store: well-formed and unknown here.
        let other = KeyManager::new(
            Arc::new(MemoryKeyStore::new()),
            KeyFormat::new(PREFIX).unwrap(),
            Peppers::new(Pepper::generate(1).unwrap()),
        );
        other
            .create(NewKey::new("acme", scopes.parse().unwrap()))
            .await
            .unwrap()
            .key
    };
    let wrong_prefix = {
        let other = KeyManager::new(
            Arc::new(MemoryKeyStore::new()),
            KeyFormat::new("sk_live").unwrap(),
            Peppers::new(Pepper::generate(1).unwrap()),
        );
        other
            .create(NewKey::new("acme", scopes.parse().unwrap()))
            .await
            .unwrap()
            .key
    };
    let live = world.key(scopes).await.unwrap();
    let expiring = world
        .create(
            NewKey::new("acme", scopes.parse().unwrap())
                .expires_at(common::START + Duration::hours(1)),
        )
        .await
        .unwrap();
    let revoked = world.key(scopes).await.unwrap();
    world.manager.revoke(&revoked.record.id).await.unwrap();
    let disabled = world.key(scopes).await.unwrap();
    world.manager.disable(&disabled.record.id).await.unwrap();
    let rolled = world.key(scopes).await.unwrap();
    world
        .manager
        .roll(&rolled.record.id, Duration::minutes(1))
        .await
        .unwrap();

    let token = world.token(&live, None).unwrap();
    let forged_token = {
        // Another key under the same kid: the signature does not verify.
        let ring = KeyRing::new();
        ring.add_signing_key("k1", SigningKey::generate(Algorithm::EdDSA).unwrap())
            .unwrap();
        let issuer = TokenIssuer::new(ring, common::ISSUER);
        issuer
            .mint_for_key(&live.record, None)
            .unwrap()
            .token
            .expose_secret()
            .to_owned()
    };
    let foreign_issuer = {
        let issuer = TokenIssuer::new(world.ring.clone(), "https://elsewhere.example");
        issuer
            .mint_for_key(&live.record, None)
            .unwrap()
            .token
            .expose_secret()
            .to_owned()
    };
    let revoked_token = world.token(&revoked, None).unwrap();
    let expiring_token = world.token(&live, None).unwrap();

    // Time passes: the key expires, the roll's grace ends, tokens expire.
    world.clock.advance(Duration::hours(2));
    let fresh_token = world.token(&live, None).unwrap();
    assert_eq!(
        get(&app, &[("authorization", &bearer(&fresh_token))])
            .await
            .status,
        200
    );
    assert_eq!(
        get(&app, &[("x-api-key", live.key.expose_secret())])
            .await
            .status,
        200
    );

    let cases = [
        ("unknown key", unknown.expose_secret().to_owned()),
        (
            "key of another prefix",
            wrong_prefix.expose_secret().to_owned(),
        ),
        ("bad checksum", tamper(live.key.expose_secret())),
        ("expired key", expiring.key.expose_secret().to_owned()),
        ("revoked key", revoked.key.expose_secret().to_owned()),
        ("disabled key", disabled.key.expose_secret().to_owned()),
        ("rolled past grace", rolled.key.expose_secret().to_owned()),
        ("bad signature", forged_token),
        ("another issuer", foreign_issuer),
        ("token of a revoked key", revoked_token),
        ("expired token", expiring_token),
        ("expired token, again", token),
    ];
    let mut faces = Vec::new();
    for (what, credential) in &cases {
        for headers in [
            vec![("authorization", bearer(credential))],
            vec![("x-api-key", credential.clone())],
        ] {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let reply = get(&app, &headers).await;
            assert_eq!(reply.status, 401, "{what}: {reply:?}");
            reply.assert_refusal(
                401,
                Some(&challenge(r#"error="invalid_token""#)),
                None,
                "invalid_token",
                INVALID,
            );
            faces.push((
                reply.header("www-authenticate").map(str::to_owned),
                reply.body,
            ));
        }
    }
    // Nothing tells one invalid credential from another.
    faces.dedup();
    assert_eq!(faces.len(), 1, "{faces:?}");
}

#[actix_web::test]
async fn a_missing_scope_is_403_naming_the_scope() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let writer = world.key("reports:write").await.unwrap();
    let narrowed = world.key("reports:read reports:write").await.unwrap();
    let narrowed = world.token(&narrowed, Some("reports:write")).unwrap();
    for headers in [
        vec![("x-api-key", writer.key.expose_secret().to_owned())],
        vec![("authorization", bearer(&narrowed))],
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = get(&app, &headers).await;
        reply.assert_refusal(
            403,
            Some(&challenge(
                r#"error="insufficient_scope", scope="reports:read""#,
            )),
            None,
            "insufficient_scope",
            "the credential lacks a required scope",
        );
    }
}

#[actix_web::test]
async fn a_rate_limited_key_is_429_with_retry_after() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let key = world
        .create(
            NewKey::new("acme", "reports:read".parse().unwrap())
                .rate_limit(RateLimit::new(1, Duration::minutes(1)).unwrap()),
        )
        .await
        .unwrap();
    let headers = [("x-api-key", key.key.expose_secret())];
    assert_eq!(get(&app, &headers).await.status, 200);
    let reply = get(&app, &headers).await;
    reply.assert_refusal(429, None, Some("60"), "rate_limited", "too many requests");
    world.clock.advance(Duration::minutes(1));
    assert_eq!(get(&app, &headers).await.status, 200);
}

#[actix_web::test]
async fn used_up_credits_are_429_or_the_configured_status() {
    let world = World::new().unwrap();
    let key = world
        .create(NewKey::new("acme", "reports:read".parse().unwrap()).credits(Credits::new(1)))
        .await
        .unwrap();
    let refilled = world
        .create(
            NewKey::new("acme", "reports:read".parse().unwrap())
                .credits(Credits::refilled(1, Duration::hours(1), common::START).unwrap()),
        )
        .await
        .unwrap();
    let metered = reports_app(world.auth()).await;
    let headers = [("x-api-key", key.key.expose_secret())];
    assert_eq!(get(&metered, &headers).await.status, 200);
    get(&metered, &headers).await.assert_refusal(
        429,
        None,
        None,
        "credits_exhausted",
        "usage credits are used up",
    );
    // Credits that refill say when.
    let headers = [("x-api-key", refilled.key.expose_secret())];
    assert_eq!(get(&metered, &headers).await.status, 200);
    world.clock.advance(Duration::minutes(30));
    get(&metered, &headers).await.assert_refusal(
        429,
        None,
        Some("1800"),
        "credits_exhausted",
        "usage credits are used up",
    );

    let faces = FaceConfig::new(common::REALM)
        .unwrap()
        .with_credits_status(402)
        .unwrap();
    let payment = reports_app(world.auth().faces(faces)).await;
    let headers = [("x-api-key", key.key.expose_secret())];
    get(&payment, &headers).await.assert_refusal(
        402,
        None,
        None,
        "credits_exhausted",
        "usage credits are used up",
    );
}

#[actix_web::test]
async fn a_store_outage_is_503_and_never_401_or_a_pass() {
    let world = World::new().unwrap();
    let app = reports_app(world.auth()).await;
    let key = world.key("reports:read").await.unwrap();
    let headers = [("x-api-key", key.key.expose_secret())];
    world.store.set_down(true);
    get(&app, &headers).await.assert_refusal(
        503,
        None,
        None,
        "temporarily_unavailable",
        "the service is temporarily unavailable",
    );
    world.store.set_down(false);
    assert_eq!(get(&app, &headers).await.status, 200);
}

#[actix_web::test]
async fn an_error_hook_replaces_the_body_and_keeps_status_and_headers() {
    let world = World::new().unwrap();
    let auth = world.auth().error_body(|face| {
        ErrorBody::new(
            "text/plain; charset=utf-8",
            format!("refused: {} {}", face.status(), face.description()),
        )
    });
    let app = reports_app(auth).await;
    let reply = get(&app, &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge("").as_str())
    );
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(reply.body, "refused: 401 authentication is required");

    let writer = world.key("reports:write").await.unwrap();
    let reply = get(&app, &[("x-api-key", writer.key.expose_secret())]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge(r#"error="insufficient_scope", scope="reports:read""#).as_str())
    );
    assert_eq!(
        reply.body,
        "refused: 403 the credential lacks a required scope"
    );

    let json = world.auth().error_body(|face| {
        ErrorBody::json(&serde_json::json!({ "code": face.status(), "ok": false }))
    });
    let json_app = reports_app(json).await;
    let reply = get(&json_app, &[("x-api-key", "not a key")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        serde_json::json!({ "code": 400, "ok": false })
    );
}
