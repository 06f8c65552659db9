//! Extractors for the verified principal: [`Authenticated`] and
//! [`MaybeAuthenticated`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use credential_core::{Principal, Reason, Rejection};

use crate::auth::{CredentialAuth, Settings};
use crate::rejection::CredentialError;
use crate::request::Checked;

type ExtractFuture<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

credential_core::__extractors! {
    "middleware (or app data)",
    CredentialError,
    /// The verified caller of a handler: extracting it refuses the request
    /// (401 per the rejection table) when there is none.
    ///
    /// Behind [`CredentialAuth`] it takes the principal the middleware found.
    /// Without the middleware, it verifies the request's credential itself
    /// with a `CredentialAuth` registered as app data
    /// (`App::new().app_data(auth)`); with neither, the request fails with 500,
    /// a configuration error.
    ///
    /// It dereferences to [`Principal`], and can refuse the request the way
    /// the middleware does:
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, test, web};
    /// use credential_actix::{Authenticated, CredentialAuth, CredentialError};
    /// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
    /// use credential_core::scope::Requirement;
    /// use std::sync::Arc;
    ///
    /// async fn report(
    ///     who: Authenticated,
    ///     read: web::Data<Requirement>,
    /// ) -> Result<HttpResponse, CredentialError> {
    ///     who.require(&read)?;
    ///     Ok(HttpResponse::Ok().body(format!("reports of {}", who.subject())))
    /// }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let manager = KeyManager::new(
    ///     Arc::new(MemoryKeyStore::new()),
    ///     KeyFormat::new("sk_test")?,
    ///     Peppers::new(Pepper::generate(1)?),
    /// );
    /// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
    /// // No middleware: the extractor verifies with the app data.
    /// let auth = CredentialAuth::new(manager.verifier());
    /// // Parsed once, at start-up.
    /// let read: Requirement = "reports:read".parse()?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .app_data(auth)
    ///         .app_data(web::Data::new(read))
    ///         .route("/reports", web::get().to(report)),
    /// )
    /// .await;
    ///
    /// let request = test::TestRequest::get()
    ///     .uri("/reports")
    ///     .insert_header(("authorization", format!("Bearer {}", key.expose_secret())))
    ///     .to_request();
    /// let response = test::call_service(&app, request).await;
    /// assert_eq!(test::read_body(response).await, "reports of acme");
    ///
    /// let request = test::TestRequest::get().uri("/reports").to_request();
    /// assert_eq!(test::call_service(&app, request).await.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct Authenticated;

    /// The verified caller, if the request presented a credential: for
    /// handlers that serve anonymous callers too. A credential that was
    /// presented but is not valid still refuses the request.
    ///
    /// It finds the principal as [`Authenticated`] does; behind
    /// [`CredentialAuth::optional`] it is `None` for a request without a
    /// credential.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, test, web};
    /// use credential_actix::{CredentialAuth, MaybeAuthenticated};
    /// use credential_core::key::{KeyFormat, KeyManager, MemoryKeyStore, NewKey, Pepper, Peppers};
    /// use std::sync::Arc;
    ///
    /// async fn greet(who: MaybeAuthenticated) -> HttpResponse {
    ///     match who.principal() {
    ///         Some(principal) => HttpResponse::Ok().body(format!("hello {}", principal.subject())),
    ///         None => HttpResponse::Ok().body("hello stranger"),
    ///     }
    /// }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let manager = KeyManager::new(
    ///     Arc::new(MemoryKeyStore::new()),
    ///     KeyFormat::new("sk_test")?,
    ///     Peppers::new(Pepper::generate(1)?),
    /// );
    /// let key = manager.create(NewKey::new("acme", "reports:read".parse()?)).await?.key;
    /// let auth = CredentialAuth::new(manager.verifier()).optional();
    /// let app = test::init_service(
    ///     App::new().wrap(auth).route("/", web::get().to(greet)),
    /// )
    /// .await;
    ///
    /// let anonymous = test::TestRequest::get().uri("/").to_request();
    /// let response = test::call_service(&app, anonymous).await;
    /// assert_eq!(test::read_body(response).await, "hello stranger");
    ///
    /// let known = test::TestRequest::get().uri("/")
    ///     .insert_header(("x-api-key", key.expose_secret())).to_request();
    /// let response = test::call_service(&app, known).await;
    /// assert_eq!(test::read_body(response).await, "hello acme");
    ///
    /// let forged = test::TestRequest::get().uri("/")
    ///     .insert_header(("x-api-key", "sk_test_forged")).to_request();
    /// assert_eq!(test::call_service(&app, forged).await.status(), 400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub struct MaybeAuthenticated;
}

impl FromRequest for Authenticated {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (principal, settings) = principal_of(&req, false).await?;
            match principal {
                Some(principal) => Ok(Self {
                    principal,
                    settings,
                }),
                None => Err(settings.reject(Rejection::new(Reason::Missing)).into()),
            }
        })
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = actix_web::Error;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (principal, settings) = principal_of(&req, true).await?;
            Ok(Self {
                principal,
                settings,
            })
        })
    }
}

/// The principal of a checked request, checking it first with the app
/// data's configuration when no middleware did; `anonymous` lets a request
/// without a credential through with none.
async fn principal_of(
    req: &HttpRequest,
    anonymous: bool,
) -> Result<(Option<Principal>, Arc<Settings>), actix_web::Error> {
    let checked = req.extensions().get::<Checked>().cloned();
    if let Some(Checked(settings)) = checked {
        let principal = req.extensions().get::<Principal>().cloned();
        return Ok((principal, settings));
    }
    let Some(auth) = req.app_data::<CredentialAuth>() else {
        #[cfg(feature = "tracing")]
        tracing::error!(
            "a credential extractor ran with neither CredentialAuth middleware nor app data"
        );
        return Err(actix_web::error::ErrorInternalServerError(
            "no credential configuration",
        ));
    };
    let settings = Arc::clone(auth.shared_settings());
    let outcome = match settings.check(req).await {
        Err(rejection) if anonymous && rejection.reason() == Reason::Missing => Ok(None),
        other => other,
    };
    match outcome {
        Ok(principal) => {
            let mut extensions = req.extensions_mut();
            if let Some(principal) = &principal {
                extensions.insert(principal.clone());
            }
            extensions.insert(Checked(Arc::clone(&settings)));
            Ok((principal, settings))
        }
        Err(rejection) => Err(settings.reject(rejection).into()),
    }
}
