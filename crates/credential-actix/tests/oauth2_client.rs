// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! A real OAuth 2.0 client, the `oauth2` crate, against the demo server on
//! a loopback port: client_credentials with HTTP Basic, the refresh grant,
//! and an error answer it parses.
//!
//! The client builds every request and parses every response itself; the
//! test gives it a plain HTTP/1.1 transport over a `TcpStream`, which
//! keeps an HTTP client stack out of the dependency graph.

#[path = "../examples/server/app.rs"]
mod app;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use actix_web::{App, HttpServer};
use app::Routes;
use credential_examples::demo::Demo;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenType};
use oauth2::http::{HeaderName, HeaderValue, Response, StatusCode};
use oauth2::{
    ClientId, ClientSecret, HttpRequest, HttpResponse, RefreshToken, RequestTokenError, Scope,
    TokenResponse as _, TokenUrl,
};

/// Sends one request on a new connection and reads the whole answer.
fn send(request: HttpRequest) -> Result<HttpResponse, std::io::Error> {
    let authority = request.uri().authority().unwrap().to_string();
    let target = request.uri().path_and_query().unwrap().to_string();
    let mut stream = TcpStream::connect(&authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{} {target} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-length: {}\r\n",
        request.method(),
        request.body().len()
    );
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(request.body())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(parse_response(&raw))
}

/// An HTTP/1.1 answer with a `content-length` body.
fn parse_response(raw: &[u8]) -> HttpResponse {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        response.headers_mut().append(
            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    response
}

/// `GET path` with a bearer token; the status and body.
fn get(addr: SocketAddr, path: &str, token: &str) -> (u16, String) {
    let request = oauth2::http::Request::get(format!("http://{addr}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .unwrap();
    let response = send(request).unwrap();
    (
        response.status().as_u16(),
        String::from_utf8(response.into_body()).unwrap(),
    )
}

/// What the client does, off the server's runtime.
fn client_flow(addr: SocketAddr, id: String, key: String) {
    let token_url = TokenUrl::new(format!("http://{addr}/oauth/token")).unwrap();
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(key))
        .set_token_uri(token_url.clone());

    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".to_owned()))
        .request(&send)
        .unwrap();
    assert_eq!(*token.token_type(), BasicTokenType::Bearer);
    assert_eq!(token.expires_in(), Some(Duration::from_secs(900)));
    assert_eq!(
        token.scopes(),
        Some(&vec![Scope::new("reports:read".to_owned())])
    );
    let refresh = token.refresh_token().unwrap();
    assert!(refresh.secret().starts_with("rt_demo_"));

    let (status, body) = get(addr, "/v1/whoami", token.access_token().secret());
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["credential"], "access_token");
    assert_eq!(body["subject"], "demo");
    assert_eq!(
        get(addr, "/v1/reports", token.access_token().secret()).0,
        200
    );

    let renewed = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request(&send)
        .unwrap();
    assert_ne!(
        renewed.access_token().secret(),
        token.access_token().secret()
    );
    assert_eq!(
        get(addr, "/v1/whoami", renewed.access_token().secret()).0,
        200
    );

    // A wrong secret: the client reads the server's error answer.
    let wrong = BasicClient::new(ClientId::new(id))
        .set_client_secret(ClientSecret::new("sk_demo_wrong".to_owned()))
        .set_token_uri(token_url);
    match wrong.exchange_client_credentials().request(&send) {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(*error.error(), BasicErrorResponseType::InvalidClient);
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}

#[actix_web::test]
async fn the_oauth2_crate_gets_a_token_from_the_demo_server() {
    let demo = Demo::new().unwrap();
    let root = demo.bootstrap().await.unwrap().unwrap();
    let routes = Routes::new(demo).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        App::new().configure(move |config| routes.configure(config))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let id = root.record.id.as_str().to_owned();
    let key = root.key.expose_secret().to_owned();
    let outcome = actix_web::rt::task::spawn_blocking(move || client_flow(addr, id, key)).await;
    handle.stop(true).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
