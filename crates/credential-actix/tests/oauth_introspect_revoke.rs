// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! The OAuth 2.0 introspection, revocation and JWKS routes through
//! actix-web, each success and every error code each can answer, and the
//! routes mounted elsewhere.

mod common;

use std::sync::Arc;

use actix_web::{App, test, web};
use common::oauth::*;
use common::{World, challenge};
use credential_actix::OAuthRoutes;
use credential_core::key::NewKey;
use credential_core::oauth::{OAuthEndpoints, OAuthFront};
use credential_core::token::{TokenVerifier, Validation};
use serde_json::json;
use time::Duration;

#[actix_web::test]
async fn introspection_for_authorized_callers() {
    let world = World::new().unwrap();
    let caller = world.key("tokens:introspect").await.unwrap();
    let key = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let issued = client_credentials(&app, &key, None).await;
    let access = text(&issued, "access_token");
    let refresh = text(&issued, "refresh_token");
    let introspect = |token: &str| form(&[("token", token)]);

    // A client by Basic.
    let reply = call(
        &app,
        post_basic("/oauth/introspect", &introspect(access), &caller),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_no_store(&reply);
    let body = reply.json();
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "reports:read");
    assert_eq!(body["client_id"], key.record.id.as_str());
    assert_eq!(body["sub"], "acme");
    assert_eq!(body["iss"], common::ISSUER);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["exp"],
        (common::START + Duration::minutes(15)).unix_timestamp()
    );

    // A refresh token, found whatever the hint says.
    let body = form(&[("token", refresh), ("token_type_hint", "access_token")]);
    let reply = call(&app, post_basic("/oauth/introspect", &body, &caller)).await;
    assert_eq!(reply.json()["active"], true);
    assert_eq!(reply.json()["token_type"], "refresh_token");

    // Anything else is inactive, and says nothing more.
    let reply = call(
        &app,
        post_basic("/oauth/introspect", &introspect("rt_test_nothing"), &caller),
    )
    .await;
    assert_eq!(
        (reply.status, reply.json()),
        (200, json!({ "active": false }))
    );

    // Callers with a bearer token or an API key header, through the
    // middleware.
    let token = world.token(&caller, None).unwrap();
    let bearer = post("/oauth/introspect", &introspect(access))
        .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(call(&app, bearer).await.json()["active"], true);
    let header = post("/oauth/introspect", &introspect(access))
        .insert_header(("x-api-key", caller.key.expose_secret()));
    assert_eq!(call(&app, header).await.json()["active"], true);
    // By form.
    let body = form(&[
        ("token", access),
        ("client_id", caller.record.id.as_str()),
        ("client_secret", caller.key.expose_secret()),
    ]);
    assert_eq!(
        call(&app, post("/oauth/introspect", &body)).await.json()["active"],
        true
    );
}

