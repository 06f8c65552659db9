//! The framework side of the endpoints: the head's values for core's
//! checks, a form body read within core's limit, and core's
//! [`OAuthResponse`](credential_core::oauth::OAuthResponse) copied into an actix-web response.

use std::future::poll_fn;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use credential_core::key::KeyStore;
use credential_core::oauth::{FormHead, MAX_FORM_LEN, OAuthFront};
use futures_core::Stream;
use zeroize::Zeroizing;

pub(super) use crate::rejection::render;

/// A form body, wiped on drop: it may hold a client secret or a token.
pub(super) type FormBody = Zeroizing<Vec<u8>>;

/// Checks the head with core and reads the body; an early refusal is
/// returned as the response to send.
pub(super) async fn read_form<S: KeyStore + ?Sized>(
    front: &OAuthFront<S>,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<(FormHead, FormBody), HttpResponse>, actix_web::Error> {
    let headers = req.headers();
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    let authorization: Vec<&[u8]> = headers
        .get_all(header::AUTHORIZATION)
        .map(|value| value.as_bytes())
        .collect();
    let head = match front.check_head(content_type, &authorization) {
        Ok(head) => head,
        Err(refused) => return Ok(Err(render(refused))),
    };
    match read_limited(payload).await {
        Ok(body) => Ok(Ok((head, body))),
        Err(_) => Ok(Err(render(front.unreadable_body()))),
    }
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
