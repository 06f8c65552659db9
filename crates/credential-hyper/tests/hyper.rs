//! hyper 1 serving the layered service through `TowerToHyperService` (the
//! `hyper` example's `serve`), with a hyper client on a loopback port.
// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../examples/hyper.rs"]
mod example;

use bytes::Bytes;
use credential_core::testing::{REALM, World};
use credential_hyper::CredentialLayer;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// Status, `WWW-Authenticate` and body of `GET /` with `headers`, over a
/// new connection.
async fn get(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    let mut request = Request::get("/").header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = sender
        .send_request(request.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn hyper_serves_the_layered_service() {
    let world = World::new().unwrap();
    let layer = CredentialLayer::new(world.verifier())
        .realm(REALM)
        .unwrap()
        .require("reports:read")
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(example::serve(listener, layer));

    let key = world.key("reports:read").await.unwrap();
    let token = world.token(&key, None).unwrap();
    let (status, _, body) = get(addr, &[("x-api-key", key.key.expose_secret())]).await;
    assert_eq!((status, body.as_str()), (200, "hello, acme\n"));
    let bearer = format!("Bearer {token}");
    let (status, _, body) = get(addr, &[("authorization", &bearer)]).await;
    assert_eq!((status, body.as_str()), (200, "hello, acme\n"));

    let (status, challenge, body) = get(addr, &[]).await;
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="reports""#));
    assert_eq!(
        body,
        r#"{"error":"unauthorized","error_description":"authentication is required"}"#
    );
    let other = world.key("reports:write").await.unwrap();
    let (status, challenge, _) = get(addr, &[("x-api-key", other.key.expose_secret())]).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="reports", error="insufficient_scope", scope="reports:read""#)
    );
    server.abort();
}
