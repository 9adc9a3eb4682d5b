//! Delivery slots: at most `max_concurrent` deliveries under way at once, and at most
//! `per_friend` of them one friend's (never all of them, when there are two or more), so
//! that one friend's backlog cannot keep everyone else's runs waiting. A run takes its
//! friend's slot first and waits for a shared one only then: what waits for the shared
//! slots is at most `per_friend` runs of each friend, in the order they came (tokio's
//! semaphores are fair).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Above this many friends remembered, those with no delivery under way are forgotten.
const FORGET_ABOVE: usize = 1024;

pub struct Slots {
    shared: Arc<Semaphore>,
    per_friend: usize,
    friends: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A delivery's right to run; dropping it frees both slots.
pub struct Slot {
    _shared: OwnedSemaphorePermit,
    _own: OwnedSemaphorePermit,
}

impl Slots {
    /// `max_concurrent` shared slots (at least 1); `per_friend` of them at most one
    /// friend's, and one fewer than all when there are several.
    pub fn new(max_concurrent: usize, per_friend: usize) -> Self {
        let max = max_concurrent.max(1);
        let per_friend = per_friend.clamp(1, if max > 1 { max - 1 } else { 1 });
        Self {
            shared: Arc::new(Semaphore::new(max)),
            per_friend,
            friends: Mutex::new(HashMap::new()),
        }
    }

    /// The most slots one friend holds at once.
    #[cfg(test)]
    fn per_friend(&self) -> usize {
        self.per_friend
    }

    fn friend(&self, friend: &str) -> Arc<Semaphore> {
        let mut friends = self.friends.lock().unwrap_or_else(|p| p.into_inner());
        if friends.len() >= FORGET_ABOVE {
            friends.retain(|_, own| Arc::strong_count(own) > 1);
        }
        friends
            .entry(friend.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_friend)))
            .clone()
    }

    /// Waits for one of the friend's slots, then for a shared one.
    pub async fn take(&self, friend: &str) -> Option<Slot> {
        let own = self.friend(friend).acquire_owned().await.ok()?;
        let shared = self.shared.clone().acquire_owned().await.ok()?;
        Some(Slot {
            _shared: shared,
            _own: own,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn taken_at_once(slots: &Slots, friend: &str) -> Option<Slot> {
        tokio::time::timeout(Duration::from_millis(50), slots.take(friend))
            .await
            .ok()
            .flatten()
    }

    #[tokio::test]
    async fn one_friend_never_holds_every_slot() {
        let slots = Slots::new(3, 8);
        assert_eq!(slots.per_friend(), 2, "one fewer than all");
        let a1 = taken_at_once(&slots, "alice").await.unwrap();
        let _a2 = taken_at_once(&slots, "alice").await.unwrap();
        assert!(
            taken_at_once(&slots, "alice").await.is_none(),
            "alice's two are busy"
        );
        let _b1 = taken_at_once(&slots, "bob").await.unwrap();
        assert!(
            taken_at_once(&slots, "carol").await.is_none(),
            "all three are busy"
        );
        drop(a1);
        assert!(taken_at_once(&slots, "carol").await.is_some());
        assert_eq!(Slots::new(1, 8).per_friend(), 1);
    }
}
