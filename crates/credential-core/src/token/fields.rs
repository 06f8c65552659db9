//! Small serde pieces shared by the header and claims parsers: object
//! member names that borrow when they can, and NumericDate values.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use time::OffsetDateTime;

/// A JSON object member name, borrowed from the input unless it contained
/// escapes.
pub(crate) enum Name<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Name<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Borrowed(name) => name,
            Self::Owned(name) => name,
        }
    }

    pub(crate) fn into_string(self) -> String {
        match self {
            Self::Borrowed(name) => name.to_owned(),
            Self::Owned(name) => name,
        }
    }
}

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name::Borrowed(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name::Owned(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Name::Owned(v))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

/// RFC 7519 NumericDate: seconds since the epoch, an integer or a finite
/// fraction (floored). Anything else — a string, a boolean, a date
/// out of range — is an error, never "absent".
pub(crate) struct NumericDate(pub(crate) OffsetDateTime);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl Visitor<'_> for DateVisitor {
            type Value = NumericDate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a NumericDate")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                OffsetDateTime::from_unix_timestamp(v)
                    .map(NumericDate)
                    .map_err(|_| E::custom("date out of range"))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("date out of range"))
                    .and_then(|v| self.visit_i64(v))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // Every in-range date fits an i64 exactly; the range check
                // below rejects the rest, NaN and infinities included.
                if v.is_finite() && (-1.0e12..1.0e12).contains(&v) {
                    #[allow(clippy::cast_possible_truncation)]
                    self.visit_i64(v.floor() as i64)
                } else {
                    Err(E::custom("date out of range"))
                }
            }
        }

        deserializer.deserialize_any(DateVisitor)
    }
}

/// Maps a serde error from a header or claims parser to a fixed detail:
/// the visitors below report duplicates with a message of their own.
pub(crate) fn detail_of(
    error: &serde_json::Error,
    duplicate: &'static str,
    other: &'static str,
) -> &'static str {
    if error.to_string().starts_with(DUPLICATE) {
        duplicate
    } else {
        other
    }
}

/// Prefix of the error a visitor raises for a repeated member name.
pub(crate) const DUPLICATE: &str = "duplicate member";
