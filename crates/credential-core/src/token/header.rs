//! The JOSE header of a compact JWS: all that an untrusted token reveals.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

use crate::rejection::Reason;
use crate::token::error::TokenError;
use crate::token::fields::{DUPLICATE, Name, detail_of};
use crate::token::jose::{Algorithm, StrictValue};
use crate::token::plain;
use crate::token::validation::ACCESS_TOKEN_TYPE;

/// A parsed, validated JOSE header.
///
/// Parsing is strict: duplicate member names, an `alg` other than a
/// supported algorithm (so never `none`), and any `crit` member (no
/// extension is understood) are rejected. Other members are ignored, as
/// RFC 7515 §4 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    alg: Algorithm,
    kid: Option<String>,
    typ: Option<Cow<'static, str>>,
}

impl Header {
    pub(crate) fn new(alg: Algorithm, kid: Option<String>, typ: Option<&'static str>) -> Self {
        Self {
            alg,
            kid,
            typ: typ.map(Cow::Borrowed),
        }
    }

    /// The signature algorithm the token claims.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The id of the key the token claims to be signed with.
    pub fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The media type of the token (`at+jwt` for access tokens).
    pub fn token_type(&self) -> Option<&str> {
        self.typ.as_deref()
    }

    /// Parses decoded header JSON.
    pub(crate) fn from_parts(
        alg: Algorithm,
        kid: Option<String>,
        typ: Option<Cow<'static, str>>,
    ) -> Self {
        Self { alg, kid, typ }
    }

    /// Parses a header strictly. Plain headers take a fast reader that
    /// accepts nothing the strict parser would refuse.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, TokenError> {
        match plain::header(json) {
            Some(header) => Ok(header),
            None => Self::parse_strict(json),
        }
    }

    /// The strict parser, for every header.
    pub(crate) fn parse_strict(json: &[u8]) -> Result<Self, TokenError> {
        let raw: RawHeader = serde_json::from_slice(json).map_err(|e| {
            TokenError::malformed(detail_of(
                &e,
                "duplicate header member",
                "header is not a valid JOSE header",
            ))
        })?;
        if raw.crit {
            return Err(TokenError::new(
                Reason::CriticalHeader,
                "crit names an unsupported extension",
            ));
        }
        let alg = raw.alg.ok_or(TokenError::malformed("header has no alg"))?;
        let alg = Algorithm::from_name(alg.as_str()).ok_or(TokenError::new(
            Reason::UnsupportedAlgorithm,
            "alg is not supported",
        ))?;
        // The common type needs no allocation.
        let typ = raw.typ.map(|typ| match typ.as_str() {
            ACCESS_TOKEN_TYPE => Cow::Borrowed(ACCESS_TOKEN_TYPE),
            _ => Cow::Owned(typ.into_string()),
        });
        Ok(Self {
            alg,
            kid: raw.kid,
            typ,
        })
    }

    /// The header as JSON, members in a fixed order.
    pub(crate) fn to_json(&self) -> String {
        let mut header = serde_json::Map::new();
        header.insert("alg".to_owned(), self.alg.as_str().into());
        if let Some(kid) = &self.kid {
            header.insert("kid".to_owned(), kid.as_str().into());
        }
        if let Some(typ) = &self.typ {
            header.insert("typ".to_owned(), typ.as_ref().into());
        }
        serde_json::Value::Object(header).to_string()
    }
}

/// Header members other than `alg`, `kid`, `typ` and `crit` accepted.
const MAX_UNKNOWN_MEMBERS: usize = 16;

struct RawHeader<'de> {
    alg: Option<Name<'de>>,
    kid: Option<String>,
    typ: Option<Name<'de>>,
    crit: bool,
}

impl<'de> Deserialize<'de> for RawHeader<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RawHeaderVisitor)
    }
}

struct RawHeaderVisitor;

fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(DUPLICATE));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for RawHeaderVisitor {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader<'de>, A::Error> {
        let mut header = RawHeader {
            alg: None,
            kid: None,
            typ: None,
            crit: false,
        };
        let mut others: Vec<String> = Vec::new();
        let mut seen_crit = false;
        while let Some(name) = map.next_key::<Name<'de>>()? {
            match name.as_str() {
                "alg" => set_once(&mut header.alg, map.next_value::<Name<'de>>()?)?,
                "kid" => set_once(&mut header.kid, map.next_value::<String>()?)?,
                "typ" => set_once(&mut header.typ, map.next_value::<Name<'de>>()?)?,
                "crit" => {
                    if seen_crit {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                    seen_crit = true;
                    map.next_value_seed(StrictValue)?;
                    header.crit = true;
                }
                other => {
                    // Unknown members are parsed and kept only to catch
                    // duplicates; bound how many, so a header cannot make
                    // that check expensive before any signature is seen.
                    if others.len() >= MAX_UNKNOWN_MEMBERS {
                        return Err(de::Error::custom("too many header members"));
                    }
                    if others.iter().any(|seen| seen == other) {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                    others.push(name.into_string());
                    map.next_value_seed(StrictValue)?;
                }
            }
        }
        Ok(header)
    }
}
