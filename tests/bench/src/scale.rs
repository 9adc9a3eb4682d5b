//! Scale: many friends and secrets in the embedded cluster; list latency and memory.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::load::sequential;
use crate::portal::{ADMIN, Portal};

/// Writers at once while seeding.
const SEEDERS: usize = 8;

pub async fn run(
    binary: &str,
    dir: &Path,
    friends: usize,
    secrets: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let portal = Arc::new(Portal::start(binary, dir).await?);
    let started = std::time::Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let seeders: Vec<_> = (0..SEEDERS)
        .map(|_| {
            let (portal, next) = (portal.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= friends {
                        return anyhow::Ok(());
                    }
                    let id = format!("f{i:05}");
                    portal
                        .post(
                            "/api/friends",
                            ADMIN,
                            json!({"id": id, "display_name": format!("Friend {i}")}),
                        )
                        .await?;
                    let per_friend = secrets / friends + usize::from(i < secrets % friends);
                    if per_friend > 0 {
                        let token = portal.session(&id).await?;
                        for s in 0..per_friend {
                            portal
                                .post(
                                    "/api/portal/secrets",
                                    &token,
                                    json!({"name": format!("s{s}"), "data": {"K": "value"}}),
                                )
                                .await?;
                        }
                    }
                }
            })
        })
        .collect();
    for s in seeders {
        s.await??;
    }
    let seeded = started.elapsed();
    let mut rows = vec![(
        format!("seeding {friends} friends + {secrets} secrets"),
        format!("{:.0} s", seeded.as_secs_f64()),
    )];
    let token = portal.session("f00042").await?;
    let http = reqwest::Client::new();
    for (label, url, token) in [
        (
            format!("GET /api/friends ({friends} friends, all at once), sequential"),
            format!("{}/api/friends", portal.url),
            ADMIN.to_owned(),
        ),
        (
            "GET /api/friends?limit=100&after=f05000 (one page)".to_owned(),
            format!("{}/api/friends?limit=100&after=f05000", portal.url),
            ADMIN.to_owned(),
        ),
        (
            "GET /api/portal/secrets at scale".to_owned(),
            format!("{}/api/portal/secrets", portal.url),
            token.clone(),
        ),
        (
            "GET /api/friends/:id at scale".to_owned(),
            format!("{}/api/friends/f00042", portal.url),
            ADMIN.to_owned(),
        ),
        (
            "GET /api/portal/namespace at scale".to_owned(),
            format!("{}/api/portal/namespace", portal.url),
            token.clone(),
        ),
    ] {
        let (p50, p99) = sequential(&http, &url, &token, 200).await;
        rows.push((label, format!("p50 {p50:.2} ms, p99 {p99:.2} ms")));
    }
    rows.push((
        "RSS after seeding".into(),
        format!("{} MiB", portal.rss_kib() / 1024),
    ));
    Ok(rows)
}
