//! `POST /api/friends/:id/namespace/apply`: checks every document, then applies them all.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::secrets::two;
use crate::support::{ADMIN, Reply, TestPortal};

async fn apply_yaml(p: &TestPortal, token: &str, friend: &str, yaml: &str) -> Reply {
    let r = p
        .http
        .post(p.url(&format!("/api/friends/{friend}/namespace/apply")))
        .bearer_auth(token)
        .header("content-type", "application/yaml")
        .body(yaml.to_owned())
        .send()
        .await
        .unwrap();
    crate::support::reply(r).await
}

pub fn deployment(name: &str, pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}}
    })
}

pub fn nginx() -> Value {
    json!({"containers": [{"name": "web", "image": "nginx:alpine"}]})
}

#[tokio::test]
async fn yaml_documents_are_applied_and_the_overview_shows_them() {
    let t = two().await;
    // The Deployment names the friend's own Secret, which must exist and be the portal's.
    let secret =
        t.p.post(
            "/api/portal/secrets",
            &t.alice,
            json!({"name": "my-api-key", "data": {"API_KEY": "k"}}),
        )
        .await;
    assert_eq!(secret.status, StatusCode::CREATED, "{}", secret.text);
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:alpine\n        envFrom:\n        - secretRef: {name: my-api-key}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n";
    let r = apply_yaml(&t.p, &t.agent, "alice", yaml).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["applied"],
        json!([
            {"kind": "Deployment", "name": "web", "action": "created"},
            {"kind": "Service", "name": "web", "action": "created"},
        ])
    );
    let again = apply_yaml(&t.p, &t.agent, "alice", yaml).await;
    assert_eq!(again.body["applied"][0]["action"], "unchanged");

    let overview = t.p.get("/api/portal/namespace", &t.alice).await;
    assert_eq!(overview.status, StatusCode::OK);
    let d = &overview.body["deployments"][0];
    assert_eq!(
        (
            d["name"].as_str(),
            d["replicas"].as_str(),
            d["image"].as_str()
        ),
        (Some("web"), Some("2/2"), Some("nginx:alpine"))
    );
    assert_eq!(d["secretRefs"], json!(["my-api-key"]));
    let pods = overview.body["pods"].as_array().unwrap();
    assert_eq!(pods.len(), 2);
    assert!(
        pods.iter()
            .all(|p| p["status"] == "Running" && p["image"] == "nginx:alpine")
    );
    assert_eq!(overview.body["quota"]["used"]["pods"], "2");
    assert_eq!(
        overview.body["quota"]["hard"]["services.loadbalancers"],
        "0"
    );
    assert_eq!(
        overview.body["quota"]["used"]["requests.cpu"], "200m",
        "LimitRange defaults apply"
    );
    assert_eq!(overview.body["services"][0]["ports"][0]["port"], 80);

    let status =
        t.p.get("/api/friends/alice/namespace/status", &t.agent)
            .await;
    assert_eq!(status.body["deployments"], overview.body["deployments"]);
    let listed = t.p.get("/api/friends/alice/namespace/pods", ADMIN).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn json_single_object_and_manifests_list_are_accepted() {
    let t = two().await;
    let one = t.p.post("/api/friends/alice/namespace/apply", &t.agent, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}})).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let many = t.p.post("/api/friends/alice/namespace/apply", &t.agent, json!({"manifests": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"}, "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}},
    ]})).await;
    assert_eq!(many.status, StatusCode::OK, "{}", many.text);
    assert_eq!(many.body["applied"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn every_refusal_names_the_document_and_field() {
    let t = two().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
            "kind: 'Secret' is not one of",
        ),
        (
            json!({"apiVersion": "v1", "kind": "List", "items": []}),
            "List wrappers",
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "friend-bob"}}),
            "metadata.namespace: 'friend-bob' is another namespace",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}),
            "spec.type: LoadBalancer",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}),
            "spec.type: NodePort",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ExternalName", "externalName": "x.example"}}),
            "spec.type: ExternalName",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"externalIPs": ["1.2.3.4"], "ports": [{"port": 80}]}}),
            "spec.externalIPs",
        ),
        (
            deployment(
                "d",
                json!({"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.hostNetwork",
        ),
        (
            deployment(
                "d",
                json!({"hostPID": true, "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.hostPID",
        ),
        (
            deployment(
                "d",
                json!({"hostIPC": true, "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.hostIPC",
        ),
        (
            deployment(
                "d",
                json!({"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.nodeName",
        ),
        (
            deployment(
                "d",
                json!({"runtimeClassName": "kata", "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.runtimeClassName",
        ),
        (
            deployment(
                "d",
                json!({"priorityClassName": "high", "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.priorityClassName",
        ),
        (
            deployment(
                "d",
                json!({"serviceAccountName": "admin", "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.serviceAccountName",
        ),
        (
            deployment(
                "d",
                json!({"volumes": [{"name": "h", "hostPath": {"path": "/"}}], "containers": [{"name": "c", "image": "i"}]}),
            ),
            "spec.template.spec.volumes[0].hostPath",
        ),
        (
            deployment(
                "d",
                json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}),
            ),
            "containers[0].securityContext.privileged",
        ),
        (
            deployment(
                "d",
                json!({"containers": [{"name": "c", "image": "i", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}),
            ),
            "capabilities.add[0]: adding the capability 'SYS_ADMIN' is not allowed",
        ),
        (
            deployment(
                "d",
                json!({"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": 80}]}]}),
            ),
            "ports[0].hostPort",
        ),
        (
            deployment(
                "d",
                json!({"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [{"name": "c", "image": "i"}]}),
            ),
            "securityContext.seccompProfile.type",
        ),
        (
            deployment(
                "d",
                json!({"containers": [{"name": "c", "image": "i", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]}),
            ),
            "appArmorProfile.type",
        ),
        (
            deployment(
                "d",
                json!({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}, "containers": [{"name": "c", "image": "i"}]}),
            ),
            "sysctl 'kernel.msgmax'",
        ),
        (
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"}, "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]}}}}}}),
            "spec.jobTemplate.spec.template.spec.hostNetwork",
        ),
        (
            json!({"apiVersion": "v1", "kind": "Deployment", "metadata": {"name": "d"}}),
            "apiVersion: Deployment must be apps/v1",
        ),
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}),
            "metadata.name",
        ),
    ];
    for (doc, says) in cases {
        // The bad document comes last: nothing before it may be applied either.
        let good = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}});
        let r =
            t.p.post(
                "/api/friends/alice/namespace/apply",
                &t.agent,
                json!({"manifests": [good, doc.clone()]}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{doc}: {}",
            r.text
        );
        assert!(r.message().starts_with("document 2 ("), "{}", r.text);
        assert!(r.message().contains(says), "expected '{says}': {}", r.text);
    }
    let overview =
        t.p.get("/api/friends/alice/namespace/status", &t.agent)
            .await;
    assert_eq!(
        overview.body["quota"]["used"]["configmaps"], "0",
        "all or nothing: nothing was applied"
    );
    // The spec's own example is allowed at the default (baseline) level.
    let ok =
        t.p.post(
            "/api/friends/alice/namespace/apply",
            &t.agent,
            deployment("web", nginx()),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn bad_bodies_are_refused() {
    let t = two().await;
    let r = apply_yaml(&t.p, &t.agent, "alice", "kind: [unclosed").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r =
        t.p.http
            .post(t.p.url("/api/friends/alice/namespace/apply"))
            .bearer_auth(&t.agent)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r =
        t.p.post(
            "/api/friends/bob/namespace/apply",
            &t.agent,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no friendship with bob");
    let r =
        t.p.post("/api/friends/alice/namespace/apply", &t.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "friends cannot apply");
}

/// The overview says which app each pod and Service belongs to, by the Deployments'
/// selectors rather than by names: "web" does not take "web-api"'s pods, and a Service
/// named "frontend" in front of "web" belongs to web.
#[tokio::test]
async fn the_overview_ties_pods_and_services_to_their_apps_by_selector() {
    let t = two().await;
    let manifests = json!({"manifests": [
        deployment("web", nginx()),
        deployment("web-api", nginx()),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "frontend"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nothing"},
         "spec": {"ports": [{"port": 81}]}},
    ]});
    let r =
        t.p.post("/api/friends/alice/namespace/apply", &t.agent, manifests)
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let overview = t.p.get("/api/portal/namespace", &t.alice).await;
    for pod in overview.body["pods"].as_array().unwrap() {
        let name = pod["name"].as_str().unwrap();
        let app = if name.starts_with("web-api-") {
            "web-api"
        } else {
            "web"
        };
        assert_eq!(pod["app"], app, "{name}");
    }
    let services = overview.body["services"].as_array().unwrap();
    let apps_of = |name: &str| services.iter().find(|s| s["name"] == name).unwrap()["apps"].clone();
    assert_eq!(apps_of("frontend"), json!(["web"]));
    assert_eq!(apps_of("nothing"), json!([]), "no selector, no app");
    // The agents' pods route says the same.
    let pods = t.p.get("/api/friends/alice/namespace/pods", &t.agent).await;
    for pod in pods.body.as_array().unwrap() {
        let name = pod["name"].as_str().unwrap();
        assert_eq!(
            pod["app"],
            if name.starts_with("web-api-") {
                "web-api"
            } else {
                "web"
            }
        );
    }
}
