//! Read-your-writes: after the portal writes an object, reads of its namespace go to the
//! API server until the watch cache has seen that write.

use std::time::{Duration, Instant};

/// The kinds the watch cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedKind {
    Pod,
    Service,
    Deployment,
    ResourceQuota,
    IngressRoute,
    Secret,
}

impl CachedKind {
    /// The cached kind of a manifest's `kind`, if the cache holds it.
    pub fn of(kind: &str) -> Option<Self> {
        Some(match kind {
            "Pod" => Self::Pod,
            "Service" => Self::Service,
            "Deployment" => Self::Deployment,
            "ResourceQuota" => Self::ResourceQuota,
            "IngressRoute" => Self::IngressRoute,
            "Secret" => Self::Secret,
            _ => return None,
        })
    }
}

/// What the store must show before it may answer again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// The object at this resourceVersion (or a later one).
    Version(String),
    /// No object of that name.
    Gone,
}

#[derive(Debug, Clone)]
pub struct Expectation {
    pub kind: CachedKind,
    pub name: String,
    pub want: Want,
    /// A write the watch has not shown by then is given up on: someone else changed the
    /// object again (a recreate after our delete), and waiting longer would only mean
    /// every read goes direct. A watch that is failing is caught by its health instead.
    pub until: Instant,
}

/// How long a write may keep its namespace's reads direct.
pub const EXPECTATION_TTL: Duration = Duration::from_secs(30);

impl Expectation {
    pub fn new(kind: CachedKind, name: &str, want: Want) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            want,
            until: Instant::now() + EXPECTATION_TTL,
        }
    }

    /// Whether the store, holding `observed` (the object's resourceVersion, or None when
    /// it holds no such object), already shows this write.
    pub fn met_by(&self, observed: Option<&str>, now: Instant) -> bool {
        now >= self.until || shows(&self.want, observed)
    }
}

/// resourceVersions are opaque, but the API server issues them from etcd's revision,
/// which only grows: equal always counts; a larger number counts when both are numbers.
fn shows(want: &Want, observed: Option<&str>) -> bool {
    match (want, observed) {
        (Want::Gone, observed) => observed.is_none(),
        (Want::Version(_), None) => false,
        (Want::Version(want), Some(seen)) => {
            seen == want
                || matches!(
                    (want.parse::<u64>(), seen.parse::<u64>()),
                    (Ok(w), Ok(s)) if s > w
                )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(rv: &str) -> Expectation {
        Expectation::new(CachedKind::Secret, "s", Want::Version(rv.into()))
    }

    #[test]
    fn a_write_is_shown_by_its_version_or_a_later_one() {
        let now = Instant::now();
        assert!(!version("42").met_by(None, now));
        assert!(!version("42").met_by(Some("41"), now));
        assert!(version("42").met_by(Some("42"), now));
        assert!(version("42").met_by(Some("100"), now));
        // Versions that are not numbers only match exactly.
        assert!(!version("b").met_by(Some("c"), now));
        assert!(version("b").met_by(Some("b"), now));
    }

    #[test]
    fn a_delete_is_shown_when_the_object_is_gone() {
        let now = Instant::now();
        let gone = Expectation::new(CachedKind::Deployment, "web", Want::Gone);
        assert!(!gone.met_by(Some("7"), now));
        assert!(gone.met_by(None, now));
    }

    #[test]
    fn an_expectation_is_given_up_after_its_ttl() {
        let e = version("42");
        assert!(!e.met_by(Some("1"), Instant::now()));
        assert!(e.met_by(Some("1"), e.until));
    }

    #[test]
    fn only_cached_kinds_are_named() {
        assert_eq!(CachedKind::of("Secret"), Some(CachedKind::Secret));
        assert_eq!(
            CachedKind::of("IngressRoute"),
            Some(CachedKind::IngressRoute)
        );
        assert_eq!(CachedKind::of("ConfigMap"), None);
    }
}
