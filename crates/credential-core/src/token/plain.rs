//! A fast reader for the plain JSON that issuers write.
//!
//! Headers and claims minted by this crate and by most issuers are one
//! object of registered members, strings without escapes and dates as
//! integers. This reader accepts exactly that and answers `None` for
//! anything else: an escape, an unknown or repeated member, a fraction or
//! exponent, a syntax error, bytes that are not UTF-8. The full strict
//! parser then reads the input and gives the precise error or the result,
//! so the two paths never disagree: whatever this reader accepts, the
//! strict parser accepts with the same meaning (tested here, and by the
//! `plain_json` fuzz target, on arbitrary input).
//!
//! It allocates only for what it returns, and reads each byte once.

use std::borrow::Cow;

use time::OffsetDateTime;

use crate::scope::ScopeSet;
use crate::token::claims::Claims;
use crate::token::header::Header;
use crate::token::jose::Algorithm;
use crate::token::scan::scan_string;
use crate::token::validation::ACCESS_TOKEN_TYPE;

/// The most audiences the strict parser accepts.
const MAX_AUDIENCES: usize = 64;

/// Claims of a plain claims object, or `None`: read it strictly instead.
pub(crate) fn claims(json: &[u8]) -> Option<Claims> {
    let mut reader = Reader::new(json)?;
    let mut claims = Claims::empty();
    let mut aud = None;
    reader.object(|reader, name| match name {
        "iss" => once(&mut claims.iss, reader.string()?.to_owned()),
        "sub" => once(&mut claims.sub, reader.string()?.to_owned()),
        "jti" => once(&mut claims.jti, reader.string()?.to_owned()),
        "client_id" => once(&mut claims.client_id, reader.string()?.to_owned()),
        "exp" => once(&mut claims.exp, reader.date()?),
        "nbf" => once(&mut claims.nbf, reader.date()?),
        "iat" => once(&mut claims.iat, reader.date()?),
        "aud" => once(&mut aud, reader.audience()?),
        "scope" => once(&mut claims.scope, ScopeSet::parse(reader.string()?).ok()?),
        _ => None,
    })?;
    if let Some(aud) = aud {
        claims.aud = aud;
    }
    Some(claims)
}

/// A plain JOSE header (`alg`, `kid`, `typ` only), or `None`: read it
/// strictly instead.
pub(crate) fn header(json: &[u8]) -> Option<Header> {
    let mut reader = Reader::new(json)?;
    let (mut alg, mut kid, mut typ) = (None, None, None);
    reader.object(|reader, name| match name {
        "alg" => once(&mut alg, Algorithm::from_name(reader.string()?)?),
        "kid" => once(&mut kid, reader.string()?.to_owned()),
        "typ" => once(
            &mut typ,
            match reader.string()? {
                ACCESS_TOKEN_TYPE => Cow::Borrowed(ACCESS_TOKEN_TYPE),
                other => Cow::Owned(other.to_owned()),
            },
        ),
        _ => None,
    })?;
    Some(Header::from_parts(alg?, kid, typ))
}

