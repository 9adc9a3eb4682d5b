//! Turns the route tables into the document, one operation at a time.

use std::collections::BTreeMap;

use axum::http::Method;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use super::route::{callers_of, status_description};
use super::*;
use crate::auth::CallerKind;
use crate::error::ErrorBody;
use crate::policy::RoutePolicy;
use crate::runtime::describe::RouteDoc;

/// Builds the document; generates one schema per type once.
pub(super) struct Builder {
    /// Request bodies and query strings: schemas of what the host accepts.
    requests: SchemaGenerator,
    /// Responses: schemas of what the host sends.
    responses: SchemaGenerator,
    paths: BTreeMap<String, Map<String, Value>>,
}

impl Builder {
    pub(super) fn new() -> Self {
        Self {
            requests: SchemaSettings::openapi3()
                .for_deserialize()
                .into_generator(),
            responses: SchemaSettings::openapi3().for_serialize().into_generator(),
            paths: BTreeMap::new(),
        }
    }

    fn request_schema(&mut self, f: SchemaFn) -> Value {
        transformed(&mut self.requests, f)
    }

    fn response_schema(&mut self, f: SchemaFn) -> Value {
        transformed(&mut self.responses, f)
    }

    fn add(&mut self, method: &Method, path: &str, operation: Value) {
        self.paths
            .entry(path.to_owned())
            .or_default()
            .insert(method.as_str().to_ascii_lowercase(), operation);
    }

