//! The demo API's routes on hyper 1 with `CredentialLayer`, apart from the
//! command line so that the tests serve exactly these routes. What each
//! route does is `credential_examples::demo`, shared with the actix-web
//! server.

use std::convert::Infallible;
use std::error::Error;

use bytes::Bytes;
use credential_core::Principal;
use credential_core::key::MemoryKeyStore;
use credential_examples::demo::{ADMIN, Demo, JSON_LIMIT, READ, Reply, WRITE};
use credential_hyper::{CredentialLayer, OAuthRoutes};
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use tower::{Layer, ServiceExt, service_fn};

/// Every response's body.
pub(crate) type Body = UnsyncBoxBody<Bytes, Box<dyn Error + Send + Sync>>;

/// The demo's routes, cloned into every connection.
#[derive(Clone)]
pub(crate) struct Routes {
    demo: Demo,
    oauth: OAuthRoutes<MemoryKeyStore>,
    any: CredentialLayer,
    read: CredentialLayer,
    write: CredentialLayer,
    admin: CredentialLayer,
}

/// What a request asks for.
enum Target<'a> {
    Health,
    Whoami,
    Reports,
    Keys,
    Key(&'a str),
    Roll(&'a str),
    Token,
    Introspect,
    Revoke,
    Jwks,
}

impl Routes {
    /// Every route requirement parsed, the layer over `demo`'s verifier.
    pub(crate) fn new(demo: Demo) -> Result<Self, Box<dyn Error + Send + Sync>> {
        let any = CredentialLayer::from_shared(demo.verifier()).faces(Demo::faces()?);
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

    /// Answers `req`.
    pub(crate) async fn serve(self, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        let path = req.uri().path().to_owned();
        let Some(target) = target(&path) else {
            return Ok(reply(Demo::not_found()));
        };
        let method = req.method().clone();
        let demo = self.demo.clone();
        let answer = match (target, method) {
            (Target::Health, Method::GET) => reply(Demo::health()),
            (Target::Token, _) => boxed(self.oauth.token_service().oneshot(req).await),
            (Target::Introspect, _) => boxed(self.oauth.introspection_service().oneshot(req).await),
            (Target::Revoke, _) => boxed(self.oauth.revocation_service().oneshot(req).await),
            (Target::Jwks, _) => boxed(self.oauth.jwks_service().oneshot(req).await),
            (Target::Whoami, Method::GET) => {
                let handler = service_fn(|req: Request<Incoming>| async move {
                    Ok::<_, Infallible>(match principal(&req) {
                        Some(who) => reply(Demo::whoami(who)),
                        None => unchecked(),
                    })
                });
                boxed(self.any.layer(handler).oneshot(req).await)
            }
            (Target::Reports, Method::GET) => {
                let handler = service_fn(move |req: Request<Incoming>| {
                    let demo = demo.clone();
                    async move {
                        Ok::<_, Infallible>(match principal(&req) {
                            Some(who) => reply(demo.list_reports(who)),
                            None => unchecked(),
                        })
                    }
                });
                boxed(self.read.layer(handler).oneshot(req).await)
            }
            (Target::Reports, Method::POST) => {
                let handler = service_fn(move |req: Request<Incoming>| {
                    let demo = demo.clone();
                    async move {
                        let Some((who, content_type, body)) = read(req).await else {
                            return Ok::<_, Infallible>(unchecked());
                        };
                        Ok(reply(demo.create_report(
                            &who,
                            content_type.as_deref(),
                            &body,
                        )))
                    }
                });
                boxed(self.write.layer(handler).oneshot(req).await)
            }
            (Target::Keys, Method::POST) => {
                let admin = self.admin.clone();
                let handler = service_fn(move |req: Request<Incoming>| {
                    let (demo, admin) = (demo.clone(), admin.clone());
                    async move {
                        let Some((who, content_type, body)) = read(req).await else {
                            return Ok::<_, Infallible>(unchecked());
                        };
                        let answer = match demo
                            .create_key(&who, content_type.as_deref(), &body)
                            .await
                        {
                            Ok(answer) => reply(answer),
                            // Rendered as the layer renders its own refusals.
                            Err(rejection) => admin.reject(rejection).into_response().map(box_body),
                        };
                        Ok(answer)
                    }
                });
                boxed(self.admin.layer(handler).oneshot(req).await)
            }
            (Target::Key(id), Method::DELETE) => {
                let id = id.to_owned();
                let handler = service_fn(move |req: Request<Incoming>| {
                    let (demo, id) = (demo.clone(), id.clone());
                    async move {
                        Ok::<_, Infallible>(match principal(&req) {
                            Some(who) => reply(demo.revoke_key(who, &id).await),
                            None => unchecked(),
                        })
                    }
                });
                boxed(self.admin.layer(handler).oneshot(req).await)
            }
            (Target::Roll(id), Method::POST) => {
                let id = id.to_owned();
                let handler = service_fn(move |req: Request<Incoming>| {
                    let (demo, id) = (demo.clone(), id.clone());
                    async move {
                        let Some((who, content_type, body)) = read(req).await else {
                            return Ok::<_, Infallible>(unchecked());
                        };
                        Ok(reply(
                            demo.roll_key(&who, &id, content_type.as_deref(), &body)
                                .await,
                        ))
                    }
                });
                boxed(self.admin.layer(handler).oneshot(req).await)
            }
            _ => method_not_allowed(),
        };
        Ok(answer)
    }
}

/// The route `path` names, if any.
fn target(path: &str) -> Option<Target<'_>> {
    Some(match path {
        "/health" => Target::Health,
        "/v1/whoami" => Target::Whoami,
        "/v1/reports" => Target::Reports,
        "/v1/keys" => Target::Keys,
        credential_hyper::oauth::TOKEN_PATH => Target::Token,
        credential_hyper::oauth::INTROSPECTION_PATH => Target::Introspect,
        credential_hyper::oauth::REVOCATION_PATH => Target::Revoke,
        credential_hyper::oauth::JWKS_PATH => Target::Jwks,
        _ => {
            let rest = path.strip_prefix("/v1/keys/")?;
            match rest.split_once('/') {
                None if !rest.is_empty() => Target::Key(rest),
                Some((id, "roll")) if !id.is_empty() => Target::Roll(id),
                _ => return None,
            }
        }
    })
}

/// The principal the layer put in `req`.
fn principal(req: &Request<Incoming>) -> Option<&Principal> {
    req.extensions().get::<Principal>()
}

/// The answer when a handler finds no principal: its layer requires a
/// credential, so this would be a routing mistake, which fails closed.
fn unchecked() -> Response<Body> {
    reply(Reply::problem(
        500,
        "server_error",
        "the request was not checked",
    ))
}

/// A request's principal, `Content-Type` and at most one byte more body
/// than [`JSON_LIMIT`], so that the demo refuses anything larger itself;
/// `None` without a principal.
async fn read(req: Request<Incoming>) -> Option<(Principal, Option<Vec<u8>>, Vec<u8>)> {
    let (parts, mut body) = req.into_parts();
    let who = parts.extensions.get::<Principal>().cloned()?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.as_bytes().to_vec());
    let limit = JSON_LIMIT.saturating_add(1);
    let mut read = Vec::new();
    while read.len() < limit {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame.into_data() {
            let room = limit.saturating_sub(read.len());
            read.extend_from_slice(data.get(..room).unwrap_or(&data));
        }
    }
    Some((who, content_type, read))
}

/// The demo's reply as a response.
fn reply(reply: Reply) -> Response<Body> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = reply.body_text();
    let mut response = Response::new(box_body(Full::new(Bytes::from(text))));
    *response.status_mut() = status;
    if reply.body.is_some() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

fn method_not_allowed() -> Response<Body> {
    let mut response = Response::new(box_body(Full::new(Bytes::new())));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// Any body, boxed.
fn box_body<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// A layered handler's answer, boxed.
fn boxed<B>(answer: Result<Response<B>, Infallible>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    match answer {
        Ok(response) => response.map(box_body),
        Err(never) => match never {},
    }
}
