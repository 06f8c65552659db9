#![no_main]
//! `KeyFormat::parse` with the refresh-token prefix `rt` on arbitrary text
//! never panics; a token that parses is exactly `rt_{id}_{secret}{checksum}`,
//! matches the secret-scanner regexes and is refused by every other prefix;
//! `RefreshToken`'s `Debug` never shows more than `rt_id_`.

#![forbid(unsafe_code)]

use std::sync::LazyLock;

use credential_core::key::{
    CHECKSUM_LEN, ID_LEN, KeyFormat, KeyParseError, MAX_KEY_LEN, SCANNER_REGEX, SECRET_LEN,
};
use credential_core::{KeyId, RefreshToken};
use libfuzzer_sys::fuzz_target;
use regex::Regex;

struct Fixture {
    format: KeyFormat,
    others: Vec<KeyFormat>,
    scanner: Regex,
    format_scanner: Regex,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let format = KeyFormat::new("rt").expect("a valid prefix");
    let format_scanner = Regex::new(&format.scanner_regex()).expect("a valid regex");
    Fixture {
        others: ["sk_live", "r", "t", "rt_x", "xrt"]
            .iter()
            .map(|prefix| KeyFormat::new(prefix).expect("a valid prefix"))
            .collect(),
        scanner: Regex::new(SCANNER_REGEX).expect("a valid regex"),
        format_scanner,
        format,
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = &*FIXTURE;
    // Any text may be offered as a prefix; it must never panic.
    if let Ok(format) = KeyFormat::new(text) {
        let _ = format.scanner_regex();
        let _ = format.parse(text);
    }
    // `Debug` shows at most the public `prefix_id_` part, never the secret.
    let debug = format!("{:?}", RefreshToken::new(text));
    let shown = debug
        .strip_prefix("RefreshToken(\"")
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
    let parsed = match fixture.format.parse(text) {
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
    let body = format!("rt_{id}_{secret}");
    assert!(
        text.starts_with(&body),
        "{text:?} is not {body:?} + checksum"
    );
    assert_eq!(
        text.len(),
        body.len() + CHECKSUM_LEN,
        "{text:?}: checksum length"
    );
    assert!(text.contains(id.as_str()));
    assert_eq!(
        shown,
        format!("{}_{id}_", fixture.format.prefix()),
        "Debug of a parsed key"
    );
    assert!(
        text.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()),
        "a parsed key has a character outside [0-9A-Za-z_]"
    );
    // Parsing is a pure function of the text.
    let again = fixture.format.parse(text).expect("parses twice");
    assert_eq!(again.id(), id);
    assert_eq!(again.secret(), parsed.secret());
    // Secret scanners find it whole.
    for scanner in [&fixture.scanner, &fixture.format_scanner] {
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
    for other in &fixture.others {
        assert!(
            other.parse(text).is_err(),
            "{text:?} parses for {}",
            other.prefix()
        );
    }
});
