#![no_main]
//! `KeyFormat::parse` (prefix `sk_live`) on arbitrary text never panics; a
//! key that parses is exactly `sk_live_{id}_{secret}{checksum}`, matches the
//! secret-scanner regexes and is refused by every other prefix; `ApiKey`'s
//! `Debug` never shows more than `prefix_id_`.

#![forbid(unsafe_code)]

use std::sync::LazyLock;

use credential_core::ApiKey;
use credential_fuzz::key_text::KeyText;
use libfuzzer_sys::fuzz_target;

static CHECK: LazyLock<KeyText> = LazyLock::new(|| {
    KeyText::new(
        "sk_live",
        &["sk", "live", "sk_test", "sk_live_x", "rt"],
        "ApiKey",
    )
});

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        CHECK.check(text, &format!("{:?}", ApiKey::new(text)));
    }
});
