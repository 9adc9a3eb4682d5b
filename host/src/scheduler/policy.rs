//! `policies/crons.toml`: the scheduler's limits and delivery settings, which an operator
//! changes by giving `--policies-dir` a `crons.toml` of their own.

use std::time::Duration;

use serde::Deserialize;

use super::SchedulerConfig;
use crate::leader::LeaderTimings;
use crate::policy::{PolicyError, PolicySource};

/// The repository's `policies/crons.toml`, carried by the binary.
pub const EMBEDDED_CRONS_TOML: &str = include_str!("../../../policies/crons.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CronPolicy {
    pub max_jobs_per_friend: usize,
    pub grace_minutes: u64,
    pub runs_kept: usize,
    pub delivery: DeliveryPolicy,
    /// Absent from an operator's older file: the defaults below.
    #[serde(default)]
    pub manual_runs: ManualRunPolicy,
    /// Absent from an operator's older file: the defaults below.
    #[serde(default)]
    pub pace: PacePolicy,
    /// Absent from an operator's older file: the defaults below.
    #[serde(default)]
    pub leader: LeaderPolicy,
}

/// `[leader]`: the lease by which replicas sharing a kube store choose the one that fires
/// jobs (see `crate::leader`); client-go's defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaderPolicy {
    pub lease_duration_secs: u64,
    pub renew_deadline_secs: u64,
    pub retry_period_secs: u64,
}

impl Default for LeaderPolicy {
    fn default() -> Self {
        Self {
            lease_duration_secs: 15,
            renew_deadline_secs: 10,
            retry_period_secs: 2,
        }
    }
}

impl LeaderPolicy {
    pub fn timings(&self) -> LeaderTimings {
        LeaderTimings {
            lease_duration: Duration::from_secs(self.lease_duration_secs),
            renew_deadline: Duration::from_secs(self.renew_deadline_secs),
            retry_period: Duration::from_secs(self.retry_period_secs),
        }
    }
}

/// `[pace]`: how often jobs may run (see `pace.rs`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacePolicy {
    pub min_interval_secs: u64,
    pub max_runs_per_minute: u32,
}

impl Default for PacePolicy {
    fn default() -> Self {
        Self {
            min_interval_secs: 60,
            max_runs_per_minute: 10,
        }
    }
}

fn default_per_friend() -> usize {
    8
}

/// `[manual_runs]`: jobs a friend runs by hand, `burst` in a row, then one per `refill_secs`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualRunPolicy {
    pub burst: u32,
    pub refill_secs: u64,
}

