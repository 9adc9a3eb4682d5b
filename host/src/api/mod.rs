//! Host-native endpoints. [`NATIVE_ROUTES`] is the one table of them: the router is built
//! from it, and so are their operations in the OpenAPI document (`openapi`) and the paths
//! the plugin policy may not take. Plugin routes are added from the policy table by `server`.

mod admin;
mod agents;
pub mod friend_patch;
mod friends;
pub mod health;
pub mod openapi;
mod outbox;
mod paging;
mod plugins;
mod portal;
mod portal_sessions;
mod sessions;
mod subject;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

pub use agents::register as register_agent;
pub use openapi::NativeRoute;
pub use subject::operator_subject;

use crate::auth::CallerKind::{self, Admin, Agent, Friend};
use crate::state::SharedState;
use openapi::{NativeRoute as R, Reply, inline, schema};

const ADMIN: &[CallerKind] = &[Admin];
const OPERATORS: &[CallerKind] = &[Admin, Agent];
const FRIEND: &[CallerKind] = &[Friend];
const PUBLIC: &[CallerKind] = &[];

/// Every route the host serves itself (besides the portal page's files).
pub static NATIVE_ROUTES: &[NativeRoute] = &[
    R::new(Method::GET, "/api/agents", ADMIN, "agents.list", "The registered agents", |m| {
        on(m, agents::list)
    })
    .replies(&[Reply::json(200, "The agents", schema::<Vec<portal_store::Agent>>)]),
    R::new(
        Method::POST,
        "/api/agents",
        ADMIN,
        "agents.create",
        "Registers an agent; its token is shown this once",
        |m| on(m, agents::create),
    )
    .json_body(schema::<agents::NewAgent>)
    .replies(&[Reply::json(201, "The agent, with its token", schema::<agents::NewAgentToken>)])
    .errors(&[409]),
    R::new(
        Method::DELETE,
        "/api/agents/{id}",
        ADMIN,
        "agents.revoke",
        "Revokes an agent: its token stops working, its friendships end",
        |m| on(m, agents::revoke),
    )
    .replies(&[Reply::empty(204, "Revoked")])
    .errors(&[404]),
    R::new(
        Method::POST,
        "/api/auth/portal-session",
        OPERATORS,
        "sessions.create",
        "A magic link for a friend: its token works until the link is opened (exchanged) or \
         expires (sessions.toml, 7 days); at most 10 per friend per hour",
        |m| on(m, sessions::create),
    )
    .json_body(schema::<sessions::NewSession>)
    .replies(&[Reply::json(201, "The link", schema::<sessions::PortalSession>)])
    .errors(&[404, 429]),
    R::new(
        Method::POST,
        "/api/auth/exchange",
        PUBLIC,
        "sessions.exchange",
        "Opens a magic link: spends its token and answers a session token valid 30 days. \
         401 with code link_expired, link_used, link_revoked or link_unknown otherwise",
        |m| on(m, sessions::exchange),
    )
    .json_body(schema::<sessions::LinkExchange>)
    .replies(&[Reply::json(201, "The browser's session", schema::<sessions::ExchangedSession>)]),
    R::new(
        Method::GET,
        "/api/portal/sessions",
        FRIEND,
        "sessions.list-own",
        "The friend's sessions and unopened links that still work, oldest first",
        |m| on(m, portal_sessions::list),
    )
    .replies(&[Reply::json(200, "The sessions", schema::<Vec<portal_sessions::SessionView>>)]),
    R::new(
        Method::DELETE,
        "/api/portal/sessions/{id}",
        FRIEND,
        "sessions.end-own",
        "Ends one of the friend's sessions (or an unopened link)",
        |m| on(m, portal_sessions::end),
    )
    .replies(&[Reply::empty(204, "Ended")])
    .errors(&[404]),
    R::new(
        Method::DELETE,
        "/api/portal/session",
        FRIEND,
        "sessions.revoke-own",
        "Logout: revokes the caller's own session",
        |m| on(m, sessions::revoke_own),
    )
    .replies(&[Reply::empty(204, "Signed out")]),
    R::new(
        Method::GET,
        "/api/friends",
        OPERATORS,
        "friends.list",
        "The friends in id order (an agent sees those it has a friendship with); paged with limit and after",
        |m| on(m, friends::list),
    )
    .query(inline::<friends::ListParams>)
    .replies(&[Reply::json(200, "The friends", schema::<Vec<friends::FriendView>>)])
    .errors(&[422]),
    R::new(
        Method::POST,
        "/api/friends",
        OPERATORS,
        "friends.create",
        "Creates a friend (and the friendship with the calling agent) and provisions their namespace",
        |m| on(m, friends::create),
    )
    .json_body(schema::<friends::NewFriend>)
    .replies(&[Reply::json(201, "The friend", schema::<friends::FriendView>)])
    .errors(&[409]),
    R::new(
        Method::GET,
        "/api/friends/{id}",
        OPERATORS,
        "friends.get",
        "A friend's profile, with namespace and agents",
        |m| on(m, friends::get),
    )
    .replies(&[Reply::json(200, "The friend", schema::<friends::FriendView>)])
    .errors(&[404]),
    R::new(
        Method::PUT,
        "/api/friends/{id}",
        OPERATORS,
        "friends.update",
        "Partial update of a friend's profile (null clears a field)",
        |m| on(m, friends::update),
    )
    .json_body(schema::<crate::api::friend_patch::FriendPatch>)
    .replies(&[Reply::json(200, "The friend", schema::<friends::FriendView>)])
    .errors(&[404, 409]),
    R::new(
        Method::DELETE,
        "/api/friends/{id}",
        OPERATORS,
        "friends.delete",
        "Deletes a friend and their sessions; the namespace too with purge=true",
        |m| on(m, friends::delete),
    )
    .query(inline::<friends::DeleteParams>)
    .replies(&[Reply::empty(204, "Deleted")])
    .errors(&[404, 409, 502]),
    R::new(
        Method::DELETE,
        "/api/friends/{id}/sessions",
        OPERATORS,
        "sessions.revoke-friend",
        "Revokes all of a friend's portal sessions",
        |m| on(m, sessions::revoke_friend),
    )
    .replies(&[Reply::json(200, "How many were revoked", schema::<sessions::Revoked>)])
    .errors(&[404]),
    R::new(
        Method::PUT,
        "/api/friends/{id}/agents/{agent_id}",
        ADMIN,
        "friends.link-agent",
        "Introduces an agent to a friend (a friendship)",
        |m| on(m, friends::link_agent),
    )
    .replies(&[Reply::json(200, "The friend's agents", schema::<Vec<friends::AgentLink>>)])
    .errors(&[404]),
    R::new(
        Method::DELETE,
        "/api/friends/{id}/agents/{agent_id}",
        ADMIN,
        "friends.unlink-agent",
        "Ends a friendship",
        |m| on(m, friends::unlink_agent),
    )
    .replies(&[Reply::empty(204, "Ended")])
    .errors(&[404]),
    R::new(Method::GET, "/api/portal/me", FRIEND, "portal.me", "The friend's own profile", |m| {
        on(m, portal::me)
    })
    .replies(&[Reply::json(200, "The profile", schema::<portal::Me>)])
    .errors(&[404]),
    R::new(
        Method::PUT,
        "/api/portal/me",
        FRIEND,
        "portal.update-me",
        "Sets the friend's preferred channel, one they have an id for",
        |m| on(m, portal::update_me),
    )
    .json_body(schema::<portal::MePatch>)
    .replies(&[Reply::json(200, "The profile", schema::<portal::Me>)])
    .errors(&[404]),
    R::new(
        Method::GET,
        "/api/portal/agents",
        FRIEND,
        "portal.agents",
        "The friend's agents",
        |m| on(m, portal::agents),
    )
    .replies(&[Reply::json(
        200,
        "The agents, each with the sessions a cron job may send to",
        schema::<Vec<portal::PortalAgent>>,
    )]),
    R::new(
        Method::GET,
        "/api/admin/audit",
        ADMIN,
        "admin.audit",
        "Audit entries of every mutation, newest first",
        |m| on(m, admin::audit),
    )
    .query(inline::<admin::AuditParams>)
    .replies(&[Reply::json(200, "The entries", schema::<Vec<portal_store::AuditEntry>>)])
    .errors(&[422]),
    R::new(Method::GET, "/api/admin/dns", ADMIN, "admin.dns", "The portal's DNS records", |m| {
        on(m, admin::dns)
    })
    .replies(&[Reply::json(200, "The records", schema::<Vec<crate::dns::Record>>)])
    .errors(&[502]),
    R::new(
        Method::GET,
        "/api/admin/outbox",
        ADMIN,
        "admin.outbox",
        "Cron runs delivered locally (no agent gateway), newest first",
        |m| on(m, outbox::list),
    )
    .query(inline::<outbox::OutboxParams>)
    .replies(&[Reply::json(200, "The runs", schema::<Vec<crate::scheduler::OutboxEntry>>)])
    .errors(&[422]),
    R::new(
        Method::GET,
        "/api/admin/plugins",
        ADMIN,
        "plugins.list",
        "The plugins, with their figures",
        |m| on(m, plugins::list),
    )
    .replies(&[Reply::json(200, "The plugins", schema::<Vec<crate::runtime::PluginInfo>>)]),
    R::new(
        Method::PUT,
        "/api/admin/plugins/{name}",
        ADMIN,
        "plugins.install",
        "Hot swap: installs a new version of a plugin (a WebAssembly component)",
        |m| {
            on(m, plugins::install)
                .layer(DefaultBodyLimit::max(crate::runtime::MAX_COMPONENT_BYTES))
        },
    )
    .bytes_body("application/wasm", crate::runtime::MAX_COMPONENT_BYTES)
    .replies(&[
        Reply::json(200, "Installed (on every replica, when releases are in use)", schema::<plugins::Change>),
        Reply::json(202, "Released; some replicas do not serve it yet (rollout.pending)", schema::<plugins::Change>),
    ])
    .errors(&[404, 409, 502]),
    R::new(
        Method::POST,
        "/api/admin/plugins/{name}/releases",
        ADMIN,
        "plugins.release",
        "Releases a plugin from an OCI registry: every replica pulls the component (pinned by \
         digest), checks it, compiles it and serves it; answered once every live replica \
         serves it, or after a minute naming those that do not",
        |m| on(m, plugins::release),
    )
    .json_body(schema::<plugins::NewRelease>)
    .replies(&[
        Reply::json(200, "Released, served by every replica", schema::<plugins::Change>),
        Reply::json(202, "Released; some replicas do not serve it yet (rollout.pending)", schema::<plugins::Change>),
    ])
    .errors(&[404, 409, 422, 502]),
    R::new(
        Method::POST,
        "/api/admin/plugins/{name}/rollback",
        ADMIN,
        "plugins.rollback",
        "Returns a plugin to its previous version (its previous release, on every replica)",
        |m| on(m, plugins::rollback),
    )
    .replies(&[
        Reply::json(200, "Rolled back", schema::<plugins::Change>),
        Reply::json(202, "Rolled back; some replicas do not serve it yet (rollout.pending)", schema::<plugins::Change>),
    ])
    .errors(&[404, 409]),
    R::new(Method::GET, "/healthz", PUBLIC, "health", "Health, version and plugins", |m| {
        on(m, health::healthz)
    })
    .replies(&[Reply::json(200, "Up", schema::<health::Health>)]),
    R::new(
        Method::GET,
        "/metrics",
        ADMIN,
        "metrics",
        "Prometheus metrics (the admin token: they describe every friend's traffic)",
        |m| on(m, crate::server::metrics::endpoint),
    )
    .replies(&[Reply::text(200, "The metrics", "application/openmetrics-text")]),
    R::new(
        Method::GET,
        openapi::PATH,
        PUBLIC,
        "openapi",
        "This document: OpenAPI 3 for the host's routes and the loaded plugins' routes",
        |m| on(m, openapi::serve),
    )
    .replies(&[Reply::json(
        200,
        "The OpenAPI document",
        schema::<serde_json::Map<String, serde_json::Value>>,
    )]),
];

