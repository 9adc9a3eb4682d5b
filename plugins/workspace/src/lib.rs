//! The workspace files over HTTP: `MEMORY.md`, the agent's notes (`NOTES.md`) and
//! `HEARTBEAT.md`. The host decides whose folder, who may write which file, the size and
//! encoding rules and the preconditions, and writes atomically; this plugin maps HTTP
//! (JSON bodies, ETag, If-Match, If-None-Match) onto the `workspace` interface.

wit_bindgen::generate!({
    path: "../../wit",
    world: "workspace-plugin",
    with: { "friend:portal/types@0.1.0": portal_sdk::types },
});

use friend::portal::workspace::{self, File};
use portal_sdk::{Error, Request, Response, Result, Route};
use schemars::JsonSchema;
use serde::Serialize;

struct Workspace;

const ROUTES: &[Route] = &[
    Route::new("workspace.memory-get", |r| get(r, File::Memory)).answers::<FileView>(200),
    Route::new("workspace.memory-put", |r| put(r, File::Memory)).takes::<NewContent>().answers::<FileView>(200),
    Route::new("workspace.notes-get", |r| get(r, File::Notes)).answers::<FileView>(200),
    Route::new("workspace.notes-put", |r| put(r, File::Notes)).takes::<NewContent>().answers::<FileView>(200),
    Route::new("workspace.heartbeat-get", |r| get(r, File::Heartbeat)).answers::<FileView>(200),
    Route::new("workspace.heartbeat-put", |r| put(r, File::Heartbeat)).takes::<NewContent>().answers::<FileView>(200),
];

portal_sdk::serve_routes!(Workspace, ROUTES);

/// A PUT body. Read by hand (see `content`) so that text that is not UTF-8 gets a 422
/// naming `content`; this type documents it. Extra fields are ignored.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct NewContent {
    /// The whole file, UTF-8 Markdown.
    content: String,
}

/// A file as read or just written. `ETag` carries its version for `If-Match`.
#[derive(Serialize, JsonSchema)]
struct FileView {
    content: String,
    /// False while the file has never been written (content is then empty).
    exists: bool,
}

fn name(file: File) -> &'static str {
    match file {
        File::Memory => "MEMORY.md",
        File::Notes => "NOTES.md",
        File::Heartbeat => "HEARTBEAT.md",
    }
}

fn error(file: File, e: workspace::Error) -> Error {
    match e {
        workspace::Error::ReadOnly => Error::method_not_allowed(match file {
            File::Notes => "the agent's notes are read-only for you; only the agent writes them",
            File::Memory => "MEMORY.md is the friend's to write; agents only read it",
            File::Heartbeat => "HEARTBEAT.md is read-only for you",
        }),
        workspace::Error::PreconditionFailed => Error::precondition_failed(format!(
            "{} changed since you read it (If-Match / If-None-Match does not hold); \
             read it again and reapply your change",
            name(file)
        )),
        workspace::Error::TooLarge(limit) => {
            Error::too_large(format!("content: {} may hold at most {limit} bytes ({} KiB)", name(file), limit / 1024))
        }
        workspace::Error::NotUtf8 => Error::invalid("content", "must be UTF-8 text"),
        workspace::Error::NotAFile(what) => Error::conflict(what),
        workspace::Error::Unavailable => {
            Error::internal(format!("{} could not be reached; quote the request id when reporting it", name(file)))
        }
    }
}

fn get(_request: &Request, file: File) -> Result<Response> {
    let contents = workspace::read(file).map_err(|e| error(file, e))?;
    Ok(Response::ok(&FileView { content: contents.content, exists: contents.exists })
        .with_header("etag", &contents.etag)
        .with_header("cache-control", "no-store"))
}

/// `{"content": "..."}`; a 422 naming `content` when it is missing, not a string, or not UTF-8.
fn content(request: &Request) -> Result<String> {
    request.expect_json_body()?;
    let text = std::str::from_utf8(&request.body).map_err(|_| Error::invalid("content", "must be UTF-8 text"))?;
    let body: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        // serde_json refuses lone UTF-16 surrogates (`"\ud800"`), which no UTF-8 text holds.
        let text = e.to_string();
        if text.contains("surrogate") || text.contains("hex escape") {
            Error::invalid("content", "must be UTF-8 text (no lone surrogates)")
        } else {
            Error::bad_request(format!("malformed JSON: {e}"))
        }
    })?;
    match body.get("content") {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::invalid("content", "is required, as a string")),
    }
}

fn put(request: &Request, file: File) -> Result<Response> {
    let content = content(request)?;
    let etag = workspace::write(file, content.as_bytes(), request.header("if-match"), request.header("if-none-match"))
        .map_err(|e| error(file, e))?;
    Ok(Response::ok(&FileView { content, exists: true })
        .with_header("etag", &etag)
        .with_header("cache-control", "no-store"))
}

export!(Workspace);
