//! What a pod template may reference: only the friend's own Secrets, the ones the portal
//! manages; and never the service-account token, which `apply` turns off everywhere.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::apply::{deployment, nginx};
use crate::secrets::two;

/// Where a pod template can name a Secret, as (pod spec with `NAME` in it, field path).
fn secret_reference_positions() -> Vec<(Value, &'static str)> {
    let c = |extra: Value| {
        let mut c = json!({"name": "c", "image": "i"});
        merge_into(&mut c, extra);
        c
    };
    vec![
        (
            json!({"containers": [c(json!({"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "NAME", "key": "k"}}}]}))]}),
            "spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name",
        ),
        (
            json!({"containers": [c(json!({}))], "initContainers": [c(json!({"envFrom": [{"configMapRef": {"name": "x"}}, {"secretRef": {"name": "NAME"}}]}))]}),
            "spec.template.spec.initContainers[0].envFrom[1].secretRef.name",
        ),
        (
            json!({"containers": [c(json!({}))], "ephemeralContainers": [c(json!({"envFrom": [{"secretRef": {"name": "NAME"}}]}))]}),
            "spec.template.spec.ephemeralContainers[0].envFrom[0].secretRef.name",
        ),
        (
            json!({"containers": [c(json!({}))], "volumes": [{"name": "v", "secret": {"secretName": "NAME"}}]}),
            "spec.template.spec.volumes[0].secret.secretName",
        ),
        (
            json!({"containers": [c(json!({}))], "volumes": [{"name": "v", "projected": {"sources": [{"configMap": {"name": "x"}}, {"secret": {"name": "NAME"}}]}}]}),
            "spec.template.spec.volumes[0].projected.sources[1].secret.name",
        ),
        (
            json!({"containers": [c(json!({}))], "volumes": [{"name": "v", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "NAME"}}}]}),
            "spec.template.spec.volumes[0].csi.nodePublishSecretRef.name",
        ),
        (
            json!({"containers": [c(json!({}))], "imagePullSecrets": [{"name": "NAME"}]}),
            "spec.template.spec.imagePullSecrets[0].name",
        ),
    ]
}

fn merge_into(target: &mut Value, extra: Value) {
    if let (Some(t), Value::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

fn with_secret_name(pod_spec: &Value, name: &str) -> Value {
    serde_json::from_str(&pod_spec.to_string().replace("NAME", name)).unwrap()
}

#[tokio::test]
async fn pod_templates_may_reference_only_the_friends_portal_secrets() {
    let t = two().await;
    for (token, name) in [(&t.alice, "my-api-key"), (&t.bob, "bob-key")] {
        let r =
            t.p.post(
                "/api/portal/secrets",
                token,
                json!({"name": name, "data": {"k": "v"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // Secrets in alice's namespace the portal did not make: an operator's own, and a
    // service-account token (the portal's label does not make a token a friend's secret).
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(t.p.server.state.cluster.client.clone(), "friend-alice");
    for (name, type_, labelled) in [
        ("operator-secret", "Opaque", false),
        ("sa-token", "kubernetes.io/service-account-token", true),
    ] {
        let mut secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": {"kubernetes.io/service-account.name": "default"}},
            "type": type_, "data": {"token": "c2VjcmV0"}
        }))
        .unwrap();
        if labelled {
            secret.metadata.labels = Some(
                [(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "friend-portal".to_owned(),
                )]
                .into(),
            );
        }
        secrets
            .create(&kube::api::PostParams::default(), &secret)
            .await
            .unwrap();
    }
    for (pod_spec, field) in secret_reference_positions() {
        for name in ["operator-secret", "sa-token", "bob-key", "no-such-secret"] {
            let good =
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}});
            let doc = deployment("d", with_secret_name(&pod_spec, name));
            let r =
                t.p.post(
                    "/api/friends/alice/namespace/apply",
                    &t.agent,
                    json!({"manifests": [good, doc]}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field} {name}: {}",
                r.text
            );
            let expected = format!("document 2 (Deployment d): {field}: the secret '{name}'");
            assert!(
                r.message().starts_with(&expected),
                "expected '{expected}': {}",
                r.text
            );
        }
        let own = deployment("d", with_secret_name(&pod_spec, "my-api-key"));
        let r =
            t.p.post("/api/friends/alice/namespace/apply", &t.agent, own)
                .await;
        assert_eq!(r.status, StatusCode::OK, "{field}: {}", r.text);
    }
    let overview =
        t.p.get("/api/friends/alice/namespace/status", &t.agent)
            .await;
    assert_eq!(
        overview.body["quota"]["used"]["configmaps"], "0",
        "nothing of a refused batch was applied"
    );
}

#[tokio::test]
async fn the_service_account_token_is_never_mounted() {
    let t = two().await;
    let pod = |automount: Value| {
        let mut spec = nginx();
        spec["automountServiceAccountToken"] = automount;
        spec
    };
    let r =
        t.p.post(
            "/api/friends/alice/namespace/apply",
            &t.agent,
            deployment("web", pod(json!(true))),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.message().starts_with(
            "document 1 (Deployment web): spec.template.spec.automountServiceAccountToken: "
        ),
        "{}",
        r.text
    );
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}});
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "automountServiceAccountToken": false, "containers": [{"name": "c", "image": "busybox"}]}}}});
    let manifests = json!({"manifests": [deployment("web", pod(Value::Null)), job, cron]});
    let r =
        t.p.post(
            "/api/friends/alice/namespace/apply",
            &t.agent,
            manifests.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let client = t.p.server.state.cluster.client.clone();
    for (kind, name, pointer) in [
        (
            "Deployment",
            "web",
            "/spec/template/spec/automountServiceAccountToken",
        ),
        (
            "Job",
            "once",
            "/spec/template/spec/automountServiceAccountToken",
        ),
        (
            "CronJob",
            "nightly",
            "/spec/jobTemplate/spec/template/spec/automountServiceAccountToken",
        ),
    ] {
        let (group, version) = if kind == "Deployment" {
            ("apps", "v1")
        } else {
            ("batch", "v1")
        };
        let resource = kube::core::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
            group, version, kind,
        ));
        let api: kube::Api<kube::api::DynamicObject> =
            kube::Api::namespaced_with(client.clone(), "friend-alice", &resource);
        let stored = serde_json::to_value(api.get(name).await.unwrap()).unwrap();
        assert_eq!(
            stored.pointer(pointer),
            Some(&json!(false)),
            "{kind}: {stored}"
        );
    }
    let again =
        t.p.post("/api/friends/alice/namespace/apply", &t.agent, manifests)
            .await;
    assert!(
        again.body["applied"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] == "unchanged"),
        "{}",
        again.text
    );
}

