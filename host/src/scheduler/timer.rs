//! The timer: enabled jobs ordered by their next fire time. Taking the due jobs is
//! `O(due · log n)`; nothing scans every job on a tick.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

/// `(friend, name)`.
pub type JobId = (String, String);

#[derive(Debug, Default)]
pub struct Timer {
    queue: BTreeSet<(DateTime<Utc>, JobId)>,
    at: HashMap<JobId, DateTime<Utc>>,
}

impl Timer {
    /// The enabled jobs, each at its next time.
    pub fn of(jobs: &[super::Job]) -> Self {
        let mut timer = Self::default();
        for job in jobs.iter().filter(|job| job.enabled) {
            timer.set((job.friend.clone(), job.name.clone()), job.next_run);
        }
        timer
    }

    /// Schedules `id` at `when`, replacing its previous time; `None` unschedules it.
    pub fn set(&mut self, id: JobId, when: Option<DateTime<Utc>>) {
        if let Some(old) = self.at.remove(&id) {
            self.queue.remove(&(old, id.clone()));
        }
        if let Some(when) = when {
            self.at.insert(id.clone(), when);
            self.queue.insert((when, id));
        }
    }

    pub fn remove(&mut self, id: &JobId) {
        if let Some(old) = self.at.remove(id) {
            self.queue.remove(&(old, id.clone()));
        }
    }

    /// The earliest scheduled time.
    pub fn next(&self) -> Option<DateTime<Utc>> {
        self.queue.first().map(|(when, _)| *when)
    }

    /// Takes every job due at `now` (scheduled at or before it), earliest first.
    pub fn take_due(&mut self, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, JobId)> {
        let mut due = Vec::new();
        while let Some((when, _)) = self.queue.first() {
            if *when > now {
                break;
            }
            if let Some((when, id)) = self.queue.pop_first() {
                self.at.remove(&id);
                due.push((when, id));
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, min, 0).unwrap()
    }

    fn id(name: &str) -> JobId {
        ("alice".into(), name.into())
    }

    #[test]
    fn due_jobs_come_out_in_time_order_and_only_once() {
        let mut timer = Timer::default();
        timer.set(id("c"), Some(t(30)));
        timer.set(id("a"), Some(t(10)));
        timer.set(id("b"), Some(t(20)));
        assert_eq!(timer.next(), Some(t(10)));
        assert!(timer.take_due(t(5)).is_empty());
        let due = timer.take_due(t(20));
        assert_eq!(due, vec![(t(10), id("a")), (t(20), id("b"))]);
        assert!(timer.take_due(t(20)).is_empty());
        assert_eq!(timer.len(), 1);
    }

    #[test]
    fn rescheduling_and_removal_replace_the_old_entry() {
        let mut timer = Timer::default();
        timer.set(id("a"), Some(t(10)));
        timer.set(id("a"), Some(t(40)));
        assert_eq!(timer.len(), 1);
        assert!(timer.take_due(t(30)).is_empty());
        timer.set(id("a"), None);
        assert_eq!(timer.next(), None);
        timer.set(id("b"), Some(t(1)));
        timer.remove(&id("b"));
        assert_eq!(timer.next(), None);
    }
}
