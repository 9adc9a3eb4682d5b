//! `policies/sessions.toml`: how long an unopened magic link lasts, how long the browser
//! session it starts lasts, and how many links a friend may be sent an hour.

use chrono::Duration;
use serde::Deserialize;

use crate::policy::{PolicyError, PolicySource};

/// The repository's `policies/sessions.toml`, carried by the binary.
pub const EMBEDDED_SESSIONS_TOML: &str = include_str!("../../../policies/sessions.toml");

/// Bounds of the settings: a year of sessions at most, and links enough for any agent.
const MAX_SESSION_DAYS: i64 = 365;
const MAX_LINKS_PER_HOUR: usize = 1000;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicy {
    pub link_days: i64,
    /// Files written before these settings existed keep the values of that time.
    #[serde(default = "default_session_days")]
    pub session_days: i64,
    #[serde(default = "default_links_per_hour")]
    pub links_per_hour: usize,
}

fn default_session_days() -> i64 {
    30
}

fn default_links_per_hour() -> usize {
    10
}

impl SessionPolicy {
    pub fn load(source: &PolicySource) -> Result<Self, PolicyError> {
        let file = source.read("sessions.toml", EMBEDDED_SESSIONS_TOML)?;
        let policy: SessionPolicy = file.parse()?;
        let bad = |key: &str, rule: String| Err(PolicyError::new(&file.label, key, rule));
        if !(1..=MAX_SESSION_DAYS).contains(&policy.session_days) {
            return bad(
                "session_days",
                format!(
                    "must be 1-{MAX_SESSION_DAYS} (days), not {}",
                    policy.session_days
                ),
            );
        }
        // A link is never valid longer than the session it starts.
        if !(1..=policy.session_days).contains(&policy.link_days) {
            return bad(
                "link_days",
                format!(
                    "must be 1-{} (days, at most session_days), not {}",
                    policy.session_days, policy.link_days
                ),
            );
        }
        if !(1..=MAX_LINKS_PER_HOUR).contains(&policy.links_per_hour) {
            return bad(
                "links_per_hour",
                format!(
                    "must be 1-{MAX_LINKS_PER_HOUR}, not {}",
                    policy.links_per_hour
                ),
            );
        }
        Ok(policy)
    }

    pub fn link_lifetime(&self) -> Duration {
        Duration::days(self.link_days)
    }

    pub fn session_lifetime(&self) -> Duration {
        Duration::days(self.session_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_policy_loads_and_bad_values_name_the_key() {
        let policy = SessionPolicy::load(&PolicySource::Embedded).unwrap();
        assert_eq!(
            (policy.link_days, policy.session_days, policy.links_per_hour),
            (7, 30, 10)
        );
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            std::fs::write(dir.path().join("sessions.toml"), text).unwrap();
            SessionPolicy::load(&PolicySource::Dir(dir.path().to_owned()))
        };
        let refused = |text: &str, says: &str| {
            let err = load(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        };
        refused("link_days = 0\n", "link_days: must be 1-30");
        refused(
            "link_days = 10\nsession_days = 5\n",
            "link_days: must be 1-5",
        );
        refused(
            "link_days = 1\nsession_days = 0\n",
            "session_days: must be 1-365",
        );
        refused(
            "link_days = 1\nlinks_per_hour = 0\n",
            "links_per_hour: must be 1-1000",
        );
        // A file from before the two newer settings keeps the values of that time.
        let old = load("link_days = 3\n").unwrap();
        assert_eq!((old.session_days, old.links_per_hour), (30, 10));
    }
}
