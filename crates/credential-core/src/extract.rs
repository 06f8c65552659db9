//! Finding the credential in a request: the part every HTTP adapter shares.
//!
//! Adapters hand over raw header values and the query string; this module
//! decides which credential was presented, or why the request is malformed,
//! without knowing any framework's types.

use std::borrow::Cow;

use crate::rejection::{Reason, Rejection};

/// Default header for API keys.
pub const DEFAULT_API_KEY_HEADER: &str = "x-api-key";

/// Longest credential accepted from any source, in bytes: the token size
/// limit, so nothing larger is ever parsed further.
pub const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

/// Where credentials may come from, in a request.
///
/// - `Authorization: Bearer <credential>` (RFC 6750 §2.1), always;
/// - an API-key header (`X-API-Key` unless changed), unless disabled;
/// - a query parameter, only when enabled (RFC 6750 §2.3 discourages it:
///   URLs end up in logs).
///
/// A request that presents more than one credential is malformed (RFC 6750
/// §2: one method per request), and so is a repeated header. An
/// `Authorization` header with another scheme (e.g. `Basic`) is not a
/// credential for this API and is ignored.
///
/// ```
/// use credential_core::extract::CredentialSources;
///
/// let sources = CredentialSources::default();
/// let found = sources.extract(&[b"Bearer abc.def.ghi"], &[], None)?;
/// assert_eq!(found.as_deref(), Some("abc.def.ghi"));
/// let found = sources.extract(&[], &[b"sk_live_x_y"], None)?;
/// assert_eq!(found.as_deref(), Some("sk_live_x_y"));
/// assert!(sources.extract(&[b"Bearer a"], &[b"b"], None).is_err());
/// # Ok::<(), credential_core::Rejection>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSources {
    api_key_header: Option<String>,
    query_parameter: Option<String>,
}

impl Default for CredentialSources {
    fn default() -> Self {
        Self {
            api_key_header: Some(DEFAULT_API_KEY_HEADER.to_owned()),
            query_parameter: None,
        }
    }
}

impl CredentialSources {
    /// Reads API keys from `header` (case-insensitive) instead of
    /// `X-API-Key`.
    #[must_use]
    pub fn with_api_key_header(mut self, header: &str) -> Self {
        self.api_key_header = Some(header.to_ascii_lowercase());
        self
    }

    /// Reads no API-key header: only `Authorization: Bearer`.
    #[must_use]
    pub fn without_api_key_header(mut self) -> Self {
        self.api_key_header = None;
        self
    }

    /// Also reads the credential from the query parameter `name`.
    #[must_use]
    pub fn with_query_parameter(mut self, name: &str) -> Self {
        self.query_parameter = Some(name.to_owned());
        self
    }

    /// The API-key header name, lowercase, if enabled.
    pub fn api_key_header(&self) -> Option<&str> {
        self.api_key_header.as_deref()
    }

    /// The query parameter name, if enabled.
    pub fn query_parameter(&self) -> Option<&str> {
        self.query_parameter.as_deref()
    }

    /// Picks the credential out of every `Authorization` value, every
    /// API-key header value (pass none when the header is disabled) and the
    /// raw query string. `Ok(None)` means no credential was presented.
    pub fn extract<'a>(
        &self,
        authorization: &[&'a [u8]],
        api_key: &[&'a [u8]],
        query: Option<&'a str>,
    ) -> Result<Option<Cow<'a, str>>, Rejection> {
        self.extract_values(
            authorization.iter().copied(),
            api_key.iter().copied(),
            query,
        )
    }

