// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! The OAuth 2.0 routes through actix-web: token (client_credentials by
//! Basic and by form, refresh_token), introspection, revocation and JWKS,
//! each success and every error code each can answer.

mod common;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Reply, World, challenge};
use credential_actix::{Authenticated, OAuthRoutes};
use credential_core::key::{CreatedKey, NewKey};
use credential_core::oauth::OAuthEndpoints;
use credential_core::ratelimit::RateLimit;
use credential_core::token::{KeyRing, TokenIssuer, TokenVerifier, Validation};
use serde_json::{Value, json};
use time::Duration;

const FORM: &str = "application/x-www-form-urlencoded";
const BASIC_CHALLENGE: &str = r#"Basic realm="reports""#;

async fn call<S, B>(app: &S, request: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    Reply::of(test::call_service(app, request.to_request()).await).await
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn post(uri: &str, body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", FORM))
        .set_payload(body.to_owned())
}

fn post_basic(uri: &str, body: &str, key: &CreatedKey) -> test::TestRequest {
    post(uri, body).insert_header((
        "authorization",
        basic(key.record.id.as_str(), key.key.expose_secret()),
    ))
}

/// The headers every OAuth JSON answer carries.
fn assert_no_store(reply: &Reply) {
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{reply:?}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{reply:?}");
    assert_eq!(reply.header("pragma"), Some("no-cache"), "{reply:?}");
}

/// An OAuth error: status, exact code, no-store headers, and a `Basic`
/// challenge exactly when `basic`.
fn assert_oauth_error(reply: &Reply, status: u16, code: &str, basic: bool) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_no_store(reply);
    let body = reply.json();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(
        reply.header("www-authenticate"),
        basic.then_some(BASIC_CHALLENGE),
        "{reply:?}"
    );
}

fn assert_description(reply: &Reply, description: &str) {
    assert_eq!(reply.json()["error_description"], description, "{reply:?}");
}

fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {body}"))
}

/// The routes over `world`, introspection requiring `tokens:introspect`,
/// callers accepted by the world's middleware; plus a protected
/// `/whoami`.
fn routes(world: &World) -> OAuthRoutes<common::SwitchStore> {
    OAuthRoutes::new(world.endpoints(), world.faces())
        .require_for_introspection("tokens:introspect")
        .unwrap()
        .accept_callers(&world.auth())
}

async fn app_for(
    world: &World,
    oauth: OAuthRoutes<common::SwitchStore>,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> + use<>
{
    let auth = world.auth();
    test::init_service(
        App::new()
            .configure(move |config| oauth.configure(config))
            .route(
                "/whoami",
                web::get()
                    .to(|who: Authenticated| async move { who.subject().to_owned() })
                    .wrap(auth),
            ),
    )
    .await
}

async fn client_credentials(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    key: &CreatedKey,
    scope: Option<&str>,
) -> Value {
    let mut pairs = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    let reply = call(app, post_basic("/oauth/token", &form(&pairs), key)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()
}

#[actix_web::test]
async fn client_credentials_by_basic_and_by_form() {
    let world = World::new();
    let key = world.key("reports:read reports:write").await;
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
    let world = World::new();
    let key = world.key("reports:read").await;
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
    let world = World::new();
    let key = world.key("reports:read").await;
    let other = world.key("reports:read").await;
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
    let world = World::new();
    let key = world.key("reports:read").await;
    let other = world.key("reports:read").await;
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
    let world = World::new();
    let key = world.key("reports:read reports:write").await;
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
    let world = World::new();
    let limited = world
        .create(
            NewKey::new("acme", "reports:read".parse().unwrap())
                .rate_limit(RateLimit::new(1, Duration::minutes(1)).unwrap()),
        )
        .await;
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
    let key = world.key("reports:read").await;
    let broken = OAuthEndpoints::new(
        world.manager.verifier(),
        TokenIssuer::new(KeyRing::new(), common::ISSUER),
        world.tokens.clone(),
    );
    let app = app_for(&world, OAuthRoutes::new(broken, world.faces())).await;
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

#[actix_web::test]
async fn introspection_for_authorized_callers() {
    let world = World::new();
    let caller = world.key("tokens:introspect").await;
    let key = world.key("reports:read").await;
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
    let token = world.token(&caller, None);
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
    let world = World::new();
    let caller = world.key("tokens:introspect").await;
    let key = world.key("reports:read").await;
    let app = app_for(&world, routes(&world)).await;
    let access = world.token(&key, None);
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
    let world = World::new();
    let key = world.key("reports:read tokens:introspect").await;
    let stranger = world
        .create(NewKey::new("someone-else", "reports:read".parse().unwrap()))
        .await;
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
    let token = world.token(&key, None);
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
    let world = World::new();
    let key = world.key("reports:read").await;
    let app = app_for(&world, routes(&world)).await;
    let access = world.token(&key, None);

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
    let app = app_for(&world, OAuthRoutes::new(no_store, world.faces())).await;
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
    let world = World::new();
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
    let world = World::new();
    let key = world.key("reports:read").await;
    let oauth = OAuthRoutes::new(world.endpoints(), world.faces());
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
