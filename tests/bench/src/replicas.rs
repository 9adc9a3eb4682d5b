//! Replicas (README, Scaling out): `portal serve --store kube --cluster kube` as one replica
//! and as three sharing one store, on the kube-mode control plane. Each part has a portal
//! namespace of its own (its policies' `portal_namespace`, with the portal's identity and
//! rights there as deploy/ gives them in `friendportal`), apart from the other kube rows.
//!
//! - The secrets page under the same load as the other rows, against one replica and then
//!   against three, the connections spread round-robin over them (a client-side balancer;
//!   the same connections in all).
//! - What the replicas send the API server (`portal_kube_requests_total`, summed over
//!   them), idle and under that load.
//! - Failover: one friend with an every-second cron job, runs sent to a stand-in agent
//!   gateway in this process that tells the replicas apart by path (each replica's
//!   `--agent-gateway` ends in `/r/<replica id>`). The leader (its `/metrics`) is killed
//!   with SIGKILL; the time until another replica delivers is the failover time. Then a
//!   replacement starts, and again. With a short lease, then with the default one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::control_plane::ControlPlane;
use crate::kube_mode;
use crate::load::{self, LoadResult};
use crate::portal::{ADMIN, POLICIES, Portal};
use crate::store_backends::{self, StoreBench};

/// The repository's policies: the replicas get them with `tests/policies` over them (as
/// the other kube rows run) and their own cluster.toml and crons.toml.
const REPO_POLICIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies");
/// The namespaces of the load figures and of the failover figures.
const LOAD_NAMESPACE: &str = "portal-replicas";
pub(crate) const FAILOVER_NAMESPACE: &str = "portal-failover";
/// Replicas of the "three replicas" figures and of the failover runs.
pub(crate) const REPLICAS: usize = 3;
/// How long the idle API requests are counted.
const IDLE: Duration = Duration::from_secs(20);
/// The failover runs' leases, (lease_duration, renew_deadline, retry_period) in seconds, and
/// kills: a short lease, then the repository's crons.toml's `[leader]` as it is.
pub(crate) const SHORT_LEASE: (u64, u64, u64) = (4, 3, 1);
pub(crate) const SHORT_KILLS: usize = 10;
pub(crate) const DEFAULT_LEASE: (u64, u64, u64) = (15, 10, 2);
pub(crate) const DEFAULT_KILLS: usize = 3;
/// The ids of the friends this section makes begin with it (namespaces `friend-<id>` are
/// the cluster's, shared with the other kube rows).
pub(crate) const SEEDED_AS: &str = "rep";

/// API server requests counted over a while, summed over replicas.
struct ApiRate {
    requests: u64,
    watches: u64,
    secs: f64,
    /// The largest parts by verb and resource.
    parts: String,
}

impl std::fmt::Display for ApiRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2}/s ({} requests + {} watches in {:.0} s: {})",
            (self.requests + self.watches) as f64 / self.secs,
            self.requests,
            self.watches,
            self.secs,
            self.parts
        )
    }
}

/// One or three replicas' figures.
struct Scale {
    load: LoadResult,
    idle: ApiRate,
    loaded: ApiRate,
}

/// The section's rows.
pub async fn run(bench: &StoreBench<'_>) -> anyhow::Result<Vec<(String, String)>> {
    let started = Instant::now();
    let (one, three) = load_figures(bench).await?;
    let short = crate::failover::failovers(bench).await?;
    let (n, c) = (bench.friends, bench.connections);
    let mut rows = vec![
        (
            format!(
                "replicas (--store kube, {n} friends): GET /api/portal/secrets (plugin), {c} connections \
                 spread round-robin over the replicas"
            ),
            format!(
                "1 replica: {}; {REPLICAS} replicas: {} ({:.2}x)",
                one.load,
                three.load,
                three.load.rps / one.load.rps
            ),
        ),
        (
            format!(
                "replicas: API server requests/s sent by the portal, idle, summed over replicas ({} s)",
                IDLE.as_secs()
            ),
            format!(
                "1 replica: {}; {REPLICAS} replicas: {}",
                one.idle, three.idle
            ),
        ),
        (
            "replicas: API server requests/s sent by the portal under the secrets load, summed \
             (a fresh session, so the window holds one recording of its use, as each minute does)"
                .to_owned(),
            format!(
                "1 replica: {}; {REPLICAS} replicas: {}",
                one.loaded, three.loaded
            ),
        ),
    ];
    for f in &short {
        let (lease, renew, retry) = f.lease;
        rows.push((
            format!(
                "replicas: failover, kill -9 of the leader to the first cron run another replica \
                 sends ({REPLICAS} replicas, an every-second job, lease {lease}/{renew}/{retry} s)"
            ),
            f.to_string(),
        ));
    }
    rows.push((
        "replicas: time for all of the above".to_owned(),
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    ));
    Ok(rows)
}