    /// [`extract`](Self::extract) from the values as a framework's header
    /// map hands them out, without collecting them first.
    pub fn extract_values<'a>(
        &self,
        authorization: impl IntoIterator<Item = &'a [u8]>,
        api_key: impl IntoIterator<Item = &'a [u8]>,
        query: Option<&'a str>,
    ) -> Result<Option<Cow<'a, str>>, Rejection> {
        let mut found: Option<Cow<'a, str>> = None;
        let mut put = |credential: Cow<'a, str>| {
            if found.is_some() {
                Err(malformed())
            } else {
                found = Some(credential);
                Ok(())
            }
        };
        let mut bearer = authorization
            .into_iter()
            .filter_map(|value| bearer_token(value).transpose());
        if let Some(first) = bearer.next() {
            put(Cow::Borrowed(first?))?;
        }
        if bearer.next().is_some() {
            return Err(malformed());
        }
        if self.api_key_header.is_some() {
            let mut values = api_key.into_iter();
            match (values.next(), values.next()) {
                (None, _) => {}
                (Some(one), None) => put(Cow::Borrowed(credential_text(one)?))?,
                (Some(_), Some(_)) => return Err(malformed()),
            }
        }
        if let (Some(name), Some(query)) = (&self.query_parameter, query)
            && let Some(value) = query_value(query, name)?
        {
            put(value)?;
        }
        Ok(found)
    }
}

fn malformed() -> Rejection {
    Rejection::new(Reason::Malformed)
}

/// The token of an `Authorization: Bearer` value; `Ok(None)` for another
/// scheme. The scheme is case-insensitive; the token must follow RFC 6750's
/// `b64token` syntax.
pub fn bearer_token(value: &[u8]) -> Result<Option<&str>, Rejection> {
    let value = value.trim_ascii();
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => value.split_at(space),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Ok(None);
    }
    let token = rest.trim_ascii_start();
    if token.is_empty() || token.len() > MAX_CREDENTIAL_LEN {
        return Err(malformed());
    }
    let body_end = token.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    let (body, padding) = token.split_at(body_end);
    if body.is_empty() || !all(body, is_b64token) || !padding.iter().all(|&b| b == b'=') {
        return Err(malformed());
    }
    std::str::from_utf8(token)
        .map(Some)
        .map_err(|_| malformed())
}

/// RFC 6750's `b64token` characters, `=` padding aside.
fn is_b64token(b: u8) -> bool {
    // Ranges and `|`, not `||`: no branch, so that `all` vectorizes.
    // `-./0-9` are one range; setting bit 5 maps `A-Z` onto `a-z` and
    // nothing else into it.
    (b.wrapping_sub(b'-') <= b'9' - b'-')
        | ((b | 0x20).wrapping_sub(b'a') <= b'z' - b'a')
        | (b == b'+')
        | (b == b'_')
        | (b == b'~')
}

/// Visible ASCII (`%x21-7E`).
fn is_visible(b: u8) -> bool {
    b.is_ascii_graphic()
}

/// Whether every byte of `value` passes `test`: no early exit, so the
/// loop compiles branch-free and vectorized. Credentials run to kilobytes
/// and every request checks them.
fn all(value: &[u8], test: fn(u8) -> bool) -> bool {
    value.iter().fold(true, |all, &b| all & test(b))
}

/// A credential sent as a whole header value, surrounding white space
/// aside: visible ASCII, bounded.
fn credential_text(value: &[u8]) -> Result<&str, Rejection> {
    let value = value.trim_ascii();
    check_visible(value)?;
    std::str::from_utf8(value).map_err(|_| malformed())
}

fn check_visible(value: &[u8]) -> Result<(), Rejection> {
    if value.is_empty() || value.len() > MAX_CREDENTIAL_LEN || !all(value, is_visible) {
        return Err(malformed());
    }
    Ok(())
}

/// The percent-decoded value of query parameter `name`; repeated → error.
fn query_value<'a>(query: &'a str, name: &str) -> Result<Option<Cow<'a, str>>, Rejection> {
    let mut found = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != name {
            continue;
        }
        if found.is_some() {
            return Err(malformed());
        }
        found = Some(percent_decode(value)?);
    }
    match found {
        Some(value) => {
            check_visible(value.as_bytes())?;
            Ok(Some(value))
        }
        None => Ok(None),
    }
}

