//! The guest side of Friend Portal plugins.
//!
//! A plugin generates its world's bindings with `wit_bindgen::generate!`, mapping the
//! `types` interface to this crate (`with: { "friend:portal/types@0.1.0": portal_sdk::types }`),
//! and implements `handle` as one call to [`dispatch`] with its route table. Each route
//! handler takes the request and returns `Result<Response, Error>`; errors become the
//! portal's JSON error shape with the request id.

mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "sdk",
        pub_export_macro: true,
    });
}

mod error;
mod request;

pub use bindings::friend::portal::types;
pub use error::Error;
pub use types::{Caller, CallerKind, Request, Response};

pub type Result<T, E = Error> = core::result::Result<T, E>;

/// A route handler: the plugin's logic for one route name of its policy.
pub type Handler = fn(&Request) -> Result<Response>;

/// Calls the handler registered for the request's route name.
pub fn dispatch(request: Request, routes: &[(&str, Handler)]) -> Response {
    let outcome = match routes.iter().find(|(name, _)| *name == request.route) {
        Some((_, handler)) => handler(&request),
        None => Err(Error::new(
            404,
            "not_found",
            format!("this plugin has no route '{}'", request.route),
        )),
    };
    outcome.unwrap_or_else(|e| e.into_response(&request.request_id))
}

impl Response {
    /// A JSON response.
    pub fn json<T: serde::Serialize + ?Sized>(status: u16, value: &T) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
            },
            Err(e) => {
                Error::internal(format!("could not encode the response: {e}")).into_response("")
            }
        }
    }

    pub fn ok<T: serde::Serialize + ?Sized>(value: &T) -> Response {
        Self::json(200, value)
    }

    pub fn created<T: serde::Serialize + ?Sized>(value: &T) -> Response {
        Self::json(201, value)
    }

    pub fn no_content() -> Response {
        Response {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}
