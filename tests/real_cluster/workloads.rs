//! Manifests applied through the portal meet the real API server: the scheduler and kwok
//! run the pods, LimitRange and ResourceQuota admission fill in the quota, Pod Security
//! admission enforces the level the namespace is labelled with.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::control_plane::eventually;
use crate::portal::{Friend, KubePortal};

fn deployment(name: &str, replicas: u32, container: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [container]}}}
    })
}

fn web() -> Value {
    json!({"manifests": [
        deployment("web", 2, json!({"name": "web", "image": "nginx:alpine", "ports": [{"containerPort": 80}]})),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    ]})
}

async fn apply(p: &KubePortal, f: &Friend, id: &str, body: Value) -> crate::portal::Reply {
    p.post(
        &format!("/api/friends/{id}/namespace/apply"),
        &f.agent,
        body,
    )
    .await
}

#[tokio::test]
async fn a_deployments_pods_run_and_the_overview_shows_them() {
    let p = KubePortal::start().await;
    let f = p.friend("work").await;
    let r = apply(&p, &f, "work", web()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["applied"],
        json!([{"kind": "Deployment", "name": "web", "action": "created"},
               {"kind": "Service", "name": "web", "action": "created"}])
    );
    let overview = eventually("two pods Running", Duration::from_secs(60), || async {
        let o = p.get("/api/portal/namespace", &f.session).await;
        let running = o.body["pods"]
            .as_array()
            .is_some_and(|pods| pods.len() == 2 && pods.iter().all(|x| x["status"] == "Running"));
        (running && o.body["deployments"][0]["replicas"] == "2/2").then_some(o)
    })
    .await;
    let body = &overview.body;
    assert_eq!(body["deployments"][0]["image"], "nginx:alpine");
    assert_eq!(body["services"][0]["ports"][0]["port"], 80);
    assert!(body["services"][0]["clusterIP"].is_string(), "{body}");
    assert_eq!(body["pods"][0]["ready"], "1/1");
    // Quota status comes from the quota controller, a moment after the pods.
    let quota = eventually("quota counts the pods", Duration::from_secs(30), || async {
        let o = p.get("/api/portal/namespace", &f.session).await;
        (o.body["quota"]["used"]["pods"] == "2").then_some(o.body["quota"].clone())
    })
    .await;
    assert_eq!(
        quota["used"]["requests.cpu"], "200m",
        "LimitRange defaults: {quota}"
    );
    assert_eq!(quota["hard"]["pods"], "20");

    let again = apply(&p, &f, "work", web()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        again.body["applied"],
        json!([{"kind": "Deployment", "name": "web", "action": "unchanged"},
               {"kind": "Service", "name": "web", "action": "unchanged"}]),
        "the API server's defaults are not a change"
    );
    let changed = apply(
        &p,
        &f,
        "work",
        deployment("web", 1, json!({"name": "web", "image": "nginx:1.27"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["applied"][0]["action"], "configured");
    eventually(
        "one pod of the new image",
        Duration::from_secs(60),
        || async {
            let o = p.get("/api/portal/namespace", &f.session).await;
            let pods = o.body["pods"].as_array().cloned().unwrap_or_default();
            (pods.len() == 1 && pods[0]["image"] == "nginx:1.27" && pods[0]["status"] == "Running")
                .then_some(())
        },
    )
    .await;

    // kwok runs no containers, so there are no logs to read: the pod is there, its logs
    // are not, and the portal says so instead of claiming the pod does not exist.
    let pods = p.get("/api/friends/work/namespace/pods", &f.agent).await;
    let pod = pods.body[0]["name"].as_str().expect("a pod").to_owned();
    let logs = p
        .get(
            &format!("/api/friends/work/namespace/logs/{pod}?tail=10"),
            &f.agent,
        )
        .await;
    assert_eq!(
        logs.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        logs.body
    );
    assert!(logs.message().contains("no logs"), "{}", logs.body);
    let missing = p
        .get("/api/friends/work/namespace/logs/nope?tail=10", &f.agent)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

    let deleted = p
        .delete("/api/friends/work/namespace/deployments/web", &f.agent)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    eventually(
        "the pods go with their deployment",
        Duration::from_secs(60),
        || async {
            let o = p.get("/api/friends/work/namespace/pods", &f.agent).await;
            (o.body == json!([])).then_some(())
        },
    )
    .await;
    assert_eq!(
        p.delete("/api/friends/work/namespace/deployments/web", &f.agent)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_portal_refuses_what_pod_security_forbids_and_admission_enforces_the_label() {
    let p = KubePortal::start().await;
    let f = p.friend("pss").await;
    let privileged = deployment(
        "priv",
        1,
        json!({"name": "c", "image": "busybox", "securityContext": {"privileged": true}}),
    );
    let r = apply(&p, &f, "pss", privileged).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.message().contains("privileged"), "{}", r.body);
    assert!(
        p.plane
            .get_json(&["deployment", "priv", "-n", &f.namespace])
            .is_none(),
        "nothing was applied"
    );

    // Past the portal (as the cluster's administrator), the namespace's label is what
    // the API server enforces: baseline refuses a privileged pod...
    let pod = |name: &str, security: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": f.namespace},
               "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": security}]}})
        .to_string()
    };
    let refused = p.plane.admin_try(
        &["create", "-f", "-"],
        Some(&pod("priv", json!({"privileged": true}))),
    );
    assert!(!refused.ok, "a privileged pod was admitted");
    assert!(
        refused
            .stderr
            .contains(r#"violates PodSecurity "baseline:latest""#),
        "{}",
        refused.stderr
    );
    // ...and admits one that only the stricter level (restricted) would refuse.
    let admitted = p.plane.admin_try(
        &["create", "-f", "-"],
        Some(&pod("root", json!({"allowPrivilegeEscalation": true}))),
    );
    assert!(admitted.ok, "{}", admitted.stderr);
    assert!(
        !admitted.stderr.contains("PodSecurity"),
        "warn is baseline too: {}",
        admitted.stderr
    );
}

