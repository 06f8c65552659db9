//! A minimal JSON object writer for the endpoint responses.
//!
//! Written by hand rather than through `serde_json` so that the key order is
//! fixed (both adapters send the same bytes whatever features the build
//! unifies) and so that rendering a response cannot fail.

use std::fmt::Write as _;

/// A JSON object under construction; keys are written in call order.
pub(crate) struct JsonObject {
    out: String,
    empty: bool,
}

impl JsonObject {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_string(&mut self.out, key);
        self.out.push(':');
    }

    pub(crate) fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        push_string(&mut self.out, value);
    }

    pub(crate) fn optional_string(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.string(key, value);
        }
    }

    pub(crate) fn number(&mut self, key: &str, value: u64) {
        self.key(key);
        // Writing to a `String` cannot fail.
        let _ = write!(self.out, "{value}");
    }

    pub(crate) fn optional_number(&mut self, key: &str, value: Option<u64>) {
        if let Some(value) = value {
            self.number(key, value);
        }
    }

    pub(crate) fn boolean(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
    }

    pub(crate) fn strings(&mut self, key: &str, values: &[String]) {
        self.key(key);
        self.out.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_string(&mut self.out, value);
        }
        self.out.push(']');
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Appends `text` as a JSON string (RFC 8259 §7): quotes, backslashes and
/// control characters are escaped, everything else is copied as UTF-8.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn writes_keys_in_call_order() {
        let mut obj = JsonObject::new();
        obj.string("b", "x");
        obj.number("a", 7);
        obj.boolean("c", false);
        obj.optional_string("skipped", None);
        obj.strings("d", &["p".to_owned(), "q".to_owned()]);
        assert_eq!(obj.finish(), r#"{"b":"x","a":7,"c":false,"d":["p","q"]}"#);
    }

    #[test]
    fn empty_object() {
        assert_eq!(JsonObject::new().finish(), "{}");
    }

    #[test]
    fn escapes_control_characters_quotes_and_backslashes() {
        let mut obj = JsonObject::new();
        obj.string("k", "a\"b\\c\nd\u{1}e\u{7f}é");
        assert_eq!(
            obj.finish(),
            r#"{"k":"a\"b\\c\nd\u0001e"#.to_owned() + "\u{7f}é\"}"
        );
    }

    proptest! {
        #[test]
        fn any_string_round_trips_through_serde_json(text in any::<String>()) {
            let mut obj = JsonObject::new();
            obj.string("k", &text);
            let json = obj.finish();
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(parsed["k"].as_str(), Some(text.as_str()));
        }
    }
}
