//! The OpenAPI 3 document of the whole API, served at `GET /api/openapi.json`. Nothing in
//! it is written by hand: the host's own operations come from [`super::NATIVE_ROUTES`] (the
//! table the router is built from), their bodies' schemas from the Rust types (schemars),
//! and the plugins' operations from the loaded policy's route table.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::auth::CallerKind;
use crate::error::ErrorBody;
use crate::policy::RoutePolicy;
use crate::state::{AppState, SharedState};

/// Where the document is served.
pub const PATH: &str = "/api/openapi.json";
/// The OpenAPI version the document follows.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// Puts a type's schema in the document and answers how to refer to it.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// A body type: its schema is `#/components/schemas/<name>` (or inline for arrays and the like).
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A query-string type (a struct): each of its fields becomes a query parameter.
pub fn inline<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// What a host-native route reads from its body.
#[derive(Clone, Copy)]
pub enum RequestBody {
    None,
    /// JSON of this type (`JsonBody<T>`): 400 malformed, 413, 415 not JSON, 422 wrong shape.
    Json(SchemaFn),
    /// Raw bytes of this media type, at most `max` bytes.
    Bytes {
        media_type: &'static str,
        max: usize,
    },
}

/// What a host-native route answers on success.
#[derive(Clone, Copy)]
pub enum ReplyBody {
    Empty,
    Json(SchemaFn),
    /// Text of this media type.
    Text(&'static str),
}

#[derive(Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub description: &'static str,
    pub body: ReplyBody,
}

impl Reply {
    pub const fn json(status: u16, description: &'static str, body: SchemaFn) -> Self {
        Self {
            status,
            description,
            body: ReplyBody::Json(body),
        }
    }

    pub const fn empty(status: u16, description: &'static str) -> Self {
        Self {
            status,
            description,
            body: ReplyBody::Empty,
        }
    }

    pub const fn text(status: u16, description: &'static str, media_type: &'static str) -> Self {
        Self {
            status,
            description,
            body: ReplyBody::Text(media_type),
        }
    }
}

/// One host-native operation: what the router serves and what the document says of it.
pub struct NativeRoute {
    pub method: Method,
    /// In axum's (and OpenAPI's) syntax: `/api/friends/{id}`.
    pub path: &'static str,
    /// Who may call it; empty for a public route (no token needed).
    pub callers: &'static [CallerKind],
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// A struct whose fields are the query parameters.
    pub query: Option<SchemaFn>,
    pub body: RequestBody,
    pub replies: &'static [Reply],
    /// Error statuses of the handler itself, beyond those that follow from the route's
    /// shape (401, 500 and 504 for every route; 403 when it takes a token; 400 for a query
    /// string; 400, 413, 415 and 422 for a JSON body; 400 and 413 for a bytes body).
    pub errors: &'static [u16],
    /// The handler, on the route's method.
    pub handler: fn(MethodFilter) -> MethodRouter<SharedState>,
}

impl NativeRoute {
    pub const fn new(
        method: Method,
        path: &'static str,
        callers: &'static [CallerKind],
        operation_id: &'static str,
        summary: &'static str,
        handler: fn(MethodFilter) -> MethodRouter<SharedState>,
    ) -> Self {
        Self {
            method,
            path,
            callers,
            operation_id,
            summary,
            query: None,
            body: RequestBody::None,
            replies: &[],
            errors: &[],
            handler,
        }
    }

    pub const fn query(mut self, query: SchemaFn) -> Self {
        self.query = Some(query);
        self
    }

    pub const fn json_body(mut self, body: SchemaFn) -> Self {
        self.body = RequestBody::Json(body);
        self
    }

    pub const fn bytes_body(mut self, media_type: &'static str, max: usize) -> Self {
        self.body = RequestBody::Bytes { media_type, max };
        self
    }

    pub const fn replies(mut self, replies: &'static [Reply]) -> Self {
        self.replies = replies;
        self
    }

    pub const fn errors(mut self, errors: &'static [u16]) -> Self {
        self.errors = errors;
        self
    }

    /// Every error status the route can answer with, in order.
    pub fn error_statuses(&self) -> Vec<u16> {
        let mut statuses = vec![401, 500, 504];
        if !self.callers.is_empty() {
            statuses.push(403);
        }
        if self.query.is_some() {
            statuses.push(400);
        }
        match self.body {
            RequestBody::None => {}
            RequestBody::Json(_) => statuses.extend([400, 413, 415, 422]),
            RequestBody::Bytes { .. } => statuses.extend([400, 413]),
        }
        statuses.extend(self.errors);
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    }
}

/// Every status a plugin route can answer with besides its own 2xx: the host's (401, 403,
/// 404 for an unknown subject friend, 413, 500 for a trap or the memory cap, 503 at the
/// concurrency limit, 504 at the deadline) and those the plugins use for their own errors.
pub const PLUGIN_ERROR_STATUSES: &[u16] = &[
    400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429, 500, 502, 503, 504,
];

