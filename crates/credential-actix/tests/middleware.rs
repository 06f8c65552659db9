// A panic is how a test fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]
//! The middleware's options and the extractors: optional mode, CORS
//! preflight, requirements per route, resource and scope, nesting,
//! credential sources, and extractors with and without the middleware.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, HttpMessage as _, HttpRequest, HttpResponse, test, web};
use common::{Counting, Reply, World, WorldExt, challenge};
use credential_actix::{Authenticated, ConfigError, CredentialAuth, MaybeAuthenticated};
use credential_core::extract::CredentialSources;
use credential_core::scope::Requirement;
use credential_core::{Principal, Reason, Rejection};

async fn call<S, B>(app: &S, request: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    Reply::of(test::call_service(app, request.to_request()).await).await
}

fn get(uri: &str) -> test::TestRequest {
    test::TestRequest::get().uri(uri)
}

fn with_key(request: test::TestRequest, key: &str) -> test::TestRequest {
    request.insert_header(("x-api-key", key))
}

async fn whoami(who: Authenticated) -> HttpResponse {
    HttpResponse::Ok().body(who.subject().to_owned())
}

async fn greet(who: MaybeAuthenticated) -> HttpResponse {
    match who.principal() {
        Some(principal) => HttpResponse::Ok().body(principal.subject().to_owned()),
        None => HttpResponse::Ok().body("anonymous"),
    }
}

#[actix_web::test]
async fn optional_mode_lets_anonymous_requests_through_but_not_bad_credentials() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let auth = world.auth().optional();
    assert!(auth.is_optional());
    let app = test::init_service(
        App::new().service(
            web::scope("")
                .wrap(auth)
                .route("/greet", web::get().to(greet))
                .route("/whoami", web::get().to(whoami)),
        ),
    )
    .await;

    let reply = call(&app, get("/greet")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "anonymous"));
    let reply = call(&app, with_key(get("/greet"), key.key.expose_secret())).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));

    // A credential that is presented must be valid.
    world.manager.revoke(&key.record.id).await.unwrap();
    let reply = call(&app, with_key(get("/greet"), key.key.expose_secret())).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge(r#"error="invalid_token""#).as_str())
    );
    let reply = call(&app, with_key(get("/greet"), "not a key")).await;
    assert_eq!(reply.status, 400, "{reply:?}");

    // A handler that needs a principal refuses the anonymous request with
    // the middleware's realm.
    let reply = call(&app, get("/whoami")).await;
    reply.assert_refusal(
        401,
        Some(&challenge("")),
        None,
        "unauthorized",
        "authentication is required",
    );
}

#[actix_web::test]
async fn optional_mode_still_enforces_the_requirement_on_presented_credentials() {
    let world = World::new().unwrap();
    let writer = world.key("reports:write").await.unwrap();
    let auth = world.auth().optional().require("reports:read").unwrap();
    let app = test::init_service(App::new().route("/", web::get().to(greet).wrap(auth))).await;
    assert_eq!(call(&app, get("/")).await.body, "anonymous");
    let reply = call(&app, with_key(get("/"), writer.key.expose_secret())).await;
    assert_eq!(reply.status, 403, "{reply:?}");
}

#[actix_web::test]
async fn cors_preflight_is_skipped_only_when_asked_and_only_for_preflights() {
    let world = World::new().unwrap();
    let preflight = || {
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/reports")
            .insert_header(("origin", "https://app.example"))
            .insert_header(("access-control-request-method", "GET"))
    };
    let plain_options = || {
        test::TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/reports")
    };
    let handler = |who: MaybeAuthenticated| async move {
        HttpResponse::NoContent()
            .insert_header((
                "x-principal",
                if who.principal().is_some() {
                    "yes"
                } else {
                    "no"
                },
            ))
            .finish()
    };

    let skipping = test::init_service(
        App::new().service(
            web::resource("/reports")
                .wrap(world.auth().skip_preflight())
                .route(web::route().to(handler)),
        ),
    )
    .await;
    let reply = call(&skipping, preflight()).await;
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(reply.header("x-principal"), Some("no"));
    // An OPTIONS request that is not a preflight is checked.
    assert_eq!(call(&skipping, plain_options()).await.status, 401);
    assert_eq!(call(&skipping, get("/reports")).await.status, 401);

    let checking = test::init_service(
        App::new().service(
            web::resource("/reports")
                .wrap(world.auth())
                .route(web::route().to(handler)),
        ),
    )
    .await;
    assert_eq!(call(&checking, preflight()).await.status, 401);
}

