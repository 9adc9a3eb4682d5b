//! `portal plugin install|list|rollback`: hot swap from the command line, by talking to
//! a running portal's admin API.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::Value;

#[derive(Args)]
pub struct Remote {
    /// The running portal.
    #[arg(long, env = "PORTAL_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The admin token. Default: `<data-dir>/admin-token`. Prefer --admin-token-file or
    /// the environment: a flag shows in the process list.
    #[arg(long, env = "PORTAL_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// A file holding the admin token (instead of --admin-token).
    #[arg(long, env = "PORTAL_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// The data dir whose `admin-token` is read when no token is given.
    #[arg(long, env = "PORTAL_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
pub enum PluginCommand {
    /// Make a component the plugin's current version: `oci://host/repository:tag` (a
    /// release every replica pulls), or a `.wasm` file to upload (pushed to the portal's
    /// plugin registry when it has one).
    Install {
        /// The plugin's name in the policy (e.g. `secrets`).
        name: String,
        /// `oci://REF`, or the component to upload (a `.wasm` built for wasm32-wasip2).
        source: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// The plugins with their versions and figures.
    List {
        #[command(flatten)]
        remote: Remote,
    },
    /// Return a plugin to the version before the current one.
    Rollback {
        /// The plugin's name in the policy.
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

impl Remote {
    fn token(&self) -> anyhow::Result<String> {
        if let Some(token) = crate::cli_secrets::token_from(
            self.admin_token.as_deref(),
            self.admin_token_file.as_deref(),
            "admin token",
        )? {
            return Ok(token);
        }
        let file = self.data_dir.join("admin-token");
        let token = std::fs::read_to_string(&file).map_err(|e| {
            anyhow::anyhow!(
                "no admin token: pass --admin-token-file, PORTAL_ADMIN_TOKEN or --admin-token ({}: {e})",
                file.display()
            )
        })?;
        Ok(token.trim().to_owned())
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }
}

async fn answer(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("no message");
        anyhow::bail!("{status}: {message}");
    }
    Ok(body)
}

/// With releases: says which replicas serve the change, and fails when some do not.
fn rollout_done(change: &Value) -> anyhow::Result<()> {
    let Some(rollout) = change.get("rollout") else {
        return Ok(());
    };
    let serving: Vec<&str> = rollout["serving"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    println!("served by: {}", serving.join(", "));
    if rollout["complete"] == Value::Bool(true) {
        return Ok(());
    }
    let pending: Vec<String> = rollout["pending"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| match p["error"].as_str() {
            Some(error) => format!("{} ({error})", p["replica"].as_str().unwrap_or("?")),
            None => p["replica"].as_str().unwrap_or("?").to_owned(),
        })
        .collect();
    anyhow::bail!("released, but not yet served by: {}", pending.join(", "))
}

pub async fn run(command: PluginCommand) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    match command {
        PluginCommand::Install {
            name,
            source,
            remote,
        } => {
            let request = if source.starts_with("oci://") {
                http.post(remote.endpoint(&format!("/api/admin/plugins/{name}/releases")))
                    .json(&serde_json::json!({ "reference": source }))
            } else {
                let bytes = std::fs::read(&source).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
                http.put(remote.endpoint(&format!("/api/admin/plugins/{name}")))
                    .body(bytes)
            };
            let response = request.bearer_auth(remote.token()?).send().await?;
            let change = answer(response).await?;
            println!(
                "{name}: {} (was {})",
                change["version"].as_str().unwrap_or("?"),
                change["previous"].as_str().unwrap_or("?")
            );
            rollout_done(&change)?;
        }
        PluginCommand::List { remote } => {
            let response = http
                .get(remote.endpoint("/api/admin/plugins"))
                .bearer_auth(remote.token()?)
                .send()
                .await?;
            println!(
                "{:<12} {:<14} {:>9} {:>7} {:>6} {:>8} {:>8}",
                "PLUGIN", "VERSION", "REQUESTS", "ERRORS", "TRAPS", "P50_MS", "P99_MS"
            );
            for p in answer(response).await?.as_array().into_iter().flatten() {
                println!(
                    "{:<12} {:<14} {:>9} {:>7} {:>6} {:>8.2} {:>8.2}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"]
                        .as_str()
                        .unwrap_or("?")
                        .get(..12)
                        .unwrap_or("?"),
                    p["requests"],
                    p["errors"],
                    p["traps"],
                    p["p50_ms"].as_f64().unwrap_or(0.0),
                    p["p99_ms"].as_f64().unwrap_or(0.0)
                );
            }
        }
        PluginCommand::Rollback { name, remote } => {
            let response = http
                .post(remote.endpoint(&format!("/api/admin/plugins/{name}/rollback")))
                .bearer_auth(remote.token()?)
                .send()
                .await?;
            let swap = answer(response).await?;
            rollout_done(&swap)?;
            println!(
                "{name}: back to {} (was {})",
                swap["version"].as_str().unwrap_or("?"),
                swap["previous"].as_str().unwrap_or("?")
            );
        }
    }
    Ok(())
}
