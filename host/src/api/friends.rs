//! `/api/friends`: profiles of the people the agents work for.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::operator_subject;
use super::paging::{MAX_LIMIT, checked_limit};
use crate::api::friend_patch::FriendPatch;
use crate::auth::Caller;
use crate::cluster::ClusterError;
use crate::error::{ApiError, ApiResult};
use crate::server::guard::AuditSubject;
use crate::server::json::JsonBody;
use crate::state::{AppState, SharedState};
use crate::validate;
use portal_store::{Friend, Friendship, Retired, StoredFriend, namespace_of};

/// A friend's profile, with their namespace and (for one friend) their agents.
#[derive(Serialize, JsonSchema)]
pub struct FriendView {
    #[serde(flatten)]
    friend: Friend,
    namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    agents: Option<Vec<AgentLink>>,
}

#[derive(Serialize, JsonSchema)]
pub struct AgentLink {
    pub agent_id: String,
    pub display_name: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

impl FriendView {
    fn of(friend: Friend) -> Self {
        Self {
            namespace: friend.namespace(),
            friend,
            agents: None,
        }
    }
}

/// The friend's agents, with display names, oldest friendship first.
pub async fn agent_links(state: &AppState, friend_id: &str) -> ApiResult<Vec<AgentLink>> {
    let mut links = Vec::new();
    for Friendship {
        agent_id, since, ..
    } in state.store.directory.agents_of_friend(friend_id).await?
    {
        let display_name = state
            .store
            .directory
            .agent(&agent_id)
            .await?
            .map_or_else(|| agent_id.clone(), |a| a.display_name);
        links.push(AgentLink {
            agent_id,
            display_name,
            since,
        });
    }
    links.sort_by_key(|l| l.since);
    Ok(links)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFriend {
    /// Becomes the namespace `friend-<id>`: 1-32 of a-z, 0-9 and '-'.
    #[schemars(length(max = crate::validate::ID_MAX), pattern(crate::validate::ID_PATTERN))]
    id: String,
    #[schemars(length(min = 1, max = crate::validate::DISPLAY_NAME_MAX), pattern(crate::validate::DISPLAY_NAME_PATTERN))]
    display_name: String,
    #[serde(default)]
    #[schemars(pattern(crate::validate::DISCORD_ID_PATTERN))]
    discord_id: Option<String>,
    #[serde(default)]
    #[schemars(pattern(crate::validate::PHONE_PATTERN))]
    signal: Option<String>,
    #[serde(default)]
    #[schemars(pattern(crate::validate::PHONE_PATTERN))]
    whatsapp: Option<String>,
    #[serde(default)]
    preferred_channel: Option<String>,
    /// Admin only: the agent to make the friendship with, so the friend sees their agent
    /// at once. An agent creating a friend always makes the friendship with itself.
    #[serde(default)]
    #[schemars(length(max = crate::validate::ID_MAX), pattern(crate::validate::ID_PATTERN))]
    agent_id: Option<String>,
}

/// `before`: the record being changed. A phone number kept as it was is not checked again,
/// so a number stored before numbers had to be international holds up no other change.
fn check(friend: &Friend, before: Option<&Friend>) -> ApiResult<()> {
    validate::friend_id(&friend.id).map_err(|r| ApiError::invalid("id", r))?;
    validate::display_name(&friend.display_name)
        .map_err(|r| ApiError::invalid("display_name", r))?;
    if let Some(v) = &friend.discord_id {
        validate::discord_id(v).map_err(|r| ApiError::invalid("discord_id", r))?;
    }
    let kept = |new: &Option<String>, old: Option<&Option<String>>| old == Some(new);
    if let Some(v) = &friend.signal
        && !kept(&friend.signal, before.map(|b| &b.signal))
    {
        validate::phone(v).map_err(|r| ApiError::invalid("signal", r))?;
    }
    if let Some(v) = &friend.whatsapp
        && !kept(&friend.whatsapp, before.map(|b| &b.whatsapp))
    {
        validate::phone(v).map_err(|r| ApiError::invalid("whatsapp", r))?;
    }
    check_preferred_channel(friend)
}

/// The preferred channel, when set, is one the friend has an id for.
pub fn check_preferred_channel(friend: &Friend) -> ApiResult<()> {
    if let Some(channel) = &friend.preferred_channel {
        let channels = friend.channels();
        if !channels.contains(&channel.as_str()) {
            let known = if channels.is_empty() {
                "none yet".to_owned()
            } else {
                channels.join(", ")
            };
            return Err(ApiError::invalid(
                "preferred_channel",
                format!("must be a channel the friend has an id for (known: {known})"),
            ));
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(body): JsonBody<NewFriend>,
) -> ApiResult<Response> {
    caller.require_operator()?;
    let now = state.clock.now();
    let mut friend = Friend {
        id: body.id,
        display_name: body.display_name,
        discord_id: body.discord_id,
        signal: body.signal,
        whatsapp: body.whatsapp,
        preferred_channel: body.preferred_channel,
        created_at: now,
        updated_at: now,
    };
    check(&friend, None)?;
    if friend.preferred_channel.is_none() {
        friend.preferred_channel = friend.channels().first().map(|c| (*c).to_owned());
    }
    let agent = befriending_agent(&state, &caller, body.agent_id.as_deref()).await?;
    namespace_is_free(&state, &friend.id).await?;
    state
        .store
        .directory
        .create_friend(&friend, agent.as_deref())
        .await?;
    state.workspace.write_profile(&friend).await?;
    if let Err(e) = state.cluster.provision(&friend.id).await {
        // The friend exists either way; POST .../namespace/provision retries.
        tracing::warn!(friend = %friend.id, error = %e, "namespace provisioning failed");
    }
    tracing::info!(friend = %friend.id, "friend created");
    let subject = AuditSubject(friend.id.clone());
    let mut view = FriendView::of(friend);
    view.agents = Some(agent_links(&state, &view.friend.id).await?);
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    response.extensions_mut().insert(subject);
    Ok(response)
}

/// The agent a new friend's friendship is with: the calling agent, or the admin's
/// `agent_id` (which must name a registered agent).
async fn befriending_agent(
    state: &AppState,
    caller: &Caller,
    agent_id: Option<&str>,
) -> ApiResult<Option<String>> {
    match (caller, agent_id) {
        (Caller::Agent(own), None) => Ok(Some(own.clone())),
        (Caller::Agent(own), Some(named)) if named == own => Ok(Some(own.clone())),
        (Caller::Agent(_), Some(_)) => Err(ApiError::invalid(
            "agent_id",
            "an agent makes friendships only for itself; leave agent_id out",
        )),
        (_, None) => Ok(None),
        (_, Some(named)) => match state.store.directory.agent(named).await? {
            Some(_) => Ok(Some(named.to_owned())),
            None => Err(ApiError::invalid(
                "agent_id",
                format!("no agent '{named}' is registered (POST /api/agents first)"),
            )),
        },
    }
}

#[derive(Deserialize, JsonSchema)]
pub struct ListParams {
    /// Page size (1-1000). Without it every friend comes back at once; with it, a
    /// `Link: <...>; rel="next"` header points to the next page while friends remain.
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<usize>,
    /// Start after this friend id (ids sort bytewise); the `next` link carries it.
    after: Option<String>,
}

/// Friends in id order; an agent sees those it has a friendship with.
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Response> {
    caller.require_operator()?;
    let limit = params.limit.map(checked_limit).transpose()?;
    let agent = match &caller {
        Caller::Agent(agent) => Some(agent.as_str()),
        _ => None,
    };
    let after = params.after.as_deref().filter(|a| !a.is_empty());
    let page = state
        .store
        .directory
        .friends_page(agent, after, limit.unwrap_or(usize::MAX))
        .await?;
    let next = match (limit, page.more, page.friends.last()) {
        (Some(limit), true, Some(last)) => Some(next_link(limit, &last.id)),
        _ => None,
    };
    let json = HeaderValue::from_static("application/json");
    let mut response = ([(header::CONTENT_TYPE, json)], list_body(&page.friends)?).into_response();
    if let Some(link) = next.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// The list's body, spliced from the stored records rather than decoded and encoded again.
///
/// A record is `{...}` as serde_json wrote a [`Friend`], and a [`FriendView`] serialises
/// as the friend's fields (flattened, same order) followed by `namespace`: so each view is
/// its record with `,"namespace":"..."` put before the closing brace. Byte for byte what
/// serialising the views gives (the tests below check it); listing 10,000 friends spent
/// most of its time parsing and re-formatting timestamps and allocating strings. A field
/// ever dropped from `Friend` must also be dropped from stored records by a migration
/// (`store::SCHEMA_VERSION`), or lists would keep showing it.
fn list_body(friends: &[StoredFriend]) -> ApiResult<Vec<u8>> {
    let size: usize = friends.iter().map(|f| f.json.len() + f.id.len() + 24).sum();
    let mut body = Vec::with_capacity(size + 2);
    body.push(b'[');
    for (i, friend) in friends.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let fields = friend
            .json
            .strip_suffix(b"}")
            .filter(|open| open.starts_with(b"{\"") && open.len() > 2)
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "friend '{}': stored record is not a JSON object",
                    friend.id
                ))
            })?;
        body.extend_from_slice(fields);
        body.extend_from_slice(b",\"namespace\":");
        serde_json::to_writer(&mut body, &namespace_of(&friend.id)).map_err(ApiError::internal)?;
        body.push(b'}');
    }
    body.push(b']');
    Ok(body)
}

