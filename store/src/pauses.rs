//! A seam for tests that force an interleaving: a store operation made of steps calls
//! [`Pauses::point`] between them, and a test that armed that point with
//! [`Pauses::pause_next`] holds the operation there while it does something else, then lets
//! it go on. Unarmed (always, outside such tests) a point costs one atomic load.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::oneshot;

/// The points operations pause at, by name.
#[derive(Default)]
pub struct Pauses {
    armed: AtomicUsize,
    gates: Mutex<HashMap<&'static str, Gate>>,
}

struct Gate {
    reached: oneshot::Sender<()>,
    go_on: oneshot::Receiver<()>,
}

/// An armed point, as the test holds it.
pub struct Paused {
    reached: Option<oneshot::Receiver<()>>,
    go_on: oneshot::Sender<()>,
}

impl Paused {
    /// Waits until an operation stops at the point.
    pub async fn reached(&mut self) {
        if let Some(reached) = self.reached.take() {
            let _ = reached.await;
        }
    }

    /// Lets the operation go on.
    pub fn release(self) {
        let _ = self.go_on.send(());
    }
}

impl Pauses {
    /// Test seam: the next operation reaching `point` stops there until the returned
    /// handle is released (or dropped).
    #[doc(hidden)]
    pub fn pause_next(&self, point: &'static str) -> Paused {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel();
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        if gates
            .insert(
                point,
                Gate {
                    reached: reached_tx,
                    go_on: go_rx,
                },
            )
            .is_none()
        {
            self.armed.fetch_add(1, Ordering::SeqCst);
        }
        Paused {
            reached: Some(reached_rx),
            go_on: go_tx,
        }
    }

    /// Between two steps of an operation: stops here when a test armed `point`.
    pub async fn point(&self, point: &'static str) {
        if self.armed.load(Ordering::SeqCst) == 0 {
            return;
        }
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
            let gate = gates.remove(point);
            if gate.is_some() {
                self.armed.fetch_sub(1, Ordering::SeqCst);
            }
            gate
        };
        if let Some(gate) = gate {
            let _ = gate.reached.send(());
            let _ = gate.go_on.await;
        }
    }
}
