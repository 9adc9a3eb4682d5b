//! `/api/admin/*` endpoints native to the host.

use axum::Json;
use axum::extract::{Query, State};
use schemars::JsonSchema;
use serde::Deserialize;

use super::paging::{DEFAULT_LIMIT, MAX_LIMIT, checked_limit};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use portal_store::{AuditEntry, AuditQuery};

#[derive(Deserialize, JsonSchema)]
pub struct AuditParams {
    /// Only the entries about this friend.
    friend: Option<String>,
    /// How many entries, newest first (default 100).
    #[schemars(range(min = 1, max = MAX_LIMIT))]
    limit: Option<usize>,
}

pub async fn audit(
    State(state): State<SharedState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    caller.require_admin()?;
    let limit = checked_limit(params.limit.unwrap_or(DEFAULT_LIMIT))?;
    let query = AuditQuery {
        friend: params.friend.filter(|f| !f.is_empty()),
        limit,
    };
    Ok(Json(state.store.audit.audit_entries(&query).await?))
}

/// `GET /api/admin/dns`: the portal's DNS records in every allowed domain.
pub async fn dns(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<crate::dns::Record>>> {
    caller.require_admin()?;
    let mut records = Vec::new();
    for zone in &state.exposure.domains {
        let mut zone_records = state.dns.list(zone).await.map_err(|e| {
            ApiError::new(axum::http::StatusCode::BAD_GATEWAY, "dns", e.to_string())
        })?;
        zone_records.retain(|r| r.spec.zone == *zone);
        records.extend(zone_records);
    }
    records.sort_by(|a, b| a.spec.hostname.cmp(&b.spec.hostname));
    Ok(Json(records))
}
