//! The one wasmtime `Engine`: component model, pooling allocator, epoch interruption
//! driven by a ticker, a bounded stack.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of CPU deadlines.
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
        .decommit_batch_size(16);

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .max_wasm_stack(MAX_WASM_STACK)
        .async_stack_size(MAX_WASM_STACK + (1 << 20))
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

/// Epoch ticks for a deadline, rounded up, at least one.
pub fn ticks_for(deadline: Duration) -> u64 {
    (deadline.as_millis() as u64)
        .div_ceil(EPOCH_TICK.as_millis() as u64)
        .max(1)
}
