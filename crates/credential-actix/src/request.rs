//! Reading the presented credential out of an actix-web request, and what
//! a checked request carries in its extensions.

use std::borrow::Cow;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};
use credential_core::Rejection;
use credential_core::extract::CredentialSources;
use smallvec::SmallVec;

use crate::auth::Settings;

/// Header values of one name; a request rarely repeats a header, so two
/// fit without allocating.
type Values<'r> = SmallVec<[&'r [u8]; 2]>;

/// The credential `req` presents, as core's [`CredentialSources`] decide
/// from the raw header values and the query string; `Ok(None)` when none.
pub(crate) fn presented_credential<'r>(
    req: &'r HttpRequest,
    sources: &CredentialSources,
    api_key_header: Option<&HeaderName>,
) -> Result<Option<Cow<'r, str>>, Rejection> {
    let headers = req.headers();
    let authorization: Values<'r> = headers
        .get_all(header::AUTHORIZATION)
        .map(|value| value.as_bytes())
        .collect();
    let api_key: Values<'r> = match api_key_header {
        Some(name) => headers
            .get_all(name)
            .map(|value| value.as_bytes())
            .collect(),
        None => Values::new(),
    };
    let query = sources.query_parameter().map(|_| req.query_string());
    sources.extract(&authorization, &api_key, query)
}

/// Put in the extensions of every request a [`CredentialAuth`] let
/// through, so that extractors know the request was checked, and how to
/// render a refusal, without verifying again.
///
/// [`CredentialAuth`]: crate::CredentialAuth
#[derive(Debug, Clone)]
pub(crate) struct Checked(pub(crate) Arc<Settings>);
