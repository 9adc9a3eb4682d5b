use axum::Json;
use axum::extract::State;
use schemars::JsonSchema;
use serde::Serialize;

use crate::state::SharedState;

/// `GET /healthz`.
#[derive(Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok` when the host answers.
    pub status: &'static str,
    /// The portal's version.
    pub version: &'static str,
    /// `embedded` or `kube`.
    pub cluster: &'static str,
    /// `local` or `cloudflare`.
    pub dns: &'static str,
    pub plugins: Vec<PluginVersion>,
}

#[derive(Serialize, JsonSchema)]
pub struct PluginVersion {
    pub name: String,
    /// The sha256 of the component being served.
    pub version: String,
}

pub async fn healthz(State(state): State<SharedState>) -> Json<Health> {
    let plugins = state
        .runtime
        .plugins()
        .map(|p| PluginVersion {
            name: p.name().to_owned(),
            version: p.current().sha256.clone(),
        })
        .collect();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        cluster: state.cluster.mode.name(),
        dns: state.dns.mode().name(),
        plugins,
    })
}
