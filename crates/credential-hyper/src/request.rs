//! Reading the presented credential out of an `http` request, and what a
//! checked request carries in its extensions.

use std::borrow::Cow;
use std::sync::Arc;

use credential_core::Rejection;
use credential_core::extract::CredentialSources;
use http::header::{self, HeaderMap, HeaderName};
use smallvec::SmallVec;

use crate::layer::Settings;

/// Header values of one name; a request rarely repeats a header, so two
/// fit without allocating.
type Values<'r> = SmallVec<[&'r [u8]; 2]>;

/// The credential a request with `headers` and `query` presents, as core's
/// [`CredentialSources`] decide from the raw header values and the query
/// string; `Ok(None)` when none.
pub(crate) fn presented_credential<'r>(
    headers: &'r HeaderMap,
    query: Option<&'r str>,
    sources: &CredentialSources,
    api_key_header: Option<&HeaderName>,
) -> Result<Option<Cow<'r, str>>, Rejection> {
    let authorization: Values<'r> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .map(|value| value.as_bytes())
        .collect();
    let api_key: Values<'r> = match api_key_header {
        Some(name) => headers
            .get_all(name)
            .iter()
            .map(|value| value.as_bytes())
            .collect(),
        None => Values::new(),
    };
    let query = sources.query_parameter().and(query);
    sources.extract(&authorization, &api_key, query)
}

/// Put in the extensions of every request a
/// [`CredentialLayer`](crate::CredentialLayer) let through, so that
/// extractors know the request was checked, and how to render a refusal,
/// without verifying again.
#[derive(Debug, Clone)]
pub(crate) struct Checked(pub(crate) Arc<Settings>);
