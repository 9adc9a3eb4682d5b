//! `policies/sessions.toml`: how long an unopened magic link lasts.

use chrono::Duration;
use serde::Deserialize;

use crate::policy::{PolicyError, PolicySource};

/// The repository's `policies/sessions.toml`, carried by the binary.
pub const EMBEDDED_SESSIONS_TOML: &str = include_str!("../../../policies/sessions.toml");

/// A link is never valid longer than the session it starts.
const MAX_LINK_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicy {
    pub link_days: i64,
}

impl SessionPolicy {
    pub fn load(source: &PolicySource) -> Result<Self, PolicyError> {
        let file = source.read("sessions.toml", EMBEDDED_SESSIONS_TOML)?;
        let policy: SessionPolicy = file.parse()?;
        if !(1..=MAX_LINK_DAYS).contains(&policy.link_days) {
            return Err(PolicyError::new(
                &file.label,
                "link_days",
                format!("must be 1-{MAX_LINK_DAYS} (days), not {}", policy.link_days),
            ));
        }
        Ok(policy)
    }

    pub fn link_lifetime(&self) -> Duration {
        Duration::days(self.link_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_policy_loads_and_bad_values_name_the_key() {
        let policy = SessionPolicy::load(&PolicySource::Embedded).unwrap();
        assert_eq!(policy.link_days, 7);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sessions.toml"), "link_days = 0\n").unwrap();
        let err = SessionPolicy::load(&PolicySource::Dir(dir.path().to_owned())).unwrap_err();
        assert!(err.to_string().contains("link_days: must be 1-30"), "{err}");
    }
}