/// The portal's namespace and identity as deploy/ makes them, in `namespace`: a
/// ServiceAccount `friend-portal` there with deploy/rbac.yaml's rights (the cluster-wide
/// role, the store's Role in its namespace), copied from `friendportal`'s. The replicas'
/// kubeconfig (a token of that account), in `dir`. deploy/admission-policy.yaml names the
/// `friendportal` account only, so it does not hold this one to its limits.
pub(crate) fn identity(
    plane: &ControlPlane,
    namespace: &str,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    plane.kubectl(&["create", "namespace", namespace])?;
    plane.kubectl(&["create", "serviceaccount", "friend-portal", "-n", namespace])?;
    let file = tempfile::Builder::new().suffix(".json").tempfile()?;
    for (kind, name) in [
        ("role", "friend-portal-store"),
        ("rolebinding", "friend-portal-store"),
        ("clusterrolebinding", "friend-portal"),
    ] {
        let mut object: Value = serde_json::from_str(&plane.kubectl(&[
            "get",
            kind,
            name,
            "-n",
            "friendportal",
            "-o",
            "json",
        ])?)?;
        object["metadata"] = match kind {
            "clusterrolebinding" => json!({"name": format!("{name}-{namespace}")}),
            _ => json!({"name": name, "namespace": namespace}),
        };
        let subjects = object.get_mut("subjects").and_then(Value::as_array_mut);
        for subject in subjects.into_iter().flatten() {
            subject["namespace"] = json!(namespace);
        }
        std::fs::write(file.path(), serde_json::to_vec(&object)?)?;
        plane.kubectl(&["create", "-f", &file.path().to_string_lossy()])?;
    }
    let token = plane.kubectl(&[
        "create",
        "token",
        "friend-portal",
        "-n",
        namespace,
        "--duration=1h",
    ])?;
    let config = std::fs::read_to_string(&plane.portal_kubeconfig)?;
    let config: Vec<String> = config
        .lines()
        .map(|line| match line.split_once("token:") {
            Some((indent, _)) => format!("{indent}token: {}", token.trim()),
            None => line.to_owned(),
        })
        .collect();
    let path = dir.join(format!("{namespace}.kubeconfig"));
    std::fs::write(&path, config.join("\n"))?;
    Ok(path)
}

/// `text` with `from` replaced by `to`, which it must hold.
fn swap(text: &str, from: &str, to: &str) -> anyhow::Result<String> {
    anyhow::ensure!(text.contains(from), "policies: no `{from}` to replace");
    Ok(text.replace(from, to))
}

/// The repository's policies with `tests/policies` over them, in `dir`: cluster.toml's
/// `portal_namespace` set to `namespace`; crons.toml the repository's, every-second jobs
/// allowed where `every_second`, with `lease` as its `[leader]` where given.
pub(crate) fn policies(
    dir: &Path,
    namespace: &str,
    every_second: bool,
    lease: Option<(u64, u64, u64)>,
) -> anyhow::Result<PathBuf> {
    let to = dir.join(format!("policies-{namespace}-{}", lease.map_or(0, |l| l.0)));
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(REPO_POLICIES)
        .arg(&to)
        .status()?;
    anyhow::ensure!(copied.success(), "cp -r {REPO_POLICIES}: {copied}");
    for entry in std::fs::read_dir(POLICIES)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    let cluster = to.join("cluster.toml");
    let text = swap(
        &std::fs::read_to_string(&cluster)?,
        "portal_namespace = \"friendportal\"",
        &format!("portal_namespace = \"{namespace}\""),
    )?;
    std::fs::write(&cluster, text)?;
    let crons = to.join("crons.toml");
    let mut text = std::fs::read_to_string(&crons)?;
    if every_second {
        text = swap(&text, "min_interval_secs = 60", "min_interval_secs = 1")?;
        // One every-second job counts 60 runs a minute.
        text = swap(
            &text,
            "max_runs_per_minute = 10",
            "max_runs_per_minute = 60",
        )?;
    }
    if let Some(lease) = lease {
        // The repository's values must be DEFAULT_LEASE's (the default runs' label).
        let keys = [
            "lease_duration_secs",
            "renew_deadline_secs",
            "retry_period_secs",
        ];
        let from = [DEFAULT_LEASE.0, DEFAULT_LEASE.1, DEFAULT_LEASE.2];
        let to = [lease.0, lease.1, lease.2];
        for ((key, from), to) in keys.iter().zip(from).zip(to) {
            text = swap(
                &text,
                &format!("{key} = {from}\n"),
                &format!("{key} = {to}\n"),
            )?;
        }
    }
    std::fs::write(&crons, text)?;
    Ok(to)
}

