//! The two middlewares every request passes (the gate, and metrics per route) as plain tower services.
//! `axum::middleware::from_fn` boxes and clones the whole inner service for every request; these clone
//! the inner service the ordinary way, once per request, and the metrics one allocates nothing (its
//! future is written out, not boxed). What that is worth: `docs/architecture.md`, "Hot path".

use super::{
    ServerState,
    gate::{self, Next},
    metrics::method_name,
};
use axum::{
    extract::{MatchedPath, Request},
    response::Response,
};
use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Instant,
};
use tower::{Layer, Service};

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The gate ([`gate::gate`]) around the whole router.
#[derive(Clone)]
pub struct GateLayer(ServerState);

impl GateLayer {
    pub fn new(state: &ServerState) -> Self {
        Self(state.clone())
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = GateService<S>;
    fn layer(&self, inner: S) -> GateService<S> {
        GateService { state: self.0.clone(), inner }
    }
}

#[derive(Clone)]
pub struct GateService<S> {
    state: ServerState,
    inner: S,
}

impl<S> Service<Request> for GateService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        // The service that was polled ready serves this request; a clone takes its place.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move { Ok(gate::gate(state, request, Next::new(inner)).await) })
    }
}

/// Counts and times every request by its route template (never the raw path, which could carry an
/// invitation code). A route layer: it runs after routing, where the template is known.
#[derive(Clone)]
pub struct MetricsLayer(ServerState);

impl MetricsLayer {
    pub fn new(state: &ServerState) -> Self {
        Self(state.clone())
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;
    fn layer(&self, inner: S) -> MetricsService<S> {
        MetricsService { state: self.0.clone(), inner }
    }
}

#[derive(Clone)]
pub struct MetricsService<S> {
    state: ServerState,
    inner: S,
}

impl<S> Service<Request> for MetricsService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Timed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = method_name(request.method());
        Timed { inner: self.inner.call(request), state: self.state.clone(), route, method, started: Instant::now() }
    }
}

pin_project_lite::pin_project! {
    pub struct Timed<F> {
        #[pin]
        inner: F,
        state: ServerState,
        route: Option<MatchedPath>,
        method: &'static str,
        started: Instant,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Timed<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.inner.poll(cx));
        if let Ok(response) = &response {
            let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
            let seconds = this.started.elapsed().as_secs_f64();
            this.state.metrics.request(route, this.method, response.status().as_u16(), seconds);
        }
        Poll::Ready(response)
    }
}