    pub(super) fn native(&mut self, route: &NativeRoute) {
        let mut parameters: Vec<Value> = path_params(route.path)
            .into_iter()
            .map(path_parameter)
            .collect();
        if let Some(query) = route.query {
            let schema = self.request_schema(query);
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    let mut property = property.clone();
                    // An optional parameter is left out rather than sent as null.
                    let description = property.as_object_mut().and_then(|p| {
                        p.remove("nullable");
                        p.remove("description")
                    });
                    let mut parameter = json!({
                        "name": name,
                        "in": "query",
                        "required": required.contains(&name.as_str()),
                        "schema": property,
                    });
                    if let Some(description) = description {
                        parameter["description"] = description;
                    }
                    parameters.push(parameter);
                }
            }
        }
        let mut operation =
            operation_head(route.operation_id, route.summary, route.callers, parameters);
        match route.body {
            RequestBody::None => {}
            RequestBody::Json(body) => {
                let schema = self.request_schema(body);
                operation["requestBody"] = json!({
                    "required": true,
                    "content": {"application/json": {"schema": schema}},
                });
            }
            RequestBody::Bytes { media_type, max } => {
                operation["requestBody"] = json!({
                    "required": true,
                    "description": format!("At most {max} bytes."),
                    "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
                });
            }
        }
        let mut responses = Map::new();
        for reply in route.replies {
            let mut response = json!({
                "description": reply.description,
                "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
            });
            match reply.body {
                ReplyBody::Empty => {}
                ReplyBody::Json(body) => {
                    let schema = self.response_schema(body);
                    response["content"] = json!({"application/json": {"schema": schema}});
                }
                ReplyBody::Text(media_type) => {
                    response["content"] = json!({media_type: {"schema": {"type": "string"}}});
                }
            }
            responses.insert(reply.status.to_string(), response);
        }
        for status in route.error_statuses() {
            responses.insert(status.to_string(), error_ref(status));
        }
        operation["responses"] = Value::Object(responses);
        self.add(&route.method, route.path, operation);
    }

    pub(super) fn plugin(
        &mut self,
        plugin: &str,
        route: &RoutePolicy,
        doc: Option<&RouteDoc>,
        operation_id: String,
    ) {
        let path = route.axum_path();
        let parameters = path_params(&path).into_iter().map(path_parameter).collect();
        let mut operation = operation_head(
            &operation_id,
            &format!("{} (plugin {plugin})", route.name),
            &route.callers,
            parameters,
        );
        operation["description"] = json!(match doc {
            Some(_) => format!(
                "Served by the plugin `{plugin}` (route `{}`); its bodies as the plugin \
                 describes them. Errors have the common shape.",
                route.name
            ),
            None => format!(
                "Served by the plugin `{plugin}` (route `{}`), which does not describe its \
                 bodies: JSON in, JSON out. Errors have the common shape.",
                route.name
            ),
        });
        operation["x-plugin"] = json!(plugin);
        operation["x-route"] = json!(route.name);
        let takes = doc.and_then(|d| d.request.clone());
        let takes_any =
            doc.is_none() && matches!(route.method, Method::POST | Method::PUT | Method::PATCH);
        if takes.is_some() || takes_any {
            let schema =
                takes.unwrap_or_else(|| json!({"type": "object", "additionalProperties": true}));
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": schema}},
            });
        }
        let answers = match doc {
            Some(doc) => doc.responses.clone(),
            None => vec![(204, None)],
        };
        let mut responses = Map::new();
        if doc.is_none() {
            responses.insert(
                "2XX".into(),
                plugin_reply("The plugin's answer", Some(json!({}))),
            );
        }
        for (status, body) in answers {
            responses.insert(
                status.to_string(),
                plugin_reply(status_description(status), body),
            );
        }
        for status in PLUGIN_ERROR_STATUSES {
            responses.insert(status.to_string(), error_ref(*status));
        }
        operation["responses"] = Value::Object(responses);
        self.add(&route.method, &path, operation);
    }

    pub(super) fn finish(mut self) -> Value {
        let error_schema = self.response_schema(schema::<ErrorBody>);
        let mut schemas = self.responses.take_definitions(true);
        // A type seen from both sides gets two schemas when they differ (what the host
        // accepts is not always what it sends): the request one is renamed.
        let mut requests = Value::Object(self.requests.take_definitions(true));
        let mut paths = serde_json::to_value(&self.paths).unwrap_or_default();
        let clashes: Vec<String> = requests
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &clashes {
            let (from, to) = (
                format!("#/components/schemas/{name}"),
                format!("#/components/schemas/{name}Input"),
            );
            rename_refs(&mut requests, &from, &to, &mut |_| true);
            rename_refs(&mut paths, &from, &to, &mut |pointer| {
                pointer.contains("/requestBody/") || pointer.contains("/parameters/")
            });
            if let Some(schema) = requests.as_object_mut().and_then(|r| r.remove(name)) {
                requests[format!("{name}Input")] = schema;
            }
        }
        for (name, schema) in requests.as_object().into_iter().flatten() {
            schemas.insert(name.clone(), schema.clone());
        }
        let mut responses = Map::new();
        let mut all: Vec<u16> = PLUGIN_ERROR_STATUSES.to_vec();
        all.extend(crate::api::host_routes(true).flat_map(NativeRoute::error_statuses));
        all.sort_unstable();
        all.dedup();
        for status in all {
            let mut response = json!({
                "description": status_description(status),
                "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
                "content": {"application/json": {"schema": error_schema}},
            });
            if matches!(status, 429 | 503) {
                response["headers"]["Retry-After"] = json!({
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 0},
                });
            }
            responses.insert(error_name(status), response);
        }
        let security = |kind: &str, what: &str| {
            json!({
                "type": "http",
                "scheme": "bearer",
                "description": format!("{what}, as `Authorization: Bearer <token>`. Each operation lists the kinds of caller it takes (also in `x-callers`); another kind gets 403."),
                "x-caller": kind,
            })
        };
        json!({
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": "Friend Portal",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "The API of a Friend Portal host: its own routes and those of the plugins it runs, \
                    generated from the host's route table, its Rust types and the loaded plugin policy. \
                    Every token is sent as `Authorization: Bearer <token>`: the operator's admin token, an agent's \
                    token, or a friend's portal session. Errors are always `{\"error\":{\"code\",\"message\",\"request_id\"}}`, \
                    and every response carries `x-request-id`.",
            },
            "tags": [
                {"name": "admin", "description": "Takes the operator's admin token"},
                {"name": "agent", "description": "Takes an agent's token (for friends it has a friendship with)"},
                {"name": "friend", "description": "Takes a friend's portal session (the friend's own data only)"},
                {"name": "public", "description": "Takes no token"},
            ],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "responses": responses,
                "headers": {
                    "RequestId": {
                        "description": "The request's id, as in error bodies and the log: the \
                            client's x-request-id if it sent one of 1-64 of A-Z a-z 0-9 . _ -, \
                            else one the portal made",
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                    },
                },
                "securitySchemes": {
                    "admin": security("admin", "The operator's admin token"),
                    "agent": security("agent", "An agent's token, from POST /api/agents"),
                    "friend": security("friend", "A friend's portal session token, from POST /api/auth/portal-session"),
                },
            },
        })
    }
}

