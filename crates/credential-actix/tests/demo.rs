// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! The demo server's contract (`cargo run --example server`), on the same
//! routes the example serves.

#[allow(dead_code)]
#[path = "../examples/server/app.rs"]
mod app;
#[path = "../examples/server/cli.rs"]
mod cli;
mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use app::{BOOTSTRAP_SCOPES, Demo};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::Reply;
use credential_core::key::{CreatedKey, NewKey};
use serde_json::{Value, json};

const CHALLENGE: &str = r#"Bearer realm="credential-demo""#;

struct Served<S> {
    demo: Demo,
    app: S,
    /// The bootstrap key.
    root: CreatedKey,
}

async fn served()
-> Served<impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>> {
    let demo = Demo::new().unwrap();
    let root = demo.bootstrap().await.unwrap().unwrap();
    let configured = demo.clone();
    let app =
        test::init_service(App::new().configure(move |config| configured.configure(config))).await;
    Served { demo, app, root }
}

async fn call<S, B>(app: &S, request: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    Reply::of(test::call_service(app, request.to_request()).await).await
}

fn keyed(request: test::TestRequest, key: &str) -> test::TestRequest {
    request.insert_header(("x-api-key", key))
}

fn bearer(request: test::TestRequest, token: &str) -> test::TestRequest {
    request.insert_header(("authorization", format!("Bearer {token}")))
}

fn json_post(uri: &str, body: &Value) -> test::TestRequest {
    test::TestRequest::post().uri(uri).set_json(body)
}

fn basic(key: &str) -> String {
    let id = key.split('_').nth(2).unwrap();
    format!("Basic {}", STANDARD.encode(format!("{id}:{key}")))
}

fn form_post(uri: &str, body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

/// A JSON error answer with this status and code.
fn assert_problem(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply:?}"
    );
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

impl<S> Served<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    fn key(&self) -> &str {
        self.root.key.expose_secret()
    }

    /// `POST /v1/keys` as `caller`.
    async fn create_key(&self, caller: &str, body: Value) -> Reply {
        call(&self.app, keyed(json_post("/v1/keys", &body), caller)).await
    }

    /// A new key with `scopes`, made by the bootstrap key.
    async fn new_key(&self, scopes: &str) -> String {
        let reply = self
            .create_key(self.key(), json!({ "name": "test", "scopes": scopes }))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.json()["key"].as_str().unwrap().to_owned()
    }

    /// `client_credentials` for `key` by Basic, with an optional scope.
    async fn token(&self, key: &str, scope: Option<&str>) -> Value {
        let body = match scope {
            Some(scope) => format!("grant_type=client_credentials&scope={scope}"),
            None => "grant_type=client_credentials".to_owned(),
        };
        let request = form_post("/oauth/token", &body).insert_header(("authorization", basic(key)));
        let reply = call(&self.app, request).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        reply.json()
    }
}

#[actix_web::test]
async fn the_bootstrap_key_is_made_once_for_demo_with_every_scope() {
    let served = served().await;
    assert_eq!(served.root.record.subject, "demo");
    assert_eq!(served.root.record.scopes, BOOTSTRAP_SCOPES.parse().unwrap());
    assert_eq!(
        BOOTSTRAP_SCOPES,
        "keys:admin reports:read reports:write tokens:introspect"
    );
    assert!(served.demo.bootstrap().await.unwrap().is_none());
}

#[actix_web::test]
async fn health_needs_nothing_and_unknown_paths_are_json_404() {
    let served = served().await;
    let reply = call(&served.app, test::TestRequest::get().uri("/health")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({ "status": "ok" }));
    let reply = call(&served.app, test::TestRequest::get().uri("/nowhere")).await;
    assert_problem(&reply, 404, "not_found");
}

