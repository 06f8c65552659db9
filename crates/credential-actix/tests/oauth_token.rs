// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! The OAuth 2.0 token route through actix-web: client_credentials by
//! Basic and by form, refresh_token, each success and every error code it
//! can answer.

mod common;

use actix_web::test;
use common::World;
use common::oauth::*;
use credential_actix::OAuthRoutes;
use credential_core::key::NewKey;
use credential_core::oauth::{OAuthEndpoints, OAuthFront};
use credential_core::ratelimit::RateLimit;
use credential_core::token::{KeyRing, TokenIssuer};
use time::Duration;

#[actix_web::test]
async fn client_credentials_by_basic_and_by_form() {
    let world = World::new().unwrap();
    let key = world.key("reports:read reports:write").await.unwrap();
    let app = app_for(&world, routes(&world)).await;

    let reply = call(
        &app,
        post_basic("/oauth/token", "grant_type=client_credentials", &key),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_no_store(&reply);
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "reports:read reports:write");
    assert!(text(&body, "refresh_token").starts_with("rt_test_"));
    let access = text(&body, "access_token");
    let whoami = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("authorization", format!("Bearer {access}")));
    assert_eq!(call(&app, whoami).await.body, "acme");

    // client_secret_post, narrowed.
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", key.record.id.as_str()),
        ("client_secret", key.key.expose_secret()),
        ("scope", "reports:read"),
    ]);
    let reply = call(&app, post("/oauth/token", &body)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["scope"], "reports:read");
    // A charset parameter on the content type is fine.
    let reply = call(
        &app,
        post("/oauth/token", &body).insert_header((
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[actix_web::test]
async fn token_endpoint_invalid_request() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let id = key.record.id.as_str();
    let secret = key.key.expose_secret();

    let json = test::TestRequest::post()
        .uri("/oauth/token")
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"grant_type":"client_credentials"}"#);
    let reply = call(&app, json).await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(
        &reply,
        "the content type must be application/x-www-form-urlencoded",
    );
    let no_type = test::TestRequest::post()
        .uri("/oauth/token")
        .set_payload("grant_type=x");
    assert_oauth_error(&call(&app, no_type).await, 400, "invalid_request", false);

    let reply = call(
        &app,
        post_basic("/oauth/token", "scope=reports%3Aread", &key),
    )
    .await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "the grant_type parameter is missing");

    let repeated = "grant_type=client_credentials&grant_type=client_credentials";
    let reply = call(&app, post_basic("/oauth/token", repeated, &key)).await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "a request parameter is repeated");

    let huge = format!(
        "grant_type=client_credentials&pad={}",
        "a".repeat(64 * 1024)
    );
    let reply = call(&app, post_basic("/oauth/token", &huge, &key)).await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "the request body is larger than 8192 bytes");

    let both = form(&[
        ("grant_type", "client_credentials"),
        ("client_secret", secret),
    ]);
    let reply = call(&app, post_basic("/oauth/token", &both, &key)).await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(
        &reply,
        "the client used more than one authentication method",
    );

    let twice = post("/oauth/token", "grant_type=client_credentials")
        .append_header(("authorization", basic(id, secret)))
        .append_header(("authorization", basic(id, secret)));
    assert_oauth_error(&call(&app, twice).await, 400, "invalid_request", false);

    let refresh = form(&[("grant_type", "refresh_token")]);
    let reply = call(&app, post_basic("/oauth/token", &refresh, &key)).await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "the refresh_token parameter is missing");
}

#[actix_web::test]
async fn token_endpoint_invalid_client() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let other = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let grant = "grant_type=client_credentials";

    // Basic: 401 with a Basic challenge.
    let wrong = post("/oauth/token", grant).insert_header((
        "authorization",
        basic(key.record.id.as_str(), other.key.expose_secret()),
    ));
    assert_oauth_error(&call(&app, wrong).await, 401, "invalid_client", true);
    let garbage = post("/oauth/token", grant).insert_header(("authorization", "Basic !!!"));
    assert_oauth_error(&call(&app, garbage).await, 401, "invalid_client", true);
    let bearer = post("/oauth/token", grant).insert_header(("authorization", "Bearer abc"));
    assert_oauth_error(&call(&app, bearer).await, 401, "invalid_client", true);
    let binary = post("/oauth/token", grant).insert_header((
        "authorization",
        actix_web::http::header::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
    ));
    assert_oauth_error(&call(&app, binary).await, 401, "invalid_client", true);
    world.manager.revoke(&key.record.id).await.unwrap();
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", grant, &key)).await,
        401,
        "invalid_client",
        true,
    );

    // Form: 400 without a challenge.
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", other.record.id.as_str()),
        ("client_secret", "sk_test_wrong"),
    ]);
    assert_oauth_error(
        &call(&app, post("/oauth/token", &body)).await,
        400,
        "invalid_client",
        false,
    );
    let half = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", other.record.id.as_str()),
    ]);
    assert_oauth_error(
        &call(&app, post("/oauth/token", &half)).await,
        400,
        "invalid_client",
        false,
    );
    let reply = call(&app, post("/oauth/token", grant)).await;
    assert_oauth_error(&reply, 400, "invalid_client", false);
    assert_description(&reply, "client authentication is required");
}

