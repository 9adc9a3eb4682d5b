//! One plugin's Prometheus series, looked up once when the plugin loads: a call then
//! counts without building labels or searching the families.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use crate::telemetry::metrics::Metrics;

pub struct PluginMetrics {
    pub traps: Counter,
    pub timeouts: Counter,
    pub memory_limit_hits: Counter,
    pub rejected: Counter,
    pub instantiation: Histogram,
}

impl PluginMetrics {
    pub fn new(metrics: &Metrics, plugin: &str) -> Self {
        let labels = Metrics::plugin(plugin);
        Self {
            traps: metrics.plugin_traps.get_or_create(&labels).clone(),
            timeouts: metrics.plugin_timeouts.get_or_create(&labels).clone(),
            memory_limit_hits: metrics
                .plugin_memory_limit_hits
                .get_or_create(&labels)
                .clone(),
            rejected: metrics.plugin_rejected.get_or_create(&labels).clone(),
            instantiation: metrics.plugin_instantiation.get_or_create(&labels).clone(),
        }
    }
}
