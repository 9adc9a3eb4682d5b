//! `/api/admin/plugins`: list, hot swap and roll back plugins while the host serves.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::runtime::{LoadError, PluginInfo, Swap};
use crate::state::SharedState;

pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<PluginInfo>>> {
    caller.require_admin()?;
    Ok(Json(state.runtime.info()))
}

/// The body is the component's bytes.
pub async fn install(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Swap>> {
    caller.require_admin()?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "send the component's bytes as the request body",
        ));
    }
    Ok(Json(
        state
            .runtime
            .install(&name, body.to_vec())
            .await
            .map_err(load_error)?,
    ))
}

pub async fn rollback(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Swap>> {
    caller.require_admin()?;
    Ok(Json(
        state.runtime.rollback(&name).await.map_err(load_error)?,
    ))
}

fn load_error(e: LoadError) -> ApiError {
    match e {
        LoadError::UnknownPlugin(_) => ApiError::not_found(e.to_string()),
        LoadError::NotAComponent(_) => ApiError::bad_request(e.to_string()),
        LoadError::Refused(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", e.to_string())
        }
        LoadError::NothingToRollBack(_) => ApiError::conflict(e.to_string()),
        LoadError::Io(e) => ApiError::internal(e),
    }
}
