//! The `application/x-www-form-urlencoded` request body shared by the token,
//! introspection and revocation endpoints (RFC 6749 §3.2 and Appendix B).
//!
//! Decoding follows the WHATWG rules that the `form_urlencoded` crate
//! implements (`+` is a space, `%XX` is a byte, a stray `%` stays as is),
//! but is strict about UTF-8: `form_urlencoded::parse` replaces invalid
//! sequences with U+FFFD, which would let two different byte strings decode
//! to the same token or secret. Decoded values are wiped on drop because
//! they include client secrets and tokens.

use std::fmt;

use zeroize::Zeroizing;

use super::error::{OAuthError, OAuthErrorCode};

/// The largest request body the endpoint parsers accept, in bytes (8 KiB).
///
/// Adapters should stop reading the body at this size too, so that an
/// oversized request costs no more than this much memory.
pub const MAX_FORM_LEN: usize = 8 * 1024;

const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// Checks that a request's `Content-Type` is
/// `application/x-www-form-urlencoded`, the only body format RFC 6749 §3.2,
/// RFC 7662 §2.1 and RFC 7009 §2.1 define.
///
/// The media type is compared case-insensitively and parameters such as
/// `charset=UTF-8` are allowed.
///
/// ```
/// use credential_core::oauth::{require_form_content_type, OAuthErrorCode};
///
/// assert!(require_form_content_type(Some("application/x-www-form-urlencoded")).is_ok());
/// assert!(require_form_content_type(Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")).is_ok());
/// let err = require_form_content_type(Some("application/json")).unwrap_err();
/// assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
/// assert!(require_form_content_type(None).is_err());
/// ```
///
/// # Errors
///
/// `invalid_request` when the header is missing or names another type.
pub fn require_form_content_type(content_type: Option<&str>) -> Result<(), OAuthError> {
    let media_type = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim_matches(|c| c == ' ' || c == '\t'));
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case(FORM_MEDIA_TYPE) => Ok(()),
        _ => Err(OAuthError::described(
            OAuthErrorCode::InvalidRequest,
            OAuthError::WRONG_CONTENT_TYPE,
        )),
    }
}

/// A decoded request body: the parameters with a value, in order.
///
/// Parameters sent without a value are dropped, as RFC 6749 §3.2 says they
/// are to be treated as omitted. Repetition is checked per parameter when it
/// is read, so that repeated extension parameters the endpoints do not read
/// (RFC 8707 allows several `resource`) are not an error.
pub(crate) struct Form {
    params: Vec<(Zeroizing<String>, Zeroizing<String>)>,
}

// Values may be secrets: show only the names.
impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.params.iter().map(|(name, _)| name.as_str()))
            .finish()
    }
}

impl Form {
    /// Decodes `body`.
    ///
    /// # Errors
    ///
    /// `invalid_request` when the body exceeds [`MAX_FORM_LEN`] or a name or
    /// value is not UTF-8 once percent-decoded.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        if body.len() > MAX_FORM_LEN {
            return Err(OAuthError::described(
                OAuthErrorCode::InvalidRequest,
                OAuthError::BODY_TOO_LARGE,
            ));
        }
        let not_utf8 =
            || OAuthError::described(OAuthErrorCode::InvalidRequest, OAuthError::NOT_UTF8);
        let mut params = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = percent_decode(halves.next().unwrap_or_default()).ok_or_else(not_utf8)?;
            let value = percent_decode(halves.next().unwrap_or_default()).ok_or_else(not_utf8)?;
            if !name.is_empty() && !value.is_empty() {
                params.push((name, value));
            }
        }
        Ok(Self { params })
    }

    /// The value of `name`, or `None` when it was not sent (or sent empty).
    ///
    /// # Errors
    ///
    /// `invalid_request` when `name` was sent more than once with a value.
    pub(crate) fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (key, value) in &self.params {
            if key.as_str() == name {
                if found.is_some() {
                    return Err(OAuthError::described(
                        OAuthErrorCode::InvalidRequest,
                        OAuthError::REPEATED_PARAMETER,
                    ));
                }
                found = Some(value.as_str());
            }
        }
        Ok(found)
    }
}