/// A friend's rollout restart against the real API server, through the portal's RBAC: the
/// annotation kubectl would set lands on the pod template and the controllers replace the
/// pod; the logs route reads the app's newest pod (kwok serves none: 503, saying so).
#[tokio::test]
async fn a_friend_restarts_their_app_and_reads_its_log() {
    let p = KubePortal::start().await;
    let f = p.friend("apps").await;
    let one = deployment("web", 1, json!({"name": "web", "image": "nginx:alpine"}));
    let r = apply(&p, &f, "apps", one).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let running = || async {
        let o = p.get("/api/portal/namespace", &f.session).await;
        let pods = o.body["pods"].as_array().cloned().unwrap_or_default();
        (pods.len() == 1 && pods[0]["status"] == "Running")
            .then(|| pods[0]["name"].as_str().unwrap_or_default().to_owned())
    };
    let before = eventually("the pod runs", Duration::from_secs(60), running).await;

    let r = p
        .post(
            "/api/portal/namespace/deployments/web/restart",
            &f.session,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r.body["restartedAt"]
        .as_str()
        .expect("restartedAt")
        .to_owned();
    let stored = crate::control_plane::control_plane()
        .get_json(&["deployment", "web", "-n", "friend-apps"])
        .expect("the deployment");
    assert_eq!(
        stored["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
        at.as_str()
    );
    eventually(
        "a new pod replaces the old",
        Duration::from_secs(60),
        || async { running().await.filter(|now| *now != before) },
    )
    .await;

    let logs = p
        .get(
            "/api/portal/namespace/deployments/web/logs?tail=10",
            &f.session,
        )
        .await;
    assert_eq!(
        logs.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        logs.body
    );
    assert!(logs.message().contains("no logs"), "{}", logs.body);

    // Another friend has no app called web: the first friend's is not theirs to restart.
    p.add_friend(&f.agent, "apps-two").await;
    let other = p.session_for(&f.agent, "apps-two").await;
    let r = p
        .post(
            "/api/portal/namespace/deployments/web/restart",
            &other,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
