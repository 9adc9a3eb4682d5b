//! `/metrics` and the layer that counts every request; the figures themselves are
//! [`crate::telemetry::metrics::Metrics`], which the runtime and the cluster client also feed.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::guard::RouteTemplate;
use crate::state::SharedState;

/// Outer layer: counts every request, including ones no route matched.
pub async fn record(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("unmatched", |r| r.0.as_str());
    let elapsed = started.elapsed().as_secs_f64();
    state
        .metrics
        .observe(&method, route, response.status().as_u16(), elapsed);
    response
}

/// Admin only: the figures name routes, plugins and how busy each is, which is no one
/// else's business (and the portal's own IngressRoute makes this path public).
pub async fn endpoint(
    State(state): State<SharedState>,
    caller: crate::auth::Caller,
) -> crate::error::ApiResult<impl IntoResponse> {
    caller.require_admin()?;
    state.metrics.set_replica(
        &state.config.scheduler.replica,
        state.scheduler.is_leading(),
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    ))
}