fn status_description(status: u16) -> &'static str {
    match status {
        400 => {
            "Bad request: malformed JSON (the message says where), an unreadable body or query string"
        }
        401 => "No token, or one that is malformed, unknown, expired or revoked",
        403 => {
            "This kind of caller may not use this route, or an agent has no friendship with the friend"
        }
        404 => "No such friend, agent, plugin or object",
        405 => {
            "The route does not allow this for this caller (e.g. a friend writing the agent's notes)"
        }
        409 => "Conflict: it exists already, or the state does not allow it",
        412 => "Precondition failed: the file changed since the ETag in If-Match",
        413 => "The body is over the size limit",
        415 => "The body is not in a media type the route takes (send application/json)",
        422 => "A rule is broken; the message names the field",
        429 => "Too many requests; see Retry-After",
        500 => {
            "Internal error (or a plugin that trapped or hit its memory cap); quote the request id"
        }
        502 => "An upstream (cluster or DNS provider) failed",
        503 => "Busy: a plugin is at its concurrency limit; retry after Retry-After",
        504 => "Timed out: a plugin's deadline, or the host's 60 s limit on any request",
        _ => "Error",
    }
}

fn callers_of(kinds: &[CallerKind]) -> Vec<&'static str> {
    kinds
        .iter()
        .map(|k| match k {
            CallerKind::Admin => "admin",
            CallerKind::Agent => "agent",
            CallerKind::Friend => "friend",
        })
        .collect()
}

/// `:param` or `{param}` segments.
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| {
            seg.strip_prefix(':')
                .or_else(|| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        })
        .collect()
}

/// Builds the document; generates one schema per type once.
struct Builder {
    /// Request bodies and query strings: schemas of what the host accepts.
    requests: SchemaGenerator,
    /// Responses: schemas of what the host sends.
    responses: SchemaGenerator,
    paths: BTreeMap<String, Map<String, Value>>,
}

impl Builder {
    fn new() -> Self {
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

    fn native(&mut self, route: &NativeRoute) {
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

    fn plugin(&mut self, plugin: &str, route: &RoutePolicy, operation_id: String) {
        let path = route.axum_path();
        let parameters = path_params(&path).into_iter().map(path_parameter).collect();
        let mut operation = operation_head(
            &operation_id,
            &format!("{} (plugin {plugin})", route.name),
            &route.callers,
            parameters,
        );
        operation["description"] = json!(format!(
            "Served by the plugin `{plugin}` (route `{}`). Its bodies are the plugin's own: \
             JSON in, JSON out; errors have the common shape.",
            route.name
        ));
        operation["x-plugin"] = json!(plugin);
        operation["x-route"] = json!(route.name);
        if matches!(route.method, Method::POST | Method::PUT | Method::PATCH) {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "additionalProperties": true,
                }}},
            });
        }
        let mut responses = Map::new();
        responses.insert(
            "2XX".into(),
            json!({
                "description": "The plugin's answer",
                "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
                "content": {"application/json": {"schema": {}}},
            }),
        );
        responses.insert(
            "204".into(),
            json!({
                "description": "Done, nothing to say",
                "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
            }),
        );
        for status in PLUGIN_ERROR_STATUSES {
            responses.insert(status.to_string(), error_ref(*status));
        }
        operation["responses"] = Value::Object(responses);
        self.add(&route.method, &path, operation);
    }

    fn finish(mut self) -> Value {
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
        all.extend(
            super::NATIVE_ROUTES
                .iter()
                .flat_map(NativeRoute::error_statuses),
        );
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
                        "description": "The request's id, as in error bodies and the log",
                        "schema": {"type": "string"},
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
fn plugin_operation_ids<'a>(routes: &[(&'a str, &'a RoutePolicy)]) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, route) in routes {
        *count.entry(route.name.as_str()).or_default() += 1;
    }
    let mut taken: std::collections::HashSet<String> = super::NATIVE_ROUTES
        .iter()
        .map(|r| r.operation_id.to_owned())
        .collect();
    routes
        .iter()
        .map(|(plugin, route)| {
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

/// The document for the host's routes and these plugin routes (`(plugin, route)`).
pub fn build<'a>(plugin_routes: impl IntoIterator<Item = (&'a str, &'a RoutePolicy)>) -> Value {
    let mut builder = Builder::new();
    for route in super::NATIVE_ROUTES {
        builder.native(route);
    }
    let plugin_routes: Vec<_> = plugin_routes.into_iter().collect();
    let ids = plugin_operation_ids(&plugin_routes);
    for ((plugin, route), id) in plugin_routes.into_iter().zip(ids) {
        builder.plugin(plugin, route, id);
    }
    builder.finish()
}

/// The document of a running host: its routes and its plugins' routes.
pub fn document(state: &AppState) -> Value {
    build(state.runtime.plugins().flat_map(|plugin| {
        plugin
            .policy
            .routes
            .iter()
            .map(move |route| (plugin.policy.name.as_str(), route))
    }))
}

pub async fn serve(State(state): State<SharedState>) -> Json<Value> {
    Json(document(&state))
}
