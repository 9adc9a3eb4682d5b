//! The table entry of a host-native route: what it reads and answers, and who may call it.

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};

use super::*;
use crate::auth::CallerKind;

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

pub(super) fn status_description(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted: under way",
        204 => "Done, nothing to say",
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

pub(super) fn callers_of(kinds: &[CallerKind]) -> Vec<&'static str> {
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
