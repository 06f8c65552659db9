//! The demo API's contract as one test suite: [`run`] drives a server that
//! serves [`Demo`] over a loopback HTTP/1.1 connection and checks every
//! route, status, header and body the contract promises. The actix-web and
//! hyper demo servers both run it, so they cannot drift apart.
//!
//! A panic is how the suite fails, as in any test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use credential_core::key::{CreatedKey, NewKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::demo::{BOOTSTRAP_SCOPES, Demo, ISSUER};

const CHALLENGE: &str = r#"Bearer realm="credential-demo""#;

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = found.next();
        assert!(found.next().is_none(), "{name} repeated: {self:?}");
        first
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {self:?}"))
    }

    /// A JSON error answer with this status and code.
    fn assert_problem(&self, status: u16, error: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let body = self.json();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["error_description"].is_string(), "{body}");
    }

    /// A refusal of the rejection table.
    fn assert_refusal(&self, status: u16, challenge: &str, error: &str, description: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("www-authenticate"), Some(challenge), "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(
            self.json(),
            json!({ "error": error, "error_description": description }),
            "{self:?}"
        );
    }
}

/// A request to send.
struct Call {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Call {
    fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    fn basic(self, key: &str) -> Self {
        let id = key.split('_').nth(2).unwrap();
        self.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{key}"))),
        )
    }

    fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    fn json(self, body: &Value) -> Self {
        self.raw("application/json", body.to_string())
    }

    fn form(self, body: &str) -> Self {
        self.raw("application/x-www-form-urlencoded", body)
    }
}

/// The server under test.
struct Served<'a> {
    addr: SocketAddr,
    demo: &'a Demo,
    root: &'a CreatedKey,
}

impl Served<'_> {
    fn key(&self) -> &str {
        self.root.key.expose_secret()
    }

    /// Sends `call` on a new connection and reads the whole answer.
    async fn send(&self, call: Call) -> Answer {
        send(self.addr, call).await
    }

    /// `POST /v1/keys` as `caller`.
    async fn create_key(&self, caller: &str, body: Value) -> Answer {
        self.send(Call::new("POST", "/v1/keys").key(caller).json(&body))
            .await
    }

    /// A new key with `scopes`, made by the bootstrap key.
    async fn new_key(&self, scopes: &str) -> String {
        let answer = self
            .create_key(self.key(), json!({ "name": "test", "scopes": scopes }))
            .await;
        assert_eq!(answer.status, 201, "{answer:?}");
        answer.json()["key"].as_str().unwrap().to_owned()
    }

    /// `client_credentials` for `key` by Basic, with an optional scope.
    async fn token(&self, key: &str, scope: Option<&str>) -> Value {
        let body = match scope {
            Some(scope) => format!("grant_type=client_credentials&scope={scope}"),
            None => "grant_type=client_credentials".to_owned(),
        };
        let answer = self
            .send(Call::new("POST", "/oauth/token").basic(key).form(&body))
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        answer.json()
    }
}

