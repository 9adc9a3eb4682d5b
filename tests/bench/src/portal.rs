//! The portal under test, as a child process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const ADMIN: &str = "bench-admin-token-0123456789";

pub struct Portal {
    pub url: String,
    child: Child,
    pub http: reqwest::Client,
}

/// The tests' policies: the default plugins plus the `hello` fixture the load stage uses
/// (the default policy routes no fixture).
pub const POLICIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies");

impl Portal {
    pub async fn start(binary: &str, data_dir: &Path) -> anyhow::Result<Self> {
        Self::start_with(binary, data_dir, &[]).await
    }

    /// Starts `portal serve` with `extra` arguments after the bench's own.
    pub async fn start_with(binary: &str, data_dir: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_with_env(binary, data_dir, extra, &[]).await
    }

    /// As `start_with`, with `env` set for the child (KUBECONFIG in kube mode). The portal
    /// is killed if the thread that started it ends (the bench's main thread: every stage
    /// starts its portals from the main task), so a bench that dies leaves none behind.
    pub async fn start_with_env(
        binary: &str,
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> anyhow::Result<Self> {
        Self::start_with_policies(binary, data_dir, Path::new(POLICIES), extra, env).await
    }

    /// As `start_with_env`, with `policies` as the policies dir in place of the tests'.
    pub async fn start_with_policies(
        binary: &str,
        data_dir: &Path,
        policies: &Path,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            Path::new(binary).is_file(),
            "no portal binary at {binary} (build it with `cargo build --release`)"
        );
        // setpriv execs the portal: the child's pid is the portal's (for /proc figures).
        let mut child = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--", binary])
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json",
                "--admin-token",
                ADMIN,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--policies-dir")
            .arg(policies)
            .args(extra)
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("PORTAL_BENCH_RUST_LOG")
                    .unwrap_or_else(|_| "warn,portal::cli=info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start setpriv -- {binary}: {e}"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let addr = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stderr).lines();
            let addr = lines.by_ref().map_while(Result::ok).find_map(|line| {
                let v: Value = serde_json::from_str(&line).ok()?;
                (v["message"] == "portal listening")
                    .then(|| v["addr"].as_str().unwrap_or_default().to_owned())
            });
            // Keep draining so the child never blocks on a full pipe; PORTAL_BENCH_LOG=FILE
            // keeps what it says.
            let mut keep =
                std::env::var_os("PORTAL_BENCH_LOG").and_then(|f| std::fs::File::create(f).ok());
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    if let Some(file) = keep.as_mut() {
                        let _ = writeln!(file, "{line}");
                    }
                }
            });
            addr
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("the portal did not start"))?;
        Ok(Self {
            url: format!("http://{addr}"),
            child,
            http: reqwest::Client::new(),
        })
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {body}");
        Ok(body)
    }

    /// Agent `main`: a friend's cron job names an agent the friend has a friendship with.
    pub async fn add_main_agent(&self) -> anyhow::Result<()> {
        self.post(
            "/api/agents",
            ADMIN,
            json!({"id": "main", "display_name": "Main"}),
        )
        .await?;
        Ok(())
    }

    /// A portal session for `friend`; returns its token.
    pub async fn session(&self, friend: &str) -> anyhow::Result<String> {
        let session = self
            .post(
                "/api/auth/portal-session",
                ADMIN,
                json!({"friend_id": friend}),
            )
            .await?;
        session["session_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no session_token in {session}"))
    }

    /// Friend alice with five secrets and a deployment; returns her session token.
    pub async fn seed_alice(&self) -> anyhow::Result<String> {
        self.seed_friend("alice").await
    }

    /// Friend `id` with five secrets and a deployment, as alice (portals sharing one
    /// cluster need their own ids: the namespace is `friend-<id>`); returns a session.
    pub async fn seed_friend(&self, id: &str) -> anyhow::Result<String> {
        self.post(
            "/api/friends",
            ADMIN,
            json!({"id": id, "display_name": "Alice"}),
        )
        .await?;
        let token = self.session(id).await?;
        for i in 0..5 {
            self.post(
                "/api/portal/secrets",
                &token,
                json!({"name": format!("key-{i}"), "data": {"API_KEY": "x".repeat(40)}}),
            )
            .await?;
        }
        let manifests = json!({"manifests": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
        ]});
        self.post(
            &format!("/api/friends/{id}/namespace/apply"),
            ADMIN,
            manifests,
        )
        .await?;
        Ok(token)
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(self
            .http
            .get(format!("{}/metrics", self.url))
            .bearer_auth(ADMIN)
            .send()
            .await?
            .text()
            .await?)
    }

    /// (count, sum in seconds) of the hello plugin's instantiation histogram.
    pub async fn instantiation(&self) -> anyhow::Result<(u64, f64)> {
        let text = self.metrics().await?;
        let value = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name) && l.contains("plugin=\"hello\""))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        Ok((
            value("portal_plugin_instantiation_seconds_count") as u64,
            value("portal_plugin_instantiation_seconds_sum"),
        ))
    }

    /// Requests the portal has sent to the API server so far (`portal_kube_requests_total`):
    /// (direct requests, watches). A watch is one long-lived request that a cache renews.
    pub async fn kube_requests(&self) -> anyhow::Result<(u64, u64)> {
        let (mut direct, mut watches) = (0, 0);
        for (labels, count) in self.kube_requests_by_label().await? {
            if labels.contains("verb=\"watch\"") {
                watches += count;
            } else {
                direct += count;
            }
        }
        Ok((direct, watches))
    }

    /// `portal_kube_requests_total` by its labels (verb, resource), to tell where they go.
    pub async fn kube_requests_by_label(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let text = self.metrics().await?;
        let mut counts = BTreeMap::new();
        for line in text.lines() {
            let Some((labels, count)) = line
                .strip_prefix("portal_kube_requests_total{")
                .and_then(|rest| rest.rsplit_once("} "))
            else {
                continue;
            };
            let count = count.parse::<f64>().unwrap_or(0.0) as u64;
            *counts.entry(labels.to_owned()).or_default() += count;
        }
        Ok(counts)
    }

    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    /// User + system CPU time the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        // Fields 14 and 15 of /proc/PID/stat, in clock ticks; the command name (field 2) may
        // hold spaces, so count from the closing parenthesis.
        let ticks = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|s| {
                let rest = &s[s.rfind(')')? + 2..];
                let fields: Vec<&str> = rest.split_whitespace().collect();
                Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0);
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// From spawning the binary to the first 200 of `/healthz`, with the data dir's
/// compiled plugins already cached.
pub async fn cold_start(binary: &str, data_dir: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let portal = Portal::start(binary, data_dir).await?;
    loop {
        if let Ok(r) = portal
            .http
            .get(format!("{}/healthz", portal.url))
            .send()
            .await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = started.elapsed();
    portal.stop();
    Ok(elapsed)
}

/// The machine the figures come from.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| format!(", {} GiB", kib / 1024 / 1024));
    format!(
        "Machine: {cores} cores ({cpu}){mem}; load generator in the same machine, over loopback."
    )
}

/// `getconf CLK_TCK`; 100 on every Linux this runs on, but asked rather than assumed.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}
