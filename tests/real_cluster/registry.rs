//! A real CNCF distribution registry (tests/registry/build.sh builds it from its Go module,
//! once per machine), open to anyone, on 127.0.0.1 with its storage in a temporary
//! directory; killed when dropped. Never skipped: without Go the build fails, and so does
//! the test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::control_plane::repo;

pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`, as written in references.
    pub addr: String,
    dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    let out = Command::new("bash")
        .arg(repo().join("tests/registry/build.sh"))
        .stdin(Stdio::null())
        .output()
        .expect("running tests/registry/build.sh");
    assert!(
        out.status.success(),
        "tests/registry/build.sh failed: it builds the CNCF distribution registry from Go \
         modules and needs Go on PATH:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("registry")
}

impl Registry {
    pub async fn start() -> Self {
        let binary = tokio::task::spawn_blocking(binary).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: {addr}\n",
                dir.path().join("storage").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(&binary)
            .arg("serve")
            .arg(&config)
            .env("OTEL_TRACES_EXPORTER", "none")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let registry = Self { child, addr, dir };
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            let answered = client
                .get(format!("http://{}/v2/", registry.addr))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if answered {
                return registry;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the registry did not answer: {}",
                std::fs::read_to_string(registry.dir.path().join("registry.log"))
                    .unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
