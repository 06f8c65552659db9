//! The service [`CredentialLayer`](crate::CredentialLayer) wraps around the
//! next one.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Either;
use tower_service::Service;

use crate::layer::Settings;
use crate::response::{CredentialBody, render};

/// The future of one checked request.
type CheckFuture<B, E> =
    Pin<Box<dyn Future<Output = Result<Response<CredentialBody<B>>, E>> + Send>>;

/// The service that [`CredentialLayer`](crate::CredentialLayer) wraps
/// around the next one; not used directly.
#[derive(Clone)]
pub struct CredentialService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> CredentialService<S> {
    pub(crate) fn new(inner: S, settings: Arc<Settings>) -> Self {
        Self { inner, settings }
    }
}

impl<S> fmt::Debug for CredentialService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CredentialService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
{
    type Response = Response<CredentialBody<ResBody>>;
    type Error = S::Error;
    type Future = CheckFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready answers this request; the
        // clone waits for the next one.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            match Settings::admit(&settings, &mut parts).await {
                Ok(()) => {
                    let response = inner.call(Request::from_parts(parts, body)).await?;
                    Ok(response.map(Either::Left))
                }
                Err(rejection) => Ok(render(settings.guard.answer(&rejection)).map(Either::Right)),
            }
        })
    }
}
