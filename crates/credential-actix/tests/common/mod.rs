//! Fixtures shared by the integration tests: keys and tokens on a manual
//! clock over a store that can be taken down, and response assertions.

#![allow(dead_code, unreachable_pub)]

pub mod oauth;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test;
use credential_actix::CredentialAuth;
use serde_json::Value;

#[allow(unused_imports)]
pub use credential_core::testing::{Counting, ISSUER, PREFIX, REALM, START, SwitchStore, World};

/// The actix side of the shared fixtures.
pub trait WorldExt {
    /// Middleware over the world's verifier, realm [`REALM`].
    fn auth(&self) -> CredentialAuth;
}

impl WorldExt for World {
    fn auth(&self) -> CredentialAuth {
        CredentialAuth::new(self.verifier()).realm(REALM).unwrap()
    }
}

/// A response's parts, read once.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn of<B: MessageBody>(response: ServiceResponse<B>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        Self {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {:?}", self.body))
    }

    /// Status, `WWW-Authenticate`, `Retry-After`, content type and the
    /// exact JSON body of a refusal.
    pub fn assert_refusal(
        &self,
        status: u16,
        challenge: Option<&str>,
        retry_after: Option<&str>,
        error: &str,
        description: &str,
    ) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("www-authenticate"), challenge, "{self:?}");
        assert_eq!(self.header("retry-after"), retry_after, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(
            self.json(),
            serde_json::json!({ "error": error, "error_description": description }),
            "{self:?}"
        );
    }
}

/// The challenge of realm [`REALM`], with the given attributes after it.
pub fn challenge(attributes: &str) -> String {
    if attributes.is_empty() {
        format!(r#"Bearer realm="{REALM}""#)
    } else {
        format!(r#"Bearer realm="{REALM}", {attributes}"#)
    }
}
