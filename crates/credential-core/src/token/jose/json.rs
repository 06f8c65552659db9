//! Strict JSON: duplicate member names are an error at every depth, and
//! nesting is capped.
//!
//! `serde_json` keeps the last of two members with the same name; another
//! parser may keep the first. A signed document whose meaning depends on
//! the parser is ambiguous, so RFC 7515 §5.2 lets us reject it, and we do.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::JoseError;

/// Deepest nesting of objects and arrays accepted, counted from the value
/// being parsed (a flat object is depth 1).
pub const MAX_DEPTH: usize = 32;

/// Longest member name kept in [`JoseError::DuplicateMember`].
const MAX_REPORTED_NAME: usize = 64;

/// Deserializes any JSON value, rejecting duplicate object members at every
/// depth and nesting deeper than [`MAX_DEPTH`] below the value.
///
/// Use it as a seed where a document holds values of unknown shape:
/// `map.next_value_seed(StrictValue)?` yields a `serde_json::Value`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Strict {
            depth_left: MAX_DEPTH,
            report: None,
        }
        .deserialize(deserializer)
    }
}

/// Parses a whole JSON document that must be an object, rejecting duplicate
/// members at every depth, nesting past [`MAX_DEPTH`] and trailing data.
///
/// The caller bounds the input size.
pub(crate) fn parse_object(json: &[u8]) -> Result<Map<String, Value>, JoseError> {
    let report = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let parsed = Strict {
        depth_left: MAX_DEPTH,
        report: Some(&report),
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, report.take()) {
        (_, Some(violation)) => Err(violation),
        (Ok(Value::Object(map)), None) => Ok(map),
        (Ok(_), None) => Err(JoseError::NotAnObject),
        (Err(_), None) => Err(JoseError::InvalidJson),
    }
}

/// The seed behind [`StrictValue`]: how much nesting is left, and where to
/// record why parsing stopped, since a `serde_json::Error` built from a
/// custom message cannot be told apart from a syntax error afterwards.
#[derive(Clone, Copy)]
struct Strict<'r> {
    depth_left: usize,
    report: Option<&'r Cell<Option<JoseError>>>,
}

impl Strict<'_> {
    fn fail<E: de::Error>(self, violation: JoseError) -> E {
        let message = violation.to_string();
        if let Some(report) = self.report {
            report.set(Some(violation));
        }
        E::custom(message)
    }

    /// The seed for a value one level further in, or an error if `self`
    /// is already at the limit.
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(Self { depth_left, ..self }),
            None => Err(self.fail(JoseError::TooDeep)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // JSON cannot spell a non-finite number, so this is never `Null`.
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(self.fail(JoseError::DuplicateMember(shortened(name))));
            }
            let value = map.next_value_seed(inner)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

/// `name` cut to [`MAX_REPORTED_NAME`] characters, so an error message
/// stays short whatever the input.
fn shortened(mut name: String) -> String {
    if let Some((cut, _)) = name.char_indices().nth(MAX_REPORTED_NAME) {
        name.truncate(cut);
        name.push('…');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn parses_an_object() {
        let map = parse_object(br#" {"a": [1, -2, 3.5, "x", null, true, {"b": {}}]} "#).unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::json!({"a": [1, -2, 3.5, "x", null, true, {"b": {}}]})
        );
    }

    #[test]
    fn rejects_duplicates_at_the_top() {
        assert_eq!(
            parse_object(br#"{"alg":"HS256","alg":"none"}"#),
            Err(JoseError::DuplicateMember("alg".into()))
        );
    }

    #[test]
    fn rejects_duplicates_at_depth() {
        assert_eq!(
            parse_object(br#"{"a":{"b":[{"c":1,"c":2}]}}"#),
            Err(JoseError::DuplicateMember("c".into()))
        );
    }

    #[test]
    fn rejects_duplicates_spelled_with_escapes() {
        assert_eq!(
            parse_object(br#"{"kid":1,"\u006bid":2}"#),
            Err(JoseError::DuplicateMember("kid".into()))
        );
    }

    #[test]
    fn same_name_in_sibling_objects_is_fine() {
        assert!(parse_object(br#"{"a":{"x":1},"b":{"x":1}}"#).is_ok());
    }

    #[test]
    fn long_duplicate_names_are_shortened() {
        let name = "n".repeat(500);
        let json = format!(r#"{{"{name}":1,"{name}":2}}"#);
        let Err(JoseError::DuplicateMember(reported)) = parse_object(json.as_bytes()) else {
            panic!("expected a duplicate member error");
        };
        assert_eq!(reported.chars().count(), MAX_REPORTED_NAME + 1);
    }

    #[test]
    fn caps_depth() {
        // The top-level object is depth 1.
        let ok = format!(r#"{{"a":{}}}"#, nested(MAX_DEPTH - 1));
        assert!(parse_object(ok.as_bytes()).is_ok());
        let deep = format!(r#"{{"a":{}}}"#, nested(MAX_DEPTH));
        assert_eq!(parse_object(deep.as_bytes()), Err(JoseError::TooDeep));
        let very_deep = format!(r#"{{"a":{}}}"#, nested(100_000));
        assert_eq!(parse_object(very_deep.as_bytes()), Err(JoseError::TooDeep));
    }

    #[test]
    fn requires_an_object() {
        for json in [&b"[]"[..], b"1", b"\"s\"", b"null"] {
            assert_eq!(parse_object(json), Err(JoseError::NotAnObject), "{json:?}");
        }
    }

    #[test]
    fn rejects_malformed_json() {
        for json in [
            &b""[..],
            b"{",
            b"{}{}",
            b"{} x",
            b"{'a':1}",
            b"{\"a\":1,}",
            b"{\"a\":\xff}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":NaN}",
        ] {
            assert_eq!(parse_object(json), Err(JoseError::InvalidJson), "{json:?}");
        }
    }

    #[test]
    fn strict_value_works_as_a_seed() {
        let mut de = serde_json::Deserializer::from_str(r#"{"x":[{"y":1}]}"#);
        let value = StrictValue.deserialize(&mut de).unwrap();
        assert_eq!(value, serde_json::json!({"x":[{"y":1}]}));

        let mut de = serde_json::Deserializer::from_str(r#"{"x":[{"y":1,"y":1}]}"#);
        let err = StrictValue.deserialize(&mut de).unwrap_err();
        assert!(err.to_string().contains("duplicate JSON member"), "{err}");

        let deep = nested(MAX_DEPTH + 1);
        let mut de = serde_json::Deserializer::from_str(&deep);
        assert!(StrictValue.deserialize(&mut de).is_err());
        let deep = nested(MAX_DEPTH);
        let mut de = serde_json::Deserializer::from_str(&deep);
        assert!(StrictValue.deserialize(&mut de).is_ok());
    }
}
