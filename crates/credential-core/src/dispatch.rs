//! One verifier for API keys and access tokens from the same header.

use crate::key::{KeyStore, KeyVerifier};
use crate::rejection::{Reason, Rejection};
use crate::scope::Requirement;
use crate::token::TokenVerifier;
use crate::verify::{Verification, Verifier};

/// Accepts an API key or an access token, telling them apart by shape: a
/// compact JWS has two `.` separators, an API key has none (its alphabet is
/// `[0-9A-Za-z_]`). The [`Principal`](crate::Principal) says which it was.
///
/// A credential of a kind this verifier was not given is malformed for it
/// (`400`), never passed to the other verifier.
#[derive(Debug)]
pub struct CredentialVerifier<S: ?Sized> {
    keys: Option<KeyVerifier<S>>,
    tokens: Option<TokenVerifier>,
}

impl<S: KeyStore + ?Sized> CredentialVerifier<S> {
    /// Accepts both API keys and access tokens.
    pub fn new(keys: KeyVerifier<S>, tokens: TokenVerifier) -> Self {
        Self {
            keys: Some(keys),
            tokens: Some(tokens),
        }
    }

    /// Accepts API keys only.
    pub fn keys_only(keys: KeyVerifier<S>) -> Self {
        Self {
            keys: Some(keys),
            tokens: None,
        }
    }

    /// The API key verifier.
    pub fn key_verifier(&self) -> Option<&KeyVerifier<S>> {
        self.keys.as_ref()
    }

    /// The access token verifier.
    pub fn token_verifier(&self) -> Option<&TokenVerifier> {
        self.tokens.as_ref()
    }
}

impl CredentialVerifier<dyn KeyStore> {
    /// Accepts access tokens only.
    pub fn tokens_only(tokens: TokenVerifier) -> Self {
        Self {
            keys: None,
            tokens: Some(tokens),
        }
    }
}

/// Whether a credential is shaped like a compact JWS rather than a key.
pub(crate) fn looks_like_token(credential: &str) -> bool {
    // Counted in byte-wide lanes, with no early exit, so that the loop
    // vectorizes: a run of at most 255 bytes cannot overflow a `u8`.
    let dots: usize = credential
        .as_bytes()
        .chunks(255)
        .map(|run| usize::from(run.iter().fold(0_u8, |dots, &b| dots + u8::from(b == b'.'))))
        .sum();
    dots == 2
}

impl<S: KeyStore + ?Sized> Verifier for CredentialVerifier<S> {
    fn verify<'a>(
        &'a self,
        credential: &'a str,
        required: Option<&'a Requirement>,
    ) -> Verification<'a> {
        let verifier: Option<&dyn Verifier> = if looks_like_token(credential) {
            self.tokens.as_ref().map(|tokens| tokens as &dyn Verifier)
        } else {
            self.keys.as_ref().map(|keys| keys as &dyn Verifier)
        };
        match verifier {
            Some(verifier) => verifier.verify(credential, required),
            None => Verification::ready(Err(Rejection::new(Reason::Malformed))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_has_exactly_two_dots_wherever_they_are() {
        for len in [0, 1, 2, 3, 254, 255, 256, 257, 510, 511, 600] {
            for dots in 0..4 {
                for spread in [1, 127, 255, 256] {
                    let mut text = vec![b'a'; len];
                    let placed = (0..dots)
                        .map(|i| i * spread)
                        .filter(|&at| at < len)
                        .inspect(|&at| text[at] = b'.')
                        .count();
                    let text = String::from_utf8(text).unwrap();
                    assert_eq!(
                        looks_like_token(&text),
                        placed == 2,
                        "{len} {dots} {spread}"
                    );
                }
            }
        }
    }
}
