//! One request, one fresh instance: wait for a permit, instantiate from the version's
//! `InstancePre`, call `handle` under the deadline and the memory cap, and turn
//! every way it can end into a response or a typed error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Store, Trap};

use super::Runtime;
use super::bindings::friend::portal::types::{Request, Response};
use super::engine::arm_deadline;
use super::plugin::Plugin;
use super::store_data::{Scope, StoreData};

#[derive(Debug)]
pub enum InvokeError {
    /// No permit within the queue wait.
    Busy { retry_after: u64 },
    /// The friend holds all of their share of the permits (`concurrency_per_friend`)
    /// and none came free within the queue wait.
    FriendBusy { retry_after: u64, share: usize },
    /// Stopped at the deadline.
    Timeout { deadline_ms: u64 },
    /// Died after its memory cap refused to grow.
    MemoryLimit { cap_mib: u64 },
    /// Panicked or otherwise trapped; the detail is in the log.
    Trap,
}

impl Runtime {
    pub async fn invoke(
        &self,
        plugin: &Arc<Plugin>,
        scope: Scope,
        request: Request,
    ) -> Result<Response, InvokeError> {
        let started = Instant::now();
        let policy = &plugin.policy;
        let wait = Duration::from_millis(policy.queue_wait_ms);
        let refused = |error: InvokeError| {
            plugin
                .stats
                .rejected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            plugin.metrics.rejected.inc();
            Err(error)
        };
        // The friend's own share first, so a friend waiting past it never holds one of
        // the slots the others need.
        let _friend_slot = match &scope.friend {
            Some(friend) => match plugin.friend_slot(friend, wait).await {
                Some(slot) => Some(slot),
                None => {
                    return refused(InvokeError::FriendBusy {
                        retry_after: 1,
                        share: policy.concurrency_per_friend,
                    });
                }
            },
            None => None,
        };
        let wait = wait.saturating_sub(started.elapsed());
        let _permit = match tokio::time::timeout(wait, plugin.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return refused(InvokeError::Busy { retry_after: 1 }),
        };

        // Taken once: a hot swap during this call does not affect it.
        let version = plugin.current();
        let request_id = scope.request_id.clone();
        let mut store = self.store_for(plugin, scope);

        let instantiated = Instant::now();
        let outcome = match version.instantiate(&mut store).await {
            Ok(handle) => {
                plugin
                    .metrics
                    .instantiation
                    .observe(instantiated.elapsed().as_secs_f64());
                handle
                    .call_async(&mut store, (&request,))
                    .await
                    .map(|(response,)| response)
            }
            Err(e) => Err(e),
        };
        log_guest_output(plugin.name(), &request_id, store.data());

        let result = match outcome {
            Ok(response) => Ok(response),
            Err(error) => {
                let stats = &plugin.stats;
                let counter = std::sync::atomic::Ordering::Relaxed;
                if store.data().limiter.hit {
                    stats.memory_limit_hits.fetch_add(1, counter);
                    plugin.metrics.memory_limit_hits.inc();
                    tracing::warn!(
                        plugin = plugin.name(),
                        request_id,
                        "plugin hit its memory limit"
                    );
                    Err(InvokeError::MemoryLimit {
                        cap_mib: policy.memory_mib,
                    })
                } else if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    stats.timeouts.fetch_add(1, counter);
                    plugin.metrics.timeouts.inc();
                    tracing::warn!(
                        plugin = plugin.name(),
                        request_id,
                        deadline_ms = policy.deadline_ms,
                        "plugin stopped at its deadline"
                    );
                    Err(InvokeError::Timeout {
                        deadline_ms: policy.deadline_ms,
                    })
                } else {
                    stats.traps.fetch_add(1, counter);
                    plugin.metrics.traps.inc();
                    tracing::error!(
                        plugin = plugin.name(),
                        request_id,
                        error = format!("{error:#}"),
                        "plugin trapped"
                    );
                    Err(InvokeError::Trap)
                }
            }
        };
        let status = match &result {
            Ok(response) => response.status,
            Err(InvokeError::Busy { .. }) => 503,
            Err(InvokeError::FriendBusy { .. }) => 429,
            Err(InvokeError::Timeout { .. }) => 504,
            Err(_) => 500,
        };
        plugin.stats.record(started.elapsed(), status);
        result
    }

    /// A store for one call of `plugin`: its memory cap and deadline armed.
    pub(crate) fn store_for(&self, plugin: &Plugin, scope: Scope) -> Store<StoreData> {
        let policy = &plugin.policy;
        let memory_cap = (policy.memory_mib as usize) << 20;
        let mut store = Store::new(
            self.engine(),
            StoreData::new(scope, self.services().clone(), memory_cap),
        );
        store.limiter(|data| &mut data.limiter);
        arm_deadline(&mut store, Duration::from_millis(policy.deadline_ms));
        store
    }
}

/// What the guest wrote to stdout/stderr goes to the host's log, line by line.
fn log_guest_output(plugin: &str, request_id: &str, data: &StoreData) {
    let (stdout, stderr) = data.output();
    for (stream, bytes) in [("stdout", stdout), ("stderr", stderr)] {
        for line in String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            tracing::info!(plugin, request_id, stream, "{line}");
        }
    }
}
