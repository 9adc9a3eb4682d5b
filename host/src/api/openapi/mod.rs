//! The OpenAPI 3 document of the whole API, served at `GET /api/openapi.json`. Nothing in
//! it is written by hand: the host's own operations come from [`crate::api::NATIVE_ROUTES`] (the
//! table the router is built from), their bodies' schemas from the Rust types (schemars),
//! and the plugins' operations from the loaded policy's route table.

use axum::Json;
use axum::extract::State;
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

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

mod builder;
mod route;

use builder::{Builder, plugin_operation_ids};
pub use route::*;

/// The document for the host's routes and these plugin routes (`(plugin, route)`).
pub fn build<'a>(plugin_routes: impl IntoIterator<Item = (&'a str, &'a RoutePolicy)>) -> Value {
    let mut builder = Builder::new();
    for route in crate::api::NATIVE_ROUTES {
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