/// Host routes for the benchmarks only, served (and documented) only when the plugin
/// policy says `native_echo = true`, as the tests' policy does: the host-native twin of the
/// hello fixture, the baseline the sandbox's cost is measured against.
pub static BENCH_ROUTES: &[NativeRoute] = &[R::new(
    Method::GET,
    "/api/portal/echo",
    FRIEND,
    "portal.echo",
    "The request as a plugin would see it, answered by the host (the hello plugin's native twin)",
    |m| on(m, portal::echo),
)
.replies(&[Reply::json(200, "The request", schema::<portal::Echo>)])];

/// The host's routes a portal serves: [`NATIVE_ROUTES`], and [`BENCH_ROUTES`] with `native_echo`.
pub fn host_routes(native_echo: bool) -> impl Iterator<Item = &'static NativeRoute> {
    let bench: &'static [NativeRoute] = if native_echo { BENCH_ROUTES } else { &[] };
    NATIVE_ROUTES.iter().chain(bench)
}

/// The router of [`host_routes`].
pub fn routes(native_echo: bool) -> Router<SharedState> {
    host_routes(native_echo).fold(Router::new(), |router, route| {
        let filter = MethodFilter::try_from(route.method.clone())
            .unwrap_or_else(|e| panic!("{} {}: {e}", route.method, route.path));
        router.route(route.path, (route.handler)(filter))
    })
}

