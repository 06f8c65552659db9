//! The demo API's routes on hyper 1 with `CredentialLayer`, apart from the
//! command line so that the tests serve exactly these routes. What each
//! route does is `credential_examples::demo`, shared with the actix-web
//! server.

use std::convert::Infallible;
use std::error::Error;

use bytes::Bytes;
use credential_core::Principal;
use credential_examples::demo::{ADMIN, Demo, JSON_LIMIT, READ, Reply, WRITE};
use credential_hyper::{CredentialLayer, OAuthRoutes};
use credential_redb::RedbStore;
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
    oauth: OAuthRoutes<RedbStore>,
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
        if path == "/v1/keys" || path.starts_with("/v1/keys/") {
            let routes = self.clone();
            let handler = service_fn(move |req: Request<Incoming>| {
                let routes = routes.clone();
                async move { Ok::<_, Infallible>(routes.keys(req).await) }
            });
            return Ok(boxed(self.admin.layer(handler).oneshot(req).await));
        }
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
                        let (who, content_type, body) = match read(req).await {
                            Ok(read) => read,
                            Err(refused) => return Ok::<_, Infallible>(refused),
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
            (target, _) => method_not_allowed(target),
        };
        Ok(answer)
    }

    /// The `/v1/keys` routes, behind the `keys:admin` layer as a whole:
    /// the credential is checked before the route is, as for a scope of
    /// routes.
    async fn keys(self, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_owned();
        let method = req.method().clone();
        let Some(target) = target(&path) else {
            return reply(Demo::not_found());
        };
        match (target, method) {
            (Target::Keys, Method::POST) => {
                let (who, content_type, body) = match read(req).await {
                    Ok(read) => read,
                    Err(refused) => return refused,
                };
                match self
                    .demo
                    .create_key(&who, content_type.as_deref(), &body)
                    .await
                {
                    Ok(answer) => reply(answer),
                    // Rendered as the layer renders its own refusals.
                    Err(rejection) => self.admin.reject(rejection).into_response().map(box_body),
                }
            }
            (Target::Key(id), Method::DELETE) => match principal(&req) {
                Some(who) => reply(self.demo.revoke_key(who, id).await),
                None => unchecked(),
            },
            (Target::Roll(id), Method::POST) => {
                let id = id.to_owned();
                let (who, content_type, body) = match read(req).await {
                    Ok(read) => read,
                    Err(refused) => return refused,
                };
                reply(
                    self.demo
                        .roll_key(&who, &id, content_type.as_deref(), &body)
                        .await,
                )
            }
            // As actix-web's scope of routes: no route, whatever the path.
            _ => reply(Demo::not_found()),
        }
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
/// otherwise the answer to send (no principal, or a broken body).
async fn read(
    req: Request<Incoming>,
) -> Result<(Principal, Option<Vec<u8>>, Vec<u8>), Response<Body>> {
    let (parts, mut body) = req.into_parts();
    let who = parts
        .extensions
        .get::<Principal>()
        .cloned()
        .ok_or_else(unchecked)?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|value| value.as_bytes().to_vec());
    let limit = JSON_LIMIT.saturating_add(1);
    let mut read = Vec::new();
    while read.len() < limit {
        let Some(frame) = body.frame().await else {
            break;
        };
        let Ok(frame) = frame else {
            return Err(reply(Demo::unreadable_body()));
        };
        if let Ok(data) = frame.into_data() {
            let room = limit.saturating_sub(read.len());
            read.extend_from_slice(data.get(..room).unwrap_or(&data));
        }
    }
    Ok((who, content_type, read))
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

/// 405, with the methods `target` takes.
fn method_not_allowed(target: Target<'_>) -> Response<Body> {
    let allow = match target {
        Target::Reports => "GET, POST",
        Target::Health | Target::Whoami | Target::Jwks => "GET",
        Target::Key(_) => "DELETE",
        Target::Keys | Target::Roll(_) | Target::Token | Target::Introspect | Target::Revoke => {
            "POST"
        }
    };
    let mut response = Response::new(box_body(Full::new(Bytes::new())));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
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
