//! The guest side of Friend Portal plugins.
//!
//! A plugin generates its world's bindings with `wit_bindgen::generate!`, mapping the
//! `types` interface to this crate (`with: { "friend:portal/types@0.1.0": portal_sdk::types }`),
//! declares its routes as one [`Route`] table, and implements the `handler` export over
//! that table with [`serve_routes!`] ([`dispatch`] and [`describe`]). Each route handler takes the request and
//! returns `Result<Response, Error>`; errors become the portal's JSON error shape with the
//! request id.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "sdk",
        pub_export_macro: true,
    });
}

mod error;
mod request;
mod route;

pub use bindings::friend::portal::types;
pub use error::Error;
pub use route::{Handler, Route, describe, dispatch};
pub use types::{Caller, CallerKind, Request, Response, RouteDoc};

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Response {
    /// A JSON response.
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response { status, headers: vec![("content-type".into(), "application/json".into())], body },
            Err(e) => Error::internal(format!("could not encode the response: {e}")).into_response(""),
        }
    }

    pub fn ok<T: serde::Serialize + ?Sized>(value: &T) -> Response {
        Self::json(200, value)
    }

    pub fn created<T: serde::Serialize + ?Sized>(value: &T) -> Response {
        Self::json(201, value)
    }

    pub fn no_content() -> Response {
        Response { status: 204, headers: Vec::new(), body: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}