/// Why a plugin route's path (`:param` or `{param}` syntax) may not be routed beside the
/// host's: it is one of the host's paths (whatever its parameters are called), or it names
/// a parameter where a host path has one of another name (the router cannot tell them apart).
pub fn native_route_clash(path: &str) -> Option<String> {
    let param = |seg: &str| -> Option<String> {
        seg.strip_prefix(':')
            .or_else(|| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
    };
    let theirs: Vec<&str> = path.split('/').collect();
    let segments = |native: &NativeRoute| {
        native
            .path
            .split('/')
            .zip(theirs.clone())
            .map(|(a, b)| (a, param(a), b, param(b)))
            .collect::<Vec<_>>()
    };
    let same = host_routes(true).find(|native| {
        native.path.split('/').count() == theirs.len()
            && segments(native)
                .iter()
                .all(|(a, pa, b, pb)| match (pa, pb) {
                    (Some(_), Some(_)) => true,
                    (None, None) => a == b,
                    _ => false,
                })
    });
    if let Some(native) = same {
        return Some(format!(
            "path '{path}' is served by the host itself ({} {})",
            native.method, native.path
        ));
    }
    host_routes(true).find_map(|native| {
        for (a, pa, b, pb) in segments(native) {
            match (pa, pb) {
                (Some(x), Some(y)) if x != y => {
                    return Some(format!(
                        "parameter ':{y}' is where the host's route {} has ':{x}': use that name",
                        native.path
                    ));
                }
                (Some(_), Some(_)) => {}
                (None, None) if a == b => {}
                _ => return None,
            }
        }
        None
    })
}