#[actix_web::test]
async fn requirements_apply_per_route_resource_and_scope() {
    let world = World::new().unwrap();
    let auth = world.auth();
    let reader = world.key("reports:read").await.unwrap();
    let admin = world.key("reports:read admin").await.unwrap();
    let biller = world.key("reports:read billing:write").await.unwrap();
    let app = test::init_service(
        App::new()
            .route("/open", web::get().to(HttpResponse::Ok))
            .service(
                web::scope("/admin")
                    .wrap(auth.require("admin").unwrap())
                    .route("/a", web::get().to(whoami))
                    .route("/b", web::post().to(whoami)),
            )
            .service(
                web::resource("/reports")
                    .wrap(auth.require("reports:read").unwrap())
                    .route(web::get().to(whoami)),
            )
            .route(
                "/invoices",
                web::get().to(whoami).wrap(
                    auth.require("reports:read AND (billing:write OR admin)")
                        .unwrap(),
                ),
            ),
    )
    .await;

    assert_eq!(call(&app, get("/open")).await.status, 200);
    let status = |reply: Reply| reply.status;
    for (key, admin_ok, invoices_ok) in [
        (&reader, false, false),
        (&admin, true, true),
        (&biller, false, true),
    ] {
        let key = key.key.expose_secret();
        let expected = |ok| if ok { 200 } else { 403 };
        assert_eq!(
            status(call(&app, with_key(get("/admin/a"), key)).await),
            expected(admin_ok)
        );
        let post = with_key(test::TestRequest::post().uri("/admin/b"), key);
        assert_eq!(status(call(&app, post).await), expected(admin_ok));
        assert_eq!(
            status(call(&app, with_key(get("/reports"), key)).await),
            200
        );
        assert_eq!(
            status(call(&app, with_key(get("/invoices"), key)).await),
            expected(invoices_ok)
        );
    }
    // The challenge names scopes that would have sufficed, as core's
    // requirement reports them.
    let invoices: Requirement = "reports:read AND (billing:write OR admin)".parse().unwrap();
    let missing = invoices.missing(&reader.record.scopes).unwrap();
    let reply = call(&app, with_key(get("/invoices"), reader.key.expose_secret())).await;
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge(&format!(r#"error="insufficient_scope", scope="{missing}""#)).as_str())
    );
    assert!(!missing.is_empty());
}

#[actix_web::test]
async fn requirements_are_parsed_when_the_app_is_built() {
    let world = World::new().unwrap();
    let auth = world.auth();
    for bad in ["", "reports:read AND", "(a", "a OR OR b", "bad scope!"] {
        assert!(
            matches!(auth.require(bad), Err(ConfigError::Scope(_))),
            "{bad:?}"
        );
    }
    assert!(matches!(world.auth().realm(""), Err(ConfigError::Realm(_))));
    assert!(matches!(
        world
            .auth()
            .sources(CredentialSources::default().with_api_key_header("bad header")),
        Err(ConfigError::HeaderName)
    ));

    // Requirements added one after another all apply.
    let both = auth.require("a").unwrap().require("b").unwrap();
    assert_eq!(
        both.requirement(),
        Some(&"a AND b".parse::<Requirement>().unwrap())
    );
    assert_eq!(auth.requirement(), None);
    let only_a = world.key("a").await.unwrap();
    let app = test::init_service(App::new().route("/", web::get().to(whoami).wrap(both))).await;
    let reply = call(&app, with_key(get("/"), only_a.key.expose_secret())).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge(r#"error="insufficient_scope", scope="b""#).as_str())
    );
}

#[actix_web::test]
async fn a_nested_middleware_reuses_the_principal_and_checks_its_requirement() {
    let world = World::new().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let auth = CredentialAuth::new(Counting {
        inner: world.verifier(),
        calls: calls.clone(),
    });
    let reader = world.key("reports:read").await.unwrap();
    let writer = world.key("reports:read reports:write").await.unwrap();
    let app = test::init_service(
        App::new().wrap(auth.clone()).service(
            web::resource("/reports")
                .route(web::get().to(whoami))
                .route(
                    web::post()
                        .to(whoami)
                        .wrap(auth.require("reports:write").unwrap()),
                ),
        ),
    )
    .await;
    let post = |key: &str| with_key(test::TestRequest::post().uri("/reports"), key);
    assert_eq!(
        call(&app, post(writer.key.expose_secret())).await.status,
        200
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "verified once");
    let reply = call(&app, post(reader.key.expose_secret())).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        call(&app, with_key(get("/reports"), reader.key.expose_secret()))
            .await
            .status,
        200
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Under an optional outer middleware, an inner one still requires a
    // credential.
    let app = test::init_service(
        App::new().wrap(auth.clone().optional()).service(
            web::resource("/reports")
                .route(web::get().to(greet))
                .route(web::post().to(whoami).wrap(auth.clone())),
        ),
    )
    .await;
    assert_eq!(call(&app, get("/reports")).await.body, "anonymous");
    assert_eq!(
        call(&app, test::TestRequest::post().uri("/reports"))
            .await
            .status,
        401
    );
}

#[actix_web::test]
async fn the_principal_is_in_the_request_extensions() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let token = world.token(&key, None).unwrap();
    let app = test::init_service(App::new().wrap(world.auth()).route(
        "/",
        web::get().to(|req: HttpRequest| async move {
            let extensions = req.extensions();
            let principal = extensions.get::<Principal>().unwrap();
            HttpResponse::Ok().body(format!(
                "{} {} {}",
                principal.subject(),
                principal.kind().as_str(),
                principal.scopes()
            ))
        }),
    ))
    .await;
    assert_eq!(
        call(&app, with_key(get("/"), key.key.expose_secret()))
            .await
            .body,
        "acme api_key reports:read"
    );
    let bearer = get("/").insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(
        call(&app, bearer).await.body,
        "acme access_token reports:read"
    );
}

