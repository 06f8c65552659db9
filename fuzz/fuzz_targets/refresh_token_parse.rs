#![no_main]
//! `KeyFormat::parse` with the refresh-token prefix `rt` on arbitrary text
//! never panics; a token that parses is exactly `rt_{id}_{secret}{checksum}`,
//! matches the secret-scanner regexes and is refused by every other prefix;
//! `RefreshToken`'s `Debug` never shows more than `rt_id_`.

#![forbid(unsafe_code)]

use std::sync::LazyLock;

use credential_core::RefreshToken;
use credential_fuzz::key_text::KeyText;
use libfuzzer_sys::fuzz_target;

static CHECK: LazyLock<KeyText> =
    LazyLock::new(|| KeyText::new("rt", &["sk_live", "r", "t", "rt_x", "xrt"], "RefreshToken"));

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        CHECK.check(text, &format!("{:?}", RefreshToken::new(text)));
    }
});
