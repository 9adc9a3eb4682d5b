//! `/mcp`: the API as an MCP server (Streamable HTTP, stateless) for agents and the
//! operator. Its tools are the API document's operations the caller may use ([`catalog`])
//! and a few composed for agents ([`agent_tools`]); a call is served as the REST request it
//! stands for, through the same router ([`dispatch`]), so every rule of the REST API holds.

mod agent_tools;
mod catalog;
mod dispatch;
mod gate;
mod handler;
mod schema;
mod words;

pub const PATH: &str = "/mcp";

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::middleware::from_fn_with_state;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::state::SharedState;

/// The `/mcp` route, behind its gate; outside the API's per-route guard, since each tool
/// call is itself a request through the guard (and audited there).
pub fn routes(state: &SharedState) -> Router<SharedState> {
    let server = handler::PortalMcp {
        state: state.clone(),
        app: Arc::new(OnceLock::new()),
    };
    let config = StreamableHttpServerConfig::default()
        // Stateless: every POST stands alone, on whichever replica it lands.
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The portal serves its public hostnames; the bearer token, which a browser never
        // adds by itself, is what keeps a rebinding page out.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(crate::server::MAX_BODY);
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(from_fn_with_state(state.clone(), gate::gate))
}
