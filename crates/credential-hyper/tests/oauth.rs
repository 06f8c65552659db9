//! Core's shared OAuth cases, each endpoint's success and errors, through
//! the tower services mounted in an axum router; and the methods each
//! service accepts.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use axum::Router;
use axum::body::Body;
use credential_core::testing::{REALM, World};
use credential_hyper::{CredentialLayer, OAuthRoutes};
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn send(app: &Router, request: Request<Body>) -> (u16, http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn every_shared_oauth_case_is_answered_as_expected() {
    let world = World::new().unwrap();
    let front = world.oauth_front().unwrap();
    let cases = world.oauth_cases(&front).await.unwrap();
    assert!(cases.len() >= 20);
    let layer = CredentialLayer::new(world.verifier()).realm(REALM).unwrap();
    let app: Router = OAuthRoutes::new(front).accept_callers(&layer).router();
    for case in cases {
        let mut request = Request::builder().method(case.method).uri(case.path);
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        let request = request.body(Body::from(case.body.clone())).unwrap();
        let (status, headers, body) = send(&app, request).await;
        let header = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|value| value.to_str().unwrap().to_owned())
                .collect()
        };
        if let Err(difference) = case.expected.check(status, &header, &body) {
            panic!("{}: {difference}", case.name);
        }
    }
}

#[tokio::test]
async fn each_service_takes_its_method_only() {
    let world = World::new().unwrap();
    let app: Router = OAuthRoutes::new(world.oauth_front().unwrap()).router();
    for (method, path, allow) in [
        ("GET", "/oauth/token", "POST"),
        ("GET", "/oauth/introspect", "POST"),
        ("PUT", "/oauth/revoke", "POST"),
        ("POST", "/.well-known/jwks.json", "GET"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&app, request).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(headers["allow"], allow, "{method} {path}");
    }
}
