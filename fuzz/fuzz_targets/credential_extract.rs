#![no_main]
//! `CredentialSources::extract` (API-key header and `access_token` query
//! parameter enabled) and `extract::bearer_token` on arbitrary header values
//! and query strings never panic; what they return is one bounded, visible
//! ASCII credential, and two bearer tokens are always refused.
//!
//! Input: segments separated by `0xFF`; a segment starting with `A` is an
//! `Authorization` value, `K` an API-key header value, `Q` the query string
//! (the last one wins), anything else is ignored.

#![forbid(unsafe_code)]

use credential_core::extract::{CredentialSources, MAX_CREDENTIAL_LEN, bearer_token};
use libfuzzer_sys::fuzz_target;

fn is_b64token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fuzz_target!(|data: &[u8]| {
    let mut authorization = Vec::new();
    let mut api_key = Vec::new();
    let mut query = None;
    for segment in data.split(|&b| b == 0xFF) {
        match segment.split_first() {
            Some((b'A', value)) => authorization.push(value),
            Some((b'K', value)) => api_key.push(value),
            Some((b'Q', value)) => query = std::str::from_utf8(value).ok(),
            _ => {}
        }
    }

    let mut bearers = 0;
    for value in &authorization {
        match bearer_token(value) {
            Ok(Some(token)) => {
                bearers += 1;
                assert!(!token.is_empty() && token.len() <= MAX_CREDENTIAL_LEN);
                assert!(
                    token.bytes().all(is_b64token),
                    "{token:?} is not a b64token"
                );
                assert!(!token.starts_with('='), "{token:?} is only padding");
                assert!(value.trim_ascii().ends_with(token.as_bytes()));
                let again = format!("Bearer {token}");
                assert_eq!(bearer_token(again.as_bytes()).ok().flatten(), Some(token));
                let sources = CredentialSources::default();
                let alone = sources
                    .extract(&[value], &[], None)
                    .expect("one bearer token");
                assert_eq!(alone.as_deref(), Some(token));
            }
            Ok(None) => {}
            Err(rejection) => {
                let _ = rejection.reason();
                bearers += 1;
            }
        }
    }

    let sources = CredentialSources::default().with_query_parameter("access_token");
    let found = sources.extract(&authorization, &api_key, query);
    if bearers > 1 {
        assert!(found.is_err(), "two bearer tokens were accepted");
    }
    if api_key.len() > 1 {
        assert!(found.is_err(), "a repeated API-key header was accepted");
    }
    if let Ok(Some(credential)) = &found {
        assert!(!credential.is_empty() && credential.len() <= MAX_CREDENTIAL_LEN);
        assert!(
            credential.bytes().all(|b| b.is_ascii_graphic()),
            "{credential:?} is not visible ASCII"
        );
    }
    // Without the optional sources, only a bearer token can be found.
    let bearer_only = CredentialSources::default().without_api_key_header();
    if let Ok(Some(credential)) = bearer_only.extract(&authorization, &api_key, query) {
        assert!(bearers == 1, "found {credential:?} without a bearer token");
    }
});
