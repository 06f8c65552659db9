//! The layer and extractors in axum: the `axum` example's routes, the
//! extractors without a layer, and a missing configuration.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../examples/axum.rs"]
mod example;

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use credential_core::testing::{REALM, World};
use credential_hyper::{Authenticated, CredentialLayer, MaybeAuthenticated};
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn send(app: &Router, method: &str, path: &str, key: Option<&str>) -> (u16, String) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn the_example_routes_hold_their_requirements() {
    let world = World::new().unwrap();
    let app = example::app(CredentialLayer::new(world.verifier()).realm(REALM).unwrap()).unwrap();
    let reader = world.key("reports:read").await.unwrap();
    let reader = reader.key.expose_secret();
    let writer = world.key("reports:write").await.unwrap();
    let writer = writer.key.expose_secret();

    assert_eq!(
        send(&app, "GET", "/reports", Some(reader)).await,
        (200, "reports of acme".to_owned())
    );
    assert_eq!(send(&app, "GET", "/reports", Some(writer)).await.0, 403);
    assert_eq!(
        send(&app, "POST", "/reports", Some(writer)).await,
        (201, "created for acme".to_owned())
    );
    let (status, body) = send(&app, "POST", "/reports", Some(reader)).await;
    assert_eq!(status, 403);
    assert!(body.contains("insufficient_scope"), "{body}");
    assert_eq!(send(&app, "GET", "/reports", None).await.0, 401);

    assert_eq!(
        send(&app, "GET", "/whoami", None).await,
        (200, "anonymous".to_owned())
    );
    assert_eq!(
        send(&app, "GET", "/whoami", Some(reader)).await,
        (200, "acme".to_owned())
    );
    let revoked = world.key("reports:read").await.unwrap();
    world.manager.revoke(&revoked.record.id).await.unwrap();
    assert_eq!(
        send(&app, "GET", "/whoami", Some(revoked.key.expose_secret()))
            .await
            .0,
        401
    );

    assert_eq!(
        send(&app, "GET", "/health", Some("not a key")).await,
        (200, "ok".to_owned())
    );
}

#[tokio::test]
async fn without_a_layer_the_extractors_verify_through_an_extension() {
    let world = World::new().unwrap();
    let layer = CredentialLayer::new(world.verifier()).realm(REALM).unwrap();
    let app = Router::new()
        .route(
            "/strict",
            get(|who: Authenticated| async move { who.subject().to_owned() }),
        )
        .route(
            "/lenient",
            get(|who: MaybeAuthenticated| async move {
                who.principal()
                    .map_or("anonymous".to_owned(), |p| p.subject().to_owned())
            }),
        )
        .layer(Extension(layer));
    let key = world.key("reports:read").await.unwrap();
    let key = key.key.expose_secret();
    assert_eq!(
        send(&app, "GET", "/strict", Some(key)).await,
        (200, "acme".to_owned())
    );
    let (status, body) = send(&app, "GET", "/strict", None).await;
    assert_eq!(status, 401);
    assert!(body.contains("unauthorized"), "{body}");
    assert_eq!(
        send(&app, "GET", "/lenient", None).await,
        (200, "anonymous".to_owned())
    );
    assert_eq!(
        send(&app, "GET", "/lenient", Some("sk_test_bad")).await.0,
        400
    );
}

#[tokio::test]
async fn with_no_configuration_the_extractor_fails_closed() {
    let app = Router::new().route(
        "/strict",
        get(|who: Authenticated| async move { who.subject().to_owned() }),
    );
    assert_eq!(send(&app, "GET", "/strict", Some("anything")).await.0, 500);
}

#[tokio::test]
async fn two_extractors_without_a_layer_verify_once() {
    let world = World::new().unwrap();
    let counting = credential_core::testing::Counting::new(world.verifier());
    let calls = std::sync::Arc::clone(&counting.calls);
    let layer = CredentialLayer::new(counting).realm(REALM).unwrap();
    let app = Router::new()
        .route(
            "/both",
            get(|a: Authenticated, b: MaybeAuthenticated| async move {
                format!(
                    "{} {}",
                    a.subject(),
                    b.principal().map_or("-", |p| p.subject())
                )
            }),
        )
        .layer(Extension(layer));
    let key = world.key("reports:read").await.unwrap();
    let reply = send(&app, "GET", "/both", Some(key.key.expose_secret())).await;
    assert_eq!(reply, (200, "acme acme".to_owned()));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}