/// Decodes one form-urlencoded name or value, or `None` when the decoded
/// bytes are not UTF-8.
///
/// The buffer is allocated once at its final capacity and wiped on drop, so
/// no copy of a secret is left behind by a reallocation.
pub(crate) fn percent_decode(input: &[u8]) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(Vec::with_capacity(input.len()));
    let mut rest = input;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => out.push(b' '),
            b'%' => match (tail.first().and_then(hex), tail.get(1).and_then(hex)) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    rest = tail.get(2..).unwrap_or_default();
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
    }
    match String::from_utf8(std::mem::take(&mut *out)) {
        Ok(text) => Some(Zeroizing::new(text)),
        Err(error) => {
            drop(Zeroizing::new(error.into_bytes()));
            None
        }
    }
}

fn hex(digit: &u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use proptest::prelude::*;

    use super::*;

    fn decode(input: &str) -> Option<String> {
        percent_decode(input.as_bytes()).map(|s| s.to_string())
    }

    #[test]
    fn decodes_plus_percent_and_stray_percent() {
        assert_eq!(decode("a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(decode("%3a%3A").as_deref(), Some("::"));
        assert_eq!(decode("100%").as_deref(), Some("100%"));
        assert_eq!(decode("%zz%4").as_deref(), Some("%zz%4"));
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode(""), Some(String::new()));
    }

    #[test]
    fn rejects_invalid_utf8_after_decoding() {
        assert_eq!(decode("%FF"), None);
        assert_eq!(decode("%C3"), None);
        assert!(percent_decode(b"\xff").is_none());
    }

    #[test]
    fn empty_values_are_omitted_and_unknown_repeats_are_ignored() {
        let form = Form::parse(b"a=&b&&=x&c=1&resource=r1&resource=r2").unwrap();
        assert_eq!(form.get("a").unwrap(), None);
        assert_eq!(form.get("b").unwrap(), None);
        assert_eq!(form.get("").unwrap(), None);
        assert_eq!(form.get("c").unwrap(), Some("1"));
        assert_eq!(form.get("missing").unwrap(), None);
        assert_eq!(
            form.get("resource").unwrap_err().code(),
            OAuthErrorCode::InvalidRequest
        );
    }

    #[test]
    fn an_empty_repeat_is_not_a_repeat() {
        let form = Form::parse(b"scope=&scope=a").unwrap();
        assert_eq!(form.get("scope").unwrap(), Some("a"));
    }

    #[test]
    fn names_are_compared_after_decoding() {
        let form = Form::parse(b"scope=a&sc%6Fpe=b").unwrap();
        assert!(form.get("scope").is_err());
    }

    #[test]
    fn size_limit_is_inclusive() {
        let mut body = vec![b'a'; MAX_FORM_LEN];
        assert!(Form::parse(&body).is_ok());
        body.push(b'a');
        let err = Form::parse(&body).unwrap_err();
        assert_eq!(err.code(), OAuthErrorCode::InvalidRequest);
        assert_eq!(err.description(), OAuthError::BODY_TOO_LARGE);
        // The description states the limit; keep the two in step.
        assert!(OAuthError::BODY_TOO_LARGE.contains(&MAX_FORM_LEN.to_string()));
    }

    proptest! {
        #[test]
        fn agrees_with_form_urlencoded_on_valid_input(
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let ours = Form::parse(&body);
            let reference: Vec<(String, String)> = form_urlencoded::parse(&body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .collect();
            match ours {
                Ok(form) => {
                    let ours: Vec<(String, String)> = form
                        .params
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    prop_assert_eq!(ours, reference);
                }
                // Where we refuse, the reference had to substitute U+FFFD.
                Err(_) => {
                    let fffd = char::REPLACEMENT_CHARACTER;
                    let replaced = form_urlencoded::parse(&body)
                        .any(|(k, v)| k.contains(fffd) || v.contains(fffd));
                    prop_assert!(replaced);
                }
            }
        }
    }
}
