//! Serde support: scopes, scope sets and requirements travel as their text
//! form and are validated when deserialised.

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use super::error::ScopeError;
use super::requirement::Requirement;
use super::set::ScopeSet;
use super::token::Scope;

/// Accepts a string and parses it, reporting the parse error through serde.
struct TextVisitor<T> {
    expecting: &'static str,
    target: PhantomData<fn() -> T>,
}

impl<T: FromStr<Err = ScopeError>> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

fn deserialize_text<'de, D, T>(deserializer: D, expecting: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = ScopeError>,
{
    deserializer.deserialize_str(TextVisitor {
        expecting,
        target: PhantomData,
    })
}

macro_rules! text_serde {
    ($type:ty, $expecting:literal) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_text(deserializer, $expecting)
            }
        }
    };
}

text_serde!(Scope, "a scope such as `repo:read`");
text_serde!(ScopeSet, "a space-separated list of scopes");
text_serde!(Requirement, "a scope requirement such as `a AND (b OR c)`");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_strings() {
        let scope = Scope::parse("repo:read").unwrap();
        assert_eq!(serde_json::to_string(&scope).unwrap(), r#""repo:read""#);
        assert_eq!(
            serde_json::from_str::<Scope>(r#""repo:read""#).unwrap(),
            scope
        );

        let set = ScopeSet::parse("b a").unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#""a b""#);
        assert_eq!(serde_json::from_str::<ScopeSet>(r#""a b""#).unwrap(), set);

        let req = Requirement::parse("a AND (b OR c)").unwrap();
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(json, r#""a AND (b OR c)""#);
        assert_eq!(serde_json::from_str::<Requirement>(&json).unwrap(), req);
    }

    #[test]
    fn deserialisation_validates() {
        let e = serde_json::from_str::<Scope>(r#""a::b""#).unwrap_err();
        assert!(
            e.to_string()
                .contains("invalid scope at byte 2: empty segment"),
            "{e}"
        );
        let e = serde_json::from_str::<ScopeSet>(r#""a  b""#).unwrap_err();
        assert!(e.to_string().contains("invalid scope set at byte 2"), "{e}");
        let e = serde_json::from_str::<Requirement>(r#""a OR""#).unwrap_err();
        assert!(e.to_string().contains("expected a scope"), "{e}");
        let e = serde_json::from_str::<Scope>("7").unwrap_err();
        assert!(e.to_string().contains("a scope such as"), "{e}");
    }

    #[test]
    fn accepts_escaped_and_owned_strings() {
        let scope: Scope = serde_json::from_str(r#""repo\u003aread""#).unwrap();
        assert_eq!(scope.as_str(), "repo:read");
        let value = serde_json::json!("a b");
        assert_eq!(serde_json::from_value::<ScopeSet>(value).unwrap().len(), 2);
    }
}
