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
    /// Upload a component and make it the plugin's current version.
    Install {
        /// The plugin's name in the policy (e.g. `secrets`).
        name: String,
        /// The component to upload (a `.wasm` built for wasm32-wasip2).
        file: PathBuf,
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

pub async fn run(command: PluginCommand) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    match command {
        PluginCommand::Install { name, file, remote } => {
            let bytes =
                std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let response = http
                .put(remote.endpoint(&format!("/api/admin/plugins/{name}")))
                .bearer_auth(remote.token()?)
                .body(bytes)
                .send()
                .await?;
            let swap = answer(response).await?;
            println!(
                "{name}: {} (was {})",
                swap["version"].as_str().unwrap_or("?"),
                swap["previous"].as_str().unwrap_or("?")
            );
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
            println!(
                "{name}: back to {} (was {})",
                swap["version"].as_str().unwrap_or("?"),
                swap["previous"].as_str().unwrap_or("?")
            );
        }
    }
    Ok(())
}
