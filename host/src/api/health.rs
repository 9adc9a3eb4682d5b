use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::SharedState;

pub async fn healthz(State(_state): State<SharedState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}
