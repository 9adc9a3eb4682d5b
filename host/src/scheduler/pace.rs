//! How often a friend's jobs may run (`[pace]` in `policies/crons.toml`), checked on create
//! and edit: each job's runs at least `min_interval_secs` apart, and all of one friend's
//! jobs together (paused ones included, which may be resumed at any time) at most
//! `max_runs_per_minute` a minute at their busiest. A job counts 60 s over the shortest gap
//! between its runs: every minute 1, every five minutes 0.2, once a day next to nothing.
//! Without this, fifty `* * * * * *` jobs made fifty runs a second, each written to disk.

use std::time::Duration;

use super::schedule::Schedule;
use super::validate::JobError;

/// The limits, from [`super::SchedulerConfig`].
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub min_interval: Duration,
    pub max_runs_per_minute: u32,
}

/// "once a minute", "once every 5 minutes", "once every 30 seconds".
fn once_every(secs: u64) -> String {
    match secs {
        60 => "once a minute".into(),
        3600 => "once an hour".into(),
        s if s % 3600 == 0 => format!("once every {} hours", s / 3600),
        s if s % 60 == 0 => format!("once every {} minutes", s / 60),
        s => format!("once every {s} seconds"),
    }
}

/// A schedule's runs per minute at its busiest.
fn per_minute(schedule: &Schedule) -> f64 {
    60.0 / f64::from(schedule.shortest_gap_secs().max(1))
}

impl Pace {
    /// That `schedule` (a job's new one) keeps the minimum interval, and that with it the
    /// friend's `others` (their other jobs' schedules) stay under the ceiling. 422 on
    /// `cron` naming the limit.
    pub fn check<'a>(
        &self,
        schedule: &Schedule,
        others: impl IntoIterator<Item = &'a Schedule>,
    ) -> Result<(), JobError> {
        let gap = u64::from(schedule.shortest_gap_secs());
        let min = self.min_interval.as_secs();
        if gap < min {
            return Err(JobError::invalid(
                "cron",
                format!(
                    "this schedule runs {gap} s apart at its closest; a job may run at most {}",
                    once_every(min)
                ),
            ));
        }
        let total: f64 = others.into_iter().map(per_minute).sum::<f64>() + per_minute(schedule);
        let max = self.max_runs_per_minute;
        if total > f64::from(max) + 1e-9 {
            return Err(JobError::invalid(
                "cron",
                format!(
                    "all of a friend's jobs together may run at most {max} a minute; with this \
                     schedule yours would run {total:.1} a minute at their busiest. Choose a \
                     less frequent schedule, or slow down or delete another job"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(expr: &str) -> Schedule {
        Schedule::parse(expr).unwrap()
    }

    #[test]
    fn the_shortest_gap_is_read_off_the_time_fields() {
        for (expr, gap) in [
            ("* * * * * *", 1),
            ("*/30 * * * * *", 30),
            ("0,59 * * * * *", 1),
            ("* * * * *", 60),
            ("30 * * * * *", 60),
            ("*/5 * * * *", 300),
            ("0 9 * * *", 86_400),
            ("0 9 * * 1", 86_400),
            ("0 9,21 * * *", 43_200),
            ("0 23 * * *", 86_400),
            ("0,59 9 * * *", 3_540),
            ("0 0,23 * * *", 3_600),
        ] {
            assert_eq!(s(expr).shortest_gap_secs(), gap, "{expr}");
        }
    }

    #[test]
    fn each_job_keeps_the_interval_and_a_friends_jobs_the_ceiling() {
        let pace = Pace {
            min_interval: Duration::from_secs(60),
            max_runs_per_minute: 2,
        };
        let every_minute = s("* * * * *");
        let daily = s("0 9 * * *");
        assert!(pace.check(&every_minute, []).is_ok());
        assert!(pace.check(&every_minute, [&every_minute]).is_ok());
        let Err(JobError::Invalid { field, rule }) =
            pace.check(&every_minute, [&every_minute, &every_minute])
        else {
            panic!("a third every-minute job is over the ceiling");
        };
        assert_eq!(field, "cron");
        assert!(rule.contains("at most 2 a minute"), "{rule}");
        assert!(pace.check(&daily, [&every_minute, &every_minute]).is_err());
        assert!(pace.check(&daily, [&every_minute, &daily, &daily]).is_ok());
        let Err(JobError::Invalid { rule, .. }) = pace.check(&s("*/10 * * * * *"), []) else {
            panic!("every 10 s is under the minimum interval");
        };
        assert!(rule.contains("at most once a minute"), "{rule}");
        assert_eq!(once_every(300), "once every 5 minutes");
        assert_eq!(once_every(45), "once every 45 seconds");
    }
}
