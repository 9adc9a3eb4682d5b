//! The rules a new job must meet. Broken rules name the field (422); a session that is not
//! the friend's own is refused (403, see `session_rules.rs`).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::schedule::Schedule;

pub const MAX_MESSAGE_CHARS: usize = 4000;
pub const MAX_SESSION_CHARS: usize = 256;

/// What a caller sends to create a job.
#[derive(Debug, Clone, Default)]
pub struct NewJob {
    pub name: String,
    pub message: String,
    pub cron: String,
    pub session: String,
    /// Default `UTC`.
    pub tz: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// What a caller sends to change a job: every field, as on create.
#[derive(Debug, Clone, Default)]
pub struct JobUpdate {
    pub message: String,
    pub cron: String,
    pub tz: String,
    pub session: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// 422, naming the field.
    Invalid {
        field: &'static str,
        rule: String,
    },
    /// 403: the session is not the friend's own.
    Forbidden(String),
    NotFound(String),
    /// 409: the name is taken.
    Conflict(String),
    /// 429: too many manual runs lately; the next is allowed in `retry_after` seconds.
    RateLimited {
        retry_after: u64,
    },
    /// Storage failed; the detail went to the log.
    Unavailable,
}

impl JobError {
    pub fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        JobError::Invalid {
            field,
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Invalid { field, rule } => write!(f, "{field}: {rule}"),
            JobError::Forbidden(m) | JobError::NotFound(m) | JobError::Conflict(m) => {
                f.write_str(m)
            }
            JobError::RateLimited { retry_after } => write!(
                f,
                "too many jobs run by hand lately: the next may run in {retry_after} s"
            ),
            JobError::Unavailable => f.write_str("the scheduler's storage failed"),
        }
    }
}

impl From<portal_store::StoreError> for JobError {
    fn from(e: portal_store::StoreError) -> Self {
        tracing::error!(error = %e, "scheduler storage failed");
        JobError::Unavailable
    }
}

/// A job's checked fields: its schedule, zone, and first fire time after `now`.
#[derive(Debug)]
pub struct Checked {
    pub schedule: Schedule,
    pub tz: Tz,
    pub next_run: DateTime<Utc>,
}

/// The rules that need nothing but the job itself.
pub fn check(job: &NewJob, now: DateTime<Utc>) -> Result<Checked, JobError> {
    crate::validate::dns_label(&job.name).map_err(|rule| JobError::invalid("name", rule))?;
    let chars = job.message.chars().count();
    if chars == 0 || chars > MAX_MESSAGE_CHARS || job.message.trim().is_empty() {
        return Err(JobError::invalid(
            "message",
            format!("must be 1-{MAX_MESSAGE_CHARS} characters, not blank"),
        ));
    }
    let session_chars = job.session.chars().count();
    if session_chars == 0
        || session_chars > MAX_SESSION_CHARS
        || job
            .session
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(JobError::invalid(
            "session",
            format!("must be a session key of 1-{MAX_SESSION_CHARS} characters without spaces"),
        ));
    }
    let tz_name = job.tz.as_deref().unwrap_or("UTC");
    let tz = Tz::from_str(tz_name).map_err(|_| {
        JobError::invalid(
            "tz",
            format!("'{tz_name}' is not an IANA time zone name (e.g. Europe/Berlin, UTC)"),
        )
    })?;
    let schedule =
        Schedule::parse(&job.cron).map_err(|e| JobError::invalid("cron", e.to_string()))?;
    let next_run = schedule.next_after(now, tz).ok_or_else(|| {
        JobError::invalid(
            "cron",
            format!(
                "never fires (within {} years)",
                super::schedule::HORIZON_YEARS
            ),
        )
    })?;
    Ok(Checked {
        schedule,
        tz,
        next_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_broken_rule_names_its_field() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let ok = NewJob {
            name: "daily-check".into(),
            message: "Check my portfolio".into(),
            cron: "0 9 * * *".into(),
            session: "agent:main:direct:channel:alice".into(),
            tz: Some("Europe/Berlin".into()),
            enabled: None,
        };
        let checked = check(&ok, now).unwrap();
        assert_eq!(
            checked.next_run,
            Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
        );
        let cases: Vec<(&str, NewJob)> = vec![
            (
                "name",
                NewJob {
                    name: "Daily".into(),
                    ..ok.clone()
                },
            ),
            (
                "message",
                NewJob {
                    message: "".into(),
                    ..ok.clone()
                },
            ),
            (
                "message",
                NewJob {
                    message: "x".repeat(4001),
                    ..ok.clone()
                },
            ),
            (
                "session",
                NewJob {
                    session: "a b".into(),
                    ..ok.clone()
                },
            ),
            (
                "tz",
                NewJob {
                    tz: Some("Mars/Olympus".into()),
                    ..ok.clone()
                },
            ),
            (
                "cron",
                NewJob {
                    cron: "61 * * * *".into(),
                    ..ok.clone()
                },
            ),
            (
                "cron",
                NewJob {
                    cron: "0 0 30 2 *".into(),
                    ..ok.clone()
                },
            ),
        ];
        for (field, job) in cases {
            match check(&job, now) {
                Err(JobError::Invalid { field: f, .. }) => assert_eq!(f, field, "{job:?}"),
                other => panic!("{job:?}: {other:?}"),
            }
        }
        assert!(
            check(
                &NewJob {
                    message: "é".repeat(4000),
                    ..ok.clone()
                },
                now
            )
            .is_ok()
        );
        assert!(check(&NewJob { tz: None, ..ok }, now).is_ok());
    }
}
