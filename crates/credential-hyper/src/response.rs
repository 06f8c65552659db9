//! Core's answers as `http` responses.

use bytes::Bytes;
use credential_core::render::Answer;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::{Either, Full};

/// The body of a response that went through a
/// [`CredentialService`](crate::CredentialService): the inner service's,
/// or a refusal's.
pub type CredentialBody<B> = Either<B, Full<Bytes>>;

/// An `http` response with `status`, `headers` in order, and `body`: how
/// core's answers (refusals, OAuth responses) are sent. Core's header
/// names and values are valid ones; one that were not would be left out
/// rather than sent broken.
pub(crate) fn http_response(
    status: u16,
    headers: &[(&'static str, String)],
    body: String,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    response
}

/// Core's answer to a refusal as an `http` response.
pub(crate) fn respond(answer: Answer) -> Response<Full<Bytes>> {
    let (status, headers) = (answer.status(), answer.headers().to_vec());
    http_response(status, &headers, answer.into_body())
}
