//! The local outbox.

use super::at;
use crate::{OUTBOX_KEPT, OutboxEntry, Store, Trigger};

pub fn entry(friend: &str, minute: i64) -> OutboxEntry {
    OutboxEntry {
        id: 0,
        at: at(minute),
        friend: friend.to_owned(),
        name: "water".into(),
        session_key: "agent:pi:main".into(),
        message: "Water the plants".into(),
        trigger: Trigger::Manual,
        scheduled_for: None,
    }
}

pub async fn outbox_newest_first_and_capped(fresh: impl AsyncFn() -> Store) {
    let store = fresh().await;
    let o = &store.outbox;
    let mut last = 0;
    for i in 0..(OUTBOX_KEPT as i64 + 5) {
        let friend = if i % 2 == 0 { "alice" } else { "bob" };
        let pushed = o.push_outbox(entry(friend, i)).await.unwrap();
        assert!(pushed.id > last, "ids increase");
        last = pushed.id;
    }
    let all = o.outbox(None, OUTBOX_KEPT * 2).await.unwrap();
    assert_eq!(all.len(), OUTBOX_KEPT, "only the newest are kept");
    assert_eq!(all[0].at, at(OUTBOX_KEPT as i64 + 4), "newest first");
    assert_eq!(all[OUTBOX_KEPT - 1].at, at(5), "the oldest five are gone");
    let bobs = o.outbox(Some("bob"), 3).await.unwrap();
    let minutes: Vec<_> = bobs.iter().map(|e| e.at).collect();
    let newest = OUTBOX_KEPT as i64 + 3;
    assert_eq!(minutes, [at(newest), at(newest - 2), at(newest - 4)]);
}
