//! Group commit: writers ask for durability, one flush at a time gives it to all of them.
//!
//! sled's `flush_async` runs every flush on sled's own thread pool (at most 128 threads),
//! and a flush waits for IO buffers that the same pool writes out. A burst of more flushes
//! than that filled the pool with waiters and hung every write in the process for good
//! (found by the cron benchmark: one second's burst of 167 deliveries, each recording its
//! run). Here at most one flush runs at a time, on tokio's blocking pool; writers arriving
//! meanwhile wait for the next one, which covers all their writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone)]
pub struct Flusher {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    /// Tickets handed out: one per `flush` call, taken after the caller's writes.
    requested: AtomicU64,
    /// Every ticket up to this one is durable.
    durable: AtomicU64,
    /// Held by the one caller flushing; the others queue here (tokio's mutex is fair).
    turn: tokio::sync::Mutex<()>,
    /// Flushes actually run (for tests and metrics).
    runs: AtomicU64,
}

impl Flusher {
    pub(crate) fn new(db: sled::Db) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                requested: AtomicU64::new(0),
                durable: AtomicU64::new(0),
                turn: tokio::sync::Mutex::new(()),
                runs: AtomicU64::new(0),
            }),
        }
    }

    /// Returns once every write made before the call is on disk.
    pub async fn flush(&self) -> crate::StoreResult<()> {
        let inner = &self.inner;
        let ticket = inner.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = inner.turn.lock().await;
        if inner.durable.load(Ordering::SeqCst) >= ticket {
            // A flush that started after our writes has finished while we queued.
            return Ok(());
        }
        // Every ticket handed out so far belongs to writes already made: this flush covers them.
        let covered = inner.requested.load(Ordering::SeqCst);
        let db = inner.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(crate::StoreError::backend)??;
        inner.runs.fetch_add(1, Ordering::Relaxed);
        inner.durable.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }

    /// How many flushes have run.
    pub fn runs(&self) -> u64 {
        self.inner.runs.load(Ordering::Relaxed)
    }

    /// Holds off every flush while the guard lives: tests use it to look at what a
    /// writer does before its writes are durable.
    pub async fn hold(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.turn.lock().await
    }

    /// Whether some caller is waiting for writes that are not durable yet.
    pub fn is_waiting(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst) > self.inner.durable.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_concurrent_writers_is_made_durable_by_a_few_flushes() {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .expect("temporary sled");
        let flusher = Flusher::new(db.clone());
        // More writers than sled's own flush pool has threads (128): flush_async hung here.
        let writers: Vec<_> = (0..400u32)
            .map(|i| {
                let (db, flusher) = (db.clone(), flusher.clone());
                tokio::spawn(async move {
                    db.insert(i.to_be_bytes(), &[1u8; 64][..]).expect("insert");
                    flusher.flush().await
                })
            })
            .collect();
        let all = async {
            for writer in writers {
                writer.await.expect("writer task").expect("flush");
            }
        };
        tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .expect("400 concurrent flushes finish");
        assert_eq!(db.len(), 400);
        assert!(flusher.runs() >= 1);
        assert!(
            flusher.runs() < 400,
            "flushes were not shared: {}",
            flusher.runs()
        );
    }

    #[tokio::test]
    async fn a_flush_after_a_write_always_runs_or_is_covered() {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .expect("temporary sled");
        let flusher = Flusher::new(db.clone());
        for i in 0..5u8 {
            db.insert([i], &[i][..]).expect("insert");
            flusher.flush().await.expect("flush");
        }
        // Sequential callers find nothing in flight: each runs its own flush.
        assert_eq!(flusher.runs(), 5);
    }
}
