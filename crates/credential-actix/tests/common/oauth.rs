//! Requests and assertions for the OAuth route tests.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credential_actix::{Authenticated, OAuthRoutes};
use credential_core::key::CreatedKey;
use serde_json::Value;

use super::{Reply, SwitchStore, World, WorldExt};

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const BASIC_CHALLENGE: &str = r#"Basic realm="reports""#;

pub async fn call<S, B>(app: &S, request: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    Reply::of(test::call_service(app, request.to_request()).await).await
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn post(uri: &str, body: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", FORM))
        .set_payload(body.to_owned())
}

pub fn post_basic(uri: &str, body: &str, key: &CreatedKey) -> test::TestRequest {
    post(uri, body).insert_header((
        "authorization",
        basic(key.record.id.as_str(), key.key.expose_secret()),
    ))
}

/// The headers every OAuth JSON answer carries.
pub fn assert_no_store(reply: &Reply) {
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
pub fn assert_oauth_error(reply: &Reply, status: u16, code: &str, basic: bool) {
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

pub fn assert_description(reply: &Reply, description: &str) {
    assert_eq!(reply.json()["error_description"], description, "{reply:?}");
}

pub fn text<'a>(body: &'a Value, name: &str) -> &'a str {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing in {body}"))
}

/// The routes over `world`, introspection requiring `tokens:introspect`,
/// callers accepted by the world's middleware; plus a protected
/// `/whoami`.
pub fn routes(world: &World) -> OAuthRoutes<SwitchStore> {
    OAuthRoutes::new(world.oauth_front().unwrap()).accept_callers(&world.auth())
}

pub async fn app_for(
    world: &World,
    oauth: OAuthRoutes<SwitchStore>,
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

pub async fn client_credentials(
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
