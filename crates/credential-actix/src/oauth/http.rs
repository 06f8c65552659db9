//! The framework side of the endpoints: reading a form body within core's
//! limit, the `Authorization` header as core takes it, and copying core's
//! [`OAuthResponse`] into an actix-web response.

use std::borrow::Cow;
use std::future::poll_fn;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use credential_core::oauth::{
    MAX_FORM_LEN, OAuthError, OAuthErrorCode, OAuthResponse, require_form_content_type,
};
use futures_core::Stream;
use zeroize::Zeroizing;

use crate::rejection::http_response;

/// A form body, wiped on drop: it may hold a client secret or a token.
pub(super) type FormBody = Zeroizing<Vec<u8>>;

/// What a handler gets from a request before any endpoint logic runs.
pub(super) struct FormRequest {
    pub(super) body: FormBody,
    pub(super) authorization: Option<String>,
}

/// Checks the content type, reads the body and takes the `Authorization`
/// header; an early refusal is returned as the response to send.
pub(super) async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    realm: &str,
) -> Result<Result<FormRequest, HttpResponse>, actix_web::Error> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    if let Err(error) = require_form_content_type(content_type) {
        return Ok(Err(render(error.to_response(realm))));
    }
    let authorization = match authorization(req.headers()) {
        Ok(authorization) => authorization.map(Cow::into_owned),
        Err(error) => return Ok(Err(render(error.to_response(realm)))),
    };
    let body = read_limited(payload).await?;
    Ok(Ok(FormRequest {
        body,
        authorization,
    }))
}

/// The `Authorization` header as text. Bytes that are not visible ASCII
/// are replaced rather than dropped, so core still sees a header was sent
/// and refuses it as malformed client credentials; a repeated header is a
/// malformed request.
fn authorization(headers: &HeaderMap) -> Result<Option<Cow<'_, str>>, OAuthError> {
    let mut values = headers.get_all(header::AUTHORIZATION);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OAuthError::new(OAuthErrorCode::InvalidRequest));
    }
    Ok(Some(String::from_utf8_lossy(first.as_bytes())))
}

/// Reads at most one byte more than core's limit, so that an oversized
/// body costs no more memory than that and core's parser refuses it with
/// its own `invalid_request` answer.
async fn read_limited(mut payload: web::Payload) -> Result<FormBody, actix_web::Error> {
    let limit = MAX_FORM_LEN.saturating_add(1);
    // Allocated once at full size: growing would leave unwiped copies.
    let mut body = Zeroizing::new(Vec::with_capacity(limit));
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let chunk = chunk?;
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// Copies core's response: status, headers in order, body.
pub(super) fn render(response: OAuthResponse) -> HttpResponse {
    let (status, headers) = (response.status(), response.headers().to_vec());
    http_response(status, &headers, response.into_body())
}
