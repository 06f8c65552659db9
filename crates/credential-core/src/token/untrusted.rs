//! A token before and after verification: two types, so that claims are
//! unreachable until the signature and the rules have been checked.

use std::fmt;

use crate::token::claims::Claims;
use crate::token::error::TokenError;
use crate::token::header::Header;
use crate::token::jose::b64;
use crate::token::scan;

/// A compact JWS that has been split and whose header has been parsed, but
/// whose signature has not been checked. Only the header is visible.
///
/// ```
/// use credential_core::token::UntrustedToken;
///
/// let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.e30.c2lnbmF0dXJl";
/// let untrusted = UntrustedToken::parse(token, 8192)?;
/// assert_eq!(untrusted.header().token_type(), Some("at+jwt"));
/// # Ok::<(), credential_core::token::TokenError>(())
/// ```
pub struct UntrustedToken<'a> {
    header: Header,
    signing_input: &'a str,
    payload: &'a str,
    signature: Signature,
}

/// A decoded signature: the common sizes (HS256's 32 bytes, EdDSA's and
/// ES256's 64) inline, larger ones (RSA) on the heap.
enum Signature {
    Inline { bytes: [u8; 64], len: usize },
    Heap(Vec<u8>),
}

impl Signature {
    fn decode(segment: &[u8]) -> Option<Self> {
        let len = b64::decoded_len(segment.len())?;
        let mut bytes = [0u8; 64];
        match bytes.get_mut(..len) {
            Some(out) => b64::decode_exact(segment, out).then_some(Self::Inline { bytes, len }),
            None => b64::decode(segment).map(Self::Heap),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { bytes, len } => bytes.get(..*len).unwrap_or_default(),
            Self::Heap(bytes) => bytes,
        }
    }
}

impl<'a> UntrustedToken<'a> {
    /// Splits and checks the shape of `token`: at most `max_size` bytes,
    /// exactly three base64url segments without padding, a valid header.
    pub fn parse(token: &'a str, max_size: usize) -> Result<Self, TokenError> {
        if token.len() > max_size {
            return Err(TokenError::malformed("token is larger than the size limit"));
        }
        const SHAPE: &str = "token is not three dot-separated segments";
        let dots = scan::dots(token.as_bytes()).ok_or(TokenError::malformed(SHAPE))?;
        if dots.count != 2 {
            return Err(TokenError::malformed(SHAPE));
        }
        let (Some(header), Some(payload), Some(signature)) = (
            token.get(..dots.first),
            token.get(dots.first + 1..dots.last),
            token.get(dots.last + 1..),
        ) else {
            return Err(TokenError::malformed(SHAPE));
        };
        let signing_input = token.get(..dots.last).ok_or(TokenError::malformed(SHAPE))?;
        // Headers are small: decoded on the stack.
        let header = b64::with_decoded::<256, _>(header.as_bytes(), Header::parse)
            .ok_or(TokenError::malformed("header is not base64url"))??;
        // The payload is decoded, strictly, only after the signature over
        // its text verified; scanning it here too would be work done twice.
        if payload.is_empty() {
            return Err(TokenError::malformed("payload is empty"));
        }
        let signature = Signature::decode(signature.as_bytes())
            .ok_or(TokenError::malformed("signature is not base64url"))?;
        Ok(Self {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// The token's header. Nothing in it is trustworthy yet.
    pub fn header(&self) -> &Header {
        &self.header
    }

    pub(crate) fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    pub(crate) fn signature(&self) -> &[u8] {
        self.signature.as_bytes()
    }

    /// Decodes and parses the claims; only after the signature verified.
    pub(crate) fn into_verified(self) -> Result<VerifiedToken, TokenError> {
        let json = b64::decode(self.payload.as_bytes())
            .ok_or(TokenError::malformed("payload is not base64url"))?;
        let claims = Claims::parse(&json)?;
        Ok(VerifiedToken {
            header: self.header,
            claims,
        })
    }
}

/// Only the header: the rest is the bearer credential itself.
impl fmt::Debug for UntrustedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedToken")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// A token whose signature verified under a trusted key and whose claims
/// met the [`Validation`](crate::token::Validation) rules.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    header: Header,
    claims: Claims,
}

impl VerifiedToken {
    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The verified claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The verified claims, by value.
    pub fn into_claims(self) -> Claims {
        self.claims
    }
}