#[actix_web::test]
async fn introspection_errors() {
    let world = World::new().unwrap();
    let caller = world.key("tokens:introspect").await.unwrap();
    let key = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let access = world.token(&key, None).unwrap();
    let body = form(&[("token", &access)]);

    // A caller without the scope.
    let reply = call(&app, post_basic("/oauth/introspect", &body, &key)).await;
    reply.assert_refusal(
        403,
        Some(&challenge(
            r#"error="insufficient_scope", scope="tokens:introspect""#,
        )),
        None,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    let reply = call(
        &app,
        post("/oauth/introspect", &body).insert_header(("x-api-key", key.key.expose_secret())),
    )
    .await;
    assert_eq!(reply.status, 403, "{reply:?}");

    // No caller, a bad client, a bad bearer credential.
    let reply = call(&app, post("/oauth/introspect", &body)).await;
    assert_oauth_error(&reply, 400, "invalid_client", false);
    assert_description(&reply, "client authentication is required");
    let wrong = post("/oauth/introspect", &body).insert_header((
        "authorization",
        basic(caller.record.id.as_str(), key.key.expose_secret()),
    ));
    assert_oauth_error(&call(&app, wrong).await, 401, "invalid_client", true);
    world.manager.revoke(&key.record.id).await.unwrap();
    let revoked =
        post("/oauth/introspect", &body).insert_header(("x-api-key", key.key.expose_secret()));
    call(&app, revoked).await.assert_refusal(
        401,
        Some(&challenge(r#"error="invalid_token""#)),
        None,
        "invalid_token",
        "the credential is invalid",
    );

    // Malformed requests.
    let reply = call(
        &app,
        post_basic("/oauth/introspect", "token_type_hint=access_token", &caller),
    )
    .await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "the token parameter is missing");
    let json = test::TestRequest::post()
        .uri("/oauth/introspect")
        .insert_header(("content-type", "application/json"))
        .insert_header(("x-api-key", caller.key.expose_secret()))
        .set_payload("{}");
    assert_oauth_error(&call(&app, json).await, 400, "invalid_request", false);
}

#[actix_web::test]
async fn revocation_of_access_and_refresh_tokens() {
    let world = World::new().unwrap();
    let key = world.key("reports:read tokens:introspect").await.unwrap();
    let stranger = world
        .create(NewKey::new("someone-else", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    let app = app_for(&world, routes(&world)).await;
    let issued = client_credentials(&app, &key, None).await;
    let access = text(&issued, "access_token");
    let refresh = text(&issued, "refresh_token");
    let active = |token: &str| post_basic("/oauth/introspect", &form(&[("token", token)]), &key);

    // Another subject's request changes nothing, and looks the same.
    let reply = call(
        &app,
        post_basic("/oauth/revoke", &form(&[("token", access)]), &stranger),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
    assert_eq!(call(&app, active(access)).await.json()["active"], true);

    let reply = call(
        &app,
        post_basic("/oauth/revoke", &form(&[("token", access)]), &key),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
    assert_eq!(call(&app, active(access)).await.json()["active"], false);
    let whoami = test::TestRequest::get()
        .uri("/whoami")
        .insert_header(("authorization", format!("Bearer {access}")));
    assert_eq!(call(&app, whoami).await.status, 401);

    // A refresh token, by a caller with a bearer token.
    let token = world.token(&key, None).unwrap();
    let revoke = post(
        "/oauth/revoke",
        &form(&[("token", refresh), ("token_type_hint", "refresh_token")]),
    )
    .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(call(&app, revoke).await.status, 200);
    let redeem = form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)]);
    assert_oauth_error(
        &call(&app, post_basic("/oauth/token", &redeem, &key)).await,
        400,
        "invalid_grant",
        false,
    );

    // Unknown tokens get the same empty answer.
    let reply = call(
        &app,
        post_basic("/oauth/revoke", &form(&[("token", "whatever")]), &key),
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));
}

#[actix_web::test]
async fn revocation_errors() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let app = app_for(&world, routes(&world)).await;
    let access = world.token(&key, None).unwrap();

    let reply = call(
        &app,
        post_basic("/oauth/revoke", "token_type_hint=access_token", &key),
    )
    .await;
    assert_oauth_error(&reply, 400, "invalid_request", false);
    assert_description(&reply, "the token parameter is missing");
    let reply = call(&app, post("/oauth/revoke", &form(&[("token", &access)]))).await;
    assert_oauth_error(&reply, 400, "invalid_client", false);
    let wrong = post("/oauth/revoke", &form(&[("token", &access)]))
        .insert_header(("authorization", "Basic Zm9vOmJhcg=="));
    assert_oauth_error(&call(&app, wrong).await, 401, "invalid_client", true);

    // A verifier without a revocation store cannot revoke access tokens.
    let no_store = OAuthEndpoints::new(
        world.manager.verifier(),
        world.issuer.clone(),
        TokenVerifier::new(world.ring.clone(), Validation::new(common::ISSUER))
            .with_clock(Arc::new(world.clock.clone())),
    );
    let app = app_for(
        &world,
        OAuthRoutes::new(OAuthFront::new(no_store, world.faces().unwrap())),
    )
    .await;
    let reply = call(
        &app,
        post_basic("/oauth/revoke", &form(&[("token", &access)]), &key),
    )
    .await;
    assert_oauth_error(&reply, 400, "unsupported_token_type", false);

    // A store outage fails closed.
    world.store.set_down(true);
    let reply = call(
        &app,
        post_basic("/oauth/revoke", &form(&[("token", &access)]), &key),
    )
    .await;
    assert_oauth_error(&reply, 503, "temporarily_unavailable", false);
}

#[actix_web::test]
async fn jwks_lists_public_keys_only() {
    let world = World::new().unwrap();
    let app = app_for(&world, routes(&world)).await;
    let reply = call(&app, test::TestRequest::get().uri("/.well-known/jwks.json")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let jwks = reply.json();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!(keys[0]["kid"], "k1");
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert!(keys[0].get("d").is_none(), "{jwks}");
    assert_eq!(world.ring.public_jwks().to_public_json(), reply.body);

    // Each endpoint answers only its method.
    let reply = call(
        &app,
        test::TestRequest::post().uri("/.well-known/jwks.json"),
    )
    .await;
    assert_eq!(reply.status, 405);
    let reply = call(&app, test::TestRequest::get().uri("/oauth/token")).await;
    assert_eq!(reply.status, 405);
}

#[actix_web::test]
async fn routes_mount_anywhere() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let oauth = OAuthRoutes::new(OAuthFront::new(
        world.endpoints().unwrap(),
        world.faces().unwrap(),
    ));
    let app = test::init_service(
        App::new().service(
            web::scope("/auth")
                .route("/token", oauth.token())
                .route("/keys", oauth.jwks()),
        ),
    )
    .await;
    let reply = call(
        &app,
        post_basic("/auth/token", "grant_type=client_credentials", &key),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        call(&app, test::TestRequest::get().uri("/auth/keys"))
            .await
            .status,
        200
    );
}
