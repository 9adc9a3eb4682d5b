//! The kube-mode column: the friend's page loads (`GET /api/portal/namespace`,
//! `GET /api/portal/secrets`) against `portal serve --cluster kube` on the real control
//! plane, under the same load as the embedded rows, and what each load cost the API server.
//! Kube mode serves these reads from watch caches, so steady state should cost ~0.
//! The store backends' figures (store_backends.rs) follow on the same control plane.

use std::time::Duration;

use crate::control_plane::{self, ControlPlane};
use crate::load::{self, LoadResult};
use crate::portal::Portal;
use crate::{replicas, store_backends};

/// The routes measured in both modes, with the labels of their embedded rows.
pub const ROUTES: [(&str, &str); 2] = [
    ("GET /api/portal/secrets (plugin)", "/api/portal/secrets"),
    (
        "GET /api/portal/namespace (plugin)",
        "/api/portal/namespace",
    ),
];

/// One route's page loads under load, and what they cost the API server.
pub struct RouteLoad {
    pub label: &'static str,
    pub path: &'static str,
    pub result: LoadResult,
    pub direct: u64,
    pub watches: u64,
}

impl RouteLoad {
    /// API server requests (watches included) per page load, with its parts.
    pub fn cost(&self) -> String {
        let per_request = (self.direct + self.watches) as f64 / self.result.requests.max(1) as f64;
        format!(
            "{}: {per_request:.4} ({} requests + {} watches over {} page loads)",
            self.path, self.direct, self.watches, self.result.requests
        )
    }
}

/// Both routes under load once the caches are filled; also the first load's cost (API
/// requests, watches included), before they were.
pub async fn page_loads(
    portal: &Portal,
    session: &str,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<(Vec<RouteLoad>, u64)> {
    let (loads, first_cost) = until_cached(portal, session).await?;
    eprintln!(
        "kube: the first page load cost {first_cost} API requests; \
         loads cost nothing after {loads} (caches filled)"
    );
    let mut routes = Vec::new();
    for (label, path) in ROUTES {
        let (direct_before, watches_before) = portal.kube_requests().await?;
        let result = load::run(&portal.url, path, Some(session), connections, duration).await;
        let (direct_after, watches_after) = portal.kube_requests().await?;
        let (direct, watches) = (direct_after - direct_before, watches_after - watches_before);
        eprintln!("{label}, kube mode: {result}; {direct} API requests, {watches} watches");
        routes.push(RouteLoad {
            label,
            path,
            result,
            direct,
            watches,
        });
    }
    Ok((routes, first_cost))
}

/// Runs the kube-mode scenarios, then the store backends' (`store_friends` friends, 0
/// skips them) and the replicas' (`replica_friends`, 0 skips them) on the same control
/// plane; the rows for the table. Call it from the bench's main task (see
/// `ControlPlane::start`). Stops the portals and the control plane it starts.
pub async fn run(
    binary: &str,
    connections: usize,
    duration: Duration,
    store_friends: usize,
    replica_friends: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    control_plane::build()?;
    let plane = ControlPlane::start()?;
    let mut rows = vec![(
        "kube: control plane start-up to ready (tests/kube/up.sh)".to_owned(),
        format!("{:.1} s", plane.startup.as_secs_f64()),
    )];
    eprintln!("kube: control plane ready in {:.1?}", plane.startup);
    let data = tempfile::tempdir()?;
    let portal = Portal::start_with_env(
        binary,
        data.path(),
        &["--cluster", "kube"],
        &[("KUBECONFIG", plane.portal_kubeconfig.as_path())],
    )
    .await?;
    let session = portal.seed_alice().await?;
    let (routes, first_cost) = page_loads(&portal, &session, connections, duration).await?;
    for route in &routes {
        rows.push((
            format!("{}, kube mode", route.label),
            route.result.to_string(),
        ));
    }
    let costs: Vec<String> = routes.iter().map(RouteLoad::cost).collect();
    rows.push((
        "kube: API server requests per portal request, steady state".to_owned(),
        format!(
            "{} (the first load of both, before the caches filled: {first_cost})",
            costs.join("; ")
        ),
    ));
    portal.stop();

    let bench = |friends| store_backends::StoreBench {
        binary,
        plane: &plane,
        friends,
        connections,
        duration,
    };
    if store_friends > 0 {
        let store_rows = store_backends::run(&bench(store_friends)).await;
        rows.extend(crate::or_not_run("store sled vs kube", store_rows));
    }
    if replica_friends > 0 {
        let replica_rows = replicas::run(&bench(replica_friends)).await;
        rows.extend(crate::or_not_run("replicas", replica_rows));
    }
    drop(plane);
    Ok(rows)
}

/// The replicas' figures alone, on a control plane of their own.
pub async fn replicas_only(
    binary: &str,
    connections: usize,
    duration: Duration,
    friends: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    control_plane::build()?;
    let plane = ControlPlane::start()?;
    eprintln!("kube: control plane ready in {:.1?}", plane.startup);
    let bench = store_backends::StoreBench {
        binary,
        plane: &plane,
        friends,
        connections,
        duration,
    };
    let rows = crate::or_not_run("replicas", replicas::run(&bench).await);
    drop(plane);
    Ok(rows)
}

/// Loads both pages until a load costs the API server nothing: the first loads start the
/// caches' watches and read direct until their lists are in. Returns the loads it took
/// and the API requests (watches included) the first load cost.
pub async fn until_cached(portal: &Portal, session: &str) -> anyhow::Result<(usize, u64)> {
    const TRIES: usize = 100;
    let mut first_cost = None;
    for loads in 1..=TRIES {
        let (before, watches_before) = portal.kube_requests().await?;
        for (_, path) in ROUTES {
            let r = portal
                .http
                .get(format!("{}{path}", portal.url))
                .bearer_auth(session)
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "GET {path}: {}", r.status());
        }
        let (after, watches_after) = portal.kube_requests().await?;
        let first = *first_cost.get_or_insert(after - before + watches_after - watches_before);
        if after == before {
            return Ok((loads, first));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Measured all the same: the figure then shows what each load costs.
    eprintln!("kube: page loads still cost API requests after {TRIES} loads");
    Ok((TRIES, first_cost.unwrap_or(0)))
}
