//! The per-worker service [`CredentialAuth`](super::CredentialAuth) builds.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::HttpMessage as _;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, forward_ready};

use super::Settings;
use crate::rejection::render;
use crate::request::Checked;

/// The future of one checked request.
type CheckFuture<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>>>>;

/// The service that [`CredentialAuth`](super::CredentialAuth) wraps around
/// the next one; not used directly.
pub struct CredentialAuthMiddleware<S> {
    service: Rc<S>,
    settings: Arc<Settings>,
}

impl<S> CredentialAuthMiddleware<S> {
    pub(super) fn new(service: Rc<S>, settings: Arc<Settings>) -> Self {
        Self { service, settings }
    }
}

impl<S> fmt::Debug for CredentialAuthMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialAuthMiddleware")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for CredentialAuthMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = CheckFuture<B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let outcome = if settings.lets_through(req.request()) {
                Ok(None)
            } else {
                let check = settings.check(req.request());
                #[cfg(feature = "tracing")]
                let check = tracing::Instrument::instrument(
                    check,
                    tracing::debug_span!(
                        "credential_check",
                        method = %req.method(),
                        path = req.path()
                    ),
                );
                check.await
            };
            match outcome {
                Ok(principal) => {
                    {
                        let mut extensions = req.extensions_mut();
                        if let Some(principal) = principal {
                            extensions.insert(principal);
                        }
                        extensions.insert(Checked(Arc::clone(&settings)));
                    }
                    let response = service.call(req).await?;
                    Ok(response.map_into_left_body())
                }
                Err(rejection) => {
                    let response = render(settings.guard.answer(&rejection));
                    Ok(req.into_response(response).map_into_right_body())
                }
            }
        })
    }
}
