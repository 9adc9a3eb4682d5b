//! The store backends side by side: `portal serve --cluster kube` with `--store sled`
//! (its own data dir), then with `--store kube` (custom resources in the portal's
//! namespace), on the kube-mode control plane, so only where the state is kept differs.
//!
//! Per backend, over every friend with a few writers at once: friend create (which, with
//! `--cluster kube`, also provisions the friend's namespace), link issue and exchange, a
//! cron job each. Then the portal's RSS, kube_mode's page loads and their API server cost,
//! and what the store holds per friend.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::control_plane::ControlPlane;
use crate::kube_mode::{self, RouteLoad};
use crate::portal::{ADMIN, Portal};

pub struct StoreBench<'a> {
    pub binary: &'a str,
    pub plane: &'a ControlPlane,
    pub friends: usize,
    pub connections: usize,
    pub duration: Duration,
}

/// Requests at once while writing: a few agents or admins at work, not a flood.
const WRITERS: usize = 4;
/// sled first: the kube run then finds sled's namespaces still there (deleting them would
/// keep the controller manager busy during the kube run).
const BACKENDS: [&str; 2] = ["sled", "kube"];
/// Where `--store kube` keeps its objects: `portal_namespace` of the built-in
/// cluster.toml (the bench's policies dir has none of its own).
const PORTAL_NAMESPACE: &str = "friendportal";
const STORE_GROUP: &str = "store.friendportal.io";

/// One kind of write, timed request by request.
pub struct Writes {
    count: usize,
    elapsed: Duration,
    micros: Histogram<u64>,
    /// API server requests (watches included) the portal sent meanwhile.
    api: u64,
    /// The largest parts of `api` by verb and resource, for stderr: where they went.
    api_parts: String,
}

impl std::fmt::Display for Writes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.count.max(1) as f64;
        write!(
            f,
            "{:.0}/s, mean {:.1} ms, p99 {:.1} ms, {:.1} API requests each ({} in {:.1} s)",
            count / self.elapsed.as_secs_f64(),
            self.micros.mean() / 1000.0,
            self.micros.value_at_quantile(0.99) as f64 / 1000.0,
            self.api as f64 / count,
            self.count,
            self.elapsed.as_secs_f64()
        )
    }
}

/// What one backend measured.
struct Figures {
    create: Writes,
    issue: Writes,
    exchange: Writes,
    cron: Writes,
    rss_mib: u64,
    routes: Vec<RouteLoad>,
    first_cost: u64,
    stored: String,
    took: Duration,
}

/// Both backends' rows. A backend that fails says so in its half of each row.
pub async fn run(bench: &StoreBench<'_>) -> anyhow::Result<Vec<(String, String)>> {
    let mut figures = Vec::new();
    for backend in BACKENDS {
        eprintln!("store {backend}: {} friends", bench.friends);
        let measured = measure(bench, backend).await.map_err(|e| {
            let story = format!("{e:#}");
            eprintln!("store {backend}: not run: {story}");
            story.lines().next().unwrap_or_default().to_owned()
        });
        figures.push((backend, measured));
    }
    anyhow::ensure!(
        figures.iter().any(|(_, f)| f.is_ok()),
        "neither backend ran (see above)"
    );
    Ok(rows(bench, &figures))
}

