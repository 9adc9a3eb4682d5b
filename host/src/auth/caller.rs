//! Who is calling: resolved once per request from the bearer token, then read by handlers.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Agent(String),
    /// A friend in the portal, with the hash of the session token they presented.
    Friend {
        id: String,
        session: [u8; 32],
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerKind {
    Admin,
    Agent,
    Friend,
}

impl Caller {
    pub fn kind(&self) -> CallerKind {
        match self {
            Caller::Admin => CallerKind::Admin,
            Caller::Agent(_) => CallerKind::Agent,
            Caller::Friend { .. } => CallerKind::Friend,
        }
    }

    /// The caller's id: `admin`, the agent id or the friend id.
    pub fn id(&self) -> &str {
        match self {
            Caller::Admin => "admin",
            Caller::Agent(id) => id,
            Caller::Friend { id, .. } => id,
        }
    }

    /// `admin`, `agent:<id>` or `friend:<id>`: how audit entries and logs name the caller.
    pub fn label(&self) -> String {
        match self {
            Caller::Admin => "admin".to_owned(),
            Caller::Agent(id) => format!("agent:{id}"),
            Caller::Friend { id, .. } => format!("friend:{id}"),
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            _ => Err(ApiError::forbidden(
                "this endpoint is for the operator's admin token",
            )),
        }
    }

    /// Admins and agents: the `/api/friends/*` side of the API.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self {
            Caller::Admin | Caller::Agent(_) => Ok(()),
            Caller::Friend { .. } => Err(ApiError::forbidden(
                "portal sessions can only use /api/portal/*",
            )),
        }
    }

    /// The portal is the friend's own view: admin and agent tokens are refused there.
    pub fn require_friend(&self) -> Result<&str, ApiError> {
        match self {
            Caller::Friend { id, .. } => Ok(id),
            _ => Err(ApiError::forbidden(
                "/api/portal/* needs a friend's portal session; use /api/friends/:id/* instead",
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::unauthorized("unauthenticated", "send 'Authorization: Bearer <token>'")
        })
    }
}
