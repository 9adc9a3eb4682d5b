//! The `portal` binary as a child process on a free port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ADMIN: &str = "child-admin-token-0123456789";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_portal")
}

pub fn portal(args: &[&str], data_dir: &Path) -> Output {
    Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap()
}

/// The `Idempotency-Key` a delivery carried, as a stand-in agent gateway reads it
/// (empty when there is none).
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub struct Child {
    pub url: String,
    process: Option<std::process::Child>,
    stderr: Arc<Mutex<String>>,
}

impl Child {
    pub async fn serve(data_dir: &Path) -> Self {
        Self::spawn(data_dir, Some(ADMIN), &[], &[]).await
    }

    pub async fn serve_without_token(data_dir: &Path) -> Self {
        Self::spawn(data_dir, None, &[], &[]).await
    }

    /// No `--admin-token` flag: `extra` says where the token comes from, if anywhere.
    pub async fn serve_without_token_with(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(data_dir, None, extra, &[]).await
    }

    pub async fn serve_with(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(data_dir, Some(ADMIN), extra, &[]).await
    }

    /// With environment variables set for the portal (e.g. `KUBECONFIG`).
    pub async fn serve_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Self {
        Self::spawn(data_dir, Some(ADMIN), extra, env).await
    }

    async fn spawn(
        data_dir: &Path,
        admin: Option<&str>,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> Self {
        let mut command = Command::new(binary());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env_remove("PORTAL_ADMIN_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(token) = admin {
            command.args(["--admin-token", token]);
        }
        let mut process = command.spawn().unwrap();
        let stderr = process.stderr.take().unwrap();
        let captured = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = captured.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("portal listening") {
                    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    let _ = tx.send(v["addr"].as_str().unwrap_or_default().to_owned());
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap()
            .unwrap_or_else(|_| panic!("portal did not start:\n{}", captured.lock().unwrap()));
        Self {
            url: format!("http://{addr}"),
            process: Some(process),
            stderr: captured,
        }
    }

    /// `method <url><path>` with a bearer token and, if given, a JSON body: the status
    /// and the JSON answer (`Null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// An agent `main` and a friend `friend` (display name Ann) with the Discord id
    /// `discord`, made through this portal: the agent's token, and a token that works for
    /// the friend (an unopened link's).
    pub async fn agent_and_friend(&self, friend: &str, discord: &str) -> (String, String) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/agents",
                ADMIN,
                Some(serde_json::json!({"id": "main", "display_name": "Main"})),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        let agent = body["token"].as_str().unwrap().to_owned();
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/friends",
                &agent,
                Some(
                    serde_json::json!({"id": friend, "display_name": "Ann", "discord_id": discord}),
                ),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        let session = self.link(&agent, friend).await;
        (agent, session)
    }

    /// A magic link for `friend`, asked by the agent whose token is `agent`: its token.
    pub async fn link(&self, agent: &str, friend: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/auth/portal-session",
                agent,
                Some(serde_json::json!({"friend_id": friend})),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        body["session_token"].as_str().unwrap().to_owned()
    }

    /// `GET <url><path>` with a bearer token: the status and the body as text.
    pub async fn get_text(&self, path: &str, token: &str) -> (reqwest::StatusCode, String) {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap_or_default())
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.process.as_ref().unwrap().id()
    }

    pub fn kill_9(mut self) {
        if let Some(mut p) = self.process.take() {
            let _ = p.kill(); // SIGKILL
            let _ = p.wait();
        }
    }

    pub fn terminate(mut self) -> ExitStatus {
        let mut p = self.process.take().unwrap();
        let _ = Command::new("kill")
            .args(["-TERM", &p.id().to_string()])
            .status();
        p.wait().unwrap()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}