#[actix_web::test]
async fn whoami_describes_a_key_or_a_token() {
    let served = served().await;
    let get = || test::TestRequest::get().uri("/v1/whoami");
    let reply = call(&served.app, keyed(get(), served.key())).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({
            "subject": "demo",
            "credential": "api_key",
            "scopes": ["keys:admin", "reports:read", "reports:write", "tokens:introspect"],
            "key_id": served.root.record.id.as_str(),
        })
    );

    let token = served.token(served.key(), Some("reports:read")).await;
    let reply = call(
        &served.app,
        bearer(get(), token["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = reply.json();
    assert_eq!(body["subject"], "demo");
    assert_eq!(body["credential"], "access_token");
    assert_eq!(body["scopes"], json!(["reports:read"]));
    assert!(
        body["jti"].as_str().is_some_and(|jti| !jti.is_empty()),
        "{body}"
    );
    assert!(body.get("key_id").is_none(), "{body}");

    let reply = call(&served.app, get()).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some(CHALLENGE));
}

#[actix_web::test]
async fn reports_need_read_and_write_scopes() {
    let served = served().await;
    let reader = served.new_key("reports:read").await;
    let list = || test::TestRequest::get().uri("/v1/reports");
    let report = json!({ "title": "q3", "rows": [1, 2, 3] });

    let reply = call(&served.app, keyed(list(), &reader)).await;
    assert_eq!(
        (reply.status, reply.json()),
        (200, json!({ "reports": [] }))
    );
    let reply = call(
        &served.app,
        keyed(json_post("/v1/reports", &report), served.key()),
    )
    .await;
    assert_eq!((reply.status, reply.json()), (201, report.clone()));
    // Reports are kept per subject: the reader is also `demo`.
    let reply = call(&served.app, keyed(list(), &reader)).await;
    assert_eq!(reply.json(), json!({ "reports": [report] }));

    let reply = call(
        &served.app,
        keyed(json_post("/v1/reports", &json!({})), &reader),
    )
    .await;
    reply.assert_refusal(
        403,
        Some(
            r#"Bearer realm="credential-demo", error="insufficient_scope", scope="reports:write""#,
        ),
        None,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    let writer = served.new_key("reports:write").await;
    let reply = call(&served.app, keyed(list(), &writer)).await;
    assert_eq!(reply.status, 403);
    assert_eq!(call(&served.app, list()).await.status, 401);
}

#[actix_web::test]
async fn malformed_bodies_are_400_json_never_500() {
    let served = served().await;
    let raw = |uri: &str, content_type: &str, body: &str| {
        keyed(
            test::TestRequest::post()
                .uri(uri)
                .insert_header(("content-type", content_type))
                .set_payload(body.to_owned()),
            served.key(),
        )
    };
    for (uri, content_type, body) in [
        ("/v1/reports", "application/json", "{not json"),
        ("/v1/reports", "text/plain", "{}"),
        ("/v1/reports", "application/json", ""),
        ("/v1/keys", "application/json", r#"{"name":"x"}"#),
        (
            "/v1/keys",
            "application/json",
            r#"{"name":"x","scopes":"a","extra":1}"#,
        ),
        ("/v1/keys", "application/json", r#"{"name":"x","scopes":7}"#),
        (
            "/v1/keys",
            "application/json",
            r#"{"name":"x","scopes":"a","expires_in":-1}"#,
        ),
    ] {
        let reply = call(&served.app, raw(uri, content_type, body)).await;
        assert_problem(&reply, 400, "invalid_request");
    }
    let huge = format!("[{}1]", "1,".repeat(10_000));
    let reply = call(&served.app, raw("/v1/reports", "application/json", &huge)).await;
    assert_problem(&reply, 413, "invalid_request");

    // Form bodies of the OAuth endpoints.
    for body in [
        "grant_type=client_credentials&scope=%ff",
        "%zz",
        "grant_type=",
    ] {
        let request =
            form_post("/oauth/token", body).insert_header(("authorization", basic(served.key())));
        let reply = call(&served.app, request).await;
        assert!(reply.status == 400, "{body}: {reply:?}");
        assert!(reply.json()["error"].is_string(), "{reply:?}");
    }
    let reply = call(
        &served.app,
        test::TestRequest::post()
            .uri("/oauth/token")
            .insert_header(("content-type", "application/json"))
            .set_payload("{}"),
    )
    .await;
    assert_problem(&reply, 400, "invalid_request");
}

#[actix_web::test]
async fn keys_are_created_within_the_callers_scopes() {
    let served = served().await;
    let reply = served
        .create_key(
            served.key(),
            json!({ "name": "ci", "scopes": "reports:read reports:write", "expires_in": 3600 }),
        )
        .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let body = reply.json();
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
    assert_eq!(body["scopes"], "reports:read reports:write");
    let key = body["key"].as_str().unwrap();
    assert!(
        key.starts_with(&format!("sk_demo_{}_", body["id"].as_str().unwrap())),
        "{body}"
    );
    let record = served
        .demo
        .manager()
        .get(&body["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap();
    assert_eq!(record.subject, "demo");
    assert_eq!(record.name, "ci");
    assert!(record.expires_at.is_some());
    let list = keyed(test::TestRequest::get().uri("/v1/reports"), key);
    assert_eq!(call(&served.app, list).await.status, 200);

    // A key cannot grant more than its creator holds.
    let admin = served.new_key("keys:admin reports:read").await;
    let reply = served
        .create_key(
            &admin,
            json!({ "name": "x", "scopes": "reports:read reports:write tokens:introspect" }),
        )
        .await;
    reply.assert_refusal(
        403,
        Some(r#"Bearer realm="credential-demo", error="insufficient_scope", scope="reports:write tokens:introspect""#),
        None,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    assert_eq!(
        served
            .create_key(&admin, json!({ "name": "x", "scopes": "reports:read" }))
            .await
            .status,
        201
    );
    // Wildcards are scopes too: a granted one covers, a requested one needs covering.
    let reply = served
        .create_key(&admin, json!({ "name": "x", "scopes": "reports:*" }))
        .await;
    assert_eq!(reply.status, 403, "{reply:?}");

    // Creating keys needs keys:admin.
    let reader = served.new_key("reports:read").await;
    let reply = served
        .create_key(&reader, json!({ "name": "x", "scopes": "reports:read" }))
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="credential-demo", error="insufficient_scope", scope="keys:admin""#)
    );

    for bad in [
        json!({ "name": "x", "scopes": "a  (b" }),
        json!({ "name": "x", "scopes": "reports:read", "expires_in": 0 }),
        json!({ "name": "x", "scopes": "reports:read", "expires_in": 400_000_000_u64 }),
        json!({ "name": "x".repeat(300), "scopes": "reports:read" }),
    ] {
        let reply = served.create_key(served.key(), bad.clone()).await;
        assert_problem(&reply, 400, "invalid_request");
    }
}

#[actix_web::test]
async fn keys_are_revoked_and_rolled_by_their_owner_only() {
    let served = served().await;
    let create = served
        .create_key(
            served.key(),
            json!({ "name": "ci", "scopes": "reports:read" }),
        )
        .await
        .json();
    let (id, key) = (
        create["id"].as_str().unwrap(),
        create["key"].as_str().unwrap(),
    );
    let list = |key: &str| keyed(test::TestRequest::get().uri("/v1/reports"), key);

    // Roll: both keys work during the grace period.
    let roll = |id: &str, body: Value| {
        keyed(
            json_post(&format!("/v1/keys/{id}/roll"), &body),
            served.key(),
        )
    };
    let reply = call(&served.app, roll(id, json!({ "grace_seconds": 60 }))).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let rolled = reply.json();
    assert_eq!(rolled.as_object().unwrap().len(), 2, "{rolled}");
    let new_key = rolled["key"].as_str().unwrap();
    assert_ne!(rolled["id"], create["id"]);
    assert_eq!(call(&served.app, list(key)).await.status, 200);
    assert_eq!(call(&served.app, list(new_key)).await.status, 200);
    assert_problem(
        &call(&served.app, roll(id, json!({ "grace_seconds": 60 }))).await,
        409,
        "conflict",
    );
    assert_problem(
        &call(&served.app, roll(id, json!({}))).await,
        400,
        "invalid_request",
    );
    assert_problem(
        &call(
            &served.app,
            roll(
                rolled["id"].as_str().unwrap(),
                json!({ "grace_seconds": 99_999_999 }),
            ),
        )
        .await,
        400,
        "invalid_request",
    );

    // Revoke.
    let delete = |id: &str, caller: &str| {
        keyed(
            test::TestRequest::delete().uri(&format!("/v1/keys/{id}")),
            caller,
        )
    };
    let reply = call(
        &served.app,
        delete(rolled["id"].as_str().unwrap(), served.key()),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (204, ""));
    assert_eq!(call(&served.app, list(new_key)).await.status, 401);
    assert_problem(
        &call(
            &served.app,
            roll(
                rolled["id"].as_str().unwrap(),
                json!({ "grace_seconds": 0 }),
            ),
        )
        .await,
        409,
        "conflict",
    );

    // Unknown, malformed and other subjects' ids are all 404.
    let other = served
        .demo
        .manager()
        .create(NewKey::new("someone-else", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    for id in ["0000000000000000", "not-an-id", other.record.id.as_str()] {
        assert_problem(
            &call(&served.app, delete(id, served.key())).await,
            404,
            "not_found",
        );
        assert_problem(
            &call(&served.app, roll(id, json!({ "grace_seconds": 1 }))).await,
            404,
            "not_found",
        );
    }
    assert_eq!(
        call(&served.app, list(other.key.expose_secret()))
            .await
            .status,
        200
    );

    // Revoking needs keys:admin.
    let reply = call(&served.app, delete(id, key)).await;
    assert_eq!(reply.status, 403);
}

#[actix_web::test]
async fn oauth_endpoints_issue_eddsa_tokens_for_15_minutes_with_refresh_tokens() {
    let served = served().await;
    let token = served.token(served.key(), None).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 900);
    assert_eq!(token["scope"], BOOTSTRAP_SCOPES);
    let access = token["access_token"].as_str().unwrap();
    let refresh = token["refresh_token"].as_str().unwrap();
    assert!(refresh.starts_with("rt_demo_"));
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");

    let reply = call(
        &served.app,
        test::TestRequest::get().uri("/.well-known/jwks.json"),
    )
    .await;
    let jwks = reply.json();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");

    // Introspection needs tokens:introspect.
    let introspect = |caller: &str| {
        keyed(
            form_post("/oauth/introspect", &format!("token={access}")),
            caller,
        )
    };
    let reply = call(&served.app, introspect(served.key())).await;
    let body = reply.json();
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(body["iss"], app::ISSUER);
    let reader = served.new_key("reports:read").await;
    let reply = call(&served.app, introspect(&reader)).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            r#"Bearer realm="credential-demo", error="insufficient_scope", scope="tokens:introspect""#
        )
    );

    // Revocation.
    let revoke = form_post("/oauth/revoke", &format!("token={access}"))
        .insert_header(("authorization", basic(served.key())));
    assert_eq!(call(&served.app, revoke).await.status, 200);
    assert_eq!(
        call(&served.app, introspect(served.key())).await.json(),
        json!({ "active": false })
    );
    let whoami = bearer(test::TestRequest::get().uri("/v1/whoami"), access);
    assert_eq!(call(&served.app, whoami).await.status, 401);
}

#[actix_web::test]
async fn a_refresh_token_is_single_use_with_a_five_second_grace() {
    let served = served().await;
    let first = served.token(served.key(), Some("reports:read")).await;
    let refresh = |token: &str| {
        form_post(
            "/oauth/token",
            &format!("grant_type=refresh_token&refresh_token={token}"),
        )
        .insert_header(("authorization", basic(served.key())))
    };
    let old = first["refresh_token"].as_str().unwrap();
    let reply = call(&served.app, refresh(old)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let second = reply.json();
    assert_eq!(second["scope"], "reports:read");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // An honest retry inside the grace period gets the same pair.
    assert_eq!(call(&served.app, refresh(old)).await.json(), second);

    actix_web::rt::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let reply = call(&served.app, refresh(old)).await;
    assert_problem(&reply, 400, "invalid_grant");
    // Reuse revoked the whole family.
    let reply = call(
        &served.app,
        refresh(second["refresh_token"].as_str().unwrap()),
    )
    .await;
    assert_problem(&reply, 400, "invalid_grant");
}

// `test` names actix-web's test module here.
#[core::prelude::v1::test]
fn the_command_line_takes_bind_and_key_out() {
    let parse = |args: &[&str]| cli::Options::parse(args.iter().map(|a| (*a).to_owned()));
    let defaults = parse(&[]).unwrap().unwrap();
    assert_eq!(defaults.bind.to_string(), "127.0.0.1:8080");
    assert!(defaults.key_out.is_none());
    let chosen = parse(&["--bind", "127.0.0.1:9000", "--key-out", "demo.key"])
        .unwrap()
        .unwrap();
    assert_eq!(chosen.bind.to_string(), "127.0.0.1:9000");
    assert_eq!(chosen.key_out.unwrap().to_str(), Some("demo.key"));
    assert!(parse(&["--help"]).unwrap().is_none());
    assert!(cli::USAGE.contains("--key-out FILE"));
    for bad in [
        &["--bind"][..],
        &["--bind", "localhost"],
        &["--key-out"],
        &["--port", "1"],
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[core::prelude::v1::test]
fn the_key_file_holds_the_key_for_its_owner_only() {
    let dir = std::env::temp_dir().join(format!("credential-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.key");
    cli::write_key(&path, "sk_demo_x").unwrap();
    cli::write_key(&path, "sk_demo_y").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "sk_demo_y\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
