//! What the chaos tests stand on: portal replicas as child processes sharing one kube store,
//! each reaching the API server through a proxy the test can cut, and a stand-in agent
//! gateway that records every delivery with the replica that sent it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::child::{Child, idempotency_key};
use crate::control_plane::{ControlPlane, repo};

/// The leader lease in the chaos tests: a dead leader is replaced within about 5 s.
pub const LEADER: &str = "[leader]
lease_duration_secs = 4
renew_deadline_secs = 3
retry_period_secs = 1
";
/// `LEADER`'s renew deadline.
pub const RENEW_DEADLINE_SECS: u64 = 3;

/// One delivery the gateway received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The replica that sent it: each replica is given its own base URL.
    pub replica: String,
    pub key: String,
    pub at: Instant,
}

/// The agent gateway's `/hooks/agent` as OpenClaw documents it, answering after `delay`
/// (so that deliveries are in flight when a leader dies), a repeated key replayed.
#[derive(Clone, Default)]
pub struct Gateway {
    received: Arc<Mutex<Vec<Received>>>,
    pub url: String,
}

async fn hook(
    State((received, delay)): State<(Arc<Mutex<Vec<Received>>>, Duration)>,
    UrlPath(replica): UrlPath<String>,
    headers: HeaderMap,
    _body: axum::Json<Value>,
) -> axum::Json<Value> {
    let key = idempotency_key(&headers);
    received.lock().unwrap().push(Received {
        replica,
        key: key.clone(),
        at: Instant::now(),
    });
    tokio::time::sleep(delay).await;
    axum::Json(json!({"ok": true, "runId": key}))
}

