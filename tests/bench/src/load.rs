//! A closed-loop load generator: N connections, each sending its next request when the
//! last one answered, for a fixed time.

use std::fmt;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl fmt::Display for LoadResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms ({} requests)",
            self.rps, self.p50_ms, self.p99_ms, self.requests
        )?;
        if self.errors > 0 {
            write!(f, ", {} errors", self.errors)?;
        }
        Ok(())
    }
}

pub async fn run(
    base: &str,
    path: &str,
    token: Option<&str>,
    connections: usize,
    duration: Duration,
) -> LoadResult {
    run_spread(&[base.to_owned()], path, token, connections, duration).await
}

/// As `run`, the connections spread round-robin over `bases` (connection i sends every
/// request to `bases[i % bases.len()]`): a client-side balancer over replicas.
pub async fn run_spread(
    bases: &[String],
    path: &str,
    token: Option<&str>,
    connections: usize,
    duration: Duration,
) -> LoadResult {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let url = format!("{}{path}", bases[i % bases.len()]);
            let token = token.map(str::to_owned);
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut histogram = Histogram::<u64>::new(3).expect("histogram");
                let mut errors = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let mut request = http.get(&url);
                    if let Some(t) = &token {
                        request = request.bearer_auth(t);
                    }
                    match request.send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            let _ = histogram.record(sent.elapsed().as_micros() as u64);
                        }
                        _ => errors += 1,
                    }
                }
                (histogram, errors)
            })
        })
        .collect();
    let mut all = Histogram::<u64>::new(3).expect("histogram");
    let mut errors = 0;
    for task in tasks {
        if let Ok((h, e)) = task.await {
            let _ = all.add(&h);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    LoadResult {
        requests: all.len(),
        errors,
        rps: all.len() as f64 / elapsed,
        p50_ms: all.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: all.value_at_quantile(0.99) as f64 / 1000.0,
    }
}

/// Latency percentiles of `count` sequential requests (for the scale figures).
pub async fn sequential(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    count: usize,
) -> (f64, f64) {
    let mut histogram = Histogram::<u64>::new(3).expect("histogram");
    for _ in 0..count {
        let sent = Instant::now();
        if let Ok(r) = http.get(url).bearer_auth(token).send().await {
            let _ = r.bytes().await;
        }
        let _ = histogram.record(sent.elapsed().as_micros() as u64);
    }
    (
        histogram.value_at_quantile(0.5) as f64 / 1000.0,
        histogram.value_at_quantile(0.99) as f64 / 1000.0,
    )
}
