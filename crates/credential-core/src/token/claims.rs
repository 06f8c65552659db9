//! Access-token claims (RFC 9068, on top of RFC 7519).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use time::OffsetDateTime;

use crate::key::Metadata;
use crate::scope::ScopeSet;
use crate::token::error::TokenError;
use crate::token::fields::{DUPLICATE, Name, NumericDate, detail_of};
use crate::token::jose::StrictValue;
use crate::token::plain;

/// The claims of a verified token.
///
/// Only a [`VerifiedToken`](crate::token::VerifiedToken) hands these out,
/// so code that reads claims cannot forget to check the signature.
///
/// Registered claims are typed: an `exp` that is a string is an error,
/// never "no expiry". Duplicate claim names are rejected. Other claims are
/// kept, unvalidated, in [`extra`](Self::extra).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub(crate) iss: Option<String>,
    pub(crate) sub: Option<String>,
    pub(crate) aud: Vec<String>,
    pub(crate) exp: Option<OffsetDateTime>,
    pub(crate) nbf: Option<OffsetDateTime>,
    pub(crate) iat: Option<OffsetDateTime>,
    pub(crate) jti: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) scope: Option<ScopeSet>,
    pub(crate) extra: Metadata,
}

impl Claims {
    /// `iss`: who issued the token.
    pub fn issuer(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// `sub`: whom the token is about.
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_deref()
    }

    /// `aud`: for whom the token is meant (empty when absent).
    pub fn audience(&self) -> &[String] {
        &self.aud
    }

    /// `exp`: when the token stops being valid.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.exp
    }

    /// `nbf`: when the token starts being valid.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.nbf
    }

    /// `iat`: when the token was issued.
    pub fn issued_at(&self) -> Option<OffsetDateTime> {
        self.iat
    }

    /// `jti`: the token's unique id, used for revocation.
    pub fn token_id(&self) -> Option<&str> {
        self.jti.as_deref()
    }

    /// `client_id`: the client the token was issued to (for tokens minted
    /// here, the API key's id).
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// `scope`: the granted scopes (empty when absent).
    pub fn scope(&self) -> &ScopeSet {
        static EMPTY: std::sync::OnceLock<ScopeSet> = std::sync::OnceLock::new();
        self.scope
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(ScopeSet::empty))
    }

    /// Claims other than the registered ones.
    pub fn extra(&self) -> &Metadata {
        &self.extra
    }

    /// Whether a registered claim is present, by its JSON name.
    pub(crate) fn has(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "aud" => !self.aud.is_empty(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "jti" => self.jti.is_some(),
            "client_id" => self.client_id.is_some(),
            "scope" => self.scope.is_some(),
            other => self.extra.contains_key(other),
        }
    }

    /// Parses decoded claims JSON.
    /// Claims with no member set.
    pub(crate) fn empty() -> Self {
        Self {
            iss: None,
            sub: None,
            aud: Vec::new(),
            exp: None,
            nbf: None,
            iat: None,
            jti: None,
            client_id: None,
            scope: None,
            extra: Metadata::new(),
        }
    }

    /// Parses a claims object strictly. Plain claims take a fast reader
    /// that accepts nothing the strict parser would refuse.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, TokenError> {
        match plain::claims(json) {
            Some(claims) => Ok(claims),
            None => Self::parse_strict(json),
        }
    }

    /// The strict parser, for every claims object.
    pub(crate) fn parse_strict(json: &[u8]) -> Result<Self, TokenError> {
        serde_json::from_slice(json).map_err(|e| {
            TokenError::claims(detail_of(
                &e,
                "duplicate claim",
                "claims are not of the registered types",
            ))
        })
    }
}

/// Registered claims a token must carry to be accepted.
pub(crate) const REGISTERED: [&str; 9] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
];

impl Serialize for Claims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(iss) = &self.iss {
            map.serialize_entry("iss", iss)?;
        }
        if let Some(sub) = &self.sub {
            map.serialize_entry("sub", sub)?;
        }
        match self.aud.as_slice() {
            [] => {}
            [one] => map.serialize_entry("aud", one)?,
            many => map.serialize_entry("aud", many)?,
        }
        for (name, date) in [("exp", self.exp), ("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(date) = date {
                map.serialize_entry(name, &date.unix_timestamp())?;
            }
        }
        if let Some(jti) = &self.jti {
            map.serialize_entry("jti", jti)?;
        }
        if let Some(client_id) = &self.client_id {
            map.serialize_entry("client_id", client_id)?;
        }
        if let Some(scope) = &self.scope {
            map.serialize_entry("scope", &scope.to_string())?;
        }
        for (name, value) in &self.extra {
            if !REGISTERED.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(DUPLICATE));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = Claims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
        let mut claims = Claims::empty();
        let mut aud: Option<Vec<String>> = None;
        while let Some(name) = map.next_key::<Name<'de>>()? {
            match name.as_str() {
                "iss" => set_once(&mut claims.iss, map.next_value::<String>()?)?,
                "sub" => set_once(&mut claims.sub, map.next_value::<String>()?)?,
                "jti" => set_once(&mut claims.jti, map.next_value::<String>()?)?,
                "client_id" => set_once(&mut claims.client_id, map.next_value::<String>()?)?,
                "exp" => set_once(&mut claims.exp, map.next_value::<NumericDate>()?.0)?,
                "nbf" => set_once(&mut claims.nbf, map.next_value::<NumericDate>()?.0)?,
                "iat" => set_once(&mut claims.iat, map.next_value::<NumericDate>()?.0)?,
                "aud" => set_once(&mut aud, map.next_value::<Audience>()?.0)?,
                "scope" => {
                    let text = map.next_value::<Name<'de>>()?;
                    let scope = ScopeSet::parse(text.as_str())
                        .map_err(|_| de::Error::custom("invalid scope"))?;
                    set_once(&mut claims.scope, scope)?;
                }
                _ => {
                    let value = map.next_value_seed(StrictValue)?;
                    let name = name.into_string();
                    if claims.extra.contains_key(&name) {
                        return Err(de::Error::custom(DUPLICATE));
                    }
                    claims.extra.insert(name, value);
                }
            }
        }
        if let Some(aud) = aud {
            if aud.is_empty() {
                return Err(de::Error::custom("empty aud"));
            }
            claims.aud = aud;
        }
        Ok(claims)
    }
}

/// `aud`: one string or an array of strings.
struct Audience(Vec<String>);

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;

        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = Audience;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience(vec![v.to_owned()]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<String>()? {
                    // Bounded by the token size limit, but keep it sane.
                    if all.len() >= 64 {
                        return Err(de::Error::custom("too many audiences"));
                    }
                    all.push(one);
                }
                Ok(Audience(all))
            }
        }

        deserializer.deserialize_any(AudienceVisitor)
    }
}
