//! Exposure rules shared by the `ingress` and `dns` capabilities: which domains are
//! allowed, the one hostname shape a friend may get (`<name>-<friend>.<domain>`), who may
//! hold a hostname, how many a friend may hold, the record to create and the Traefik
//! settings. Both capabilities build hostnames here from the friend in scope, so neither
//! trusts a hostname from a plugin.
//!
//! The shape is ambiguous when friend ids end alike: alice's `shop-x` and x-alice's `shop`
//! are both `shop-x-alice`. So every hostname has one owner, recorded in the store
//! ([`portal_store::HostnameClaims`]), and a friend owns every label ending in `-<their id>`: alice may not
//! claim `shop-x-alice` while friend `x-alice` exists. If alice claimed it first, it stays
//! hers (x-alice's `shop` is refused, and x-alice can neither change nor delete it) until
//! she deletes it.

use serde::Deserialize;

use crate::dns::{RecordSpec, RecordType};
use crate::policy::{PolicyError, PolicySource};
use portal_store::{ClaimError, ClaimPart, ClaimRequest, Store};

const EMBEDDED_EXPOSURE_TOML: &str = include_str!("../../policies/exposure.toml");

/// Exposure names: the spec's rule, 1-20 letters, digits and hyphens (stored lower-case).
pub const MAX_NAME: usize = 20;

/// Exposures one friend may hold when the policy does not say.
pub const DEFAULT_MAX_EXPOSURES_PER_FRIEND: usize = 10;
/// The most a policy may allow per friend (each is a DNS record and a certificate).
const MAX_EXPOSURES_CEILING: usize = 1000;

