//! The one wasmtime `Engine`: component model, pooling allocator, epoch interruption
//! driven by a ticker, a bounded stack.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};

/// How often the epoch advances: the granularity of deadlines, and how long a running
/// guest keeps its worker thread before it yields.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Instances alive at once across all plugins; policies' concurrency limits add up below it.
pub const POOL_INSTANCES: u32 = 1024;

/// Bytes of each pooled linear memory zeroed in place rather than decommitted.
const KEEP_RESIDENT: usize = 512 << 10;

/// Deep recursion in a guest traps instead of taking the host's stack.
const MAX_WASM_STACK: usize = 1 << 20;

pub fn build(max_memory_bytes: usize) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_INSTANCES)
        .total_core_instances(POOL_INSTANCES * 4)
        .total_memories(POOL_INSTANCES)
        .total_tables(POOL_INSTANCES * 2)
        .total_stacks(POOL_INSTANCES)
        .max_memory_size(max_memory_bytes)
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        // A fresh instance per request reuses a pooled slot: zeroing the first pages in
        // place keeps them resident, where giving them back to the kernel would make the
        // next request fault every page it touches again (measured: the largest cost of a
        // plugin call). Beyond this, memory is returned to the kernel in batches.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        // Where the kernel can say which pages a call dirtied (Linux 6.7+), only those are
        // put back, instead of zeroing the whole resident part on every request.
        .pagemap_scan(Enabled::Auto)
        .decommit_batch_size(16);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + (1 << 20))
        // No plugin uses the component model's async ABI (streams, futures, tasks); without
        // it a store skips setting up the concurrent machinery on every request.
        .concurrency_support(false)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: Engine) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        // A plain thread: the ticker must keep going even when every runtime worker is busy.
        let thread = std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawn the epoch ticker thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Arms `store` so a guest running past `deadline` traps with `Trap::Interrupt`, and a
/// guest still running at each epoch tick before that yields to tokio.
///
/// Without the yields a guest that loops holds its runtime worker for the whole
/// deadline, and the tasks queued on that worker (other requests, health checks) wait
/// behind it: two looping calls would stall a 2-core host for seconds. A call that ends
/// before the next tick, as nearly all do, never reaches the callback; one that runs
/// across a tick yields there once, which costs a re-poll.
pub fn arm_deadline<T: Send>(store: &mut Store<T>, deadline: Duration) {
    let ends = Instant::now() + deadline;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= ends {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
        })
    });
}
