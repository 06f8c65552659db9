//! The demo API's routes on actix-web, apart from the command line so that
//! the tests serve exactly these routes. What each route does is
//! `credential_examples::demo`, shared with the hyper server.

use std::error::Error;
use std::future::poll_fn;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use credential_actix::{Authenticated, CredentialAuth, OAuthRoutes};
use credential_examples::demo::{ADMIN, Demo, JSON_LIMIT, READ, Reply, WRITE};
use credential_redb::RedbStore;
use futures_core::Stream;

/// The demo's routes, shared by every worker.
#[derive(Clone)]
pub(crate) struct Routes {
    demo: Demo,
    oauth: OAuthRoutes<RedbStore>,
    any: CredentialAuth,
    read: CredentialAuth,
    write: CredentialAuth,
    admin: CredentialAuth,
}

impl Routes {
    /// Every route requirement parsed, the middleware over `demo`'s
    /// verifier.
    pub(crate) fn new(demo: Demo) -> Result<Self, Box<dyn Error + Send + Sync>> {
        let any = CredentialAuth::from_shared(demo.verifier()).faces(Demo::faces()?);
        let oauth = OAuthRoutes::new(demo.oauth()).accept_callers(&any);
        Ok(Self {
            read: any.require(READ)?,
            write: any.require(WRITE)?,
            admin: any.require(ADMIN)?,
            any,
            oauth,
            demo,
        })
    }

    /// Every route of the demo.
    pub(crate) fn configure(&self, config: &mut web::ServiceConfig) {
        config
            .app_data(web::Data::new(self.demo.clone()))
            .route("/health", web::get().to(|| async { reply(Demo::health()) }))
            .configure(|config| self.oauth.configure(config))
            .route(
                "/v1/whoami",
                web::get()
                    .to(|who: Authenticated| async move { reply(Demo::whoami(&who)) })
                    .wrap(self.any.clone()),
            )
            .service(
                web::resource("/v1/reports")
                    .route(web::get().to(list_reports).wrap(self.read.clone()))
                    .route(web::post().to(create_report).wrap(self.write.clone())),
            )
            .service(
                web::scope("/v1/keys")
                    .wrap(self.admin.clone())
                    .route("", web::post().to(create_key))
                    .route("/{id}", web::delete().to(revoke_key))
                    .route("/{id}/roll", web::post().to(roll_key)),
            )
            .default_service(web::to(|| async { reply(Demo::not_found()) }));
    }
}

/// The demo's reply as an actix-web response.
fn reply(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match &reply.body {
        Some(_) => HttpResponse::build(status)
            .insert_header(ContentType::json())
            .body(reply.body_text()),
        None => HttpResponse::build(status).finish(),
    }
}

/// A request's `Content-Type` and at most one byte more body than
/// [`JSON_LIMIT`], so that the demo refuses anything larger itself; the
/// demo's answer when the body cannot be read.
async fn body_of(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<(Option<Vec<u8>>, Vec<u8>), HttpResponse> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|value| value.as_bytes().to_vec());
    let limit = JSON_LIMIT.saturating_add(1);
    let mut body = Vec::new();
    while let Some(chunk) = poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        let Ok(chunk) = chunk else {
            return Err(reply(Demo::unreadable_body()));
        };
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room).unwrap_or(&chunk));
        if body.len() >= limit {
            break;
        }
    }
    Ok((content_type, body))
}

async fn list_reports(who: Authenticated, demo: web::Data<Demo>) -> HttpResponse {
    reply(demo.list_reports(&who))
}

async fn create_report(
    who: Authenticated,
    demo: web::Data<Demo>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (content_type, body) = match body_of(&req, payload).await {
        Ok(read) => read,
        Err(refused) => return Ok(refused),
    };
    Ok(reply(demo.create_report(
        &who,
        content_type.as_deref(),
        &body,
    )))
}

async fn create_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (content_type, body) = match body_of(&req, payload).await {
        Ok(read) => read,
        Err(refused) => return Ok(refused),
    };
    match demo.create_key(&who, content_type.as_deref(), &body).await {
        Ok(answer) => Ok(reply(answer)),
        // Rendered as the middleware renders its own refusals.
        Err(rejection) => Err(who.reject(rejection).into()),
    }
}

async fn revoke_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    id: web::Path<String>,
) -> HttpResponse {
    reply(demo.revoke_key(&who, &id).await)
}

async fn roll_key(
    who: Authenticated,
    demo: web::Data<Demo>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (content_type, body) = match body_of(&req, payload).await {
        Ok(read) => read,
        Err(refused) => return Ok(refused),
    };
    Ok(reply(
        demo.roll_key(&who, &id, content_type.as_deref(), &body)
            .await,
    ))
}
