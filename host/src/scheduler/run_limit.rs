//! Manual runs per friend (`POST .../crons/:name/run`): a burst, then one more every
//! `every`, so one friend cannot flood the agent (or the delivery queue all friends share).
//!
//! A generic cell rate algorithm on the scheduler's clock: per friend one instant, the
//! time at which the friend's allowance would be whole again if nothing else came. A run
//! is allowed while that instant is at most `(burst - 1) * every` ahead of now.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Above this many friends remembered, those whose allowance is whole again are forgotten.
const FORGET_ABOVE: usize = 4096;

pub struct RunLimit {
    every: TimeDelta,
    /// How far ahead of now a friend's instant may run: `(burst - 1) * every`.
    slack: TimeDelta,
    full_at: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl RunLimit {
    pub fn new(burst: u32, every: Duration) -> Self {
        let every = TimeDelta::from_std(every).unwrap_or(TimeDelta::MAX);
        let slack = every
            .checked_mul(i32::try_from(burst.saturating_sub(1)).unwrap_or(i32::MAX))
            .unwrap_or(TimeDelta::MAX);
        Self {
            every,
            slack,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one run for `friend` at `now`, or says in how many whole seconds (at least 1)
    /// the next one is allowed.
    pub fn take(&self, friend: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut full_at = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        let current = full_at.get(friend).copied().unwrap_or(now).max(now);
        let ahead = current - now;
        if ahead > self.slack {
            let wait = ahead - self.slack;
            let secs = wait.num_seconds() + i64::from(wait.subsec_nanos() > 0);
            return Err(secs.max(1) as u64);
        }
        if full_at.len() >= FORGET_ABOVE {
            full_at.retain(|_, at| *at > now);
        }
        full_at.insert(friend.to_owned(), current + self.every);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_burst_then_one_per_period_per_friend() {
        let limit = RunLimit::new(3, Duration::from_secs(60));
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(limit.take("alice", t0), Ok(()));
        }
        assert_eq!(limit.take("alice", t0), Err(60));
        assert_eq!(limit.take("bob", t0), Ok(()), "friends do not share");
        let later = t0 + TimeDelta::seconds(59) + TimeDelta::milliseconds(500);
        assert_eq!(limit.take("alice", later), Err(1), "rounded up");
        let t1 = t0 + TimeDelta::seconds(60);
        assert_eq!(limit.take("alice", t1), Ok(()));
        assert_eq!(limit.take("alice", t1), Err(60));
        // After a long pause the whole burst is back, and no more.
        let t2 = t1 + TimeDelta::hours(1);
        for _ in 0..3 {
            assert_eq!(limit.take("alice", t2), Ok(()));
        }
        assert!(limit.take("alice", t2).is_err());
    }
}
