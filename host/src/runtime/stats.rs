//! Per-plugin counters and a latency window for `GET /api/admin/plugins`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Percentiles are over the most recent calls.
const WINDOW: usize = 2048;

#[derive(Default)]
pub struct PluginStats {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub traps: AtomicU64,
    pub timeouts: AtomicU64,
    pub memory_limit_hits: AtomicU64,
    pub rejected: AtomicU64,
    latencies: Mutex<VecDeque<f64>>,
}

impl PluginStats {
    pub fn record(&self, elapsed: Duration, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        let mut window = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        if window.len() == WINDOW {
            window.pop_front();
        }
        window.push_back(elapsed.as_secs_f64() * 1000.0);
    }

    /// (p50, p99) in milliseconds over the window; zeros before the first call.
    pub fn percentiles(&self) -> (f64, f64) {
        let mut sorted: Vec<f64> = self
            .latencies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        if sorted.is_empty() {
            return (0.0, 0.0);
        }
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        (at(0.50), at(0.99))
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