/// A projected volume mounts credentials whatever `automountServiceAccountToken` says: the
/// service account's token, or a pod certificate the API server takes as the pod's identity.
#[tokio::test]
async fn a_projected_volume_cannot_mount_the_service_account_token() {
    let t = two().await;
    for (source, kind) in [
        (
            json!({"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}),
            "serviceAccountToken",
        ),
        (
            json!({"podCertificate": {"signerName": "kubernetes.io/kube-apiserver-client-pod", "keyType": "ED25519", "credentialBundlePath": "creds.pem"}}),
            "podCertificate",
        ),
    ] {
        let r = apply_projected(&t, source).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let expected = format!(
            "document 1 (Deployment web): spec.template.spec.volumes[0].projected.sources[1].{kind}: "
        );
        assert!(r.message().starts_with(&expected), "{expected}: {}", r.text);
    }
    // A projected volume of what a pod may hold is still fine.
    let labels = json!({"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}});
    let r = apply_projected(&t, labels).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// A Deployment `web` with a projected volume of a ConfigMap and `source`.
async fn apply_projected(t: &crate::secrets::Two, source: Value) -> crate::support::Reply {
    let mut spec = nginx();
    spec["volumes"] =
        json!([{"name": "v", "projected": {"sources": [{"configMap": {"name": "x"}}, source]}}]);
    t.p.post(
        "/api/friends/alice/namespace/apply",
        &t.agent,
        deployment("web", spec),
    )
    .await
}
