//! A tool call as the REST request it stands for, served by the same router as every other
//! request (tower `oneshot`), with the caller's own `Authorization` header: authentication,
//! the caller-kind check, the friend as subject (and the friendship check), the plugin, its
//! limits, metrics and the audit entry all happen exactly as they do over HTTP.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde_json::{Map, Value};
use tower::ServiceExt;

use super::catalog::ApiTool;
use crate::telemetry::request_id;

/// The most of an answer a tool result carries (the REST bodies are far smaller).
const MAX_ANSWER: usize = 8 * 1024 * 1024;

/// The headers of the MCP request that the REST request carries on.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub authorization: HeaderValue,
    /// The MCP request's id, so the audit entry and the log name the same request.
    pub request_id: Option<HeaderValue>,
}

impl Forwarded {
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        Some(Self {
            authorization: headers.get(header::AUTHORIZATION)?.clone(),
            request_id: headers.get(request_id::HEADER).cloned(),
        })
    }
}

/// What the REST request answered.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// The JSON body; `None` for an empty one (204).
    pub body: Option<Value>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The plain message of an error answer.
    pub fn message(&self) -> String {
        self.body
            .as_ref()
            .and_then(|b| b["error"]["message"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                self.status
                    .canonical_reason()
                    .unwrap_or("the request failed")
                    .to_owned()
            })
    }
}

/// The request a tool call stands for; `Err` says, for the model, what is wrong with the
/// arguments (nothing was sent).
pub fn request_for(tool: &ApiTool, arguments: &Map<String, Value>) -> Result<Call, String> {
    for name in arguments.keys() {
        let known = tool.path_params.contains(name)
            || tool.query_params.contains(name)
            || (tool.body && name == "body");
        if !known {
            return Err(format!("{}: unknown argument '{name}'", tool.name));
        }
    }
    let mut path = tool.path.clone();
    for name in &tool.path_params {
        let value = arguments
            .get(name)
            .and_then(scalar)
            .ok_or_else(|| format!("{name}: is required, as a string"))?;
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        path = path.replace(&format!("{{{name}}}"), &encoded.replace('+', "%20"));
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    let mut any_query = false;
    for name in &tool.query_params {
        match arguments.get(name) {
            None | Some(Value::Null) => {}
            Some(value) => {
                let value = scalar(value)
                    .ok_or_else(|| format!("{name}: must be a string, number or boolean"))?;
                query.append_pair(name, &value);
                any_query = true;
            }
        }
    }
    if any_query {
        path = format!("{path}?{}", query.finish());
    }
    let body = match arguments.get("body") {
        Some(body) if tool.body => Some(serde_json::to_vec(body).map_err(|e| e.to_string())?),
        _ if tool.body => return Err("body: is required".into()),
        _ => None,
    };
    Ok(Call {
        method: tool.method.clone(),
        path_and_query: path,
        body,
    })
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One REST request to make.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path_and_query: String,
    pub body: Option<Vec<u8>>,
}

impl Call {
    pub fn get(path: String) -> Self {
        Self {
            method: Method::GET,
            path_and_query: path,
            body: None,
        }
    }

    pub fn post(path: String, body: &Value) -> Self {
        Self {
            method: Method::POST,
            path_and_query: path,
            body: Some(body.to_string().into_bytes()),
        }
    }
}

/// Serves `call` through `app` as the caller whose headers are `forwarded`.
pub async fn send(app: &Router, forwarded: &Forwarded, call: Call) -> Answer {
    let mut request = Request::builder()
        .method(call.method)
        .uri(call.path_and_query)
        .header(header::AUTHORIZATION, forwarded.authorization.clone());
    if let Some(id) = &forwarded.request_id {
        request = request.header(request_id::HEADER, id.clone());
    }
    let request = match call.body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body)),
        None => request.body(Body::empty()),
    };
    let request = match request {
        Ok(request) => request,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("cannot make the request: {e}"),
            );
        }
    };
    let response = match app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = match axum::body::to_bytes(response.into_body(), MAX_ANSWER).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("cannot read the answer: {e}"),
            );
        }
    };
    let body = if bytes.is_empty() {
        None
    } else {
        Some(
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        )
    };
    Answer { status, body }
}

fn failure(status: StatusCode, message: String) -> Answer {
    Answer {
        status,
        body: Some(serde_json::json!({"error": {"code": "mcp", "message": message}})),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::catalog::Hints;

    fn tool() -> ApiTool {
        ApiTool {
            name: "namespace_deployment_logs".into(),
            title: String::new(),
            description: String::new(),
            input_schema: Map::new(),
            hints: Hints {
                read_only: true,
                destructive: false,
                idempotent: true,
            },
            method: Method::GET,
            path: "/api/friends/{id}/namespace/deployments/{name}/logs".into(),
            path_params: vec!["id".into(), "name".into()],
            query_params: vec!["tail".into()],
            body: false,
        }
    }

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn path_and_query_are_filled_and_escaped() {
        let call = request_for(
            &tool(),
            &args(json!({"id": "alice", "name": "a b/c", "tail": 5})),
        )
        .unwrap();
        assert_eq!(
            call.path_and_query,
            "/api/friends/alice/namespace/deployments/a%20b%2Fc/logs?tail=5"
        );
        assert!(call.body.is_none());
    }

    #[test]
    fn bad_arguments_send_nothing() {
        let missing = request_for(&tool(), &args(json!({"id": "alice"}))).unwrap_err();
        assert!(missing.starts_with("name:"), "{missing}");
        let unknown =
            request_for(&tool(), &args(json!({"id": "a", "name": "b", "x": 1}))).unwrap_err();
        assert!(unknown.contains("unknown argument 'x'"), "{unknown}");
        let object = request_for(&tool(), &args(json!({"id": {}, "name": "b"}))).unwrap_err();
        assert!(object.starts_with("id:"), "{object}");
    }
}
