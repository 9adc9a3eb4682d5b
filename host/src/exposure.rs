//! Exposure rules shared by the `ingress` and `dns` capabilities: which domains are
//! allowed, the one hostname shape a friend may get (`<name>-<friend>.<domain>`), the
//! record to create and the Traefik settings. Both capabilities build hostnames here from
//! the friend in scope, so neither trusts a hostname from a plugin.

use serde::Deserialize;

use crate::dns::{RecordSpec, RecordType};
use crate::policy::{PolicyError, PolicySource};

const EMBEDDED_EXPOSURE_TOML: &str = include_str!("../../policies/exposure.toml");

/// Exposure names: the spec's rule, 1-20 letters, digits and hyphens (stored lower-case).
pub const MAX_NAME: usize = 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposurePolicy {
    pub domains: Vec<String>,
    pub record: RecordPolicy,
    pub traefik: TraefikPolicy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPolicy {
    #[serde(rename = "type")]
    pub record_type: RecordType,
    pub content: String,
    pub proxied: bool,
    pub ttl: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraefikPolicy {
    pub entry_points: Vec<String>,
    pub cert_resolver: Option<String>,
}

/// `Some(domain)` in its canonical form when `candidate` names an allowed domain:
/// case and one trailing dot are forgiven, anything else (extra labels) is not.
pub fn canonical_domain(allowed: &[String], candidate: &str) -> Option<String> {
    let trimmed = candidate.trim();
    let wanted = trimmed
        .strip_suffix('.')
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    allowed
        .iter()
        .find(|d| d.trim_end_matches('.').eq_ignore_ascii_case(&wanted))
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
}

/// Lower-cases and checks an exposure name.
pub fn exposure_name(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    let ok = (1..=MAX_NAME).contains(&lower.len())
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !lower.starts_with('-');
    if ok {
        Ok(lower)
    } else {
        Err(format!(
            "must be 1-{MAX_NAME} letters, digits and hyphens, not starting with a hyphen"
        ))
    }
}

impl ExposurePolicy {
    pub fn load(
        source: &PolicySource,
        domains_override: Option<Vec<String>>,
    ) -> Result<Self, PolicyError> {
        let source = source.read("exposure.toml", EMBEDDED_EXPOSURE_TOML)?;
        let file = source.label.clone();
        let mut policy: ExposurePolicy = source.parse()?;
        if let Some(domains) = domains_override {
            policy.domains = domains;
        }
        policy.domains = policy
            .domains
            .iter()
            .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        for domain in &policy.domains {
            crate::validate::dns_subdomain(domain)
                .map_err(|r| PolicyError::new(&file, "domains", format!("'{domain}' {r}")))?;
        }
        Ok(policy)
    }

    /// The hostname for the friend's exposure `name` under `domain`, or why not.
    pub fn hostname(
        &self,
        friend: &str,
        name: &str,
        domain: &str,
    ) -> Result<(String, String), String> {
        let name = exposure_name(name).map_err(|r| format!("name: {r}"))?;
        let domain = canonical_domain(&self.domains, domain).ok_or_else(|| {
            format!(
                "domain: '{domain}' is not one of the allowed domains ({})",
                self.domains.join(", ")
            )
        })?;
        Ok((format!("{name}-{friend}.{domain}"), domain))
    }

    /// The allowed domain and exposure name of a hostname of this friend, if it is one.
    pub fn parse_hostname(&self, friend: &str, hostname: &str) -> Option<(String, String)> {
        let hostname = hostname.to_ascii_lowercase();
        self.domains.iter().find_map(|domain| {
            let label = hostname.strip_suffix(&format!(".{domain}"))?;
            let name = label.strip_suffix(&format!("-{friend}"))?;
            exposure_name(name).ok().map(|n| (n, domain.clone()))
        })
    }

    pub fn record(&self, friend: &str, hostname: &str, zone: &str) -> RecordSpec {
        RecordSpec {
            hostname: hostname.to_owned(),
            zone: zone.to_owned(),
            record_type: self.record.record_type,
            content: self.record.content.clone(),
            proxied: self.record.proxied,
            ttl: self.record.ttl,
            friend: friend.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ExposurePolicy {
        ExposurePolicy::load(
            &PolicySource::Embedded,
            Some(vec!["Your-Domain.net.".into(), "other.org".into()]),
        )
        .unwrap()
    }

    #[test]
    fn domain_checks_cannot_be_bypassed() {
        let p = policy();
        assert_eq!(
            p.hostname("alice", "My-App", "YOUR-DOMAIN.NET.").unwrap().0,
            "my-app-alice.your-domain.net"
        );
        for bad in [
            "evil.your-domain.net",
            "your-domain.net.evil.com",
            "your-domain.ne",
            "your-domain.net..",
            " ",
            "bob.other.org",
        ] {
            assert!(p.hostname("alice", "app", bad).is_err(), "{bad}");
        }
        for bad in [
            "",
            "-app",
            "a.b",
            "a_b",
            "x".repeat(21).as_str(),
            "app/..",
            "ünï",
        ] {
            assert!(p.hostname("alice", bad, "other.org").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hostnames_parse_back_only_for_their_friend() {
        let p = policy();
        assert_eq!(
            p.parse_hostname("alice", "my-app-alice.your-domain.net"),
            Some(("my-app".into(), "your-domain.net".into()))
        );
        assert_eq!(
            p.parse_hostname("bob", "my-app-alice.your-domain.net"),
            None
        );
        assert_eq!(
            p.parse_hostname("alice", "my-app-alice.elsewhere.net"),
            None
        );
    }
}