/// Replicas of one store: their policies, data dirs and processes.
pub(crate) struct Replicas<'a> {
    pub(crate) bench: &'a StoreBench<'a>,
    pub(crate) work: &'a Path,
    pub(crate) policies: PathBuf,
    pub(crate) kubeconfig: PathBuf,
    /// The stand-in gateway's base URL, if runs are to go there.
    pub(crate) gateway: Option<String>,
    /// (replica id, data dir slot, the process).
    pub(crate) running: Vec<(String, usize, Arc<Portal>)>,
}

impl Replicas<'_> {
    /// Starts replica `id` on data dir `slot` (a replacement reuses the dead one's, so it
    /// finds its compiled plugins cached). Returns the process, not yet counted as running.
    pub(crate) async fn start(
        &self,
        id: &str,
        slot: usize,
    ) -> anyhow::Result<(String, usize, Arc<Portal>)> {
        let data = self.work.join(format!("data-{slot}"));
        let gateway = self.gateway.as_ref().map(|g| format!("{g}/r/{id}"));
        let mut extra = vec!["--cluster", "kube", "--store", "kube", "--replica-id", id];
        if let Some(g) = &gateway {
            extra.extend(["--agent-gateway", g]);
        }
        let portal = Portal::start_with_policies(
            self.bench.binary,
            &data,
            &self.policies,
            &extra,
            &[("KUBECONFIG", self.kubeconfig.as_path())],
        )
        .await?;
        Ok((id.to_owned(), slot, Arc::new(portal)))
    }

    /// Starts `ids`, one after the other, on slots `first_slot..`.
    pub(crate) async fn start_all(
        &mut self,
        ids: &[String],
        first_slot: usize,
    ) -> anyhow::Result<()> {
        for (i, id) in ids.iter().enumerate() {
            let started = self.start(id, first_slot + i).await?;
            self.running.push(started);
        }
        Ok(())
    }

    fn urls(&self) -> Vec<String> {
        self.running.iter().map(|(_, _, p)| p.url.clone()).collect()
    }

    /// `portal_kube_requests_total` by labels, summed over the running replicas.
    async fn api(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let mut sum = BTreeMap::new();
        for (_, _, portal) in &self.running {
            for (labels, n) in portal.kube_requests_by_label().await? {
                *sum.entry(labels).or_default() += n;
            }
        }
        Ok(sum)
    }

    /// The index of the one running replica whose `/metrics` says it leads, once exactly
    /// one does.
    pub(crate) async fn leader(&self, limit: Duration) -> anyhow::Result<usize> {
        let deadline = Instant::now() + limit;
        loop {
            let mut leading = Vec::new();
            for (i, (id, _, portal)) in self.running.iter().enumerate() {
                let text = portal.metrics().await?;
                if text.contains(&format!("portal_scheduler_leader{{replica=\"{id}\"}} 1")) {
                    leading.push(i);
                }
            }
            if let [one] = leading[..] {
                return Ok(one);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no single leader among the replicas within {limit:?} ({} say they lead)",
                leading.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL to running replica `i` (Portal's drop), waited for; its id and slot.
    pub(crate) fn kill(&mut self, i: usize) -> anyhow::Result<(String, usize)> {
        let (id, slot, portal) = self.running.remove(i);
        anyhow::ensure!(
            Arc::strong_count(&portal) == 1,
            "replica {id} is still in use"
        );
        drop(portal);
        Ok((id, slot))
    }

    /// SIGTERM to every replica, one after the other (the leader gives up its lease).
    pub(crate) fn stop_all(&mut self) {
        for (_, _, portal) in self.running.drain(..) {
            if let Ok(portal) = Arc::try_unwrap(portal) {
                portal.stop();
            }
        }
    }
}

/// What the API server received between two counts over `secs`.
fn rate(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, secs: f64) -> ApiRate {
    let mut parts: Vec<(&String, u64)> = after
        .iter()
        .map(|(labels, n)| (labels, n - before.get(labels).unwrap_or(&0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    parts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let (mut requests, mut watches) = (0, 0);
    for (labels, n) in &parts {
        if labels.contains("verb=\"watch\"") {
            watches += n;
        } else {
            requests += n;
        }
    }
    let parts = parts
        .iter()
        .take(8)
        .map(|(labels, n)| {
            // `verb="get",resource="leases"` as `get leases`.
            let labels = labels.replace("verb=", "").replace(",resource=", " ");
            format!("{} {n}", labels.replace('"', ""))
        })
        .collect::<Vec<_>>()
        .join(", ");
    ApiRate {
        requests,
        watches,
        secs,
        parts,
    }
}

/// Idle, then under the secrets page load: what the running replicas cost the API server
/// and serve. `warm` (a session of `friend`'s) fills the caches first.
///
/// The load's session is a new one, its use not yet recorded, so that every load window
/// holds one recording of it (a session's use is recorded at most once a minute,
/// `TOUCH_EVERY` in host/src/auth): else whether a window held one would depend on when
/// the last minute ran out.
async fn measure(
    replicas: &Replicas<'_>,
    warm: &str,
    friend: &str,
    label: &str,
) -> anyhow::Result<Scale> {
    let bench = replicas.bench;
    for (_, _, portal) in &replicas.running {
        kube_mode::until_cached(portal, warm).await?;
    }
    let before = replicas.api().await?;
    let idle_from = Instant::now();
    tokio::time::sleep(IDLE).await;
    let idle = rate(
        &before,
        &replicas.api().await?,
        idle_from.elapsed().as_secs_f64(),
    );
    eprintln!("replicas, {label}: idle API {idle}");
    let session = replicas.running[0].2.session(friend).await?;
    // Every replica's cache has the new session (a watch event away).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = replicas.api().await?;
    let loaded_from = Instant::now();
    let load = load::run_spread(
        &replicas.urls(),
        kube_mode::ROUTES[0].1,
        Some(&session),
        bench.connections,
        bench.duration,
    )
    .await;
    let loaded = rate(
        &before,
        &replicas.api().await?,
        loaded_from.elapsed().as_secs_f64(),
    );
    eprintln!("replicas, {label}: secrets {load}; API under load {loaded}");
    Ok(Scale { load, idle, loaded })
}

/// One replica, then three, on a store of `bench.friends` friends.
async fn load_figures(bench: &StoreBench<'_>) -> anyhow::Result<(Scale, Scale)> {
    let work = tempfile::tempdir()?;
    let kubeconfig = identity(bench.plane, LOAD_NAMESPACE, work.path())?;
    let mut replicas = Replicas {
        bench,
        work: work.path(),
        kubeconfig,
        policies: policies(work.path(), LOAD_NAMESPACE, false, None)?,
        gateway: None,
        running: Vec::new(),
    };
    replicas.start_all(&["r0".to_owned()], 0).await?;
    let first = replicas.running[0].2.clone();
    let p = first.clone();
    let (create, _) = store_backends::writes(&first, bench.friends, move |i| {
        let p = p.clone();
        let body =
            json!({"id": format!("{SEEDED_AS}-{i:05}"), "display_name": format!("Friend {i}")});
        async move { p.post("/api/friends", ADMIN, body).await }
    })
    .await?;
    eprintln!("replicas: {} friends created: {create}", bench.friends);
    let friend = format!("{SEEDED_AS}-pages");
    let warm = first.seed_friend(&friend).await?;
    drop(first);
    let one = measure(&replicas, &warm, &friend, "1 replica").await?;
    let more: Vec<String> = (1..REPLICAS).map(|i| format!("r{i}")).collect();
    replicas.start_all(&more, 1).await?;
    let three = measure(&replicas, &warm, &friend, &format!("{REPLICAS} replicas")).await?;
    replicas.stop_all();
    Ok((one, three))
}
