//! Routes served by plugins, built from the policy's route table: check the caller kind,
//! resolve the subject friend, hand the plugin a typed request, return its response.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};

use crate::auth::{Caller, CallerKind};
use crate::error::{ApiError, ApiResult};
use crate::runtime::bindings::friend::portal::types as wit;
use crate::runtime::{InvokeError, Plugin, Scope};
use crate::state::{AppState, SharedState};
use crate::telemetry::request_id;

/// Request headers a plugin may see.
const PASSED_HEADERS: &[&str] = &["content-type", "if-match", "if-none-match", "accept"];

/// The request's [`PASSED_HEADERS`], read from the request in place (axum's `HeaderMap`
/// extractor would copy every header of every request).
struct PassedHeaders(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for PassedHeaders {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            PASSED_HEADERS
                .iter()
                .filter_map(|name| {
                    let value = parts.headers.get(*name)?.to_str().ok()?;
                    Some(((*name).to_owned(), value.to_owned()))
                })
                .collect(),
        ))
    }
}
/// Response headers a plugin may set.
const ALLOWED_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "etag",
    "location",
    "cache-control",
    "last-modified",
    // With a 429 (the crons plugin's manual-run limit).
    "retry-after",
];

struct Target {
    plugin: Arc<Plugin>,
    route: String,
    callers: Vec<CallerKind>,
    friend_scoped: bool,
    portal: bool,
}

pub fn routes(state: &AppState) -> Router<SharedState> {
    let mut router = Router::new();
    for plugin in state.runtime.plugins() {
        for route in &plugin.policy.routes {
            let target = Arc::new(Target {
                plugin: plugin.clone(),
                route: route.name.clone(),
                callers: route.callers.clone(),
                friend_scoped: route.path.starts_with("/api/friends/:id/"),
                portal: route.path.starts_with("/api/portal/"),
            });
            let filter = MethodFilter::try_from(route.method.clone()).unwrap_or(MethodFilter::GET);
            let handler = move |state: State<SharedState>,
                                caller: Caller,
                                params: Path<Vec<(String, String)>>,
                                query: RawQuery,
                                headers: PassedHeaders,
                                body: Bytes| {
                let target = target.clone();
                async move { call(state, target, caller, params, query, headers, body).await }
            };
            router = router.route(&route.axum_path(), on(filter, handler));
        }
    }
    router
}

async fn call(
    State(state): State<SharedState>,
    target: Arc<Target>,
    caller: Caller,
    Path(params): Path<Vec<(String, String)>>,
    RawQuery(query): RawQuery,
    PassedHeaders(headers): PassedHeaders,
    body: Bytes,
) -> ApiResult<Response> {
    if !target.callers.contains(&caller.kind()) {
        return Err(if target.portal {
            caller.require_friend().map(|_| ()).unwrap_err()
        } else if caller.kind() == CallerKind::Friend {
            ApiError::forbidden("portal sessions can only use /api/portal/*")
        } else {
            ApiError::forbidden("this route is not open to your kind of token")
        });
    }
    let friend = if target.portal {
        Some(caller.require_friend()?.to_owned())
    } else if target.friend_scoped {
        let id = params
            .iter()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        Some(crate::api::operator_subject(&state, &caller, id).await?.id)
    } else {
        None
    };
    let request_id = request_id::current().unwrap_or_default();
    let request = wit::Request {
        method: String::new(),
        route: target.route.clone(),
        params,
        query: query.as_deref().map(url_pairs).unwrap_or_default(),
        headers,
        body: body.to_vec(),
        caller: wit::Caller {
            kind: match caller.kind() {
                CallerKind::Admin => wit::CallerKind::Admin,
                CallerKind::Agent => wit::CallerKind::Agent,
                CallerKind::Friend => wit::CallerKind::Friend,
            },
            id: caller.id().to_owned(),
        },
        friend: friend.clone(),
        request_id: request_id.clone(),
    };
    let scope = Scope {
        plugin: target.plugin.name().to_owned(),
        caller,
        friend,
        request_id,
    };
    match state.runtime.invoke(&target.plugin, scope, request).await {
        Ok(response) => Ok(into_http(response)),
        Err(e) => Err(plugin_error(target.plugin.name(), e)),
    }
}

/// `a=1&b=x%20y` -> [("a","1"), ("b","x y")]; malformed escapes are kept as written.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn into_http(response: wit::Response) -> Response {
    let status = StatusCode::from_u16(response.status)
        .ok()
        .filter(|s| s.as_u16() >= 200)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = (status, response.body).into_response();
    let headers = out.headers_mut();
    for (name, value) in response.headers {
        let lower = name.to_ascii_lowercase();
        if !ALLOWED_RESPONSE_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(lower), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    if !headers.contains_key(header::CONTENT_TYPE) && status != StatusCode::NO_CONTENT {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    out
}

fn plugin_error(plugin: &str, error: InvokeError) -> ApiError {
    match error {
        InvokeError::Busy { retry_after } => ApiError::unavailable(
            format!("plugin '{plugin}' is at its concurrency limit; retry shortly"),
            retry_after,
        ),
        InvokeError::FriendBusy { retry_after, share } => ApiError::rate_limited(
            format!(
                "you already have {share} requests under way here, as many as one person may \
                 have at once; try again in {retry_after} s"
            ),
            retry_after,
        ),
        InvokeError::Timeout { deadline_ms } => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "plugin_timeout",
            format!("plugin '{plugin}' did not finish within its {deadline_ms} ms deadline"),
        ),
        InvokeError::MemoryLimit { cap_mib } => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "plugin_memory_limit",
            format!("plugin '{plugin}' hit its memory limit of {cap_mib} MiB"),
        ),
        InvokeError::Trap => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "plugin_failed",
            format!("plugin '{plugin}' failed; quote the request id when reporting it"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::url_pairs;

    #[test]
    fn query_pairs_are_decoded() {
        assert_eq!(
            url_pairs("tail=10&q=a%20b+c&flag&bad=%zz&end=%4"),
            vec![
                ("tail".into(), "10".into()),
                ("q".into(), "a b c".into()),
                ("flag".into(), "".into()),
                ("bad".into(), "%zz".into()),
                ("end".into(), "%4".into()),
            ]
        );
    }
}
