//! The service [`CredentialLayer`](crate::CredentialLayer) wraps around the
//! next one, and its future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Either, Full};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::layer::Settings;
use crate::response::{CredentialBody, render};

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
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready answers this request; the
        // clone waits for the next one.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        // Most checks finish here, without waiting: then the request goes
        // to the inner service at once, or is refused, with no boxed
        // future in between. Each arm builds the whole future where it
        // returns it, which saves the request a copy.
        match Settings::admit_now(&self.settings, &mut req) {
            Some(Ok(())) => ResponseFuture {
                state: State::Inner {
                    future: inner.call(req),
                },
            },
            Some(Err(rejection)) => ResponseFuture {
                state: State::Refused {
                    response: Some(render(self.settings.guard.answer(&rejection))),
                },
            },
            None => {
                let settings = Arc::clone(&self.settings);
                let state = State::Waiting {
                    future: Box::pin(async move {
                        match Settings::admit(&settings, &mut req).await {
                            Ok(()) => inner
                                .call(req)
                                .await
                                .map(|response| response.map(Either::Left)),
                            Err(rejection) => {
                                Ok(render(settings.guard.answer(&rejection)).map(Either::Right))
                            }
                        }
                    }),
                };
                ResponseFuture { state }
            }
        }
    }
}

/// A check that had to wait, and then the inner service's response.
type Waiting<B, E> = Pin<Box<dyn Future<Output = Result<Response<CredentialBody<B>>, E>> + Send>>;

pin_project! {
    /// The future of one request through a [`CredentialService`]: the
    /// inner service's response, or the refusal.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        state: State<F, B, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B, E> {
        // Checked at once and let through.
        Inner { #[pin] future: F },
        // Refused at once; `None` once answered.
        Refused { response: Option<Response<Full<Bytes>>> },
        // The check had to wait.
        Waiting { future: Waiting<B, E> },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<CredentialBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => {
                Poll::Ready(ready!(future.poll(cx)).map(|response| response.map(Either::Left)))
            }
            StateProj::Refused { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response.map(Either::Right))),
                // Polled again after completion: a future may panic then,
                // but this one stays pending instead.
                None => Poll::Pending,
            },
            StateProj::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, B, E> fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Inner { .. } => "inner",
            State::Refused { .. } => "refused",
            State::Waiting { .. } => "waiting",
        };
        f.debug_tuple("ResponseFuture").field(&state).finish()
    }
}
