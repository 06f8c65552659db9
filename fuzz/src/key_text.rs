//! Checks shared by the targets for key-shaped credentials (API keys and
//! refresh tokens): same format, different prefix and secret type.

use credential_core::KeyId;
use credential_core::key::{
    CHECKSUM_LEN, ID_LEN, KeyFormat, KeyParseError, MAX_KEY_LEN, SCANNER_REGEX, SECRET_LEN,
};
use regex::Regex;

/// One prefix's parser, the prefixes that must refuse its keys, and the
/// scanner regexes that must find them whole.
pub struct KeyText {
    format: KeyFormat,
    others: Vec<KeyFormat>,
    scanner: Regex,
    format_scanner: Regex,
    debug_name: &'static str,
}

impl KeyText {
    /// Checks for keys of `prefix`; `others` must never accept them;
    /// `debug_name` is the secret type's name in its `Debug` output.
    pub fn new(prefix: &str, others: &[&str], debug_name: &'static str) -> Self {
        let format = KeyFormat::new(prefix).expect("a valid prefix");
        Self {
            format_scanner: Regex::new(&format.scanner_regex()).expect("a valid regex"),
            scanner: Regex::new(SCANNER_REGEX).expect("a valid regex"),
            others: others
                .iter()
                .map(|prefix| KeyFormat::new(prefix).expect("a valid prefix"))
                .collect(),
            format,
            debug_name,
        }
    }

    /// `text` never panics the parser; `debug` (the `Debug` of the secret
    /// type holding `text`) shows at most `prefix_id_`; a text that parses
    /// is exactly a key of this prefix.
    pub fn check(&self, text: &str, debug: &str) {
        // Any text may be offered as a prefix; it must never panic.
        if let Ok(format) = KeyFormat::new(text) {
            let _ = format.scanner_regex();
            let _ = format.parse(text);
        }
        let shown = debug
            .strip_prefix(self.debug_name)
            .and_then(|rest| rest.strip_prefix("(\""))
            .and_then(|rest| rest.strip_suffix("…\")"))
            .expect("the redacted Debug shape");
        assert!(
            text.starts_with(shown),
            "Debug shows what the text does not start with"
        );
        assert!(
            shown.is_empty()
                || (shown.ends_with('_') && text.len() - shown.len() == SECRET_LEN + CHECKSUM_LEN),
            "Debug shows more than the public part"
        );
        let parsed = match self.format.parse(text) {
            Ok(parsed) => parsed,
            Err(error) => {
                let _ = error.to_string();
                if text.len() > MAX_KEY_LEN {
                    assert_eq!(error, KeyParseError::TooLong);
                }
                return;
            }
        };
        let id = parsed.id();
        assert_eq!(id.as_str().len(), ID_LEN);
        assert_eq!(
            id.as_str().parse::<KeyId>(),
            Ok(id),
            "the id does not re-parse"
        );
        let secret = std::str::from_utf8(parsed.secret().expose_secret()).expect("a base62 secret");
        assert_eq!(secret.len(), SECRET_LEN);
        // The key re-formats to the same string: prefix, id, secret, checksum.
        let body = format!("{}_{id}_{secret}", self.format.prefix());
        assert!(
            text.starts_with(&body),
            "{text:?} is not {body:?} + checksum"
        );
        assert_eq!(
            text.len(),
            body.len() + CHECKSUM_LEN,
            "{text:?}: checksum length"
        );
        assert_eq!(
            shown,
            format!("{}_{id}_", self.format.prefix()),
            "Debug of a parsed key"
        );
        assert!(
            text.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()),
            "a parsed key has a character outside [0-9A-Za-z_]"
        );
        // Parsing is a pure function of the text.
        let again = self.format.parse(text).expect("parses twice");
        assert_eq!(again.id(), id);
        assert_eq!(again.secret(), parsed.secret());
        // Secret scanners find it whole.
        for scanner in [&self.scanner, &self.format_scanner] {
            let found = scanner
                .find(text)
                .expect("a parsed key matches the scanner regex");
            assert_eq!(
                found.as_str(),
                text,
                "the scanner matches only part of the key"
            );
        }
        // A key of one prefix is never a key of another.
        for other in &self.others {
            assert!(
                other.parse(text).is_err(),
                "{text:?} parses for {}",
                other.prefix()
            );
        }
    }
}