/// An HTTP/1.1 answer with a `content-length` or chunked body, or one
/// that ends with the connection.
/// Sends `call` to `addr` on a new connection and reads the whole answer.
async fn send(addr: SocketAddr, call: Call) -> Answer {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        call.method,
        call.path,
        addr,
        call.body.len()
    );
    for (name, value) in &call.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&call.body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("the server answers within 10 s")
        .unwrap();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        let mut rest = rest;
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap(), 16).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 4 + size..];
        }
        body
    } else {
        match headers.iter().find(|(n, _)| n == "content-length") {
            Some((_, length)) => rest[..length.parse::<usize>().unwrap()].to_vec(),
            None => rest.to_vec(),
        }
    };
    Answer {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

/// Runs the whole contract against the server at `addr`, which serves
/// `demo`, whose bootstrap key is `root`. Takes a few seconds: the refresh
/// grace is waited out for real.
pub async fn run(addr: SocketAddr, demo: &Demo, root: &CreatedKey) {
    let served = Served { addr, demo, root };
    bootstrap(&served).await;
    health_and_not_found(&served).await;
    whoami(&served).await;
    reports(&served).await;
    malformed_bodies(&served).await;
    keys_within_scopes(&served).await;
    revoke_and_roll(&served).await;
    oauth(&served).await;
    refresh_grace(&served).await;
}

/// Credentials a demo server issued before it stopped.
#[derive(Debug, Clone)]
pub struct Issued {
    /// An API key.
    pub key: String,
    /// An access token from it.
    pub access: String,
    /// The refresh token issued with it.
    pub refresh: String,
    /// An access token revoked before the stop.
    pub revoked: String,
    /// The JWKS document served then.
    pub jwks: Value,
}

/// Before a restart: a new key, an access and a refresh token from it, a
/// revoked access token, all issued by the server at `addr` with the
/// bootstrap key `root`.
pub async fn issue_before_restart(addr: SocketAddr, root: &str) -> Issued {
    let call = Call::new("POST", "/v1/keys")
        .key(root)
        .json(&json!({ "name": "kept", "scopes": "reports:read" }));
    let answer = send(addr, call).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let key = answer.json()["key"].as_str().unwrap().to_owned();
    let grant = |key: &str| {
        Call::new("POST", "/oauth/token")
            .basic(key)
            .form("grant_type=client_credentials")
    };
    let tokens = send(addr, grant(&key)).await.json();
    let revoked = send(addr, grant(&key)).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = Call::new("POST", "/oauth/revoke")
        .basic(&key)
        .form(&format!("token={revoked}"));
    assert_eq!(send(addr, revoke).await.status, 200);
    let jwks = send(addr, Call::get("/.well-known/jwks.json")).await.json();
    Issued {
        key,
        access: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        revoked,
        jwks,
    }
}

/// After a restart on the same data file: the key, the access token and
/// the refresh token still work, the revoked token stays revoked, the
/// signing keys are the same, and no new bootstrap key was made.
pub async fn check_after_restart(addr: SocketAddr, demo: &Demo, issued: &Issued) {
    assert!(demo.bootstrap().await.unwrap().is_none());
    let whoami = send(addr, Call::get("/v1/whoami").key(&issued.key)).await;
    assert_eq!(whoami.status, 200, "{whoami:?}");
    let whoami = send(addr, Call::get("/v1/whoami").bearer(&issued.access)).await;
    assert_eq!(whoami.status, 200, "{whoami:?}");
    assert_eq!(whoami.json()["credential"], "access_token", "{whoami:?}");
    let revoked = send(addr, Call::get("/v1/whoami").bearer(&issued.revoked)).await;
    assert_eq!(revoked.status, 401, "{revoked:?}");
    let jwks = send(addr, Call::get("/.well-known/jwks.json")).await.json();
    assert_eq!(jwks, issued.jwks);
    let refresh = Call::new("POST", "/oauth/token")
        .basic(&issued.key)
        .form(&format!(
            "grant_type=refresh_token&refresh_token={}",
            issued.refresh
        ));
    let refreshed = send(addr, refresh).await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let access = refreshed.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let whoami = send(addr, Call::get("/v1/whoami").bearer(&access)).await;
    assert_eq!(whoami.status, 200, "{whoami:?}");
}

async fn bootstrap(served: &Served<'_>) {
    assert_eq!(served.root.record.subject, "demo");
    assert_eq!(served.root.record.scopes, BOOTSTRAP_SCOPES.parse().unwrap());
    assert_eq!(
        BOOTSTRAP_SCOPES,
        "keys:admin reports:read reports:write tokens:introspect"
    );
    assert!(served.demo.bootstrap().await.unwrap().is_none());
}

async fn health_and_not_found(served: &Served<'_>) {
    let answer = served.send(Call::get("/health")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({ "status": "ok" }));
    served
        .send(Call::get("/nowhere"))
        .await
        .assert_problem(404, "not_found");
}

async fn whoami(served: &Served<'_>) {
    let answer = served.send(Call::get("/v1/whoami").key(served.key())).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({
            "subject": "demo",
            "credential": "api_key",
            "scopes": ["keys:admin", "reports:read", "reports:write", "tokens:introspect"],
            "key_id": served.root.record.id.as_str(),
        })
    );

    let token = served.token(served.key(), Some("reports:read")).await;
    let access = token["access_token"].as_str().unwrap();
    let answer = served.send(Call::get("/v1/whoami").bearer(access)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = answer.json();
    assert_eq!(body["subject"], "demo");
    assert_eq!(body["credential"], "access_token");
    assert_eq!(body["scopes"], json!(["reports:read"]));
    assert!(
        body["jti"].as_str().is_some_and(|jti| !jti.is_empty()),
        "{body}"
    );
    assert!(body.get("key_id").is_none(), "{body}");

    let answer = served.send(Call::get("/v1/whoami")).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.header("www-authenticate"), Some(CHALLENGE));
}

