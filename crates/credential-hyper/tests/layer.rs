//! The layer over a plain tower service: the shared rejection table,
//! passes, optional mode, preflight skip, nesting and the error hook.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use credential_core::Principal;
use credential_core::key::{
    Credits, KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers,
};
use credential_core::render::ErrorBody;
use credential_core::testing::{Counting, REALM, REQUIRED, World};
use credential_hyper::CredentialLayer;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::util::BoxCloneService;
use tower::{Layer, ServiceExt, service_fn};

type Service = BoxCloneService<Request<Full<Bytes>>, Reply, Infallible>;

/// A response's parts, read once.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

/// A service that answers with the principal's subject, or `anonymous`.
fn hello() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    service_fn(|req: Request<Full<Bytes>>| async move {
        let who = req
            .extensions()
            .get::<Principal>()
            .map_or("anonymous".to_owned(), |p| p.subject().to_owned());
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(who))))
    })
}

/// `hello` behind `layer`, with responses read whole.
fn protected(layer: &CredentialLayer) -> Service {
    let service = layer.layer(hello()).then(|result| async move {
        let response = result?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        })
    });
    BoxCloneService::new(service)
}

async fn call(service: &Service, method: &str, headers: &[(&str, String)]) -> Reply {
    let mut request = Request::builder().method(method).uri("/reports");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    service
        .clone()
        .oneshot(request.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap()
}

fn layer(world: &World) -> CredentialLayer {
    CredentialLayer::new(world.verifier()).realm(REALM).unwrap()
}

#[tokio::test]
async fn every_row_of_the_rejection_table_is_answered_as_core_renders_it() {
    let world = World::new().unwrap();
    let service = protected(&layer(&world).require(REQUIRED).unwrap());
    let cases = world.rejection_cases().await.unwrap();
    assert!(cases.len() >= 14);
    for case in cases {
        world.store.set_down(case.store_down);
        let reply = call(&service, "GET", &case.headers).await;
        world.store.set_down(false);
        let names: Vec<String> = reply.headers.keys().map(|n| n.to_string()).collect();
        let header = |name: &str| -> Vec<String> {
            reply
                .headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        if let Err(difference) = case.check(reply.status, &names, &header, &reply.body) {
            panic!("{difference}");
        }
    }
}

#[tokio::test]
async fn keys_and_tokens_reach_the_service_with_their_principal() {
    let world = World::new().unwrap();
    let service = protected(&layer(&world).require(REQUIRED).unwrap());
    let key = world.key(REQUIRED).await.unwrap();
    let token = world.token(&key, None).unwrap();
    for headers in [
        vec![("x-api-key", key.key.expose_secret().to_owned())],
        vec![(
            "authorization",
            format!("Bearer {}", key.key.expose_secret()),
        )],
        vec![("authorization", format!("Bearer {token}"))],
    ] {
        let reply = call(&service, "GET", &headers).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
    }
}

#[tokio::test]
async fn optional_mode_lets_anonymous_requests_through_but_not_bad_credentials() {
    let world = World::new().unwrap();
    let service = protected(&layer(&world).optional());
    let reply = call(&service, "GET", &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "anonymous"));
    // Not a key at all: malformed.
    let reply = call(&service, "GET", &[("x-api-key", "sk_test_nope".to_owned())]).await;
    assert_eq!(reply.status, 400);
    let revoked = world.key(REQUIRED).await.unwrap();
    world.manager.revoke(&revoked.record.id).await.unwrap();
    let reply = call(
        &service,
        "GET",
        &[("x-api-key", revoked.key.expose_secret().to_owned())],
    )
    .await;
    assert_eq!(reply.status, 401);
    let key = world.key(REQUIRED).await.unwrap();
    let reply = call(
        &service,
        "GET",
        &[("x-api-key", key.key.expose_secret().to_owned())],
    )
    .await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
}

#[tokio::test]
async fn only_a_real_preflight_is_let_through_and_only_when_asked() {
    let world = World::new().unwrap();
    let preflight = [("access-control-request-method", "POST".to_owned())];
    let skipping = protected(&layer(&world).skip_preflight());
    assert_eq!(call(&skipping, "OPTIONS", &preflight).await.status, 200);
    assert_eq!(call(&skipping, "OPTIONS", &[]).await.status, 401);
    assert_eq!(call(&skipping, "GET", &preflight).await.status, 401);
    let strict = protected(&layer(&world));
    assert_eq!(call(&strict, "OPTIONS", &preflight).await.status, 401);
}

#[tokio::test]
async fn nested_layers_verify_once_and_each_holds_its_requirement() {
    let world = World::new().unwrap();
    let counting = Counting::new(world.verifier());
    let calls = Arc::clone(&counting.calls);
    let outer = CredentialLayer::new(counting).realm(REALM).unwrap();
    let inner = outer.require("reports:write").unwrap();
    let service =
        BoxCloneService::new(outer.layer(inner.layer(hello())).then(|result| async move {
            let response = result?;
            Ok::<_, Infallible>(Reply {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: String::new(),
            })
        }));
    let reader = world.key(REQUIRED).await.unwrap();
    let writer = world.key("reports:write").await.unwrap();
    let reply = call(
        &service,
        "GET",
        &[("x-api-key", writer.key.expose_secret().to_owned())],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let reply = call(
        &service,
        "GET",
        &[("x-api-key", reader.key.expose_secret().to_owned())],
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.headers["www-authenticate"],
        r#"Bearer realm="reports", error="insufficient_scope", scope="reports:write""#
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_error_hook_replaces_the_body_and_keeps_status_and_headers() {
    let world = World::new().unwrap();
    let hooked = layer(&world).error_body(|face| {
        ErrorBody::new(
            "text/plain; charset=utf-8",
            format!("refused: {}", face.status()),
        )
    });
    let reply = call(&protected(&hooked), "GET", &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.headers["www-authenticate"],
        r#"Bearer realm="reports""#
    );
    assert_eq!(reply.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(reply.body, "refused: 401");
}

#[test]
fn bad_settings_fail_when_the_layer_is_built() {
    let world = World::new().unwrap();
    assert!(layer(&world).require("reports:read AND").is_err());
    assert!(layer(&world).realm("bad\nrealm").is_err());
    let sources =
        credential_core::extract::CredentialSources::default().with_api_key_header("bad header");
    assert!(layer(&world).sources(sources).is_err());
}

#[test]
fn the_layer_is_cheap_to_clone_and_its_futures_are_send() {
    fn send_sync_clone<T: Send + Sync + Clone>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let world = World::new().unwrap();
    let layer = layer(&world);
    send_sync_clone(&layer);
    // One `Arc` inside.
    assert_eq!(size_of::<CredentialLayer>(), size_of::<usize>());
    let mut service = layer.layer(hello());
    send_sync_clone(&service);
    let future = tower::Service::call(
        &mut service,
        Request::get("/").body(Full::new(Bytes::new())).unwrap(),
    );
    send(&future);
}

/// A check that the verifier answers at once goes straight to the inner
/// service or to the refusal; one that has to wait (a first use to record,
/// a credit to spend) is done in full once, and spends one credit.
#[tokio::test]
async fn checks_that_answer_at_once_and_checks_that_wait_agree() {
    let store = Arc::new(MemoryKeyStore::new());
    let manager = KeyManager::new(
        Arc::clone(&store),
        KeyFormat::new("sk_test").unwrap(),
        Peppers::new(Pepper::generate(1).unwrap()),
    );
    let counting = Counting::new(manager.verifier());
    let calls = Arc::clone(&counting.calls);
    let service = protected(&CredentialLayer::new(counting).realm(REALM).unwrap());
    let plain = manager
        .create(NewKey::new("acme", REQUIRED.parse().unwrap()))
        .await
        .unwrap();
    let header = |key: &str| [("x-api-key", key.to_owned())];

    // The first use waits to record it; the next ones answer at once.
    for _ in 0..3 {
        let reply = call(&service, "GET", &header(plain.key.expose_secret())).await;
        assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let mut wrong = plain.key.expose_secret().to_owned();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    let reply = call(&service, "GET", &header(&wrong)).await;
    assert_eq!(reply.status, 401);

    // Every use of a metered key waits for its credit: two credits, two
    // passes, then 429.
    let metered = manager
        .create(NewKey::new("acme", REQUIRED.parse().unwrap()).credits(Credits::new(2)))
        .await
        .unwrap();
    let before = calls.load(Ordering::SeqCst);
    let statuses = [
        call(&service, "GET", &header(metered.key.expose_secret()))
            .await
            .status,
        call(&service, "GET", &header(metered.key.expose_secret()))
            .await
            .status,
        call(&service, "GET", &header(metered.key.expose_secret()))
            .await
            .status,
    ];
    assert_eq!(statuses, [200, 200, 429]);
    assert_eq!(calls.load(Ordering::SeqCst), before + 3);
}
