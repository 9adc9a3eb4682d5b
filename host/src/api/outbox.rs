//! `GET /api/admin/outbox`: cron runs kept locally because no agent gateway is configured.

use axum::Json;
use axum::extract::{Query, State};
use schemars::JsonSchema;
use serde::Deserialize;

use super::paging::{DEFAULT_LIMIT, MAX_LIMIT, checked_limit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::scheduler::{JobError, OutboxEntry};
use crate::state::SharedState;

#[derive(Deserialize, JsonSchema)]
pub struct OutboxParams {
    /// Only this friend's runs.
    friend: Option<String>,
    /// How many entries, newest first (default 100).
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<usize>,
}

/// Newest first; `?friend=<id>` for one friend's, `?limit=` (1-1000, default 100).
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(params): Query<OutboxParams>,
) -> ApiResult<Json<Vec<OutboxEntry>>> {
    caller.require_admin()?;
    let limit = checked_limit(params.limit.unwrap_or(DEFAULT_LIMIT))?;
    let friend = params.friend.as_deref().filter(|f| !f.is_empty());
    match state.scheduler.outbox(friend, limit).await {
        Ok(entries) => Ok(Json(entries)),
        Err(e @ JobError::Unavailable) => Err(ApiError::internal(e)),
        Err(e) => Err(ApiError::bad_request(e.to_string())),
    }
}
