//! The real control plane (tests/kube/up.sh), one per test binary: built and started by
//! the first test that needs it, with deploy/'s namespace, RBAC and admission policy
//! applied, and a TokenRequest token for the portal's ServiceAccount.
//!
//! It stops when the test process exits: up.sh runs under a parent-death signal tied to
//! a thread that lives as long as the process, and up.sh's components die with up.sh.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long up.sh may take to say it is ready (it takes about 9 s when built).
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a cold build of the control plane may take (about 11 minutes on 2 cores).
const BUILD_TIMEOUT_NOTE: &str = "about 11 minutes on a fresh machine";

pub struct ControlPlane {
    /// up.sh's state dir (`cluster.env`, logs), for the scripts in tests/kube/.
    pub state: PathBuf,
    pub kubectl: PathBuf,
    pub admin_kubeconfig: PathBuf,
    /// A kubeconfig holding only the portal ServiceAccount's token and the CA.
    pub portal_kubeconfig: PathBuf,
}

/// The shared control plane, started on first use.
pub fn control_plane() -> &'static ControlPlane {
    static PLANE: OnceLock<ControlPlane> = OnceLock::new();
    PLANE.get_or_init(start)
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// `tests/kube/build.sh`: never skipped. Without Go and without a built cache, the test
/// fails and says what to install.
fn build() {
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(repo().join("tests/kube/build.sh"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash tests/kube/build.sh: {e}"));
    if !out.status.success() {
        let go = Command::new("go").arg("version").output();
        let go = match go {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            _ => "Go is not installed (or not on PATH): the real-cluster tests need Go 1.26 \
                  (https://go.dev/doc/install) to build the control plane from Go modules"
                .to_owned(),
        };
        panic!(
            "tests/kube/build.sh failed ({}); {go}\n--- its stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!(
        "real_cluster: control plane built in {:.1?} (when cold: {BUILD_TIMEOUT_NOTE})",
        started.elapsed()
    );
}

/// State dirs of earlier runs whose test process is gone (up.sh keeps a state dir it was
/// given; a process that ended cannot remove its own).
fn remove_stale_state(parent: &Path) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("run-").and_then(|n| n.split('.').next()) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// up.sh's exit status once it has ended (it should not, while tests run).
static UP_EXITED: OnceLock<String> = OnceLock::new();

/// Starts up.sh from a thread that never ends, so that up.sh's parent-death signal fires
/// when the test process exits, not when the test that happened to start it ends.
fn spawn_up(state: &Path) {
    let script = repo().join("tests/kube/up.sh");
    let state = state.to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let logs = std::fs::File::create(state.with_extension("up.log"));
        let child = logs.and_then(|log| {
            Command::new("setpriv")
                .args(["--pdeathsig", "TERM", "--", "bash"])
                .arg(&script)
                .arg(&state)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
        });
        let mut child = match child {
            Ok(child) => {
                let _ = tx.send(Ok(()));
                child
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let status = child.wait();
        let _ = UP_EXITED.set(format!("{status:?}"));
        loop {
            std::thread::park();
        }
    });
    rx.recv()
        .expect("the up.sh thread answers")
        .unwrap_or_else(|e| panic!("cannot start tests/kube/up.sh: {e}"));
}

fn start() -> ControlPlane {
    build();
    let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-cluster");
    std::fs::create_dir_all(&parent).expect("creating the state parent");
    remove_stale_state(&parent);
    let state = parent.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let started = Instant::now();
    spawn_up(&state);
    while !state.join("ready").exists() {
        let log = std::fs::read_to_string(state.with_extension("up.log")).unwrap_or_default();
        if let Some(status) = UP_EXITED.get() {
            panic!("tests/kube/up.sh ended before it was ready ({status}); it says:\n{log}");
        }
        if started.elapsed() > READY_TIMEOUT {
            panic!(
                "the control plane did not become ready in {READY_TIMEOUT:?}; up.sh says:\n{log}"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let startup = started.elapsed();
    eprintln!("real_cluster: control plane ready in {startup:.1?}");
    let env = read_env(&state.join("cluster.env"));
    // deploy/'s namespace, RBAC and admission policy, and a TokenRequest token for the
    // portal's ServiceAccount in a kubeconfig of its own (shared with the benchmark).
    let out = Command::new("bash")
        .arg(repo().join("tests/kube/portal-kubeconfig.sh"))
        .arg(&state)
        .stdin(Stdio::null())
        .output()
        .expect("running tests/kube/portal-kubeconfig.sh");
    assert!(
        out.status.success(),
        "tests/kube/portal-kubeconfig.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ControlPlane {
        portal_kubeconfig: PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
        state,
        kubectl: PathBuf::from(&env["KUBECTL"]),
        admin_kubeconfig: PathBuf::from(&env["KUBECONFIG"]),
    }
}

fn read_env(file: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(file).expect("up.sh writes cluster.env");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// What kubectl said.
pub struct Kubectl {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl ControlPlane {
    /// kubectl with a kubeconfig, and `stdin` if given.
    pub fn kubectl_as(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Kubectl {
        use std::io::Write;
        let mut child = Command::new(&self.kubectl)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--request-timeout=30s")
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running kubectl");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("kubectl's stdin");
            pipe.write_all(text.as_bytes()).expect("writing to kubectl");
        }
        let out = child.wait_with_output().expect("kubectl finishes");
        Kubectl {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// kubectl as the cluster's administrator; panics on failure.
    pub fn admin(&self, args: &[&str]) -> String {
        let out = self.kubectl_as(&self.admin_kubeconfig, args, None);
        assert!(out.ok, "kubectl {args:?} failed: {}", out.stderr);
        out.stdout
    }

    /// kubectl as the administrator, whatever happens.
    pub fn admin_try(&self, args: &[&str], stdin: Option<&str>) -> Kubectl {
        self.kubectl_as(&self.admin_kubeconfig, args, stdin)
    }

    /// An object as JSON, or `None` when there is none.
    pub fn get_json(&self, args: &[&str]) -> Option<serde_json::Value> {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json", "--ignore-not-found"]);
        let out = self.admin(&all);
        if out.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(&out).expect("kubectl prints JSON"))
        }
    }

    /// `kubectl auth can-i` as the portal's own token (not impersonated: the real thing).
    pub fn portal_can(&self, verb: &str, resource: &str, namespace: &str) -> bool {
        let out = self.kubectl_as(
            &self.portal_kubeconfig,
            &["auth", "can-i", verb, resource, "-n", namespace],
            None,
        );
        match out.stdout.trim() {
            "yes" => true,
            "no" => false,
            other => panic!("kubectl auth can-i answered '{other}': {}", out.stderr),
        }
    }
}

/// Polls `check` until it gives `Some`, at most `limit`: for state the cluster reaches on
/// its own (a pod Running, a namespace gone). Panics with `what` when it does not.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
