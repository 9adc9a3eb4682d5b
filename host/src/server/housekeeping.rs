//! Work the server does on its own, on a timer: sessions and links that ended long enough
//! ago are removed, so the store does not grow with every link ever sent.

use std::sync::Weak;
use std::time::Duration;

use crate::state::AppState;

/// How often ended sessions are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long an ended session or link is kept: past the links-per-hour window (a link
/// counts there whatever became of it), and a day, so that a friend opening an old link
/// hears that it was used or expired rather than that it is unknown.
pub const ENDED_KEPT: chrono::Duration = chrono::Duration::days(1);
const _: () =
    assert!(ENDED_KEPT.num_milliseconds() >= crate::auth::sessions::LINK_WINDOW.num_milliseconds());

/// Removes the sessions and links that ended more than [`ENDED_KEPT`] ago; how many.
pub async fn sweep_ended_sessions(state: &AppState) -> usize {
    let before = state.clock.now() - ENDED_KEPT;
    match state.store.sessions.remove_ended(before).await {
        Ok(removed) => {
            if removed > 0 {
                tracing::info!(removed, "ended sessions and links removed");
            }
            removed
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not remove ended sessions; tried again in an hour");
            0
        }
    }
}

/// Sweeps once at start, then every hour, until the task is aborted (at shutdown) or the
/// state is gone. Holds the state only while it sweeps, so that a stopped server's store
/// closes (and its data dir can be opened again) whether or not the abort has landed.
pub async fn sweep_hourly(state: Weak<AppState>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        sweep_ended_sessions(&state).await;
    }
}
