//! The Pod Security Standards table (`pod_security/table.rs`, derived from upstream's
//! pod-security-admission fixtures) against the real apply route, under both levels:
//! every case that a level forbids is refused with 422 naming the document and the field,
//! and nothing of its batch is applied; every case it allows is accepted. Each case runs
//! in a Deployment, a Job and a CronJob's job template, and a container-level case in
//! each container list (ephemeral containers only where it must be refused: a real API
//! server refuses them in pod templates).

mod table;

use std::path::Path;

use chrono::{TimeZone, Utc};
use portal::policy::PolicySource;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, TestPortal, test_policies};
use table::{Case, Level};

const KINDS: [&str; 3] = ["Deployment", "Job", "CronJob"];

/// A portal whose cluster policy says `pod_security = level`: the test policies, with a
/// cluster.toml changed to that level.
async fn portal_at(level: Level) -> TestPortal {
    portal_with(|cluster| {
        let cluster = cluster.replace(
            "pod_security = \"baseline\"",
            &format!("pod_security = \"{}\"", level.name()),
        );
        assert!(cluster.contains(&format!("pod_security = \"{}\"", level.name())));
        cluster
    })
    .await
}

/// A portal on the test policies, with the repository's namespace templates and its
/// cluster.toml changed by `edit`.
pub async fn portal_with(edit: impl FnOnce(&str) -> String) -> TestPortal {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    copy_dir(&test_policies(), &policies);
    let repo_policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    if !policies.join("namespace").exists() {
        copy_dir(
            &repo_policies.join("namespace"),
            &policies.join("namespace"),
        );
    }
    let cluster = std::fs::read_to_string(policies.join("cluster.toml"))
        .or_else(|_| std::fs::read_to_string(repo_policies.join("cluster.toml")))
        .unwrap();
    std::fs::write(policies.join("cluster.toml"), edit(&cluster)).unwrap();

    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    TestPortal::start_tuned(dir, &data, start, |config| {
        config.policies = PolicySource::Dir(policies);
    })
    .await
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// RFC 7386 merge: `null` removes, objects merge, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(fields) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in fields {
                if v.is_null() {
                    target.as_object_mut().unwrap().remove(k);
                } else {
                    merge(&mut target[k], v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// A document of `kind` holding `template`, and where its template stands.
fn workload(kind: &str, name: &str, mut template: Value) -> (Value, &'static str) {
    let meta = json!({"name": name});
    if kind != "Deployment" {
        template["spec"]["restartPolicy"] = json!("OnFailure");
    }
    match kind {
        "Deployment" => (
            json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta,
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": template}}),
            "spec.template",
        ),
        "Job" => (
            json!({"apiVersion": "batch/v1", "kind": kind, "metadata": meta, "spec": {"template": template}}),
            "spec.template",
        ),
        _ => (
            json!({"apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                   "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}}),
            "spec.jobTemplate.spec.template",
        ),
    }
}

/// The template a case makes at `level`, with the container-level patch on `list`.
fn template(level: Level, case: &Case, list: &str, name: &str) -> Value {
    let mut t = json!({
        "metadata": {"labels": {"app": name}},
        "spec": {
            "securityContext": level.base_pod_security_context(),
            "containers": [level.base_container("c")],
            "initContainers": [level.base_container("i")],
        },
    });
    if list == "ephemeralContainers" {
        t["spec"]["ephemeralContainers"] = json!([level.base_container("e")]);
    }
    merge(&mut t, &case.template);
    if case.all_containers {
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for c in t["spec"][list].as_array_mut().into_iter().flatten() {
                merge(c, &case.container);
            }
        }
    } else if !case.container.is_null() {
        merge(&mut t["spec"][list][0], &case.container);
    }
    t
}

/// Runs the whole table at `level`; answers how many requests were refused and accepted.
async fn run_table(level: Level) -> (usize, usize) {
    let p = portal_at(level).await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let alice = p.session_for(&agent, "alice").await;
    // The one Secret the volume cases may name: the friend's own, made by the portal.
    let r = p
        .post(
            "/api/portal/secrets",
            &alice,
            json!({"name": "app-secret", "data": {"k": "v"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let (mut refused, mut accepted) = (0, 0);
    for (n, case) in table::cases().iter().enumerate() {
        let expected = level.verdict(case);
        let one_container = !case.container.is_null() && !case.all_containers;
        let lists: &[&str] = match (one_container, expected) {
            (true, Some(_)) => &["containers", "initContainers", "ephemeralContainers"],
            (true, None) => &["containers", "initContainers"],
            (false, _) => &["containers"],
        };
        for list in lists {
            for kind in KINDS {
                let what = format!("{} [{}] {kind} {list} at {}", case.from, n, level.name());
                match expected {
                    Some(field) => {
                        let name = format!("refused-{n}");
                        let (doc, at) = workload(kind, &name, template(level, case, list, &name));
                        let field =
                            format!("{at}.{}", field.replace("{c}", &format!("spec.{list}[0]")));
                        let first = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "first"}});
                        let r = p
                            .post(
                                "/api/friends/alice/namespace/apply",
                                ADMIN,
                                json!({"manifests": [first, doc]}),
                            )
                            .await;
                        assert_eq!(
                            r.status,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "{what}: {}",
                            r.text
                        );
                        let prefix = format!("document 2 ({kind} {name}): {field}: ");
                        assert!(
                            r.message().starts_with(&prefix),
                            "{what}: expected '{prefix}', got {}",
                            r.text
                        );
                        refused += 1;
                    }
                    None => {
                        let name = format!("passes-{}", kind.to_lowercase());
                        let (doc, _) = workload(kind, &name, template(level, case, list, &name));
                        let r = p
                            .post("/api/friends/alice/namespace/apply", ADMIN, doc)
                            .await;
                        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.text);
                        accepted += 1;
                    }
                }
            }
        }
    }
    // Nothing of a refused batch was applied: not the ConfigMap before the bad document,
    // not the workload itself.
    let status = p.get("/api/friends/alice/namespace/status", ADMIN).await;
    assert_eq!(
        status.body["quota"]["used"]["configmaps"], "0",
        "{}",
        status.text
    );
    assert!(!status.text.contains("refused-"), "{}", status.text);
    eprintln!(
        "{}: {refused} requests refused, {accepted} accepted",
        level.name()
    );
    (refused, accepted)
}

#[tokio::test]
async fn baseline_refuses_what_the_baseline_standard_forbids_and_accepts_the_rest() {
    let (refused, accepted) = run_table(Level::Baseline).await;
    assert!(
        refused > 100 && accepted > 100,
        "{refused} refused, {accepted} accepted"
    );
}

#[tokio::test]
async fn restricted_refuses_what_the_restricted_standard_forbids_and_accepts_the_rest() {
    let (refused, accepted) = run_table(Level::Restricted).await;
    assert!(
        refused > 100 && accepted > 30,
        "{refused} refused, {accepted} accepted"
    );
}