impl Gateway {
    pub async fn start(delay: Duration) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route("/r/{replica}/hooks/agent", axum::routing::post(hook))
            .with_state((received.clone(), delay));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { received, url }
    }

    /// The base URL a replica is given: its deliveries arrive under its name.
    pub fn base_for(&self, replica: &str) -> String {
        format!("{}/r/{replica}", self.url)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Deliveries by `replica` received after `since`.
    pub fn sent_by_since(&self, replica: &str, since: Instant) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.replica == replica && r.at > since)
            .collect()
    }

    /// The first delivery after `since` from a replica other than `not`.
    pub async fn first_from_another(&self, not: &str, since: Instant, limit: Duration) -> Received {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(r) = self
                .received()
                .into_iter()
                .find(|r| r.replica != not && r.at > since)
            {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "no replica but {not} delivered within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A TCP proxy to the API server that the test can cut: every connection dropped at
/// once, new ones refused, until it is mended.
pub struct ApiProxy {
    pub addr: String,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl ApiProxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (is_cut, held) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_cut.load(Ordering::SeqCst) {
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                held.lock().unwrap().push(task.abort_handle());
            }
        });
        Self {
            addr,
            cut,
            connections,
        }
    }

    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    pub fn mend(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// The `server:` of a kubeconfig, as `host:port`.
fn api_server_of(kubeconfig: &str) -> String {
    let line = kubeconfig
        .lines()
        .find(|l| l.trim_start().starts_with("server:"))
        .expect("a kubeconfig names its server");
    let url = line.trim_start().trim_start_matches("server:").trim();
    url.trim_start_matches("https://").to_owned()
}

/// The portal replicas of one test: their namespace, policies, gateway and processes.
pub struct Replicas {
    pub namespace: String,
    pub work: tempfile::TempDir,
    policies: PathBuf,
    pub gateway: Gateway,
    admin_kubeconfig: PathBuf,
    pub running: HashMap<String, (Child, ApiProxy)>,
    /// More flags for every replica started from now on.
    pub extra: Vec<String>,
}

impl Replicas {
    /// A namespace of the test's own, and the repository's policies pointed at it, with
    /// `crons` as crons.toml followed by the short lease above.
    pub async fn new(plane: &ControlPlane, namespace: &str, gateway: Gateway, crons: &str) -> Self {
        let _ = plane.admin_try(&["delete", "namespace", namespace, "--wait=true"], None);
        plane.admin(&["create", "namespace", namespace]);
        let work = tempfile::tempdir().unwrap();
        let policies = work.path().join("policies");
        copy_dir(&repo().join("policies"), &policies);
        let cluster = policies.join("cluster.toml");
        let text = std::fs::read_to_string(&cluster).unwrap();
        let moved = text.replace(
            "portal_namespace = \"friendportal\"",
            &format!("portal_namespace = \"{namespace}\""),
        );
        assert_ne!(text, moved, "cluster.toml names portal_namespace");
        std::fs::write(&cluster, moved).unwrap();
        std::fs::write(policies.join("crons.toml"), format!("{crons}\n{LEADER}")).unwrap();
        Self {
            namespace: namespace.to_owned(),
            work,
            policies,
            gateway,
            admin_kubeconfig: plane.admin_kubeconfig.clone(),
            running: HashMap::new(),
            extra: Vec::new(),
        }
    }

    /// Starts replica `id`, reaching the API server through a proxy of its own.
    pub async fn start(&mut self, id: &str) {
        let text = std::fs::read_to_string(&self.admin_kubeconfig).unwrap();
        let upstream = api_server_of(&text);
        let proxy = ApiProxy::start(upstream.clone()).await;
        let kubeconfig = self.work.path().join(format!("{id}.kubeconfig"));
        std::fs::write(&kubeconfig, text.replace(&upstream, &proxy.addr)).unwrap();
        let data = self.work.path().join(id);
        let gateway = self.gateway.base_for(id);
        let policies = self.policies.to_str().unwrap().to_owned();
        let mut args = vec![
            "--store",
            "kube",
            "--cluster",
            "kube",
            "--policies-dir",
            &policies,
            "--agent-gateway",
            &gateway,
            "--replica-id",
            id,
        ];
        args.extend(self.extra.iter().map(String::as_str));
        let child =
            Child::serve_with_env(&data, &args, &[("KUBECONFIG", kubeconfig.as_path())]).await;
        self.running.insert(id.to_owned(), (child, proxy));
    }

    /// The policies every replica reads (a test may change them before starting any).
    pub fn policies(&self) -> &Path {
        &self.policies
    }

    pub fn child(&self, id: &str) -> &Child {
        &self.running[id].0
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.running.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The replica that says it leads (its `/metrics`), once exactly one does.
    pub async fn leader(&self, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let mut leading = Vec::new();
            for id in self.ids() {
                let (_, text) = self
                    .child(&id)
                    .get_text("/metrics", crate::child::ADMIN)
                    .await;
                if text.contains(&format!("portal_scheduler_leader{{replica=\"{id}\"}} 1")) {
                    leading.push(id);
                }
            }
            if leading.len() == 1 {
                return leading.remove(0);
            }
            assert!(
                Instant::now() < deadline,
                "no single leader within {limit:?}: {leading:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `kill -9`.
    pub fn kill(&mut self, id: &str) {
        let (child, _proxy) = self.running.remove(id).expect("a running replica");
        child.kill_9();
    }

    pub fn signal(&self, id: &str, signal: &str) {
        let pid = self.child(id).pid().to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    pub fn proxy(&self, id: &str) -> &ApiProxy {
        &self.running[id].1
    }

    /// Stops every replica gracefully (each gives up the lease if it holds it).
    pub fn stop_all(&mut self) {
        for (_, (child, _)) in self.running.drain() {
            child.terminate();
        }
    }

    pub fn store_objects(&self, plane: &ControlPlane, kind: &str) -> Vec<Value> {
        plane
            .get_json(&[kind, "-n", &self.namespace])
            .and_then(|list| list["items"].as_array().cloned())
            .unwrap_or_default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(copied.success());
}
