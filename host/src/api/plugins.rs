//! `/api/admin/plugins`: list, hot swap, release from a registry and roll back plugins while
//! the host serves.
//!
//! With one process and no release on record, an upload is installed here (hot swap). Once
//! the portal runs as several replicas (`--store kube`) or a plugin has releases, every
//! change goes through a release that each replica follows (`crate::releases`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::config::StoreMode;
use crate::error::{ApiError, ApiResult};
use crate::releases::publish::{self, Released, Rollout};
use crate::runtime::{PluginInfo, Swap};
use crate::state::SharedState;

pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PluginInfo>>> {
    caller.require_admin()?;
    Ok(Json(state.runtime.info()))
}

/// What an install, release or rollback changed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub name: String,
    /// The SHA-256 of the component served now (here).
    pub version: String,
    pub previous: String,
    /// With releases: where the release stands across the replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

impl From<Swap> for Change {
    fn from(swap: Swap) -> Self {
        Self {
            name: swap.name,
            version: swap.version,
            previous: swap.previous,
            rollout: None,
        }
    }
}

/// 200 once every live replica serves it, 202 while some do not.
fn answer(released: Released) -> (StatusCode, Json<Change>) {
    let status = if released.rollout.complete {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let mut change = Change::from(released.swap);
    change.rollout = Some(released.rollout);
    (status, Json(change))
}

/// Whether changes to `plugin` go through releases.
async fn released(state: &SharedState, plugin: &str) -> ApiResult<bool> {
    Ok(state.config.store == StoreMode::Kube
        || state.config.registry.push_to.is_some()
        || publish::has_releases(state, plugin).await?)
}

/// The body is the component's bytes.
pub async fn install(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Change>)> {
    caller.require_admin()?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "send the component's bytes as the request body",
        ));
    }
    if released(&state, &name).await? {
        let released = publish::from_upload(&state, &name, body.to_vec(), "admin").await?;
        return Ok(answer(released));
    }
    let swap = state
        .runtime
        .install(&name, body.to_vec())
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::OK, Json(swap.into())))
}

/// `{"reference": "oci://host/repository:tag"}` (or `@sha256:...`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelease {
    /// Where the component is: `oci://host[:port]/repository:tag`, `...@sha256:<digest>`.
    pub reference: String,
}

pub async fn release(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<NewRelease>,
) -> ApiResult<(StatusCode, Json<Change>)> {
    caller.require_admin()?;
    let released = publish::from_reference(&state, &name, &body.reference, "admin").await?;
    Ok(answer(released))
}

pub async fn rollback(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<Change>)> {
    caller.require_admin()?;
    if publish::has_releases(&state, &name).await? {
        return Ok(answer(publish::roll_back(&state, &name).await?));
    }
    let swap = state
        .runtime
        .rollback(&name)
        .await
        .map_err(ApiError::from)?;
    Ok((StatusCode::OK, Json(swap.into())))
}
