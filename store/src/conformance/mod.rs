//! One suite of store tests that every backend must pass, so the backends cannot drift.
//!
//! Each case is an async function taking `fresh`, which makes a new, empty [`Store`] of the
//! backend under test (a temporary sled dir; a new namespace on a real API server).
//! [`conformance_tests!`](crate::conformance_tests) turns every case into a `#[tokio::test]`:
//!
//! ```ignore
//! async fn fresh() -> portal_store::Store { /* a new empty store */ }
//! portal_store::conformance_tests!(fresh);
//! ```
//!
//! Races are run with real concurrency (a multi-threaded runtime, many writers at once), so
//! a backend that keeps an invariant only by luck fails here.

mod audit;
mod crons;
mod directory;
mod hostnames;
mod kv;
mod outbox;
mod records;
mod releases;
mod sessions;

pub use audit::*;
pub use crons::*;
pub use directory::*;
pub use hostnames::*;
pub use kv::*;
pub use outbox::*;
pub use records::*;
pub use releases::*;
pub use sessions::*;

use chrono::{DateTime, TimeZone, Utc};

use crate::{Friend, Store, StoreError};

/// A fixed instant, so cases read the same on every backend and every day.
pub fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .single()
        .expect("valid date")
        + chrono::Duration::minutes(minute)
}

pub fn friend(id: &str) -> Friend {
    Friend {
        id: id.to_owned(),
        display_name: format!("Friend {id}"),
        discord_id: None,
        signal: None,
        whatsapp: None,
        preferred_channel: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub async fn add_friend(store: &Store, id: &str) -> Friend {
    let f = friend(id);
    store
        .directory
        .create_friend(&f, None)
        .await
        .unwrap_or_else(|e| panic!("creating friend {id}: {e}"));
    f
}

/// Asserts `result` is a `Conflict` (an invariant refused the change).
#[track_caller]
pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("{what}: expected a conflict, got {other:?}"),
    }
}

/// Asserts `result` is a `NotFound`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected not found, got {other:?}"),
    }
}

/// Runs `n` copies of `task` at once on the runtime's threads, each with its own handle
/// on `store`; their results in order.
pub async fn race<T, F, Fut>(store: &Store, n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Store, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let fut = task(store.clone(), i);
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for handle in handles {
        out.push(handle.await.expect("a racing task panicked"));
    }
    out
}

/// Every case, as one `#[tokio::test]` each, against the store `$fresh().await` makes.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@each $fresh;
            friend_lifecycle, friend_ids_are_unique, retired_ids_wait_for_purge,
            platform_ids_name_one_friend, platform_id_race_has_one_winner,
            friend_id_race_has_one_winner, friendships_tie_agents_to_friends,
            deleting_a_friend_takes_what_was_theirs, agents_and_their_tokens, friends_come_in_pages,
            sessions_live_and_end, sessions_need_their_friend, links_are_spent_once,
            link_exchange_race_has_one_winner, links_are_counted_for_the_hour,
            revoking_a_friend_ends_every_session, ended_sessions_are_removed,
            hostnames_have_one_owner, hostname_race_has_one_owner,
            hostname_limit_holds_under_a_race, kv_keeps_entries_within_budget,
            kv_budget_holds_under_a_race, kv_forgets_a_friend, jobs_and_their_runs,
            job_limit_holds_under_a_race, pending_runs_are_listed, a_time_is_claimed_once,
            claim_race_has_one_winner, releases_publish_and_roll_back,
            publish_race_has_one_winner, outbox_newest_first_and_capped,
            audit_newest_first_and_bounded, records_move_without_loss,
            import_refuses_a_store_in_use
        );
    };
    (@each $fresh:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $crate::conformance::$case(async || $fresh().await).await
            }
        )*
    };
}
