//! The per-route layer: who is calling (401 on a bad token), and an audit entry for every
//! authenticated mutation once the handler has answered.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, Caller};
use crate::state::SharedState;
use crate::telemetry::request_id;
use portal_store::AuditEntry;

/// The route template that served a response (`/api/friends/{id}`), for metrics.
#[derive(Debug, Clone)]
pub struct RouteTemplate(pub String);

/// Set by a handler on its response when the friend it acted on is not in the path.
#[derive(Debug, Clone)]
pub struct AuditSubject(pub String);

pub async fn guard(
    State(state): State<SharedState>,
    matched: Option<MatchedPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let template = matched.map(|m| m.as_str().to_owned()).unwrap_or_default();
    let caller = match auth::resolve(&state, request.headers()).await {
        Ok(caller) => caller,
        Err(e) => return tag(e.into_response(), template),
    };
    if let Some(caller) = &caller {
        tracing::Span::current().record("caller", caller.label());
        request.extensions_mut().insert(caller.clone());
    }
    let method = request.method().clone();
    let path_subject = friend_in_path(request.uri().path());
    let response = next.run(request).await;

    if let Some(caller) = caller.filter(|_| is_mutation(&method)) {
        let subject = response
            .extensions()
            .get::<AuditSubject>()
            .map(|s| s.0.clone())
            .or(path_subject)
            .or_else(|| match &caller {
                Caller::Friend { id, .. } => Some(id.clone()),
                _ => None,
            });
        let entry = AuditEntry {
            at: state.clock.now(),
            caller: caller.label(),
            action: format!("{method} {template}"),
            subject,
            status: response.status().as_u16(),
            request_id: request_id::current().unwrap_or_default(),
        };
        if let Err(e) = state.store.audit.append_audit(&entry).await {
            tracing::error!(error = %e, "could not write the audit entry");
        }
    }
    tag(response, template)
}

fn tag(mut response: Response, template: String) -> Response {
    response.extensions_mut().insert(RouteTemplate(template));
    response
}

fn is_mutation(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `/api/friends/<id>/...` names its subject in the path.
fn friend_in_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/api/friends/")?;
    let id = rest.split('/').next().filter(|id| !id.is_empty())?;
    crate::validate::friend_id(id).ok().map(|()| id.to_owned())
}
