//! The real Kubernetes control plane for the kube-mode figures: `tests/kube/up.sh` (etcd,
//! kube-apiserver, controller manager, scheduler, kwok, all on 127.0.0.1), given the
//! portal's identity by `tests/kube/portal-kubeconfig.sh`, the same two scripts the
//! real-cluster tests drive. Dropping it stops every process it started.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// up.sh takes about 9 s once built; a cold build of the binaries happens before this.
const READY_TIMEOUT: Duration = Duration::from_secs(180);

const KUBE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../kube");

pub struct ControlPlane {
    up: Child,
    /// up.sh's state dir (PKI, etcd's data: about 120 MB); up.sh deletes it when it stops
    /// (KUBE_REMOVE_STATE), also when the bench was killed.
    state: PathBuf,
    /// What up.sh says, outside the state dir so a failed start can still be told.
    log: tempfile::NamedTempFile,
    /// A kubeconfig holding only the portal ServiceAccount's token and the CA.
    pub portal_kubeconfig: PathBuf,
    pub startup: Duration,
}

/// `tests/kube/build.sh`: a no-op once built; on a fresh machine it builds the binaries
/// from Go modules (about 11 minutes on 2 cores). Its error says what is missing.
pub fn build() -> anyhow::Result<()> {
    eprintln!("kube: tests/kube/build.sh (a no-op once built; about 11 minutes when cold)");
    let out = Command::new("bash")
        .arg(Path::new(KUBE_DIR).join("build.sh"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run bash tests/kube/build.sh: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    anyhow::ensure!(
        out.status.success(),
        "the control plane is not built and `bash tests/kube/build.sh` failed ({last}); \
         it needs Go 1.26 and the Go module proxy, see tests/kube/README.md"
    );
    Ok(())
}

impl ControlPlane {
    /// Starts up.sh and waits until it is ready. Must be called from the thread that
    /// outlives the control plane (the bench's main thread): up.sh gets SIGTERM when
    /// that thread ends, so a bench that dies leaves nothing running.
    pub fn start() -> anyhow::Result<Self> {
        let state = std::env::temp_dir().join(format!("portal-bench-kube.{}", std::process::id()));
        let log = tempfile::Builder::new()
            .prefix("portal-bench-kube-up.")
            .suffix(".log")
            .tempfile()?;
        let started = Instant::now();
        let up = Command::new("setpriv")
            .args(["--pdeathsig", "TERM", "--", "bash"])
            .arg(Path::new(KUBE_DIR).join("up.sh"))
            .arg(&state)
            .env("KUBE_REMOVE_STATE", "1")
            .stdin(Stdio::null())
            .stdout(log.as_file().try_clone()?)
            .stderr(log.as_file().try_clone()?)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start tests/kube/up.sh: {e}"))?;
        let mut plane = Self {
            up,
            state,
            log,
            portal_kubeconfig: PathBuf::new(),
            startup: Duration::ZERO,
        };
        while !plane.state.join("ready").exists() {
            let exited = plane.up.try_wait()?;
            if exited.is_some() || started.elapsed() > READY_TIMEOUT {
                anyhow::bail!(
                    "tests/kube/up.sh not ready ({}); it says:\n{}",
                    exited.map_or_else(|| format!("after {READY_TIMEOUT:?}"), |s| s.to_string()),
                    std::fs::read_to_string(plane.log.path()).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        plane.startup = started.elapsed();
        let out = Command::new("bash")
            .arg(Path::new(KUBE_DIR).join("portal-kubeconfig.sh"))
            .arg(&plane.state)
            .stdin(Stdio::null())
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "tests/kube/portal-kubeconfig.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        plane.portal_kubeconfig = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        Ok(plane)
    }
}

impl ControlPlane {
    /// Runs up.sh's kubectl as the cluster's admin (`cluster.env`: KUBECTL, KUBECONFIG);
    /// its stdout.
    pub fn kubectl(&self, args: &[&str]) -> anyhow::Result<String> {
        let env = std::fs::read_to_string(self.state.join("cluster.env"))?;
        let var = |name: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                .ok_or_else(|| anyhow::anyhow!("cluster.env has no {name}"))
        };
        let out = Command::new(var("KUBECTL")?)
            .env("KUBECONFIG", var("KUBECONFIG")?)
            .arg("--request-timeout=60s")
            .args(args)
            .stdin(Stdio::null())
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8(out.stdout)?)
    }
}

impl Drop for ControlPlane {
    /// SIGTERM to up.sh, which stops its components one by one (about 3 s) and deletes
    /// its state dir.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.up.id().to_string()])
            .status();
        let _ = self.up.wait();
        // In case up.sh ended before it set its own clean-up.
        let _ = std::fs::remove_dir_all(&self.state);
    }
}
