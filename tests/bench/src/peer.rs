//! The peer: `wasmtime serve` (wasmtime-cli from crates.io, the same wasmtime version as
//! the portal's) running a `wasi:http` hello component that answers what the `hello`
//! fixture's echo answers. Loaded by the same generator, in the same run, as our hello route.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::{self, LoadResult};

/// A running `wasmtime serve` and the file its stderr goes to; both go on drop.
struct WasmtimeServe {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for WasmtimeServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Starts `wasmtime serve` on a free loopback port and waits until it answers.
async fn start(wasmtime: &Path, component: &Path) -> anyhow::Result<(WasmtimeServe, String)> {
    // The port is picked here and handed over: `wasmtime serve` prints no address to read.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let log = std::env::temp_dir().join(format!("wasmtime-serve-{port}.log"));
    let child = Command::new(wasmtime)
        .arg("serve")
        .arg(format!("--addr=127.0.0.1:{port}"))
        // Rust's std on wasm32-wasip2 imports wasi:cli (the environment), which `serve`
        // links only when asked.
        .arg("-Scli=y")
        // Its setting for many short-lived instances, as the portal uses (and its default
        // where the system allows it).
        .arg("-Opooling-allocator=y")
        .arg(component)
        // As the portal does for itself: no backtrace captured for every library error
        // (wasmtime makes one per dropped store), whatever RUST_BACKTRACE says.
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", wasmtime.display()))?;
    let server = WasmtimeServe { child, log };
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{url}/hello")).send().await
            && r.status().is_success()
        {
            return Ok((server, url));
        }
        if Instant::now() > deadline {
            let said = std::fs::read_to_string(&server.log).unwrap_or_default();
            anyhow::bail!("wasmtime serve did not answer within 30 s: {}", said.trim());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Loads the peer like our hello route: `GET /hello`, same connections and duration.
pub async fn run(
    wasmtime: &Path,
    component: &Path,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<LoadResult> {
    anyhow::ensure!(
        wasmtime.exists(),
        "no wasmtime binary at {} (`just peer` installs wasmtime-cli from crates.io)",
        wasmtime.display()
    );
    anyhow::ensure!(
        component.exists(),
        "no peer component at {} (`cargo build -p portal` builds it with the plugins)",
        component.display()
    );
    let (_server, url) = start(wasmtime, component).await?;
    Ok(load::run(&url, "/hello", None, connections, duration).await)
}