impl Default for ManualRunPolicy {
    fn default() -> Self {
        Self {
            burst: 5,
            refill_secs: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryPolicy {
    pub max_concurrent: usize,
    /// Absent from an operator's older file: 8.
    #[serde(default = "default_per_friend")]
    pub max_concurrent_per_friend: usize,
    pub attempt_timeout_secs: u64,
    pub retry_backoff_secs: Vec<u64>,
    pub shutdown_wait_secs: u64,
}

/// Retries one delivery may have.
const MAX_RETRIES: usize = 10;

impl CronPolicy {
    pub fn load(source: &PolicySource) -> Result<Self, PolicyError> {
        let file = source.read("crons.toml", EMBEDDED_CRONS_TOML)?;
        let policy: CronPolicy = file.parse()?;
        policy.check(&file.label)?;
        Ok(policy)
    }

    /// The policy the binary carries. It is checked by a unit test, so it cannot fail.
    pub fn embedded() -> Self {
        toml::from_str(EMBEDDED_CRONS_TOML).expect("the embedded crons.toml parses")
    }

    /// Each setting within its range: wide enough for any real portal, narrow enough
    /// that a typo (a missing unit, an extra zero) is caught at start, not in production.
    fn check(&self, file: &str) -> Result<(), PolicyError> {
        let d = &self.delivery;
        let mut ranges = vec![
            (
                "max_jobs_per_friend",
                self.max_jobs_per_friend as u64,
                1,
                10_000,
            ),
            ("grace_minutes", self.grace_minutes, 0, 24 * 60),
            ("runs_kept", self.runs_kept as u64, 1, 1_000),
            ("delivery.max_concurrent", d.max_concurrent as u64, 1, 4_096),
            (
                "delivery.max_concurrent_per_friend",
                d.max_concurrent_per_friend as u64,
                1,
                4_096,
            ),
            (
                "pace.min_interval_secs",
                self.pace.min_interval_secs,
                1,
                86_400,
            ),
            (
                "pace.max_runs_per_minute",
                u64::from(self.pace.max_runs_per_minute),
                1,
                100_000,
            ),
            (
                "delivery.attempt_timeout_secs",
                d.attempt_timeout_secs,
                1,
                300,
            ),
            ("delivery.shutdown_wait_secs", d.shutdown_wait_secs, 0, 300),
            (
                "manual_runs.burst",
                u64::from(self.manual_runs.burst),
                1,
                1_000,
            ),
            (
                "manual_runs.refill_secs",
                self.manual_runs.refill_secs,
                1,
                86_400,
            ),
        ];
        for (key, value) in [
            (
                "leader.lease_duration_secs",
                self.leader.lease_duration_secs,
            ),
            (
                "leader.renew_deadline_secs",
                self.leader.renew_deadline_secs,
            ),
            ("leader.retry_period_secs", self.leader.retry_period_secs),
        ] {
            ranges.push((key, value, 1, 300));
        }
        ranges.extend(
            d.retry_backoff_secs
                .iter()
                .map(|s| ("delivery.retry_backoff_secs", *s, 0, 3_600)),
        );
        for (key, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(PolicyError::new(
                    file,
                    key,
                    format!("{value} is outside {min}..={max}"),
                ));
            }
        }
        if let Err(e) = self.leader.timings().check() {
            return Err(PolicyError::new(file, "leader", e));
        }
        if d.retry_backoff_secs.len() > MAX_RETRIES {
            return Err(PolicyError::new(
                file,
                "delivery.retry_backoff_secs",
                format!("at most {MAX_RETRIES} retries"),
            ));
        }
        Ok(())
    }

    /// The scheduler's settings under this policy, with no gateway (the local outbox).
    pub fn scheduler_config(&self) -> SchedulerConfig {
        let secs = Duration::from_secs;
        let d = &self.delivery;
        SchedulerConfig {
            gateway: None,
            gateway_token: None,
            max_jobs_per_friend: self.max_jobs_per_friend,
            grace: secs(self.grace_minutes * 60),
            runs_kept: self.runs_kept,
            attempt_timeout: secs(d.attempt_timeout_secs),
            retry_backoff: d.retry_backoff_secs.iter().copied().map(secs).collect(),
            shutdown_wait: secs(d.shutdown_wait_secs),
            max_concurrent_deliveries: d.max_concurrent,
            max_concurrent_deliveries_per_friend: d.max_concurrent_per_friend,
            min_interval: secs(self.pace.min_interval_secs),
            max_runs_per_minute: self.pace.max_runs_per_minute,
            manual_run_burst: self.manual_runs.burst,
            manual_run_every: secs(self.manual_runs.refill_secs),
            replica: crate::config::default_replica_id(),
            leader: self.leader.timings(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(text: &str) -> (tempfile::TempDir, PolicySource) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("crons.toml"), text).unwrap();
        let source = PolicySource::Dir(dir.path().to_owned());
        (dir, source)
    }

    #[test]
    fn the_embedded_policy_is_valid_and_is_the_default() {
        let policy = CronPolicy::load(&PolicySource::Embedded).unwrap();
        assert_eq!(policy, CronPolicy::embedded());
        let config = SchedulerConfig::default();
        assert_eq!(config.max_jobs_per_friend, 50);
        assert_eq!(config.grace, Duration::from_secs(15 * 60));
        assert_eq!(config.runs_kept, 50);
        assert_eq!(config.max_concurrent_deliveries, 64);
        assert_eq!(config.attempt_timeout, Duration::from_secs(20));
        assert_eq!(
            config.retry_backoff,
            [1, 5, 30].map(Duration::from_secs).to_vec()
        );
        assert_eq!(config.shutdown_wait, Duration::from_secs(10));
        assert_eq!(config.manual_run_burst, 5);
        assert_eq!(config.manual_run_every, Duration::from_secs(60));
        assert_eq!(config.max_concurrent_deliveries_per_friend, 8);
        assert_eq!(config.min_interval, Duration::from_secs(60));
        assert_eq!(config.max_runs_per_minute, 10);
        // The file's sections and the defaults of a file without them agree.
        assert_eq!(policy.manual_runs, ManualRunPolicy::default());
        assert_eq!(policy.pace, PacePolicy::default());
        assert_eq!(
            policy.delivery.max_concurrent_per_friend,
            default_per_friend()
        );
    }

    #[test]
    fn a_folder_without_crons_toml_keeps_the_embedded_policy() {
        let dir = tempfile::tempdir().unwrap();
        let policy = CronPolicy::load(&PolicySource::Dir(dir.path().to_owned())).unwrap();
        assert_eq!(policy, CronPolicy::embedded());
    }

    #[test]
    fn an_operator_file_replaces_the_settings() {
        let text = EMBEDDED_CRONS_TOML
            .replace("max_jobs_per_friend = 50", "max_jobs_per_friend = 3")
            .replace("retry_backoff_secs = [1, 5, 30]", "retry_backoff_secs = []");
        let (_dir, source) = dir_with(&text);
        let config = CronPolicy::load(&source).unwrap().scheduler_config();
        assert_eq!(config.max_jobs_per_friend, 3);
        assert!(config.retry_backoff.is_empty(), "one attempt only");
    }

    #[test]
    fn bad_files_name_the_file_the_key_and_the_problem() {
        for (from, to, key, problem) in [
            (
                "runs_kept = 50",
                "runs_kept = 0",
                "runs_kept",
                "0 is outside 1..=1000",
            ),
            (
                "max_concurrent = 64",
                "max_concurrent = 100000",
                "delivery.max_concurrent",
                "100000 is outside 1..=4096",
            ),
            (
                "retry_backoff_secs = [1, 5, 30]",
                "retry_backoff_secs = [1, 86400]",
                "delivery.retry_backoff_secs",
                "86400 is outside 0..=3600",
            ),
            (
                "grace_minutes = 15",
                "grace = 15",
                "toml",
                "unknown field `grace`",
            ),
            ("runs_kept = 50", "runs_kept = -1", "toml", "invalid value"),
            (
                "min_interval_secs = 60",
                "min_interval_secs = 0",
                "pace.min_interval_secs",
                "0 is outside 1..=86400",
            ),
            (
                "burst = 5",
                "burst = 0",
                "manual_runs.burst",
                "0 is outside 1..=1000",
            ),
        ] {
            let (_dir, source) = dir_with(&EMBEDDED_CRONS_TOML.replace(from, to));
            let error = CronPolicy::load(&source).unwrap_err();
            assert!(error.file.ends_with("crons.toml"), "{error}");
            assert_eq!(error.entry, key, "{error}");
            assert!(error.problem.contains(problem), "{to}: {error}");
        }
    }
}
