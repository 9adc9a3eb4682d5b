//! The kube-mode column: the friend's page loads (`GET /api/portal/namespace`,
//! `GET /api/portal/secrets`) against `portal serve --cluster kube` on the real control
//! plane, under the same load as the embedded rows, and what each load cost the API server.
//! Kube mode serves these reads from watch caches, so steady state should cost ~0.

use std::time::Duration;

use crate::control_plane::{self, ControlPlane};
use crate::load;
use crate::portal::Portal;

/// The routes measured in both modes, with the labels of their embedded rows.
pub const ROUTES: [(&str, &str); 2] = [
    ("GET /api/portal/secrets (plugin)", "/api/portal/secrets"),
    (
        "GET /api/portal/namespace (plugin)",
        "/api/portal/namespace",
    ),
];

/// Runs the kube-mode scenarios; the rows for the table. Call it from the bench's main
/// task (see `ControlPlane::start`). Stops the portal and the control plane it starts.
pub async fn run(
    binary: &str,
    connections: usize,
    duration: Duration,
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
    let (loads, first_cost) = until_cached(&portal, &session).await?;
    eprintln!(
        "kube: the first page load cost {first_cost} API requests; \
         loads cost nothing after {loads} (caches filled)"
    );

    let mut costs = Vec::new();
    for (label, path) in ROUTES {
        let (direct_before, watches_before) = portal.kube_requests().await?;
        let result = load::run(&portal.url, path, Some(&session), connections, duration).await;
        let (direct_after, watches_after) = portal.kube_requests().await?;
        let direct = direct_after - direct_before;
        let watches = watches_after - watches_before;
        eprintln!("{label}, kube mode: {result}; {direct} API requests, {watches} watches");
        rows.push((format!("{label}, kube mode"), result.to_string()));
        let per_request = (direct + watches) as f64 / result.requests.max(1) as f64;
        costs.push(format!(
            "{path}: {per_request:.4} ({direct} requests + {watches} watches over {} page loads)",
            result.requests
        ));
    }
    rows.push((
        "kube: API server requests per portal request, steady state".to_owned(),
        format!(
            "{} (the first load of both, before the caches filled: {first_cost})",
            costs.join("; ")
        ),
    ));
    portal.stop();
    drop(plane);
    Ok(rows)
}

/// Loads both pages until a load costs the API server nothing: the first loads start the
/// caches' watches and read direct until their lists are in. Returns the loads it took
/// and the API requests (watches included) the first load cost.
async fn until_cached(portal: &Portal, session: &str) -> anyhow::Result<(usize, u64)> {
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
