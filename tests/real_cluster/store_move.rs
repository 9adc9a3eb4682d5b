//! A portal moved from sled into the cluster and back with the binary's own commands
//! (`portal store export|import`), as an operator would: nothing is lost either way, the
//! moved portal serves its friends with the same tokens under `--store kube`, and an
//! import never writes into a store that holds anything.
//!
//! The kube store lives in a namespace of this test's own (a `cluster.toml` whose
//! `portal_namespace` names it), reached as the cluster's admin: the portal's Role is
//! bound in `friendportal` only, which other tests write into.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::child::{Child, binary};
use crate::control_plane::{control_plane, repo};

const NAMESPACE: &str = "store-move";
const DISCORD: &str = "123456789012345678";

/// Which store a command works on.
#[derive(Clone, Copy)]
enum Where<'a> {
    /// A sled data dir.
    Sled(&'a Path),
    /// The cluster, in this test's namespace.
    Kube,
}

/// `portal store VERB --file FILE` on `store`, with the admin's kubeconfig and the test's
/// policies, run in the folder that holds the policies (where a default `./data` would
/// appear).
fn store_command(
    verb: &str,
    store: Where,
    file: &Path,
    kubeconfig: &Path,
    policies: &Path,
) -> Output {
    let mut command = Command::new(binary());
    command
        .current_dir(policies.parent().expect("the work dir"))
        .args(["store", verb, "--file"])
        .arg(file)
        .env("KUBECONFIG", kubeconfig)
        .env("PORTAL_POLICIES_DIR", policies)
        .env_remove("PORTAL_STORE")
        .env_remove("PORTAL_DATA_DIR");
    match store {
        Where::Sled(dir) => command.arg("--data-dir").arg(dir),
        Where::Kube => command.args(["--store", "kube"]),
    };
    command.output().expect("running portal store")
}

fn succeeded(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{what} failed: {stderr}");
    stderr
}

/// The export's lines, sorted: the same records whatever order a backend lists them in.
fn lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("an export file");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// The repository's policies with `portal_namespace` set to this test's namespace.
fn policies_in(dir: &Path) -> PathBuf {
    let policies = dir.join("policies");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(repo().join("policies"))
        .arg(&policies)
        .status()
        .expect("cp");
    assert!(copied.success());
    let file = policies.join("cluster.toml");
    let text = std::fs::read_to_string(&file).expect("cluster.toml");
    let moved = text.replace(
        "portal_namespace = \"friendportal\"",
        &format!("portal_namespace = \"{NAMESPACE}\""),
    );
    assert_ne!(text, moved, "cluster.toml names portal_namespace");
    std::fs::write(&file, moved).expect("writing cluster.toml");
    policies
}

async fn call(
    portal: &Child,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    portal.call(method, path, token, body).await
}

/// What a friend's week leaves in a store: an agent, a friend with a platform id, a
/// session and an unspent link, a cron job, audit entries.
async fn fill(portal: &Child) -> (String, String) {
    let (agent, session) = portal.agent_and_friend("ann", DISCORD).await;
    let (status, body) = call(
        portal,
        Method::POST,
        "/api/portal/workspace/crons",
        &session,
        Some(json!({
            "name": "morning",
            "message": "Good morning",
            "cron": "0 9 * * *",
            "session": format!("agent:main:discord:direct:{DISCORD}"),
            "tz": "Europe/Berlin",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (agent, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_portal_moves_into_the_cluster_and_back() {
    let plane = tokio::task::spawn_blocking(control_plane).await.unwrap();
    let work = tempfile::tempdir().expect("a work dir");
    let policies = policies_in(work.path());
    let kubeconfig = plane.admin_kubeconfig.clone();
    let (sled_dir, back_dir, kube_dir) = (
        work.path().join("sled"),
        work.path().join("back"),
        work.path().join("kube"),
    );

    // A portal on sled, used, then stopped (sled is opened by one process).
    let portal =
        Child::serve_with(&sled_dir, &["--policies-dir", policies.to_str().unwrap()]).await;
    let (agent, session) = fill(&portal).await;
    portal.terminate();

    let run = |verb, store, file: &Path| store_command(verb, store, file, &kubeconfig, &policies);
    let exported = work.path().join("from-sled.jsonl");
    let said = succeeded(
        &run("export", Where::Sled(&sled_dir), &exported),
        "export from sled",
    );
    assert!(
        said.contains("1 friend") && said.contains("1 job"),
        "{said}"
    );
    let again = run("export", Where::Sled(&sled_dir), &exported);
    assert!(!again.status.success(), "an export never overwrites a file");

    // Into the cluster, then out again: the same records.
    plane.admin(&["create", "namespace", NAMESPACE]);
    succeeded(&run("import", Where::Kube, &exported), "import into kube");
    let from_kube = work.path().join("from-kube.jsonl");
    succeeded(&run("export", Where::Kube, &from_kube), "export from kube");
    assert_eq!(
        lines(&from_kube),
        lines(&exported),
        "every record kept in the cluster"
    );

    // A second import is refused and changes nothing.
    let out = run("import", Where::Kube, &exported);
    assert!(!out.status.success());
    let refused = String::from_utf8_lossy(&out.stderr);
    assert!(refused.contains("already holds records"), "{refused}");

    // Back into a new sled data dir: the same records again.
    succeeded(
        &run("import", Where::Sled(&back_dir), &from_kube),
        "import into sled",
    );
    let round_trip = work.path().join("round-trip.jsonl");
    succeeded(
        &run("export", Where::Sled(&back_dir), &round_trip),
        "export from the new sled dir",
    );
    assert_eq!(
        lines(&round_trip),
        lines(&exported),
        "every record back in sled"
    );

    // The portal on the cluster's store knows the agent and the friend's session by the
    // tokens sled gave them.
    let kube_portal = Child::serve_with_env(
        &kube_dir,
        &[
            "--store",
            "kube",
            "--cluster",
            "kube",
            "--policies-dir",
            policies.to_str().unwrap(),
        ],
        &[("KUBECONFIG", kubeconfig.as_path())],
    )
    .await;
    let (status, me) = call(&kube_portal, Method::GET, "/api/portal/me", &session, None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Ann", "{me}");
    let (status, friend) = call(&kube_portal, Method::GET, "/api/friends/ann", &agent, None).await;
    assert_eq!(status, StatusCode::OK, "{friend}");
    let (status, jobs) = call(
        &kube_portal,
        Method::GET,
        "/api/portal/workspace/crons",
        &session,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{jobs}");
    assert!(jobs.to_string().contains("morning"), "{jobs}");
    kube_portal.terminate();
    assert!(
        !work.path().join("data").exists(),
        "the kube store's commands make no data dir"
    );
    plane.admin(&["delete", "namespace", NAMESPACE, "--wait=false"]);
}
