//! One recording of a session's use at a time: requests arriving together all see the old
//! time, and only one of them writes it (with the kube store, a request to the API server).

/// The sessions whose use is being recorded now.
#[derive(Default)]
pub struct Touching(std::sync::Mutex<std::collections::HashSet<[u8; 32]>>);

/// Holds one session's recording; let go when dropped.
pub struct Recording<'a> {
    touching: &'a Touching,
    hash: [u8; 32],
}

impl Touching {
    fn set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The recording of `hash`'s use, unless another request is making it.
    pub fn claim(&self, hash: [u8; 32]) -> Option<Recording<'_>> {
        // Decided, and the lock let go, before a `Recording` (whose drop takes the lock)
        // exists.
        let claimed = self.set().insert(hash);
        claimed.then(|| Recording {
            touching: self,
            hash,
        })
    }
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        self.touching.set().remove(&self.hash);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_recording_at_a_time_and_free_again_once_done() {
        let touching = super::Touching::default();
        let first = touching.claim([1; 32]).expect("free");
        assert!(touching.claim([1; 32]).is_none(), "taken");
        assert!(touching.claim([2; 32]).is_some(), "another session");
        drop(first);
        assert!(touching.claim([1; 32]).is_some(), "free again");
    }
}