/// RFC 8288 link to the page after `last`.
fn next_link(limit: usize, last: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("limit", &limit.to_string())
        .append_pair("after", last)
        .finish();
    format!("</api/friends?{query}>; rel=\"next\"")
}

pub async fn get(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<FriendView>> {
    let friend = operator_subject(&state, &caller, &id).await?;
    let mut view = FriendView::of(friend);
    view.agents = Some(agent_links(&state, &id).await?);
    Ok(Json(view))
}

pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<FriendPatch>,
) -> ApiResult<Json<FriendView>> {
    let mut friend = operator_subject(&state, &caller, &id).await?;
    let before = friend.clone();
    patch.apply(&mut friend);
    check(&friend, Some(&before))?;
    friend.updated_at = state.clock.now();
    state.store.directory.put_friend(&friend).await?;
    state.workspace.write_profile(&friend).await?;
    let mut view = FriendView::of(friend);
    view.agents = Some(agent_links(&state, &id).await?);
    Ok(Json(view))
}

#[derive(Deserialize, JsonSchema)]
pub struct DeleteParams {
    /// Also delete the namespace, the friend's DNS records and their plugins' data. Without
    /// it these are kept and the id stays retired (a new friend cannot take it) until an
    /// admin deletes it again with `purge=true`.
    #[serde(default)]
    purge: bool,
}