/// A plugin's success answer: a JSON body of `schema`, or none.
fn plugin_reply(description: &str, schema: Option<Value>) -> Value {
    let mut reply = json!({
        "description": description,
        "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
    });
    if let Some(schema) = schema {
        reply["content"] = json!({"application/json": {"schema": schema}});
    }
    reply
}

/// The schema `f` puts in the document, with the OpenAPI 3.0 transforms applied to the part
/// that stays inline (the named types get them when the definitions are taken).
fn transformed(generator: &mut SchemaGenerator, f: SchemaFn) -> Value {
    let mut schema = f(generator);
    for transform in generator.transforms_mut() {
        transform.transform(&mut schema);
    }
    schema.to_value()
}

fn rename_refs(value: &mut Value, from: &str, to: &str, at: &mut dyn FnMut(&str) -> bool) {
    fn walk(
        value: &mut Value,
        pointer: &mut String,
        from: &str,
        to: &str,
        at: &mut dyn FnMut(&str) -> bool,
    ) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key == "$ref" && v.as_str() == Some(from) && at(pointer) {
                        *v = Value::String(to.to_owned());
                        continue;
                    }
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(key);
                    walk(v, pointer, from, to, at);
                    pointer.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    walk(v, pointer, from, to, at);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
    walk(value, &mut String::new(), from, to, at);
}

fn error_name(status: u16) -> String {
    format!("Error{status}")
}

fn error_ref(status: u16) -> Value {
    json!({"$ref": format!("#/components/responses/{}", error_name(status))})
}

fn path_parameter(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn operation_head(
    operation_id: &str,
    summary: &str,
    callers: &[CallerKind],
    parameters: Vec<Value>,
) -> Value {
    let kinds = callers_of(callers);
    let security: Vec<Value> = kinds.iter().map(|k| json!({ *k: [] })).collect();
    let mut operation = json!({
        "operationId": operation_id,
        "summary": summary,
        "tags": if kinds.is_empty() { vec!["public"] } else { kinds.clone() },
        "x-callers": kinds,
        "security": security,
    });
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    operation
}

/// Operation ids of plugin routes: the route's name, made unique by the side of the API
/// it is on (`secrets.list` and `secrets.list/friends`) and, failing that, a number.
pub(super) fn plugin_operation_ids(routes: &[PluginRoute<'_>]) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, route, _) in routes {
        *count.entry(route.name.as_str()).or_default() += 1;
    }
    let mut taken: std::collections::HashSet<String> = crate::api::host_routes(true)
        .map(|r| r.operation_id.to_owned())
        .collect();
    routes
        .iter()
        .map(|(plugin, route, _)| {
            let side = route.path.split('/').nth(2).unwrap_or("api");
            let mut id = if count[route.name.as_str()] == 1 {
                route.name.clone()
            } else {
                format!("{}/{side}", route.name)
            };
            if taken.contains(&id) {
                id = format!("{id}/{plugin}");
            }
            let base = id.clone();
            let mut n = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}/{n}");
                n += 1;
            }
            id
        })
        .collect()
}