async fn reports(served: &Served<'_>) {
    let reader = served.new_key("reports:read").await;
    let report = json!({ "title": "q3", "rows": [1, 2, 3] });
    let answer = served.send(Call::get("/v1/reports").key(&reader)).await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({ "reports": [] }))
    );
    let answer = served
        .send(
            Call::new("POST", "/v1/reports")
                .key(served.key())
                .json(&report),
        )
        .await;
    assert_eq!((answer.status, answer.json()), (201, report.clone()));
    // Reports are kept per subject: the reader is also `demo`.
    let answer = served.send(Call::get("/v1/reports").key(&reader)).await;
    assert_eq!(answer.json(), json!({ "reports": [report] }));

    let answer = served
        .send(
            Call::new("POST", "/v1/reports")
                .key(&reader)
                .json(&json!({})),
        )
        .await;
    answer.assert_refusal(
        403,
        r#"Bearer realm="credential-demo", error="insufficient_scope", scope="reports:write""#,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    let writer = served.new_key("reports:write").await;
    assert_eq!(
        served
            .send(Call::get("/v1/reports").key(&writer))
            .await
            .status,
        403
    );
    assert_eq!(served.send(Call::get("/v1/reports")).await.status, 401);
}

async fn malformed_bodies(served: &Served<'_>) {
    for (path, content_type, body) in [
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
        let call = Call::new("POST", path)
            .key(served.key())
            .raw(content_type, body);
        served
            .send(call)
            .await
            .assert_problem(400, "invalid_request");
    }
    let huge = format!("[{}1]", "1,".repeat(10_000));
    let call = Call::new("POST", "/v1/reports")
        .key(served.key())
        .raw("application/json", huge);
    served
        .send(call)
        .await
        .assert_problem(413, "invalid_request");

    // Form bodies of the OAuth endpoints.
    for body in [
        "grant_type=client_credentials&scope=%ff",
        "%zz",
        "grant_type=",
    ] {
        let call = Call::new("POST", "/oauth/token")
            .basic(served.key())
            .form(body);
        let answer = served.send(call).await;
        assert_eq!(answer.status, 400, "{body}: {answer:?}");
        assert!(answer.json()["error"].is_string(), "{answer:?}");
    }
    let call = Call::new("POST", "/oauth/token").raw("application/json", "{}");
    served
        .send(call)
        .await
        .assert_problem(400, "invalid_request");
}

