//! Prometheus metrics: requests by route template and status, latency, plugin faults.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use axum::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    pub plugin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReplicaLabels {
    replica: String,
}

/// A request the portal sent to the Kubernetes API server.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KubeRequestLabels {
    pub verb: String,
    pub resource: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    pub plugin_traps: Family<PluginLabels, Counter>,
    pub plugin_timeouts: Family<PluginLabels, Counter>,
    pub plugin_memory_limit_hits: Family<PluginLabels, Counter>,
    pub plugin_rejected: Family<PluginLabels, Counter>,
    pub plugin_instantiation: HistogramFamily<PluginLabels>,
    /// Filled by the kube client's counting layer (kube mode).
    pub kube_requests: Family<KubeRequestLabels, Counter>,
    /// 1, labelled with this replica's name.
    replica_info: Family<ReplicaLabels, Gauge>,
    /// 1 while this replica leads (fires cron jobs), else 0.
    leading: Family<ReplicaLabels, Gauge>,
    /// The request series already made, by route template.
    series: RwLock<HashMap<String, Vec<RouteSeries>>>,
}

/// One (route, method, status)'s request counter and its route's latency histogram.
struct RouteSeries {
    method: Method,
    status: u16,
    requests: Counter,
    latency: Histogram,
}

fn latency_histogram() -> Histogram {
    // 100 us .. ~6.5 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("portal");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = HistogramFamily::<RouteLabels>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let plugin_traps = Family::default();
        let plugin_timeouts = Family::default();
        let plugin_memory_limit_hits = Family::default();
        let plugin_rejected = Family::default();
        let plugin_instantiation = HistogramFamily::<PluginLabels>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests by route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "plugin_traps",
            "Plugin calls that trapped (panic, bad memory access)",
            plugin_traps.clone(),
        );
        registry.register(
            "plugin_timeouts",
            "Plugin calls stopped at their deadline",
            plugin_timeouts.clone(),
        );
        registry.register(
            "plugin_memory_limit_hits",
            "Plugin calls stopped at their memory cap",
            plugin_memory_limit_hits.clone(),
        );
        registry.register(
            "plugin_rejected",
            "Plugin calls refused with 503 after the queue wait",
            plugin_rejected.clone(),
        );
        registry.register(
            "plugin_instantiation_seconds",
            "Time to create a fresh plugin instance for one request",
            plugin_instantiation.clone(),
        );
        let kube_requests = Family::default();
        registry.register(
            "kube_requests",
            "Requests sent to the Kubernetes API server, by verb and resource (kube mode)",
            kube_requests.clone(),
        );
        let replica_info = Family::default();
        registry.register(
            "replica_info",
            "This replica's name (PORTAL_REPLICA_ID), as a label",
            replica_info.clone(),
        );
        let leading = Family::default();
        registry.register(
            "scheduler_leader",
            "1 while this replica leads: fires cron jobs and sends their runs",
            leading.clone(),
        );
        Self {
            registry,
            kube_requests,
            replica_info,
            leading,
            requests,
            latency,
            plugin_traps,
            plugin_timeouts,
            plugin_memory_limit_hits,
            plugin_rejected,
            plugin_instantiation,
            series: RwLock::new(HashMap::new()),
        }
    }
}

impl Metrics {
    pub fn plugin(name: &str) -> PluginLabels {
        PluginLabels {
            plugin: name.to_owned(),
        }
    }

    /// Counts one request. The series of a (route, method, status) seen before are found
    /// without building its labels.
    pub fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        {
            let known = self.series.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(series) = known.get(route).and_then(|all| {
                all.iter()
                    .find(|s| s.status == status && s.method == method)
            }) {
                series.requests.inc();
                series.latency.observe(seconds);
                return;
            }
        }
        let series = RouteSeries {
            method: method.clone(),
            status,
            requests: self
                .requests
                .get_or_create(&RequestLabels {
                    method: method.to_string(),
                    route: route.to_owned(),
                    status: status.to_string(),
                })
                .clone(),
            latency: self
                .latency
                .get_or_create(&RouteLabels {
                    method: method.to_string(),
                    route: route.to_owned(),
                })
                .clone(),
        };
        series.requests.inc();
        series.latency.observe(seconds);
        let mut known = self.series.write().unwrap_or_else(PoisonError::into_inner);
        let all = known.entry(route.to_owned()).or_default();
        if !all.iter().any(|s| s.status == status && s.method == method) {
            all.push(series);
        }
    }

    /// Names the replica, and whether it leads, in the next rendering.
    pub fn set_replica(&self, replica: &str, leading: bool) {
        let labels = ReplicaLabels {
            replica: replica.to_owned(),
        };
        self.replica_info.get_or_create(&labels).set(1);
        self.leading.get_or_create(&labels).set(i64::from(leading));
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
