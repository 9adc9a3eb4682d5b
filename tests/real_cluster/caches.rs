//! The watch caches in kube mode: once a friend's namespace is watched, repeating the
//! overview and the secrets list costs the API server nothing, and the portal's own
//! writes show in the very next read.

use reqwest::StatusCode;
use serde_json::json;

use crate::portal::KubePortal;

/// Requests the portal has sent to the API server, from `portal_kube_requests_total`,
/// without the watches (they are the cache's own, long-lived, renewed every few minutes).
async fn api_requests(p: &KubePortal) -> u64 {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", p.child.url))
        .bearer_auth(crate::child::ADMIN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with("portal_kube_requests_total{") && !l.contains("verb=\"watch\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn load_pages(p: &KubePortal, session: &str) {
    let overview = p.get("/api/portal/namespace", session).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let secrets = p.get("/api/portal/secrets", session).await;
    assert_eq!(secrets.status, StatusCode::OK, "{}", secrets.body);
}

/// Loads the pages until they cost nothing (the first loads start the watches and read
/// direct until their lists are in); the API requests each load cost.
async fn watched(p: &KubePortal, session: &str) -> Vec<u64> {
    let mut costs = Vec::new();
    for _ in 0..100 {
        let before = api_requests(p).await;
        load_pages(p, session).await;
        let cost = api_requests(p).await - before;
        costs.push(cost);
        if cost == 0 {
            return costs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("page loads kept costing API requests: {costs:?}");
}

#[tokio::test]
async fn repeated_reads_cost_the_api_server_no_request_once_watched() {
    let p = KubePortal::start().await;
    let f = p.friend("cached").await;
    let created = p
        .post(
            "/api/portal/secrets",
            &f.session,
            json!({"name": "token", "data": {"T": "x"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let costs = watched(&p, &f.session).await;
    assert!(costs[0] > 0, "the first load reads direct: {costs:?}");

    let before = api_requests(&p).await;
    for _ in 0..5 {
        load_pages(&p, &f.session).await;
    }
    assert_eq!(api_requests(&p).await, before, "steady state costs nothing");
    let secrets = p.get("/api/portal/secrets", &f.session).await;
    assert_eq!(secrets.body[0]["name"], "token", "{}", secrets.body);
}

#[tokio::test]
async fn a_write_shows_in_the_next_read_from_the_cache() {
    let p = KubePortal::start().await;
    let f = p.friend("ryw").await;
    watched(&p, &f.session).await;
    for round in 0..5 {
        let name = format!("key-{round}");
        let created = p
            .post(
                "/api/portal/secrets",
                &f.session,
                json!({"name": name, "data": {"K": "v"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let list = p.get("/api/portal/secrets", &f.session).await;
        let names: Vec<&str> = list
            .body
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(names.contains(&name.as_str()), "{name} in {}", list.body);

        let replaced = p
            .put(
                &format!("/api/portal/secrets/{name}"),
                &f.session,
                json!({"data": {"K": "v", "NEW": "w"}}),
            )
            .await;
        assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
        let list = p.get("/api/portal/secrets", &f.session).await;
        let keys = list
            .body
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name.as_str()))
            .map(|s| s["keys"].clone());
        assert_eq!(keys, Some(json!(["K", "NEW"])), "{}", list.body);

        let deleted = p
            .delete(&format!("/api/portal/secrets/{name}"), &f.session)
            .await;
        assert!(deleted.status.is_success(), "{}", deleted.body);
        let list = p.get("/api/portal/secrets", &f.session).await;
        assert!(
            !list.body.to_string().contains(&format!("\"{name}\"")),
            "{name} deleted, still in {}",
            list.body
        );
    }
}

#[tokio::test]
async fn applied_and_deleted_workloads_show_in_the_next_overview() {
    let p = KubePortal::start().await;
    let f = p.friend("rywapply").await;
    watched(&p, &f.session).await;
    let names = |o: &serde_json::Value, kind: &str| -> Vec<String> {
        o[kind]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for round in 0..5 {
        let name = format!("web-{round}");
        let manifests = json!({"manifests": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                      "template": {"metadata": {"labels": {"app": name}},
                                   "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
             "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}},
        ]});
        let applied = p
            .post("/api/friends/rywapply/namespace/apply", &f.agent, manifests)
            .await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let o = p.get("/api/portal/namespace", &f.session).await;
        assert!(
            names(&o.body, "deployments").contains(&name),
            "{name} applied: {}",
            o.body
        );
        assert!(
            names(&o.body, "services").contains(&name),
            "{name} applied: {}",
            o.body
        );

        let deleted = p
            .delete(
                &format!("/api/friends/rywapply/namespace/deployments/{name}"),
                &f.agent,
            )
            .await;
        assert!(deleted.status.is_success(), "{}", deleted.body);
        let o = p.get("/api/portal/namespace", &f.session).await;
        assert!(
            !names(&o.body, "deployments").contains(&name),
            "{name} deleted: {}",
            o.body
        );
    }
}