/// Without `purge`, the namespace and the plugins' data stay and the id is retired; with
/// it, they go too. An admin may also purge a retired id, which frees it.
pub async fn delete(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<DeleteParams>,
) -> ApiResult<StatusCode> {
    let existing = match operator_subject(&state, &caller, &id).await {
        Ok(friend) => Some(friend),
        Err(e)
            if params.purge
                && caller.require_admin().is_ok()
                && state.store.directory.retired(&id).await?.is_some() =>
        {
            drop(e);
            None
        }
        Err(e) => return Err(e),
    };
    // The workspace folder is the agent's and is never deleted here (it is archived).
    if params.purge {
        let cluster_error = |e| match e {
            ClusterError::Conflict(m) => ApiError::conflict(m),
            e => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "cluster",
                format!("could not delete the namespace: {e}"),
            ),
        };
        // A namespace that is not the friend's stops the purge before anything goes (one
        // already being deleted goes on).
        state
            .cluster
            .namespace_lookup(&id)
            .await
            .map_err(cluster_error)?;
        purge_dns(&state, &id).await?;
        state.cluster.purge(&id).await.map_err(cluster_error)?;
        state.runtime.services().kv.forget_friend(&id).await?;
    }
    let now = state.clock.now();
    if existing.is_some() {
        // Retired even for a purge, until what was theirs is gone: a new friend given the
        // id in between would otherwise see the old one's jobs and workspace files.
        let retired = Retired { deleted_at: now };
        state
            .store
            .directory
            .delete_friend(&id, Some(&retired))
            .await?;
    }
    // Nothing of theirs may pass to a friend later given the same id. For a retired id
    // being purged this finishes a delete that stopped half way.
    state
        .scheduler
        .delete_friend(&id)
        .await
        .map_err(|e| ApiError::internal(format!("removing cron jobs: {e:?}")))?;
    state.workspace.archive(&id, now).await?;
    if params.purge {
        state.store.directory.unretire(&id).await?;
    }
    if existing.is_none() {
        tracing::info!(friend = %id, "retired friend purged; the id is free");
    } else {
        tracing::info!(friend = %id, purged = params.purge, "friend deleted");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new friend's namespace name must not be taken by a namespace the portal did not make
/// for them (the portal's own, another system's): 409. When the cluster cannot be asked,
/// creation goes on; provisioning checks again before it writes anything.
async fn namespace_is_free(state: &AppState, friend_id: &str) -> ApiResult<()> {
    match state.cluster.namespace_state(friend_id).await {
        Ok(_) => Ok(()),
        Err(ClusterError::Conflict(m)) => Err(ApiError::conflict(format!(
            "the id '{friend_id}' cannot be used: {m}"
        ))),
        Err(e) => {
            tracing::warn!(friend = friend_id, error = %e, "could not check the namespace before creating the friend");
            Ok(())
        }
    }
}

/// Admin: links an agent to an existing friend (for a second agent, or an admin-created friend).
pub async fn link_agent(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, agent_id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<AgentLink>>> {
    caller.require_admin()?;
    operator_subject(&state, &caller, &id).await?;
    if state.store.directory.agent(&agent_id).await?.is_none() {
        return Err(ApiError::not_found(format!("no agent '{agent_id}'")));
    }
    let friendship = Friendship {
        agent_id,
        friend_id: id.clone(),
        since: state.clock.now(),
    };
    state.store.directory.add_friendship(&friendship).await?;
    Ok(Json(agent_links(&state, &id).await?))
}

pub async fn unlink_agent(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, agent_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    operator_subject(&state, &caller, &id).await?;
    if state
        .store
        .directory
        .remove_friendship(&agent_id, &id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "agent '{agent_id}' has no friendship with '{id}'"
        )))
    }
}

/// Deletes the DNS records of a friend whose namespace (and so IngressRoutes) goes, and
/// releases the hostnames they held. Only records marked for this friend are deleted.
async fn purge_dns(state: &AppState, friend_id: &str) -> ApiResult<()> {
    let dns_error = |e: crate::dns::DnsError| {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "dns",
            format!("could not delete the friend's DNS records: {e}"),
        )
    };
    for zone in &state.exposure.domains {
        for record in state.dns.list(zone).await.map_err(dns_error)? {
            if record.spec.friend == friend_id && record.spec.zone == *zone {
                state
                    .dns
                    .delete(zone, &record.spec.hostname, friend_id)
                    .await
                    .map_err(dns_error)?;
            }
        }
    }
    state.store.hostnames.release_all(friend_id).await?;
    Ok(())
}

#[cfg(test)]
#[path = "friends_tests.rs"]
mod tests;
