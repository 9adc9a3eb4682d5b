use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::SharedState;

pub async fn healthz(State(state): State<SharedState>) -> Json<Value> {
    let plugins: Vec<Value> = state
        .runtime
        .plugins()
        .map(|p| json!({"name": p.name(), "version": p.current().sha256}))
        .collect();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "cluster": state.cluster.mode.name(),
        "dns": state.dns.mode().name(),
        "plugins": plugins,
    }))
}
