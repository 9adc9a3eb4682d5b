//! Host-native `/api/portal/*` endpoints: the friend's own profile (and their preferred
//! channel, the one thing of it they change themselves) and agents.

use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::friends::{AgentLink, agent_links, check_preferred_channel};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::scheduler::sessions::{SessionChoice, session_choices};
use crate::server::json::JsonBody;
use crate::state::{AppState, SharedState};
use portal_store::Friend;

/// The friend's own profile, as the portal page shows it.
#[derive(Serialize, JsonSchema)]
pub struct Me {
    pub id: String,
    pub display_name: String,
    pub preferred_channel: Option<String>,
    /// The chat apps the friend has an id for (`signal`, `whatsapp`, `discord`): the choices
    /// of `preferred_channel`.
    pub channels: Vec<String>,
    pub namespace: String,
    pub stats: MeStats,
    /// When the agent last wrote its notes about the friend (`NOTES.md`); null when it has
    /// written none. The page says "Last updated ..." under the notes.
    pub notes_updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, JsonSchema)]
pub struct MeStats {
    /// Files in the friend's `logs/` folder of the workspace.
    pub logs: usize,
    /// The friend's Secrets.
    pub secrets: usize,
}

pub async fn me(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<Me>> {
    let id = caller.require_friend()?;
    let friend = state
        .store
        .directory
        .friend(id)
        .await?
        .ok_or_else(|| ApiError::not_found("your friend profile no longer exists"))?;
    Ok(Json(me_view(&state, friend).await))
}

/// What a friend may change of their own profile: how they like to be reached.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// One of the channels the friend has an id for (`discord`, `signal`, `whatsapp`).
    #[schemars(length(min = 1, max = 16))]
    preferred_channel: String,
}

pub async fn update_me(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(patch): JsonBody<MePatch>,
) -> ApiResult<Json<Me>> {
    let id = caller.require_friend()?;
    let mut friend = state
        .store
        .directory
        .friend(id)
        .await?
        .ok_or_else(|| ApiError::not_found("your friend profile no longer exists"))?;
    friend.preferred_channel = Some(patch.preferred_channel);
    check_preferred_channel(&friend).map_err(|_| {
        let channels = friend.channels();
        let message = if channels.is_empty() {
            "You cannot choose a channel yet: ask your agent to add your Discord, Signal or \
             WhatsApp first."
                .to_owned()
        } else {
            format!(
                "Choose one of the channels you have: {}.",
                channels.join(", ")
            )
        };
        ApiError::invalid("preferred_channel", message)
    })?;
    friend.updated_at = state.clock.now();
    state.store.directory.put_friend(&friend).await?;
    state.workspace.write_profile(&friend).await?;
    Ok(Json(me_view(&state, friend).await))
}

async fn me_view(state: &AppState, friend: Friend) -> Me {
    let secrets = state.secret_count(&friend.id).await;
    Me {
        notes_updated_at: state.workspace.notes_modified(&friend.id),
        stats: MeStats {
            logs: state.workspace.log_count(&friend.id),
            secrets,
        },
        namespace: friend.namespace(),
        channels: friend.channels().into_iter().map(str::to_owned).collect(),
        id: friend.id,
        display_name: friend.display_name,
        preferred_channel: friend.preferred_channel,
    }
}

/// One of the friend's agents, with the sessions a cron job may send to.
#[derive(Serialize, JsonSchema)]
pub struct PortalAgent {
    #[serde(flatten)]
    pub link: AgentLink,
    /// The session keys the friend may choose for this agent, with labels.
    pub sessions: Vec<SessionChoice>,
}

pub async fn agents(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PortalAgent>>> {
    let id = caller.require_friend()?;
    let friend = state
        .store
        .directory
        .friend(id)
        .await?
        .ok_or_else(|| ApiError::not_found("your friend profile no longer exists"))?;
    let agents = agent_links(&state, id)
        .await?
        .into_iter()
        .map(|link| PortalAgent {
            sessions: session_choices(&friend, &link.agent_id, &link.display_name),
            link,
        })
        .collect();
    Ok(Json(agents))
}

/// What the echo answers: the request as a plugin would see it.
#[derive(Serialize, JsonSchema)]
pub struct Echo {
    /// `native` here; the hello plugin answers with its own version.
    pub version: &'static str,
    pub route: &'static str,
    /// `[name, value]` pairs.
    pub params: Vec<[String; 2]>,
    /// `[name, value]` pairs, decoded.
    pub query: Vec<[String; 2]>,
    pub caller: EchoCaller,
    pub friend: String,
}

#[derive(Serialize, JsonSchema)]
pub struct EchoCaller {
    pub kind: &'static str,
    pub id: String,
}

/// The host-native twin of the `hello` plugin's echo: the same answer without a plugin,
/// so the cost of the sandbox can be measured (see the benchmarks).
pub async fn echo(
    caller: Caller,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> ApiResult<Json<Echo>> {
    let id = caller.require_friend()?;
    let query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .map(|(name, value)| [name, value])
        .collect();
    Ok(Json(Echo {
        version: "native",
        route: "portal.echo",
        params: Vec::new(),
        query,
        caller: EchoCaller {
            kind: "friend",
            id: id.to_owned(),
        },
        friend: id.to_owned(),
    }))
}
