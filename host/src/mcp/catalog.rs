//! The tools of the API: one per operation of the API document (`GET /api/openapi.json`,
//! itself made from the host's route table and the plugin policy's) that the caller's kind
//! of token may use. Built from the document on every listing, so a hot-swapped plugin or a
//! new route is a new tool at once, and a tool cannot say what the route does not do.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::schema::Defs;
use super::words;
use crate::auth::CallerKind;

/// One operation as a tool, and where its calls go.
#[derive(Debug, Clone)]
pub struct ApiTool {
    pub name: String,
    pub title: String,
    pub description: String,
    pub input_schema: Map<String, Value>,
    pub hints: Hints,
    pub method: Method,
    /// The document's path: `/api/friends/{id}/secrets`.
    pub path: String,
    pub path_params: Vec<String>,
    pub query_params: Vec<String>,
    /// Whether the operation takes a JSON body (the tool's `body` argument).
    pub body: bool,
}

/// The MCP tool annotations that follow from the method (and, for a few, the route).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

const METHODS: &[Method] = &[
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// The tools a caller of `kind` may use, in the document's (path) order.
pub fn api_tools(document: &Value, kind: CallerKind) -> Vec<ApiTool> {
    let label = match kind {
        CallerKind::Admin => "admin",
        CallerKind::Agent => "agent",
        CallerKind::Friend => "friend",
    };
    let mut tools: Vec<ApiTool> = Vec::new();
    let Some(paths) = document["paths"].as_object() else {
        return tools;
    };
    for (path, item) in paths {
        for method in METHODS {
            let operation = &item[method.as_str().to_ascii_lowercase()];
            let open_to_caller = operation["x-callers"]
                .as_array()
                .is_some_and(|callers| callers.iter().any(|c| c == label));
            if !open_to_caller {
                continue;
            }
            if let Some(mut tool) = tool_of(document, method, path, operation) {
                let base = tool.name.clone();
                let mut n = 2;
                while tools.iter().any(|t| t.name == tool.name) {
                    tool.name = format!("{base}_{n}");
                    n += 1;
                }
                tools.push(tool);
            }
        }
    }
    tools
}

fn tool_of(document: &Value, method: &Method, path: &str, operation: &Value) -> Option<ApiTool> {
    let operation_id = operation["operationId"].as_str()?;
    let route = operation["x-route"].as_str();
    let mut defs = Defs::new(document);
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut path_params = Vec::new();
    let mut query_params = Vec::new();

    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let Some(name) = parameter["name"].as_str() else {
            continue;
        };
        let mut schema = defs.convert(&parameter["schema"]);
        match parameter["in"].as_str() {
            Some("path") => {
                schema["description"] = json!(words::path_param(path, name));
                path_params.push(name.to_owned());
                required.push(name.to_owned());
            }
            Some("query") => {
                if let Some(description) = parameter.get("description") {
                    schema["description"] = description.clone();
                }
                if parameter["required"] == true {
                    required.push(name.to_owned());
                }
                query_params.push(name.to_owned());
            }
            _ => continue,
        }
        properties.insert(name.to_owned(), schema);
    }
    for (name, schema) in route.map(words::plugin_query).unwrap_or_default() {
        query_params.push(name.to_owned());
        properties.insert(name.to_owned(), schema);
    }

    let request_body = &operation["requestBody"]["content"];
    let body_schema = match request_body.as_object() {
        // A body that is not JSON (a WebAssembly component) is no tool's argument.
        Some(content) if !content.contains_key("application/json") => return None,
        Some(_) => Some(defs.convert(&request_body["application/json"]["schema"])),
        None => route.and_then(words::plugin_body),
    };
    let body = body_schema.is_some();
    if let Some(mut schema) = body_schema {
        if schema.get("description").is_none() {
            schema["description"] = json!("The JSON body of the request");
        }
        properties.insert("body".into(), schema);
        required.push("body".into());
    }

    let mut input_schema = Map::new();
    input_schema.insert("type".into(), json!("object"));
    input_schema.insert("properties".into(), Value::Object(properties));
    input_schema.insert("required".into(), json!(required));
    input_schema.insert("additionalProperties".into(), json!(false));
    let defs = defs.finish();
    if !defs.is_empty() {
        input_schema.insert("$defs".into(), Value::Object(defs));
    }

    let summary = operation["summary"].as_str().unwrap_or(operation_id);
    let (title, what) = match route.and_then(words::plugin_route) {
        Some((title, description)) => (title.to_owned(), description.to_owned()),
        None => (summary.to_owned(), format!("{summary}.")),
    };
    Some(ApiTool {
        name: tool_name(operation_id),
        title,
        description: describe(&what, method, path),
        input_schema,
        hints: hints(method, route.unwrap_or(operation_id)),
        method: method.clone(),
        path: path.to_owned(),
        path_params,
        query_params,
        body,
    })
}

/// `crons.list/friends` -> `crons_list`: the operation id without the side of the API (an
/// agent only ever has the `/api/friends` side), in the characters every client accepts.
pub fn tool_name(operation_id: &str) -> String {
    let id = operation_id
        .strip_suffix("/friends")
        .unwrap_or(operation_id);
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn describe(what: &str, method: &Method, path: &str) -> String {
    let mut text = what.to_owned();
    if path.starts_with("/api/friends/{id}") {
        text.push_str(
            " `id` is the friend's id; an agent may act only for friends it has a friendship with.",
        );
    }
    text.push_str(&format!(
        " Same as `{method} {path}` of the REST API, with the same rules and errors."
    ));
    text
}

fn hints(method: &Method, route: &str) -> Hints {
    let mut hints = match *method {
        Method::GET => Hints {
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        Method::DELETE => Hints {
            read_only: false,
            destructive: true,
            idempotent: true,
        },
        // A PUT replaces what is there.
        Method::PUT | Method::PATCH => Hints {
            read_only: false,
            destructive: true,
            idempotent: *method == Method::PUT,
        },
        _ => Hints {
            read_only: false,
            destructive: false,
            idempotent: false,
        },
    };
    match route {
        // Every pod is replaced; a second restart replaces them again.
        "namespace.restart-deployment" | "plugins.rollback" => hints.destructive = true,
        // Changes what runs; applying the same manifests again changes nothing more.
        "namespace.apply" => {
            hints.destructive = true;
            hints.idempotent = true;
        }
        "namespace.provision" => hints.idempotent = true,
        _ => {}
    }
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_the_side_and_keep_safe_characters() {
        assert_eq!(tool_name("crons.list/friends"), "crons_list");
        assert_eq!(
            tool_name("namespace.deployment-logs/friends"),
            "namespace_deployment_logs"
        );
        assert_eq!(tool_name("friends.get"), "friends_get");
        assert_eq!(tool_name("x.y/admin/2"), "x_y_admin_2");
    }

    #[test]
    fn hints_follow_the_method() {
        let get = hints(&Method::GET, "friends.get");
        assert!(get.read_only && get.idempotent && !get.destructive);
        let delete = hints(&Method::DELETE, "crons.delete");
        assert!(delete.destructive && delete.idempotent && !delete.read_only);
        let post = hints(&Method::POST, "crons.create");
        assert!(!post.destructive && !post.idempotent && !post.read_only);
        assert!(hints(&Method::POST, "namespace.restart-deployment").destructive);
    }
}
