//! The OpenAPI 3 document of the whole API, served at `GET /api/openapi.json`. Nothing in
//! it is written by hand: the host's own operations come from [`crate::api::NATIVE_ROUTES`] (the
//! table the router is built from), their bodies' schemas from the Rust types (schemars),
//! the plugins' operations from the loaded policy's route table, and their bodies' schemas
//! from what each plugin version's `describe` export answers (schemars in the guest).

use axum::Json;
use axum::extract::State;
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

use crate::policy::RoutePolicy;
use crate::runtime::describe::RouteDoc;
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

/// One plugin route: its plugin, its policy entry, and what the plugin documents of it.
pub type PluginRoute<'a> = (&'a str, &'a RoutePolicy, Option<&'a RouteDoc>);

/// The document for the host's routes (the benchmarks' too with `native_echo`) and these
/// plugin routes.
pub fn build<'a>(
    native_echo: bool,
    plugin_routes: impl IntoIterator<Item = PluginRoute<'a>>,
) -> Value {
    let mut builder = Builder::new();
    for route in crate::api::host_routes(native_echo) {
        builder.native(route);
    }
    let plugin_routes: Vec<_> = plugin_routes.into_iter().collect();
    let ids = plugin_operation_ids(&plugin_routes);
    for ((plugin, route, doc), id) in plugin_routes.into_iter().zip(ids) {
        builder.plugin(plugin, route, doc, id);
    }
    builder.finish()
}

/// The document of a running host: its routes and its plugins' routes, as the versions
/// serving now describe them.
pub async fn document(state: &AppState) -> Value {
    let mut plugins = Vec::new();
    for plugin in state.runtime.plugins() {
        plugins.push((plugin, state.runtime.docs(plugin).await));
    }
    build(
        state.native_echo,
        plugins.iter().flat_map(|(plugin, docs)| {
            plugin.policy.routes.iter().map(move |route| {
                let doc = docs.as_ref().and_then(|d| d.route(&route.name));
                (plugin.policy.name.as_str(), route, doc)
            })
        }),
    )
}

pub async fn serve(State(state): State<SharedState>) -> Json<Value> {
    Json(document(&state).await)
}
