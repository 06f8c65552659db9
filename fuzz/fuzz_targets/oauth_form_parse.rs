#![no_main]
//! The OAuth endpoint parsers (`TokenRequest`, `IntrospectionRequest`,
//! `RevocationRequest`, `ClientCredentials::parse`/`from_basic`) on an
//! arbitrary body and `Authorization` value (split at the first `0xFF`)
//! never panic; `Debug` never depends on a secret, Basic credentials
//! re-encode to the same client, and the parsers agree with each other.

#![forbid(unsafe_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use credential_core::oauth::{
    ClientAuthMethod, ClientCredentials, IntrospectionRequest, OAuthError, PresentedToken,
    RevocationRequest, TokenRequest, require_form_content_type,
};
use credential_core::scope::ScopeSet;
use credential_core::{ApiKey, RefreshToken};
use credential_fuzz::split_ff;
use libfuzzer_sys::fuzz_target;

fn check_error(error: &OAuthError) {
    let status = error.status();
    assert!((400..600).contains(&status), "status {status}");
    assert_eq!(
        error.www_authenticate("fuzz").is_some(),
        status == 401,
        "a challenge exactly with 401"
    );
    let _ = (error.to_json(), error.to_response("fuzz"));
    let _ = (
        error.code().as_str(),
        error.description(),
        format!("{error:?}"),
    );
}

/// The same credentials with a different secret.
fn without_secret(client: &ClientCredentials) -> ClientCredentials {
    ClientCredentials {
        client_secret: ApiKey::new("x"),
        ..client.clone()
    }
}

fn without_secrets(request: &TokenRequest) -> TokenRequest {
    match request {
        TokenRequest::ClientCredentials { client, scope } => TokenRequest::ClientCredentials {
            client: without_secret(client),
            scope: scope.clone(),
        },
        TokenRequest::RefreshToken { scope, client, .. } => TokenRequest::RefreshToken {
            refresh_token: RefreshToken::new("x"),
            scope: scope.clone(),
            client: client.as_ref().map(without_secret),
        },
    }
}

fn basic(client: &ClientCredentials) -> String {
    let id: String = form_urlencoded::byte_serialize(client.client_id.as_bytes()).collect();
    let secret: String =
        form_urlencoded::byte_serialize(client.client_secret.expose_secret().as_bytes()).collect();
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

fn check_client(client: &ClientCredentials, authorization: Option<&str>) {
    assert!(!client.client_id.is_empty() && !client.client_secret.expose_secret().is_empty());
    assert_eq!(
        format!("{client:?}"),
        format!("{:?}", without_secret(client)),
        "Debug of ClientCredentials depends on the secret"
    );
    match client.method {
        ClientAuthMethod::ClientSecretBasic => assert!(authorization.is_some()),
        ClientAuthMethod::ClientSecretPost => assert!(authorization.is_none()),
        _ => {}
    }
    let _ = client.reject();
}

fuzz_target!(|data: &[u8]| {
    let (body, header) = split_ff(data);
    let authorization = header.and_then(|bytes| std::str::from_utf8(bytes).ok());
    let _ = require_form_content_type(authorization);

    if let Some(header) = authorization {
        match ClientCredentials::from_basic(header) {
            Ok(client) => {
                assert_eq!(client.method, ClientAuthMethod::ClientSecretBasic);
                check_client(&client, Some(header));
                let encoded = basic(&client);
                if encoded.len() <= 4096 {
                    let again = ClientCredentials::from_basic(&encoded)
                        .expect("re-encoded Basic credentials parse");
                    assert_eq!(again, client, "Basic credentials do not round-trip");
                }
            }
            Err(error) => check_error(&error),
        }
    }

    let client = ClientCredentials::parse(body, authorization);
    match &client {
        Ok(Some(client)) => check_client(client, authorization),
        Ok(None) => {}
        Err(error) => check_error(error),
    }

    match TokenRequest::parse(body, authorization) {
        Ok(request) => {
            assert!(matches!(
                request.grant_type(),
                "client_credentials" | "refresh_token"
            ));
            assert_eq!(
                format!("{request:?}"),
                format!("{:?}", without_secrets(&request)),
                "Debug of TokenRequest depends on a secret"
            );
            // The token endpoint reads the client exactly as the others do.
            let same = client.as_ref().ok().and_then(Option::as_ref);
            assert_eq!(
                request.client(),
                same,
                "TokenRequest and ClientCredentials disagree"
            );
            if let Some(scope) = request.scope() {
                assert_eq!(ScopeSet::parse(&scope.to_string()).as_ref(), Ok(scope));
            }
            if let TokenRequest::RefreshToken { refresh_token, .. } = &request {
                assert!(!refresh_token.expose_secret().is_empty());
            }
        }
        Err(error) => check_error(&error),
    }

    let introspection = IntrospectionRequest::parse(body);
    let revocation = RevocationRequest::parse(body);
    match (&introspection, &revocation) {
        (Ok(introspection), Ok(revocation)) => {
            assert_eq!(introspection.token, revocation.token);
            assert_eq!(introspection.token_type_hint, revocation.token_type_hint);
            assert!(!introspection.token.expose_secret().is_empty());
            let blank = IntrospectionRequest {
                token: PresentedToken::new("x"),
                ..introspection.clone()
            };
            assert_eq!(format!("{introspection:?}"), format!("{blank:?}"));
            let blank = RevocationRequest {
                token: PresentedToken::new("x"),
                ..revocation.clone()
            };
            assert_eq!(format!("{revocation:?}"), format!("{blank:?}"));
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.code(), b.code());
            check_error(a);
        }
        _ => panic!("introspection and revocation requests disagree on {body:?}"),
    }
});
