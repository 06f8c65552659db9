//! Core's answers as `http` responses.

use bytes::Bytes;
use credential_core::render::Answer;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::{Either, Full};

/// The body of a response that went through a
/// [`CredentialService`](crate::CredentialService): the inner service's,
/// or a refusal's.
pub type CredentialBody<B> = Either<B, Full<Bytes>>;

/// Core's answer (a refusal, or an OAuth endpoint's response) as an
/// `http` response: the status, the headers in order, the body. Core's
/// header names and values are valid ones; one that were not would be
/// left out rather than sent broken.
pub(crate) fn render(answer: Answer) -> Response<Full<Bytes>> {
    let (status, headers, body) = answer.into_parts();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::try_from(value),
        ) {
            map.append(name, value);
        }
    }
    response
}
