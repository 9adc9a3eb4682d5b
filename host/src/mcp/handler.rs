//! The MCP server itself (rmcp's `ServerHandler`): `tools/list` from the API document for
//! the caller's kind of token, `tools/call` as the REST request it stands for. Made afresh
//! for every HTTP request (stateless), it holds nothing of the caller between requests.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::http::request::Parts;
use rmcp::ErrorData;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool, ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value, json};

use super::agent_tools::{self, Outcome};
use super::catalog::{self, ApiTool, Hints};
use super::dispatch::{self, Answer, Forwarded};
use crate::auth::Caller;
use crate::state::SharedState;

const INSTRUCTIONS: &str = "Friend Portal: the self-service portal of the people you work for \
    (your friends). Each tool is one request of the portal's REST API, with the same rules: \
    you act only for friends you have a friendship with, and every change is audited. Start \
    with needs_attention for a friend; send_portal_link gives a friend a sign-in link and \
    says where to send it.";

#[derive(Clone)]
pub struct PortalMcp {
    pub state: SharedState,
    /// The whole API's router, made on first use (it holds this service too).
    pub app: Arc<OnceLock<Router>>,
}

/// Who is calling, as the gate resolved it, and the headers a REST request carries on.
struct Calling {
    caller: Caller,
    forwarded: Forwarded,
}

fn calling(context: &RequestContext<RoleServer>) -> Result<Calling, ErrorData> {
    let parts = context.extensions.get::<Parts>();
    let caller = parts.and_then(|p| p.extensions.get::<Caller>()).cloned();
    let forwarded = parts.and_then(|p| Forwarded::from_headers(&p.headers));
    match (caller, forwarded) {
        (Some(caller), Some(forwarded)) => Ok(Calling { caller, forwarded }),
        _ => Err(ErrorData::internal_error(
            "the request's caller is unknown",
            None,
        )),
    }
}

impl PortalMcp {
    fn app(&self) -> &Router {
        self.app
            .get_or_init(|| crate::server::router(self.state.clone()))
    }

    async fn api_tools(&self, caller: &Caller) -> Vec<ApiTool> {
        let document = crate::api::openapi::document(&self.state).await;
        catalog::api_tools(&document, caller.kind())
    }
}

fn annotations(title: &str, hints: Hints) -> ToolAnnotations {
    ToolAnnotations::with_title(title)
        .read_only(hints.read_only)
        .destructive(hints.destructive)
        .idempotent(hints.idempotent)
        .open_world(false)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl rmcp::ServerHandler for PortalMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("friend-portal", env!("CARGO_PKG_VERSION"))
                    .with_title("Friend Portal"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let calling = calling(&context)?;
        let mut tools: Vec<Tool> = agent_tools::all()
            .into_iter()
            .map(|t| {
                Tool::new(t.name, t.description, Arc::new(object(t.input_schema)))
                    .with_title(t.title)
                    .with_annotations(annotations(t.title, t.hints))
            })
            .collect();
        for t in self.api_tools(&calling.caller).await {
            tools.push(
                Tool::new(t.name, t.description, Arc::new(t.input_schema))
                    .with_title(t.title.clone())
                    .with_annotations(annotations(&t.title, t.hints)),
            );
        }
        // Each kind of token sees its own list: never cached for anyone else.
        Ok(ListToolsResult::with_all_items(tools)
            .with_ttl_ms(0)
            .with_cache_scope(CacheScope::Private))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let calling = calling(&context)?;
        let arguments = request.arguments.unwrap_or_default();
        let name = request.name.as_ref();
        if let Some(outcome) = agent_tools::call(
            name,
            &self.state,
            self.app(),
            &calling.forwarded,
            &arguments,
        )
        .await
        {
            return Ok(match outcome {
                Outcome::Done { structured, text } => done(structured, text),
                Outcome::Refused(answer) => refused(&answer),
                Outcome::BadArguments(why) => bad_arguments(why),
            }
            .into());
        }
        let tools = self.api_tools(&calling.caller).await;
        let Some(tool) = tools.iter().find(|t| t.name == name) else {
            return Err(ErrorData::invalid_params(
                format!("no tool named '{name}' for this token; tools/list names them"),
                None,
            ));
        };
        let call = match dispatch::request_for(tool, &arguments) {
            Ok(call) => call,
            Err(why) => return Ok(bad_arguments(why).into()),
        };
        let line = format!("{} {}", call.method, call.path_and_query);
        let answer = dispatch::send(self.app(), &calling.forwarded, call).await;
        Ok(if answer.ok() {
            answered(&line, answer)
        } else {
            refused(&answer)
        }
        .into())
    }
}

/// A REST answer as the tool's result: the JSON as structured content (an array as
/// `{"items": [...]}`, since structured content is an object for older clients), and as
/// text after a short line, for clients that show a model only text.
fn answered(line: &str, answer: Answer) -> CallToolResult {
    let status = answer.status.as_u16();
    match answer.body {
        None => done(
            json!({"status": status}),
            format!("{line}: done ({status})."),
        ),
        Some(body) => {
            let structured = match body {
                Value::Object(_) => body,
                other => json!({"items": other}),
            };
            let text = format!("{line} answered {status}:\n{structured}");
            done(structured, text)
        }
    }
}

fn done(structured: Value, text: String) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}

/// A refusal: REST's plain message as the text, its error body and status as structure.
fn refused(answer: &Answer) -> CallToolResult {
    let status = answer.status.as_u16();
    let mut structured = answer.body.clone().unwrap_or_else(|| json!({}));
    if !structured.is_object() {
        structured = json!({"error": {"message": structured}});
    }
    structured["status"] = json!(status);
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
        "{} ({status})",
        answer.message()
    ))]);
    result.structured_content = Some(structured);
    result
}

fn bad_arguments(why: String) -> CallToolResult {
    let mut result = CallToolResult::error(vec![ContentBlock::text(why.clone())]);
    result.structured_content =
        Some(json!({"error": {"code": "invalid_arguments", "message": why}}));
    result
}