#[actix_web::test]
async fn credential_sources_are_configurable() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let key = key.key.expose_secret();
    let sources = CredentialSources::default()
        .with_api_key_header("X-Key")
        .with_query_parameter("api_key");
    let app = test::init_service(
        App::new()
            .route(
                "/custom",
                web::get()
                    .to(whoami)
                    .wrap(world.auth().sources(sources).unwrap()),
            )
            .route(
                "/bearer",
                web::get().to(whoami).wrap(
                    world
                        .auth()
                        .sources(CredentialSources::default().without_api_key_header())
                        .unwrap(),
                ),
            )
            .route("/default", web::get().to(whoami).wrap(world.auth())),
    )
    .await;
    let status = |reply: Reply| reply.status;
    let custom = get("/custom").insert_header(("x-key", key));
    assert_eq!(status(call(&app, custom).await), 200);
    assert_eq!(
        status(call(&app, get(&format!("/custom?api_key={key}"))).await),
        200
    );
    // The default header is not read when another is configured.
    assert_eq!(status(call(&app, with_key(get("/custom"), key)).await), 401);
    // Query and header together are two credentials.
    let both = get(&format!("/custom?api_key={key}")).insert_header(("x-key", key));
    assert_eq!(status(call(&app, both).await), 400);
    // The query parameter is read only when enabled.
    assert_eq!(
        status(call(&app, get(&format!("/default?api_key={key}"))).await),
        401
    );
    assert_eq!(status(call(&app, with_key(get("/bearer"), key)).await), 401);
    let bearer = get("/bearer").insert_header(("authorization", format!("Bearer {key}")));
    assert_eq!(status(call(&app, bearer).await), 200);
}