fn rows(
    bench: &StoreBench<'_>,
    figures: &[(&str, Result<Figures, String>)],
) -> Vec<(String, String)> {
    let side = |figure: &dyn Fn(&Figures) -> String| {
        figures
            .iter()
            .map(|(backend, f)| match f {
                Ok(f) => format!("{backend}: {}", figure(f)),
                Err(e) => format!("{backend}: not run: {e}"),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (n, w) = (bench.friends, WRITERS);
    let mut rows = vec![
        (
            format!(
                "store sled vs kube (both --cluster kube, one control plane): friend create, \
                 {n} friends, {w} writers (each create also provisions the friend's namespace)"
            ),
            side(&|f| f.create.to_string()),
        ),
        (
            format!(
                "store sled vs kube: link issue (POST /api/auth/portal-session, admin), one per friend, {w} writers"
            ),
            side(&|f| f.issue.to_string()),
        ),
        (
            format!(
                "store sled vs kube: link exchange (POST /api/auth/exchange), one per friend, {w} writers"
            ),
            side(&|f| f.exchange.to_string()),
        ),
        (
            format!(
                "store sled vs kube: cron job create (POST /api/portal/workspace/crons, the friend's session), one per friend, {w} writers"
            ),
            side(&|f| f.cron.to_string()),
        ),
        (
            format!(
                "store sled vs kube: portal RSS with {n} friends, each with a session and a cron job"
            ),
            side(&|f| format!("{} MiB", f.rss_mib)),
        ),
    ];
    for (i, (label, _)) in kube_mode::ROUTES.iter().enumerate() {
        rows.push((
            format!(
                "store sled vs kube: {label}, {} connections, {n} friends in the store",
                bench.connections
            ),
            side(&|f| f.routes[i].result.to_string()),
        ));
    }
    rows.push((
        "store sled vs kube: API server requests per page load, steady state".to_owned(),
        side(&|f| {
            let costs: Vec<String> = f.routes.iter().map(RouteLoad::cost).collect();
            format!("{}, first load {}", costs.join(", "), f.first_cost)
        }),
    ));
    rows.push((
        format!("store sled vs kube: what the store holds per friend ({n} + 1 friends)"),
        side(&|f| f.stored.clone()),
    ));
    rows.push((
        "store sled vs kube: time for all of the above".to_owned(),
        side(&|f| format!("{:.0} s", f.took.as_secs_f64())),
    ));
    rows
}

/// One backend, start to stop. Friend ids carry the backend's name: both portals make
/// namespaces `friend-<id>` in the same cluster.
async fn measure(bench: &StoreBench<'_>, backend: &'static str) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let n = bench.friends;
    let data = tempfile::tempdir()?;
    let portal = Arc::new(
        Portal::start_with_env(
            bench.binary,
            data.path(),
            &["--cluster", "kube", "--store", backend],
            &[("KUBECONFIG", bench.plane.portal_kubeconfig.as_path())],
        )
        .await?,
    );
    // A cron job's session names an agent the friend has a friendship with.
    portal.add_main_agent().await?;
    let ids: Arc<Vec<String>> = Arc::new((0..n).map(|i| format!("{backend}-{i:05}")).collect());
    // Discord snowflakes (17-20 digits), one per friend: the cron jobs' chats.
    let discord = |i: usize| (100_000_000_000_000_000 + i as u64).to_string();

    let (p, id) = (portal.clone(), ids.clone());
    let (create, _) = writes(&portal, n, move |i| {
        let (p, id) = (p.clone(), id[i].clone());
        let body = json!({"id": id, "display_name": format!("Friend {i}"),
                          "discord_id": discord(i), "agent_id": "main"});
        async move { p.post("/api/friends", ADMIN, body).await }
    })
    .await?;
    eprintln!(
        "store {backend}: friend create: {create} (API: {})",
        create.api_parts
    );

    let (p, id) = (portal.clone(), ids.clone());
    let (issue, links) = writes(&portal, n, move |i| {
        let (p, id) = (p.clone(), id[i].clone());
        async move { p.session(&id).await }
    })
    .await?;
    eprintln!(
        "store {backend}: link issue: {issue} (API: {})",
        issue.api_parts
    );

    let (p, links) = (portal.clone(), Arc::new(links));
    let (exchange, sessions) = writes(&portal, n, move |i| {
        let (p, link) = (p.clone(), links[i].clone());
        async move { exchange_link(&p, &link).await }
    })
    .await?;
    eprintln!(
        "store {backend}: link exchange: {exchange} (API: {})",
        exchange.api_parts
    );

    let (p, sessions) = (portal.clone(), Arc::new(sessions));
    let (cron, _) = writes(&portal, n, move |i| {
        let (p, session) = (p.clone(), sessions[i].clone());
        let job = json!({"name": "morning", "message": "Good morning", "cron": "0 9 * * *",
                         "session": format!("agent:main:discord:direct:{}", discord(i)),
                         "tz": "Europe/Berlin"});
        async move { p.post("/api/portal/workspace/crons", &session, job).await }
    })
    .await?;
    eprintln!(
        "store {backend}: cron job create: {cron} (API: {})",
        cron.api_parts
    );
    // Before the page loads: every pooled plugin slot a load uses stays resident.
    let rss_mib = portal.rss_kib() / 1024;
    eprintln!("store {backend}: RSS {rss_mib} MiB");

    let session = portal.seed_friend(&format!("{backend}-pages")).await?;
    let (routes, first_cost) =
        kube_mode::page_loads(&portal, &session, bench.connections, bench.duration).await?;
    let stored = match backend {
        "kube" => kube_objects(bench.plane, n + 1)?,
        _ => sled_disk(&data.path().join("store"), n + 1),
    };
    eprintln!("store {backend}: {stored}");
    if let Ok(portal) = Arc::try_unwrap(portal) {
        portal.stop();
    }
    Ok(Figures {
        create,
        issue,
        exchange,
        cron,
        rss_mib,
        routes,
        first_cost,
        stored,
        took: started.elapsed(),
    })
}

/// `op(0..count)` with `WRITERS` at once, each request timed; the results in order.
pub async fn writes<T, F, Fut>(
    portal: &Portal,
    count: usize,
    op: F,
) -> anyhow::Result<(Writes, Vec<T>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let api_before = portal.kube_requests_by_label().await?;
    let (op, next) = (Arc::new(op), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (op, next) = (op.clone(), next.clone());
            tokio::spawn(async move {
                let mut micros = Histogram::<u64>::new(3)?;
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return anyhow::Ok((micros, done));
                    }
                    let sent = Instant::now();
                    done.push((i, op(i).await?));
                    micros.record(sent.elapsed().as_micros() as u64)?;
                }
            })
        })
        .collect();
    let mut micros = Histogram::<u64>::new(3)?;
    let mut results = Vec::with_capacity(count);
    for task in tasks {
        let (h, done) = task.await??;
        micros.add(&h)?;
        results.extend(done);
    }
    let elapsed = started.elapsed();
    results.sort_by_key(|(i, _)| *i);
    let mut parts: Vec<(String, u64)> = portal
        .kube_requests_by_label()
        .await?
        .into_iter()
        .map(|(labels, n)| (labels.clone(), n - api_before.get(&labels).unwrap_or(&0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    parts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let api_parts = parts
        .iter()
        .take(8)
        .map(|(labels, n)| format!("{labels}: {n}"))
        .collect::<Vec<_>>()
        .join("; ");
    let writes = Writes {
        count,
        elapsed,
        micros,
        api: parts.iter().map(|(_, n)| n).sum(),
        api_parts,
    };
    Ok((writes, results.into_iter().map(|(_, v)| v).collect()))
}

/// What a browser opening the link does (no bearer: the link's token is in the body);
/// returns the browser's session.
async fn exchange_link(portal: &Portal, link: &str) -> anyhow::Result<String> {
    let r = portal
        .http
        .post(format!("{}/api/auth/exchange", portal.url))
        .json(&json!({"link_token": link}))
        .send()
        .await?;
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(
        status.is_success(),
        "POST /api/auth/exchange: {status} {body}"
    );
    body["session_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no session_token in {body}"))
}

/// Every store kind in the portal's namespace, listed as the cluster's admin: objects and
/// their size per friend. The size is each object's compact JSON as the API server lists
/// it, managedFields included: about what etcd keeps (custom resources are stored as JSON),
/// before etcd's own keys, revisions and overhead.
fn kube_objects(plane: &ControlPlane, friends: usize) -> anyhow::Result<String> {
    let raw = |path: &str| -> anyhow::Result<Value> {
        Ok(serde_json::from_str(
            &plane.kubectl(&["get", "--raw", path])?,
        )?)
    };
    let group = raw(&format!("/apis/{STORE_GROUP}"))?;
    let version = group["preferredVersion"]["groupVersion"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no preferred version of {STORE_GROUP}"))?
        .to_owned();
    let resources = raw(&format!("/apis/{version}"))?;
    let (mut objects, mut bytes, mut kinds) = (0, 0, Vec::new());
    for resource in resources["resources"].as_array().into_iter().flatten() {
        let name = resource["name"].as_str().unwrap_or_default();
        // Subresources (`x/status`) are no objects of their own.
        if name.contains('/') || resource["namespaced"] != true {
            continue;
        }
        let list = raw(&format!(
            "/apis/{version}/namespaces/{PORTAL_NAMESPACE}/{name}"
        ))?;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let size: usize = items
            .iter()
            .map(|item| serde_json::to_vec(item).map_or(0, |v| v.len()))
            .sum();
        objects += items.len();
        bytes += size;
        let kind = resource["kind"].as_str().unwrap_or(name);
        kinds.push(format!(
            "{kind} {} ({:.0} KiB)",
            items.len(),
            size as f64 / 1024.0
        ));
    }
    let per = friends.max(1) as f64;
    Ok(format!(
        "{:.1} objects, {:.1} KiB per friend in the API server ({objects} objects, {:.1} MiB: {}; \
         compact JSON as listed, managedFields included; etcd adds its keys and revisions)",
        objects as f64 / per,
        bytes as f64 / 1024.0 / per,
        bytes as f64 / 1024.0 / 1024.0,
        kinds.join(", ")
    ))
}

/// sled's files on disk per friend (what `du` counts: its log, snapshots, free space).
fn sled_disk(store: &Path, friends: usize) -> String {
    fn allocated(dir: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| match entry.metadata() {
                Ok(m) if m.is_dir() => allocated(&entry.path()),
                Ok(m) => m.blocks() * 512,
                Err(_) => 0,
            })
            .sum()
    }
    let bytes = allocated(store);
    format!(
        "{:.1} KiB per friend on disk ({:.1} MiB: sled's files as `du` counts them, free space in them included)",
        bytes as f64 / 1024.0 / friends.max(1) as f64,
        bytes as f64 / 1024.0 / 1024.0
    )
}
