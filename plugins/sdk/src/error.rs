//! Typed errors that become `{"error":{"code","message","request_id"}}`.

use crate::Response;

#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Error {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_owned(), message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "method_not_allowed", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }

    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(412, "precondition_failed", message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "too_large", message)
    }

    /// A rule broken by one field: 422 with a message that starts with the field's name.
    pub fn invalid(field: &str, rule: impl core::fmt::Display) -> Self {
        Self::new(422, "invalid", format!("{field}: {rule}"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal", message)
    }

    pub fn into_response(self, request_id: &str) -> Response {
        let body = serde_json::json!({
            "error": {"code": self.code, "message": self.message, "request_id": request_id}
        });
        Response {
            status: self.status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap_or_default(),
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}
