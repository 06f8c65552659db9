#![no_main]
//! `UntrustedToken::parse(s, 8192)` on arbitrary text never panics; a token
//! that parses has exactly three segments, respects the size limit, is
//! refused by a smaller limit, and its header says the same on a re-parse.

#![forbid(unsafe_code)]

use credential_core::token::UntrustedToken;
use credential_core::token::jose::Algorithm;
use libfuzzer_sys::fuzz_target;

const MAX_SIZE: usize = 8192;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let token = match UntrustedToken::parse(text, MAX_SIZE) {
        Ok(token) => token,
        Err(error) => {
            let _ = (error.to_string(), error.reason(), error.detail());
            return;
        }
    };
    assert!(text.len() <= MAX_SIZE);
    assert_eq!(text.split('.').count(), 3, "not three segments");
    let header = token.header();
    assert!(Algorithm::ALL.contains(&header.algorithm()));
    let _ = format!("{token:?}");
    let again = UntrustedToken::parse(text, text.len()).expect("parses at its own length");
    assert_eq!(again.header(), header);
    if !text.is_empty() {
        assert!(
            UntrustedToken::parse(text, text.len() - 1).is_err(),
            "a token longer than the limit parsed"
        );
    }
});
