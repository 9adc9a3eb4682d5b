//! Who may talk to `/mcp`: an agent's token or the admin token, checked before the MCP
//! transport reads a byte. A friend's portal session (or an unopened link) is refused: the
//! portal is their interface, and MCP's tools are the agents' side of the API.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::server::guard::RouteTemplate;
use crate::state::SharedState;

pub async fn gate(State(state): State<SharedState>, mut request: Request, next: Next) -> Response {
    let mut response = match auth::resolve(&state, request.headers()).await {
        Ok(Some(Caller::Friend { .. })) => ApiError::forbidden(
            "a friend's portal session cannot use /mcp: it is for agents and the operator; \
             friends use the portal page",
        )
        .into_response(),
        Ok(Some(caller)) => {
            tracing::Span::current().record("caller", caller.label());
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Ok(None) => challenge(ApiError::unauthorized(
            "unauthenticated",
            "send 'Authorization: Bearer <token>' with an agent's token or the admin token",
        )),
        Err(e) => challenge(e),
    };
    response
        .extensions_mut()
        .insert(RouteTemplate(super::PATH.to_owned()));
    response
}

/// A 401 that names the scheme, as HTTP (and MCP's authorization section) expect.
fn challenge(error: ApiError) -> Response {
    let mut response = error.into_response();
    debug_assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