#[actix_web::test]
async fn token_endpoint_grant_and_scope_errors() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let other = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;

    let password = form(&[
        ("grant_type", "password"),
        ("username", "u"),
        ("password", "p"),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &password, &key)).await,
        400,
        "unsupported_grant_type",
        false,
    );

    let wider = form(&[
        ("grant_type", "client_credentials"),
        ("scope", "reports:write"),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &wider, &key)).await,
        400,
        "invalid_scope",
        false,
    );
    let malformed = form(&[("grant_type", "client_credentials"), ("scope", "a  (b")]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &malformed, &key)).await,
        400,
        "invalid_scope",
        false,
    );

    let garbage = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt_test_nothing"),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &garbage, &key)).await,
        400,
        "invalid_grant",
        false,
    );
    // A refresh token works only for the client it was issued to.
    let issued = client_credentials(&app, &key, None).await;
    let stolen = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", text(&issued, "refresh_token")),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &stolen, &other)).await,
        400,
        "invalid_grant",
        false,
    );
    // And only with client authentication.
    assert_oauth_error(
        &call(&app, post("/oauth/token", &stolen)).await,
        400,
        "invalid_client",
        false,
    );
    // Refreshing with a wider scope.
    let wider = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", text(&issued, "refresh_token")),
        ("scope", "reports:write"),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &wider, &key)).await,
        400,
        "invalid_scope",
        false,
    );
}

#[actix_web::test]
async fn refresh_rotates_answers_an_honest_retry_and_detects_reuse() {
    let world = World::new().unwrap();
    let key = world.key("reports:read reports:write").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let first = client_credentials(&app, &key, None).await;
    let refresh = |token: &str, scope: Option<&str>| {
        let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
        pairs.extend(scope.map(|scope| ("scope", scope)));
        post_basic("/oauth/token", &form(&pairs), &key)
    };

    let reply = call(
        &app,
        refresh(text(&first, "refresh_token"), Some("reports:read")),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_no_store(&reply);
    let second = reply.json();
    assert_eq!(second["scope"], "reports:read");
    assert_ne!(second["refresh_token"], first["refresh_token"]);

    // A retry within the grace period gets the same pair.
    let retry = call(
        &app,
        refresh(text(&first, "refresh_token"), Some("reports:read")),
    )
    .await;
    assert_eq!(retry.json(), second);

    // Reuse after it revokes the whole family.
    world.clock.advance(Duration::seconds(6));
    assert_oauth_error(
        &call(&app, refresh(text(&first, "refresh_token"), None)).await,
        400,
        "invalid_grant",
        false,
    );
    assert_oauth_error(
        &call(&app, refresh(text(&second, "refresh_token"), None)).await,
        400,
        "invalid_grant",
        false,
    );
    let whoami = test::TestRequest::get().uri("/whoami").insert_header((
        "authorization",
        format!("Bearer {}", text(&second, "access_token")),
    ));
    assert_eq!(call(&app, whoami).await.status, 401);
}

#[actix_web::test]
async fn token_endpoint_limits_outages_and_server_errors() {
    let world = World::new().unwrap();
    let limited = world
        .create(
            NewKey::new("acme", "reports:read".parse().unwrap())
                .rate_limit(RateLimit::new(1, Duration::minutes(1)).unwrap()),
        )
        .await
        .unwrap();
    let app = app_for(&world, routes(&world)).await;
    let grant = "grant_type=client_credentials";
    assert_eq!(
        call(&app, post_basic("/oauth/token", grant, &limited))
            .await
            .status,
        200
    );
    let reply = call(&app, post_basic("/oauth/token", grant, &limited)).await;
    assert_eq!(reply.status, 429, "{reply:?}");
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_no_store(&reply);

    world.store.set_down(true);
    world.clock.advance(Duration::minutes(1));
    let reply = call(&app, post_basic("/oauth/token", grant, &limited)).await;
    assert_oauth_error(&reply, 503, "temporarily_unavailable", false);
    world.store.set_down(false);

    // An issuer with no signing key cannot mint: a server error.
    let key = world.key("reports:read").await.unwrap();
    let broken = OAuthEndpoints::new(
        world.manager.verifier(),
        TokenIssuer::new(KeyRing::new(), common::ISSUER),
        world.tokens.clone(),
    );
    let app = app_for(
        &world,
        OAuthRoutes::new(OAuthFront::new(broken, world.faces().unwrap())),
    )
    .await;
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", grant, &key)).await,
        500,
        "server_error",
        false,
    );
    // Without a refresher there is no refresh_token grant.
    let refresh = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt_test_x"),
    ]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &refresh, &key)).await,
        400,
        "unsupported_grant_type",
        false,
    );
}