#[actix_web::test]
async fn extractors_verify_with_app_data_when_no_middleware_ran() {
    let world = World::new().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let auth = CredentialAuth::new(Counting {
        inner: world.verifier(),
        calls: calls.clone(),
    })
    .realm("standalone")
    .unwrap();
    let key = world.key("reports:read").await.unwrap();
    let app = test::init_service(
        App::new()
            .app_data(auth)
            .route("/whoami", web::get().to(whoami))
            .route("/greet", web::get().to(greet))
            .route(
                "/both",
                web::get().to(|a: Authenticated, b: MaybeAuthenticated| async move {
                    let same = b.principal().map(Principal::subject) == Some(a.subject());
                    HttpResponse::Ok().body(same.to_string())
                }),
            ),
    )
    .await;
    let reply = call(&app, with_key(get("/whoami"), key.key.expose_secret())).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
    let reply = call(&app, get("/whoami")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="standalone""#)
    );
    assert_eq!(call(&app, get("/greet")).await.body, "anonymous");
    assert_eq!(
        call(&app, with_key(get("/greet"), "not a key"))
            .await
            .status,
        400
    );

    calls.store(0, Ordering::SeqCst);
    let reply = call(&app, with_key(get("/both"), key.key.expose_secret())).await;
    assert_eq!(reply.body, "true");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "two extractors, one verification"
    );
}

#[actix_web::test]
async fn an_extractor_without_any_configuration_is_a_server_error() {
    let app = test::init_service(
        App::new()
            .route("/whoami", web::get().to(whoami))
            .route("/greet", web::get().to(greet)),
    )
    .await;
    assert_eq!(call(&app, get("/whoami")).await.status, 500);
    assert_eq!(call(&app, get("/greet")).await.status, 500);
}

#[actix_web::test]
async fn handlers_refuse_with_the_middlewares_face() {
    let world = World::new().unwrap();
    let key = world.key("reports:read").await.unwrap();
    let admin: Requirement = "admin".parse().unwrap();
    let auth = world.auth();
    let refuser = auth.clone();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(admin))
            .route(
                "/admin",
                web::get()
                    .to(
                        |who: Authenticated, admin: web::Data<Requirement>| async move {
                            who.require(&admin)?;
                            Ok::<_, actix_web::Error>(HttpResponse::Ok().finish())
                        },
                    )
                    .wrap(auth.clone()),
            )
            .route(
                "/limited",
                web::get()
                    .to(move || {
                        let refusal = refuser.reject(Rejection::rate_limited(
                            std::time::Duration::from_millis(1500),
                        ));
                        async move { Err::<HttpResponse, _>(refusal) }
                    })
                    .wrap(auth),
            ),
    )
    .await;
    let reply = call(&app, with_key(get("/admin"), key.key.expose_secret())).await;
    reply.assert_refusal(
        403,
        Some(&challenge(r#"error="insufficient_scope", scope="admin""#)),
        None,
        "insufficient_scope",
        "the credential lacks a required scope",
    );
    let reply = call(&app, with_key(get("/limited"), key.key.expose_secret())).await;
    reply.assert_refusal(429, None, Some("2"), "rate_limited", "too many requests");

    let error = world.auth().reject(Rejection::new(Reason::Expired));
    assert_eq!(error.rejection().reason(), Reason::Expired);
    assert_eq!(error.public_face().status(), 401);
    assert_eq!(error.to_string(), "credential rejected: expired");
}
