//! What the portal tells its operator about itself: the Prometheus figures every layer
//! feeds ([`metrics`]) and the id that ties one request's log lines, errors and audit
//! entries together ([`request_id`]). Below everything else in the host: the server,
//! the runtime, the cluster client and the errors all use it, and it uses none of them.

pub mod metrics;
pub mod request_id;