async fn keys_within_scopes(served: &Served<'_>) {
    let answer = served
        .create_key(
            served.key(),
            json!({ "name": "ci", "scopes": "reports:read reports:write", "expires_in": 3600 }),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let body = answer.json();
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
    assert_eq!(
        served.send(Call::get("/v1/reports").key(key)).await.status,
        200
    );

    // A key cannot grant more than its creator holds.
    let admin = served.new_key("keys:admin reports:read").await;
    let answer = served
        .create_key(
            &admin,
            json!({ "name": "x", "scopes": "reports:read reports:write tokens:introspect" }),
        )
        .await;
    answer.assert_refusal(
        403,
        r#"Bearer realm="credential-demo", error="insufficient_scope", scope="reports:write tokens:introspect""#,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    let answer = served
        .create_key(&admin, json!({ "name": "x", "scopes": "reports:read" }))
        .await;
    assert_eq!(answer.status, 201);
    // Wildcards are scopes too: a granted one covers, a requested one
    // needs covering.
    let answer = served
        .create_key(&admin, json!({ "name": "x", "scopes": "reports:*" }))
        .await;
    assert_eq!(answer.status, 403, "{answer:?}");

    // Creating keys needs keys:admin.
    let reader = served.new_key("reports:read").await;
    let answer = served
        .create_key(&reader, json!({ "name": "x", "scopes": "reports:read" }))
        .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"Bearer realm="credential-demo", error="insufficient_scope", scope="keys:admin""#)
    );

    for bad in [
        json!({ "name": "x", "scopes": "a  (b" }),
        json!({ "name": "x", "scopes": "reports:read", "expires_in": 0 }),
        json!({ "name": "x", "scopes": "reports:read", "expires_in": 400_000_000_u64 }),
        json!({ "name": "x".repeat(300), "scopes": "reports:read" }),
    ] {
        served
            .create_key(served.key(), bad.clone())
            .await
            .assert_problem(400, "invalid_request");
    }
}

async fn revoke_and_roll(served: &Served<'_>) {
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
    let list = |key: &str| Call::get("/v1/reports").key(key);
    let roll = |id: &str, body: Value| {
        Call::new("POST", format!("/v1/keys/{id}/roll"))
            .key(served.key())
            .json(&body)
    };

    // Roll: both keys work during the grace period.
    let answer = served.send(roll(id, json!({ "grace_seconds": 60 }))).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let rolled = answer.json();
    assert_eq!(rolled.as_object().unwrap().len(), 2, "{rolled}");
    let new_key = rolled["key"].as_str().unwrap();
    let new_id = rolled["id"].as_str().unwrap();
    assert_ne!(rolled["id"], create["id"]);
    assert_eq!(served.send(list(key)).await.status, 200);
    assert_eq!(served.send(list(new_key)).await.status, 200);
    served
        .send(roll(id, json!({ "grace_seconds": 60 })))
        .await
        .assert_problem(409, "conflict");
    served
        .send(roll(id, json!({})))
        .await
        .assert_problem(400, "invalid_request");
    served
        .send(roll(new_id, json!({ "grace_seconds": 99_999_999 })))
        .await
        .assert_problem(400, "invalid_request");

    // Revoke.
    let delete = |id: &str, caller: &str| Call::new("DELETE", format!("/v1/keys/{id}")).key(caller);
    let answer = served.send(delete(new_id, served.key())).await;
    assert_eq!((answer.status, answer.body.as_str()), (204, ""));
    assert_eq!(served.send(list(new_key)).await.status, 401);
    served
        .send(roll(new_id, json!({ "grace_seconds": 0 })))
        .await
        .assert_problem(409, "conflict");

    // Unknown, malformed and other subjects' ids are all 404.
    let other = served
        .demo
        .manager()
        .create(NewKey::new("someone-else", "reports:read".parse().unwrap()))
        .await
        .unwrap();
    for id in ["0000000000000000", "not-an-id", other.record.id.as_str()] {
        served
            .send(delete(id, served.key()))
            .await
            .assert_problem(404, "not_found");
        served
            .send(roll(id, json!({ "grace_seconds": 1 })))
            .await
            .assert_problem(404, "not_found");
    }
    assert_eq!(
        served.send(list(other.key.expose_secret())).await.status,
        200
    );

    // Revoking needs keys:admin.
    assert_eq!(served.send(delete(id, key)).await.status, 403);

    // The key routes check the credential before the route: 401 for any
    // path under /v1/keys without one, then a JSON 404 for any method or
    // path they do not serve.
    assert_eq!(
        served
            .send(Call::get(format!("/v1/keys/{id}")))
            .await
            .status,
        401
    );
    assert_eq!(
        served.send(Call::new("POST", "/v1/keys/a/b")).await.status,
        401
    );
    served
        .send(Call::get(format!("/v1/keys/{id}")).key(served.key()))
        .await
        .assert_problem(404, "not_found");
    served
        .send(Call::new("POST", "/v1/keys/a/b").key(served.key()))
        .await
        .assert_problem(404, "not_found");
}

async fn oauth(served: &Served<'_>) {
    let token = served.token(served.key(), None).await;
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["expires_in"], 900);
    assert_eq!(token["scope"], BOOTSTRAP_SCOPES);
    let access = token["access_token"].as_str().unwrap();
    let refresh = token["refresh_token"].as_str().unwrap();
    assert!(refresh.starts_with("rt_demo_"));
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");

    let answer = served.send(Call::get("/.well-known/jwks.json")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let jwks = answer.json();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");

    // Introspection needs tokens:introspect.
    let introspect = |caller: &str| {
        Call::new("POST", "/oauth/introspect")
            .key(caller)
            .form(&format!("token={access}"))
    };
    let answer = served.send(introspect(served.key())).await;
    let body = answer.json();
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(
        body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(body["iss"], ISSUER);
    let reader = served.new_key("reports:read").await;
    let answer = served.send(introspect(&reader)).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(
            r#"Bearer realm="credential-demo", error="insufficient_scope", scope="tokens:introspect""#
        )
    );

    // Revocation.
    let revoke = Call::new("POST", "/oauth/revoke")
        .basic(served.key())
        .form(&format!("token={access}"));
    assert_eq!(served.send(revoke).await.status, 200);
    assert_eq!(
        served.send(introspect(served.key())).await.json(),
        json!({ "active": false })
    );
    assert_eq!(
        served
            .send(Call::get("/v1/whoami").bearer(access))
            .await
            .status,
        401
    );
}

async fn refresh_grace(served: &Served<'_>) {
    let first = served.token(served.key(), Some("reports:read")).await;
    let refresh = |token: &str| {
        Call::new("POST", "/oauth/token")
            .basic(served.key())
            .form(&format!("grant_type=refresh_token&refresh_token={token}"))
    };
    let old = first["refresh_token"].as_str().unwrap();
    let answer = served.send(refresh(old)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let second = answer.json();
    assert_eq!(second["scope"], "reports:read");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // An honest retry inside the grace period gets the same pair.
    assert_eq!(served.send(refresh(old)).await.json(), second);

    tokio::time::sleep(Duration::from_millis(5_500)).await;
    served
        .send(refresh(old))
        .await
        .assert_problem(400, "invalid_grant");
    // Reuse revoked the whole family.
    served
        .send(refresh(second["refresh_token"].as_str().unwrap()))
        .await
        .assert_problem(400, "invalid_grant");
}
