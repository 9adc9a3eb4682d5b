//! A plugin's route table: each route name of its policy with the handler that serves it
//! and, for the API document the host serves, the types it takes and answers.
//!
//! ```ignore
//! const ROUTES: &[Route] = &[
//!     Route::new("secrets.list", list).answers::<Vec<SecretItem>>(200),
//!     Route::new("secrets.create", create).takes::<NewSecret>().answers::<SecretItem>(201),
//!     Route::new("secrets.delete", delete).answers_nothing(204),
//! ];
//! ```
//!
//! [`serve_routes!`](crate::serve_routes) implements the `handler` export over the table:
//! `handle` is [`dispatch`], `describe` is [`describe`]. The schemas come from the same
//! types serde reads and writes (schemars), so the document cannot drift from what the
//! plugin does.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::types::RouteDoc;
use crate::{Error, Request, Response, Result};

/// A route handler: the plugin's logic for one route name of its policy.
pub type Handler = fn(&Request) -> Result<Response>;

/// Renders one schema as JSON text.
type SchemaFn = fn() -> String;

/// Success answers one route may document.
const MAX_ANSWERS: usize = 4;

#[derive(Clone, Copy)]
pub struct Route {
    name: &'static str,
    handler: Handler,
    takes: Option<SchemaFn>,
    answers: [Option<(u16, Option<SchemaFn>)>; MAX_ANSWERS],
}

impl Route {
    /// A route whose bodies are not documented (any JSON) until `takes`/`answers` say.
    pub const fn new(name: &'static str, handler: Handler) -> Self {
        Self { name, handler, takes: None, answers: [None; MAX_ANSWERS] }
    }

    /// The route reads a JSON body of type `T`.
    pub const fn takes<T: JsonSchema>(mut self) -> Self {
        self.takes = Some(request_schema::<T>);
        self
    }

    /// The route answers `status` with a JSON body of type `T`.
    pub const fn answers<T: JsonSchema>(self, status: u16) -> Self {
        self.answer(status, Some(response_schema::<T>))
    }

    /// The route answers `status` with no body (204).
    pub const fn answers_nothing(self, status: u16) -> Self {
        self.answer(status, None)
    }

    const fn answer(mut self, status: u16, schema: Option<SchemaFn>) -> Self {
        let mut i = 0;
        while i < MAX_ANSWERS {
            if self.answers[i].is_none() {
                self.answers[i] = Some((status, schema));
                return self;
            }
            i += 1;
        }
        panic!("a route documents at most 4 answers");
    }

    fn doc(&self) -> RouteDoc {
        RouteDoc {
            route: self.name.to_owned(),
            request: self.takes.map(|f| f()),
            responses: self.answers.iter().flatten().map(|(status, schema)| (*status, schema.map(|f| f()))).collect(),
        }
    }
}

/// Calls the handler registered for the request's route name; errors become the portal's
/// JSON error shape with the request id.
pub fn dispatch(request: Request, routes: &[Route]) -> Response {
    let outcome = match routes.iter().find(|r| r.name == request.route) {
        Some(route) => (route.handler)(&request),
        None => Err(Error::new(404, "not_found", format!("this plugin has no route '{}'", request.route))),
    };
    outcome.unwrap_or_else(|e| e.into_response(&request.request_id))
}

/// The table's documentation, for the `describe` export.
pub fn describe(routes: &[Route]) -> Vec<RouteDoc> {
    routes.iter().map(Route::doc).filter(|d| d.request.is_some() || !d.responses.is_empty()).collect()
}

/// What serde reads into `T`, as OpenAPI 3.0 JSON Schema with nothing referenced.
fn request_schema<T: JsonSchema>() -> String {
    render::<T>(SchemaSettings::openapi3().for_deserialize())
}

/// What serde writes from `T`.
fn response_schema<T: JsonSchema>() -> String {
    render::<T>(SchemaSettings::openapi3().for_serialize())
}

fn render<T: JsonSchema>(settings: SchemaSettings) -> String {
    let generator = settings
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    generator.into_root_schema_for::<T>().to_value().to_string()
}

/// Implements the plugin's `handler` export over its route table:
/// `portal_sdk::serve_routes!(Secrets, ROUTES);` then `export!(Secrets);`. Call it in the
/// crate whose root ran `wit_bindgen::generate!` (it names that crate's `exports`).
#[macro_export]
macro_rules! serve_routes {
    ($plugin:ident, $routes:expr) => {
        impl exports::friend::portal::handler::Guest for $plugin {
            fn handle(request: $crate::Request) -> $crate::Response {
                $crate::dispatch(request, $routes)
            }

            fn describe() -> ::std::vec::Vec<$crate::RouteDoc> {
                $crate::describe($routes)
            }
        }
    };
}
