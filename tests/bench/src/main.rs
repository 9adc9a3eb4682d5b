//! `just bench`: starts the release `portal` binary on loopback and measures it with a
//! load generator in this process. Prints one Markdown table (the README carries it).

mod control_plane;
mod cron;
mod failover;
mod kube_mode;
mod load;
mod peer;
mod portal;
mod replicas;
mod scale;
mod store_backends;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The portal binary to measure.
    #[arg(long, default_value = "target/release/portal")]
    portal: String,
    /// Seconds per load scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Friends to create for the scale figures (0 skips them).
    #[arg(long, default_value_t = 10_000)]
    friends: usize,
    /// Secrets to create for the scale figures, spread over the friends.
    #[arg(long, default_value_t = 100_000)]
    secrets: usize,
    /// Cron jobs for the scheduler figures (0 skips them).
    #[arg(long, default_value_t = 100_000)]
    cron_jobs: usize,
    /// Seconds over which the cron jobs fall due, each once.
    #[arg(long, default_value_t = 120)]
    cron_window: u64,
    /// Seconds allowed for creating the cron jobs before the first falls due.
    #[arg(long, default_value_t = 180)]
    cron_seed_secs: u64,
    /// Skip the kube-mode rows (the real control plane of tests/kube, built from Go
    /// modules by tests/kube/build.sh, about 11 minutes the first time).
    #[arg(long)]
    no_kube: bool,
    /// Friends for the store backends' figures (`--store sled` beside `--store kube`, both
    /// on the kube-mode control plane; 0 skips them).
    #[arg(long, default_value_t = 1000)]
    store_friends: usize,
    /// Friends in the store for the replicas' figures (one replica against three, each
    /// `--store kube`, on the kube-mode control plane, and leader failover; 0 skips them).
    #[arg(long, default_value_t = 1000)]
    replica_friends: usize,
    /// Only the replicas' figures (their own control plane; about 3 minutes).
    #[arg(long)]
    only_replicas: bool,
    /// The peer's `wasmtime` binary (`just peer` installs it here).
    #[arg(long, default_value = "target/peer/bin/wasmtime")]
    wasmtime: PathBuf,
    /// The peer's wasi:http hello component (built with the plugins).
    #[arg(
        long,
        default_value = "target/plugins/wasm32-wasip2/release/peer_hello.wasm"
    )]
    peer_component: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = tempfile::tempdir()?;
    let mut rows: Vec<(String, String)> = Vec::new();
    let duration = Duration::from_secs(args.duration);
    if args.only_replicas {
        let rows = or_not_run(
            "kube mode",
            kube_mode::replicas_only(
                &args.portal,
                args.connections,
                duration,
                args.replica_friends,
            )
            .await,
        );
        print_table(rows);
        return Ok(());
    }

    let server = portal::Portal::start(&args.portal, data.path()).await?;
    let session = server.seed_alice().await?;
    let mut figures = Vec::new();
    // The portal's own CPU (user + system) per request of each route: what a request costs
    // it, whatever the generator beside it costs.
    let mut cpu_per_request = Vec::new();
    for (label, path, token) in [
        ("GET /healthz", "/healthz", None),
        (
            "native echo (GET /api/portal/echo)",
            "/api/portal/echo",
            Some(session.as_str()),
        ),
        (
            "hello plugin (GET /api/portal/hello)",
            "/api/portal/hello",
            Some(session.as_str()),
        ),
        (
            "GET /api/portal/secrets (plugin)",
            "/api/portal/secrets",
            Some(session.as_str()),
        ),
        (
            "GET /api/portal/namespace (plugin)",
            "/api/portal/namespace",
            Some(session.as_str()),
        ),
    ] {
        let cpu_before = server.cpu_time();
        let result = load::run(&server.url, path, token, args.connections, duration).await;
        let cpu = server.cpu_time().saturating_sub(cpu_before).as_secs_f64();
        cpu_per_request.push(cpu / result.requests.max(1) as f64 * 1e6);
        eprintln!("{label}: {result}");
        rows.push((label.to_owned(), result.to_string()));
        figures.push(result);
    }
    // Where the kube-mode rows go: right after the embedded ones.
    let after_load = rows.len();
    let ratio = figures[2].rps / figures[1].rps;
    rows.push(("plugin / native requests/s".into(), format!("{ratio:.2}")));
    rows.push((
        "portal CPU per request (user + system)".into(),
        format!(
            "native echo {:.1} µs, hello {:.1} µs (plugin beyond native: {:.1} µs); secrets {:.1} µs, namespace {:.1} µs",
            cpu_per_request[1],
            cpu_per_request[2],
            cpu_per_request[2] - cpu_per_request[1],
            cpu_per_request[3],
            cpu_per_request[4]
        ),
    ));
    let (count, sum) = server.instantiation().await?;
    rows.push((
        "instantiation per request (mean)".into(),
        format!("{:.1} µs over {count} requests", sum / count as f64 * 1e6),
    ));
    server.stop();

    // Beside the embedded rows: the same routes in kube mode.
    if !args.no_kube {
        let kube_rows = or_not_run(
            "kube mode",
            kube_mode::run(
                &args.portal,
                args.connections,
                duration,
                args.store_friends,
                args.replica_friends,
            )
            .await,
        );
        rows.splice(after_load..after_load, kube_rows);
    }

    let label = "peer: `wasmtime serve` 48.0.8, wasi:http hello (GET /hello)";
    match peer::run(
        &args.wasmtime,
        &args.peer_component,
        args.connections,
        duration,
    )
    .await
    {
        Ok(theirs) => {
            eprintln!("{label}: {theirs}");
            rows.push((label.into(), theirs.to_string()));
            rows.push((
                "hello requests/s, ours / wasmtime serve".into(),
                format!("{:.2}", figures[2].rps / theirs.rps),
            ));
        }
        Err(e) => {
            eprintln!("{label}: not run: {e}");
            rows.push((label.into(), format!("not run: {e}")));
        }
    }

    let cold = portal::cold_start(&args.portal, data.path()).await?;
    rows.push((
        "cold start to ready, compiled plugins cached".into(),
        format!("{:.0} ms", cold.as_secs_f64() * 1000.0),
    ));

    if args.friends > 0 {
        let scale_dir = tempfile::tempdir()?;
        for (label, value) in
            scale::run(&args.portal, scale_dir.path(), args.friends, args.secrets).await?
        {
            eprintln!("{label}: {value}");
            rows.push((label, value));
        }
    }

    if args.cron_jobs > 0 {
        let cron_dir = tempfile::tempdir()?;
        let bench = cron::CronBench {
            jobs: args.cron_jobs,
            window: args.cron_window,
            seed_budget: args.cron_seed_secs,
        };
        for (label, value) in cron::run(&args.portal, cron_dir.path(), &bench).await? {
            eprintln!("{label}: {value}");
            rows.push((label, value));
        }
    }

    print_table(rows);
    Ok(())
}

/// A section's rows, or one row saying why it was not run (the whole story on stderr, its
/// first line in the table).
pub fn or_not_run(
    section: &str,
    rows: anyhow::Result<Vec<(String, String)>>,
) -> Vec<(String, String)> {
    rows.unwrap_or_else(|e| {
        let story = format!("{e:#}");
        eprintln!("{section}: not run: {story}");
        let first = story.lines().next().unwrap_or_default();
        vec![(section.to_owned(), format!("not run: {first}"))]
    })
}

fn print_table(rows: Vec<(String, String)>) {
    println!("\n{}\n", portal::machine());
    println!("| measure | figure |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