fn default_max_exposures() -> usize {
    DEFAULT_MAX_EXPOSURES_PER_FRIEND
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposurePolicy {
    pub domains: Vec<String>,
    pub record: RecordPolicy,
    pub traefik: TraefikPolicy,
    /// Hostnames (IngressRoute + DNS record) one friend may hold at once.
    #[serde(default = "default_max_exposures")]
    pub max_exposures_per_friend: usize,
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
        if !(1..=MAX_EXPOSURES_CEILING).contains(&policy.max_exposures_per_friend) {
            return Err(PolicyError::new(
                &file,
                "max_exposures_per_friend",
                format!("must be 1-{MAX_EXPOSURES_CEILING}"),
            ));
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

/// The friend ids that would own `<name>-<friend>` by its shape: friend `x-alice` owns
/// every label ending in `-x-alice`, so alice's `shop-x` is theirs. One lookup per hyphen
/// in the name, longest candidate first.
fn shape_candidates(friend: &str, name: &str) -> Vec<String> {
    name.match_indices('-')
        .map(|(at, _)| &name[at + 1..])
        .filter(|stem| !stem.is_empty() && !stem.starts_with('-'))
        .map(|stem| format!("{stem}-{friend}"))
        .collect()
}

/// Why a hostname could not be claimed, in words for the friend.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimRefused {
    Conflict(String),
    Unavailable(String),
}

impl ExposurePolicy {
    /// Claims `part` (see [`Self::claim`]), then runs `make`, the step that creates it; when
    /// that fails, a claim it made is released again. The outer error is the refused
    /// claim (nothing was tried), the inner result `make`'s.
    pub async fn claimed<T, E>(
        &self,
        store: &Store,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        now: chrono::DateTime<chrono::Utc>,
        make: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<Result<T, E>, ClaimRefused> {
        let newly = self.claim(store, request, part, now).await?;
        let made = make.await;
        if made.is_err() && newly {
            let ClaimRequest {
                hostname, friend, ..
            } = request;
            if let Err(e) = store.hostnames.release(hostname, friend, part).await {
                tracing::warn!(%hostname, error = %e, "could not release a hostname claim");
            }
        }
        Ok(made)
    }

    /// Claims `part` of the exposure at `request.hostname` for `request.friend`: refused
    /// when another friend holds the hostname, when its shape makes it another existing
    /// friend's, or past `max_exposures_per_friend`. Returns whether the part is newly
    /// marked (what a failed next step must release).
    pub async fn claim(
        &self,
        store: &Store,
        request: ClaimRequest<'_>,
        part: ClaimPart,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, ClaimRefused> {
        let unavailable = |e: portal_store::StoreError| {
            ClaimRefused::Unavailable(format!("hostname ownership: {e}"))
        };
        let ClaimRequest {
            hostname,
            friend,
            name,
            ..
        } = request;
        // What a friend holds already stays theirs; only a new claim is checked for shape.
        if store
            .hostnames
            .owner(hostname)
            .await
            .map_err(unavailable)?
            .is_none()
        {
            for candidate in shape_candidates(friend, name) {
                // Said as a hostname already taken is: naming the friend who owns it
                // would tell one friend another's id.
                if store
                    .directory
                    .friend(&candidate)
                    .await
                    .map_err(unavailable)?
                    .is_some()
                {
                    return Err(ClaimRefused::Conflict(format!(
                        "{hostname} belongs to another friend; choose another name"
                    )));
                }
            }
        }
        let max = self.max_exposures_per_friend;
        store
            .hostnames
            .claim(request, part, max, now)
            .await
            .map_err(|e| match e {
                ClaimError::Taken => ClaimRefused::Conflict(format!(
                    "{hostname} belongs to another friend; choose another name"
                )),
                ClaimError::Limit { max } => ClaimRefused::Conflict(format!(
                    "you already have {max} exposures, the most one friend may have \
                     (max_exposures_per_friend in exposure.toml); delete one first"
                )),
                ClaimError::Store(e) => unavailable(e),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_store::StoreResult;

    /// The other existing friend who owns `<name>-<friend>` by its shape: friend `x-alice`
    /// owns every label ending in `-x-alice`, so alice's `shop-x` is theirs. One lookup per
    /// hyphen in the name, longest candidate first.
    fn shape_owner(
        friend: &str,
        name: &str,
        mut friend_exists: impl FnMut(&str) -> StoreResult<bool>,
    ) -> StoreResult<Option<String>> {
        for candidate in shape_candidates(friend, name) {
            if friend_exists(&candidate)? {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

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

    #[test]
    fn a_longer_friend_id_owns_its_ending() {
        let friends = ["alice", "x-alice", "b-x-alice"];
        let exists = |id: &str| Ok(friends.contains(&id));
        assert_eq!(
            shape_owner("alice", "shop-x", exists).unwrap(),
            Some("x-alice".into())
        );
        // The longest owner wins; its own names are its own.
        assert_eq!(
            shape_owner("alice", "a-b-x", exists).unwrap(),
            Some("b-x-alice".into())
        );
        assert_eq!(shape_owner("x-alice", "shop", exists).unwrap(), None);
        assert_eq!(shape_owner("alice", "shop", exists).unwrap(), None);
        assert_eq!(shape_owner("alice", "shop-y", exists).unwrap(), None);
        assert_eq!(shape_owner("alice", "shop-", exists).unwrap(), None);
        assert_eq!(
            shape_owner("alice", "a--x", exists).unwrap(),
            Some("x-alice".into())
        );
    }

    #[test]
    fn the_shipped_policy_lists_no_domain() {
        // An operator chooses the domains; no placeholder is offered to friends meanwhile.
        let shipped = ExposurePolicy::load(&PolicySource::Embedded, None).unwrap();
        assert!(shipped.domains.is_empty(), "{:?}", shipped.domains);
        assert!(
            shipped
                .hostname("alice", "blog", "your-domain.net")
                .is_err()
        );
    }

    #[test]
    fn the_exposure_limit_is_policy() {
        assert_eq!(policy().max_exposures_per_friend, 10);
        let dir = tempfile::tempdir().unwrap();
        let embedded = EMBEDDED_EXPOSURE_TOML.replace(
            "max_exposures_per_friend = 10",
            "max_exposures_per_friend = 0",
        );
        assert_ne!(
            embedded, EMBEDDED_EXPOSURE_TOML,
            "the shipped file sets the limit"
        );
        std::fs::write(dir.path().join("exposure.toml"), embedded).unwrap();
        let err = ExposurePolicy::load(&PolicySource::Dir(dir.path().to_owned()), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_exposures_per_friend"), "{err}");
    }
}
