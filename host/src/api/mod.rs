//! Host-native endpoints. Plugin routes are added from the policy table by `server`.

mod admin;
mod agents;
mod friends;
mod outbox;
pub mod health;
mod plugins;
mod portal;
mod sessions;
mod subject;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

pub use agents::register as register_agent;
pub use subject::operator_subject;

use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/api/agents", get(agents::list).post(agents::create))
        .route("/api/agents/{id}", delete(agents::revoke))
        .route("/api/auth/portal-session", post(sessions::create))
        .route("/api/portal/session", delete(sessions::revoke_own))
        .route("/api/friends", get(friends::list).post(friends::create))
        .route(
            "/api/friends/{id}",
            get(friends::get)
                .put(friends::update)
                .delete(friends::delete),
        )
        .route(
            "/api/friends/{id}/sessions",
            delete(sessions::revoke_friend),
        )
        .route(
            "/api/friends/{id}/agents/{agent_id}",
            put(friends::link_agent).delete(friends::unlink_agent),
        )
        .route("/api/portal/me", get(portal::me))
        .route("/api/portal/agents", get(portal::agents))
        .route("/api/portal/echo", get(portal::echo))
        .route("/api/admin/audit", get(admin::audit))
        .route("/api/admin/dns", get(admin::dns))
        .route("/api/admin/outbox", get(outbox::list))
        .route("/api/admin/plugins", get(plugins::list))
        .route(
            "/api/admin/plugins/{name}",
            put(plugins::install).layer(DefaultBodyLimit::max(crate::runtime::MAX_COMPONENT_BYTES)),
        )
        .route(
            "/api/admin/plugins/{name}/rollback",
            post(plugins::rollback),
        )
}