fn percent_decode(value: &str) -> Result<Cow<'_, str>, Rejection> {
    if !value.contains(['%', '+']) {
        return Ok(Cow::Borrowed(value));
    }
    if value.len() > MAX_CREDENTIAL_LEN * 3 {
        return Err(malformed());
    }
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(hex).ok_or_else(malformed)?;
                let lo = bytes.next().and_then(hex).ok_or_else(malformed)?;
                out.push((hi << 4) | lo);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| malformed())
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> CredentialSources {
        CredentialSources::default().with_query_parameter("access_token")
    }

    #[test]
    fn byte_classes_hold_exactly_their_characters() {
        let b64token = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        let visible = b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        for b in 0..=u8::MAX {
            assert_eq!(is_b64token(b), b64token.contains(&b), "{b}");
            assert_eq!(is_visible(b), visible.contains(&b), "{b}");
            for len in [1, 15, 16, 17, 40] {
                let mut value = vec![b'a'; len];
                value[len / 2] = b;
                assert_eq!(all(&value, is_b64token), b64token.contains(&b), "{b}");
                assert_eq!(all(&value, is_visible), visible.contains(&b), "{b}");
            }
        }
        assert!(all(b"", is_visible));
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_token_strict() {
        assert_eq!(bearer_token(b"Bearer abc").unwrap(), Some("abc"));
        assert_eq!(bearer_token(b"bearer   abc").unwrap(), Some("abc"));
        assert_eq!(
            bearer_token(b"BEARER a.b-c_d~e+f/g==").unwrap(),
            Some("a.b-c_d~e+f/g==")
        );
        assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz").unwrap(), None);
        assert_eq!(bearer_token(b"Bearerabc").unwrap(), None);
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a=b",
            b"Bearer ===",
            b"Bearer a\x00",
            b"Bearer \xff",
        ] {
            assert!(bearer_token(bad).is_err(), "{bad:?}");
        }
        let huge = [b"Bearer ".to_vec(), vec![b'a'; MAX_CREDENTIAL_LEN + 1]].concat();
        assert!(bearer_token(&huge).is_err());
    }

    #[test]
    fn one_credential_per_request() {
        let s = sources();
        assert_eq!(s.extract(&[], &[], None).unwrap(), None);
        assert_eq!(s.extract(&[b"Basic x"], &[], None).unwrap(), None);
        assert!(s.extract(&[b"Bearer a", b"Bearer b"], &[], None).is_err());
        assert!(s.extract(&[], &[b"a", b"b"], None).is_err());
        assert!(
            s.extract(&[b"Bearer a"], &[], Some("access_token=b"))
                .is_err()
        );
        assert!(
            s.extract(&[], &[], Some("access_token=a&access_token=b"))
                .is_err()
        );
        assert_eq!(
            s.extract(&[b"Basic x"], &[b" key "], None)
                .unwrap()
                .as_deref(),
            Some("key")
        );
    }

    #[test]
    fn query_parameter_only_when_enabled_and_decoded() {
        let off = CredentialSources::default();
        assert_eq!(off.extract(&[], &[], Some("access_token=a")).unwrap(), None);
        let on = sources();
        assert_eq!(
            on.extract(&[], &[], Some("x=1&access_token=a%2Eb"))
                .unwrap()
                .as_deref(),
            Some("a.b")
        );
        assert!(on.extract(&[], &[], Some("access_token=%zz")).is_err());
        assert!(on.extract(&[], &[], Some("access_token=%ff")).is_err());
        assert!(on.extract(&[], &[], Some("access_token=")).is_err());
        assert!(on.extract(&[], &[], Some("access_token=+a")).is_err());
    }

    #[test]
    fn api_key_header_can_be_disabled() {
        let bearer_only = CredentialSources::default().without_api_key_header();
        assert_eq!(bearer_only.extract(&[], &[b"sk"], None).unwrap(), None);
        assert_eq!(bearer_only.api_key_header(), None);
        assert_eq!(
            CredentialSources::default()
                .with_api_key_header("X-Key")
                .api_key_header(),
            Some("x-key")
        );
    }

    #[test]
    fn api_key_values_must_be_visible_ascii() {
        let s = CredentialSources::default();
        for bad in [&b""[..], b"   ", b"a b", b"\xc3\xa9", b"a\tb"] {
            assert!(s.extract(&[], &[bad], None).is_err(), "{bad:?}");
        }
    }
}