/// Fills an empty slot; a second value for it is a repeated member.
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(json: &'a [u8]) -> Option<Self> {
        Some(Self {
            text: std::str::from_utf8(json).ok()?,
            at: 0,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Skips JSON whitespace, then returns the next byte without taking it.
    fn next_token(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.peek()
    }

    /// Takes `expected` after optional whitespace.
    fn expect(&mut self, expected: u8) -> Option<()> {
        (self.next_token()? == expected).then(|| self.at += 1)
    }

    /// One object, the whole input (whitespace around it aside); `member`
    /// reads each member's value after its name.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.next_token()? == b'}' {
            self.at += 1;
        } else {
            loop {
                let name = self.string()?;
                self.expect(b':')?;
                member(self, name)?;
                match self.next_token()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        // Only whitespace may follow.
        self.next_token().is_none().then_some(())
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let rest = self.text.as_bytes().get(start..)?;
        let (len, plain) = scan_string(rest)?;
        // Both ends are ASCII quotes, so both are character boundaries.
        let string = self.text.get(start..start + len)?;
        self.at = start + len + 1;
        plain.then_some(string)
    }

    /// A NumericDate written as a non-negative integer of at most 18
    /// digits, in the range of `OffsetDateTime`.
    fn date(&mut self) -> Option<OffsetDateTime> {
        self.next_token()?;
        let digits = self.text.as_bytes().get(self.at..)?;
        let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        // No leading zeros (not JSON), nothing that might overflow.
        if len == 0 || len > 18 || (len > 1 && digits.first() == Some(&b'0')) {
            return None;
        }
        let value = digits
            .get(..len)?
            .iter()
            .fold(0i64, |value, &digit| value * 10 + i64::from(digit - b'0'));
        self.at += len;
        // A fraction or exponent follows as `.`, `e` or `E`, which the
        // caller's next token check refuses.
        OffsetDateTime::from_unix_timestamp(value).ok()
    }

    /// `aud`: one string, or a non-empty array of at most 64 strings.
    fn audience(&mut self) -> Option<Vec<String>> {
        if self.next_token()? != b'[' {
            return Some(vec![self.string()?.to_owned()]);
        }
        self.at += 1;
        let mut all = Vec::new();
        loop {
            all.push(self.string()?.to_owned());
            if all.len() > MAX_AUDIENCES {
                return None;
            }
            match self.next_token()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(all);
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input the plain reader accepts, the strict parser accepts
    /// with the same result.
    fn agrees(json: &str) {
        if let Some(plain) = claims(json.as_bytes()) {
            let strict = Claims::parse_strict(json.as_bytes())
                .unwrap_or_else(|e| panic!("strict parser refused {json:?}: {e}"));
            assert_eq!(plain, strict, "{json}");
        }
        if let Some(plain) = header(json.as_bytes()) {
            let strict = Header::parse_strict(json.as_bytes())
                .unwrap_or_else(|e| panic!("strict parser refused {json:?}: {e}"));
            assert_eq!(plain, strict, "{json}");
        }
    }

    #[test]
    fn reads_the_claims_an_issuer_writes() {
        let json = r#"{"iss":"https://auth.example.com","sub":"acme","aud":"https://api.example.com","exp":1700003600,"iat":1700000000,"jti":"abc","client_id":"0123456789abcdef","scope":"reports:read billing:*"}"#;
        let plain = claims(json.as_bytes()).unwrap();
        assert_eq!(plain.issuer(), Some("https://auth.example.com"));
        assert_eq!(plain.audience(), ["https://api.example.com"]);
        assert_eq!(plain.expires_at().unwrap().unix_timestamp(), 1_700_003_600);
        assert_eq!(plain.scope().to_string(), "billing:* reports:read");
        agrees(json);
    }

    #[test]
    fn reads_whitespace_arrays_and_empty_objects() {
        for json in [
            "{}",
            " { } \n",
            "{ \"aud\" : [ \"a\" , \"b\" ] ,\t\"exp\" : 0 }",
            r#"{"aud":["a"],"nbf":1}"#,
            "{\"sub\":\"caf\u{e9} \u{1f980}\"}",
        ] {
            assert!(claims(json.as_bytes()).is_some(), "{json}");
            agrees(json);
        }
        let header_json = r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#;
        let plain = header(header_json.as_bytes()).unwrap();
        assert_eq!(plain.algorithm(), Algorithm::HS256);
        assert_eq!(plain.key_id(), Some("k1"));
        assert_eq!(plain.token_type(), Some("at+jwt"));
        agrees(header_json);
        agrees(r#"{"typ":"JWT","alg":"EdDSA"}"#);
    }

    #[test]
    fn leaves_everything_else_to_the_strict_parser() {
        for json in [
            "",
            "[]",
            "{",
            "{}x",
            "{},",
            r#"{"sub":"a\"b"}"#,
            r#"{"sub":"a\u0041"}"#,
            "{\"sub\":\"a\u{1}b\"}",
            r#"{"sub":"a","sub":"a"}"#,
            r#"{"sub":1}"#,
            r#"{"exp":1.5}"#,
            r#"{"exp":1e3}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":01}"#,
            r#"{"exp":1234567890123456789}"#,
            r#"{"exp":"1"}"#,
            r#"{"aud":[]}"#,
            r#"{"aud":["a",]}"#,
            r#"{"aud":["a" "b"]}"#,
            r#"{"scope":"a  b"}"#,
            r#"{"scope":"a::b"}"#,
            r#"{"extra":true}"#,
            r#"{"sub":"a",}"#,
            r#"{"sub" "a"}"#,
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256","crit":["x"]}"#,
            r#"{"kid":"k1"}"#,
        ] {
            assert!(claims(json.as_bytes()).is_none(), "claims {json}");
            assert!(header(json.as_bytes()).is_none(), "header {json}");
            agrees(json);
        }
        assert!(claims(b"{\"sub\":\"\xff\"}").is_none());
        let many: Vec<String> = (0..65).map(|i| format!("\"{i}\"")).collect();
        let json = format!("{{\"aud\":[{}]}}", many.join(","));
        assert!(claims(json.as_bytes()).is_none());
        let json = format!("{{\"aud\":[{}]}}", many.get(..64).unwrap().join(","));
        assert_eq!(claims(json.as_bytes()).unwrap().audience().len(), 64);
        agrees(&json);
    }

    #[test]
    fn agrees_with_the_strict_parser_on_generated_input() {
        let names: Vec<&str> = crate::token::claims::REGISTERED
            .into_iter()
            .chain(["alg", "kid", "typ", "crit", "x"])
            .collect();
        let values = [
            "\"a\"",
            "\"a:b c\"",
            "\"HS256\"",
            "\"EdDSA\"",
            "\"at+jwt\"",
            "0",
            "17",
            "1700000000",
            "253402300800",
            "1.5",
            "-1",
            "01",
            "[\"a\",\"b\"]",
            "[\"a\"]",
            "[]",
            "true",
            "null",
            "{}",
            "\"\\u0041\"",
            "\"\u{e9}\"",
            "\"\"",
        ];
        let spaces = ["", "", "", " ", "\n\t"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % u64::try_from(below).unwrap()).unwrap()
        };
        let mut accepted = 0;
        for _ in 0..50_000 {
            let mut json = String::from(spaces[next(spaces.len())]);
            json.push('{');
            for i in 0..next(5) {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(spaces[next(spaces.len())]);
                json.push_str(&format!("\"{}\"", names[next(names.len())]));
                json.push_str(spaces[next(spaces.len())]);
                json.push(':');
                json.push_str(spaces[next(spaces.len())]);
                json.push_str(values[next(values.len())]);
            }
            json.push('}');
            json.push_str(spaces[next(spaces.len())]);
            // Now and then, damage one byte.
            if next(4) == 0 && !json.is_empty() {
                let at = next(json.len());
                if json.is_char_boundary(at) && json.is_char_boundary(at + 1) {
                    json.replace_range(at..=at, [",", "\"", "}", "", "x"][next(5)]);
                }
            }
            if claims(json.as_bytes()).is_some() || header(json.as_bytes()).is_some() {
                accepted += 1;
            }
            agrees(&json);
        }
        // The generator reaches the accepting paths, not only refusals.
        assert!(accepted > 5_000, "{accepted}");
    }
}
