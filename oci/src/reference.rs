//! `oci://host[:port]/repository[:tag][@sha256:…]`, parsed strictly.
//!
//! Unlike Docker's references there is no default registry (`docker.io`), no `library/`
//! namespace and no implied `latest`: a plugin release names exactly where it lives and which
//! version it is, so a typo fails here instead of fetching something else.

use std::fmt;
use std::str::FromStr;

use crate::digest::is_sha256_digest;
use crate::error::Error;

const SCHEME: &str = "oci://";
/// The distribution spec's bound on a repository name, as registries enforce it.
const MAX_REPOSITORY_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// Where an artifact lives: a registry, a repository in it, and a tag, a digest or both.
///
/// Parse with [`str::parse`]; `Display` gives back the canonical `oci://` form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// The registry as written: `host` or `host:port`, e.g. `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path, e.g. `plugins/hello`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The pinned manifest digest (`sha256:…`), if the reference carries one.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The same reference pinned to `digest` (the tag, if any, is kept for readability; a
    /// pull by this reference fetches by digest).
    pub fn with_digest(&self, digest: &str) -> Result<Reference, Error> {
        let digest = crate::digest::check_sha256(digest)?;
        Ok(Reference {
            digest: Some(digest.to_owned()),
            ..self.clone()
        })
    }

    pub(crate) fn to_oci(&self) -> oci_client::Reference {
        let (registry, repository) = (self.registry.clone(), self.repository.clone());
        match (&self.tag, &self.digest) {
            (Some(tag), Some(digest)) => oci_client::Reference::with_tag_and_digest(
                registry,
                repository,
                tag.clone(),
                digest.clone(),
            ),
            (None, Some(digest)) => {
                oci_client::Reference::with_digest(registry, repository, digest.clone())
            }
            (Some(tag), None) => oci_client::Reference::with_tag(registry, repository, tag.clone()),
            // Parsing refuses a reference with neither.
            (None, None) => oci_client::Reference::with_tag(registry, repository, String::new()),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        parse(input).map_err(|reason| Error::InvalidReference {
            input: input.to_owned(),
            reason,
        })
    }
}

fn parse(input: &str) -> Result<Reference, String> {
    let rest = match input.strip_prefix(SCHEME) {
        Some(rest) => rest,
        None if input.contains("://") => {
            return Err("only oci:// references are accepted".into());
        }
        None => input,
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains whitespace or control characters".into());
    }
    let (registry, path) = rest
        .split_once('/')
        .ok_or("expected host[:port]/repository[:tag][@sha256:…]")?;
    check_registry(registry)?;

    let (name, digest) = match path.split_once('@') {
        Some((name, digest)) => {
            if !is_sha256_digest(digest) {
                return Err(format!(
                    "`{digest}` is not a sha256 digest (`sha256:` and 64 lowercase hex digits)"
                ));
            }
            (name, Some(digest.to_owned()))
        }
        None => (path, None),
    };
    // A tag follows the last ':' of the last path component (the port is already split off).
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&name[..at], Some(name[at + 1..].to_owned()))
        }
        None => (name, None),
    };
    check_repository(repository)?;
    if let Some(tag) = &tag {
        check_tag(tag)?;
    }
    if tag.is_none() && digest.is_none() {
        return Err(
            "name a tag (`:1.2.0`) or a digest (`@sha256:…`): there is no default tag".into(),
        );
    }
    Ok(Reference {
        registry: registry.to_owned(),
        repository: repository.to_owned(),
        tag,
        digest,
    })
}

/// `host` or `host:port`; the host a DNS name with a dot, `localhost`, an IPv4 address or a
/// bracketed IPv6 address, so that `plugins/hello:1` is not mistaken for host `plugins`.
fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(bracketed) = registry.strip_prefix('[') {
        let (v6, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("unclosed `[` in registry `{registry}`"))?;
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{v6}` is not an IPv6 address"));
        }
        match after {
            "" => (v6, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (v6, Some(port)),
                None => return Err(format!("unexpected `{after}` after the IPv6 address")),
            },
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        }
    };
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p > 0);
        if !valid {
            return Err(format!("`{port}` is not a port number"));
        }
    }
    if registry.starts_with('[') {
        return Ok(());
    }
    let labels_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !labels_ok {
        return Err(format!("`{host}` is not a valid registry host name"));
    }
    if !(host.contains('.') || host == "localhost" || port.is_some()) {
        return Err(format!(
            "`{registry}` does not look like a registry host: write the registry first, \
             e.g. registry.example.com/{registry}/… (there is no default registry)"
        ));
    }
    Ok(())
}

/// Path components of lowercase letters and digits, joined by `.`, `_`, `__` or dashes
/// (the distribution spec's name grammar).
fn check_repository(repository: &str) -> Result<(), String> {
    if repository.is_empty() {
        return Err("the repository is empty".into());
    }
    if repository.len() > MAX_REPOSITORY_LEN {
        return Err(format!(
            "the repository is longer than {MAX_REPOSITORY_LEN} characters"
        ));
    }
    for component in repository.split('/') {
        if !valid_path_component(component) {
            return Err(format!(
                "`{component}` is not a valid repository path component \
                 (lowercase letters and digits, separated by `.`, `_`, `__` or `-`)"
            ));
        }
    }
    Ok(())
}

fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Between alphanumeric runs: one `.`, one or two `_`, or any number of `-`.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn check_tag(tag: &str) -> Result<(), String> {
    let valid = tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{tag}` is not a valid tag (letters, digits, `_`, `.` and `-`, \
             not starting with `.` or `-`, at most {MAX_TAG_LEN} characters)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parsed(input: &str) -> Reference {
        input
            .parse()
            .unwrap_or_else(|e| panic!("{input} should parse: {e}"))
    }

    fn reason(input: &str) -> String {
        match input.parse::<Reference>() {
            Ok(r) => panic!("{input} should be refused, parsed as {r:?}"),
            Err(Error::InvalidReference { reason, .. }) => reason,
            Err(other) => panic!("{input}: unexpected error {other:?}"),
        }
    }

    #[test]
    fn full_and_short_forms() {
        let r = parsed("oci://registry.example.com/plugins/hello:1.2.0");
        assert_eq!(r.registry(), "registry.example.com");
        assert_eq!(r.repository(), "plugins/hello");
        assert_eq!(r.tag(), Some("1.2.0"));
        assert_eq!(r.digest(), None);
        assert_eq!(r, parsed("registry.example.com/plugins/hello:1.2.0"));
        assert_eq!(
            r.to_string(),
            "oci://registry.example.com/plugins/hello:1.2.0"
        );

        let r = parsed(&format!("127.0.0.1:5000/hello@{DIGEST}"));
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "hello");
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest(), Some(DIGEST));

        let r = parsed(&format!("oci://localhost:5000/a/b-c/d__e:v1_2@{DIGEST}"));
        assert_eq!(r.repository(), "a/b-c/d__e");
        assert_eq!(r.tag(), Some("v1_2"));
        assert_eq!(
            r.to_string(),
            format!("oci://localhost:5000/a/b-c/d__e:v1_2@{DIGEST}")
        );

        let r = parsed("[::1]:5000/hello:latest");
        assert_eq!(r.registry(), "[::1]:5000");
        assert_eq!(parsed("localhost/hello:1").registry(), "localhost");
    }

    #[test]
    fn with_digest_pins_and_keeps_the_tag() {
        let r = parsed("oci://r.example/hello:1")
            .with_digest(DIGEST)
            .expect("digest");
        assert_eq!(r.to_string(), format!("oci://r.example/hello:1@{DIGEST}"));
        assert!(
            parsed("r.example/hello:1")
                .with_digest("sha256:abc")
                .is_err()
        );
    }

    #[test]
    fn refusals_say_why() {
        assert!(reason("https://r.example/hello:1").contains("only oci://"));
        assert!(reason("hello:1").contains("host[:port]/repository"));
        assert!(reason("plugins/hello:1").contains("does not look like a registry host"));
        assert!(reason("r.example/hello").contains("no default tag"));
        assert!(reason("r.example/Hello:1").contains("repository path component"));
        assert!(reason("r.example/hello/:1").contains("repository path component"));
        assert!(reason("r.example/a..b:1").contains("repository path component"));
        assert!(reason("r.example/a___b:1").contains("repository path component"));
        assert!(reason("r.example/:1").contains("repository is empty"));
        assert!(reason("r.example/hello:-1").contains("not a valid tag"));
        assert!(reason("r.example/hello:").contains("not a valid tag"));
        assert!(reason(&format!("r.example/hello:{}", "a".repeat(129))).contains("valid tag"));
        assert!(reason("r.example/hello@sha256:abc").contains("not a sha256 digest"));
        assert!(
            reason(&format!(
                "r.example/hello@{}",
                DIGEST.replace("sha256", "sha512")
            ))
            .contains("not a sha256 digest")
        );
        assert!(
            reason(&format!("r.example/hello@{}", DIGEST.to_uppercase()))
                .contains("not a sha256 digest")
        );
        assert!(reason("r.example:99999/hello:1").contains("not a port"));
        assert!(reason("r.example:/hello:1").contains("not a port"));
        assert!(reason("r.example:0/hello:1").contains("not a port"));
        assert!(reason("-bad.example/hello:1").contains("registry host name"));
        assert!(reason("[::1/hello:1").contains("unclosed"));
        assert!(reason("[nope]:5000/hello:1").contains("IPv6"));
        assert!(reason("r.example/hel lo:1").contains("whitespace"));
        assert!(reason("").contains("host[:port]/repository"));
        assert!(reason(&format!("r.example/{}:1", "a".repeat(256))).contains("longer than"));
    }

    #[test]
    fn converts_for_the_oci_client() {
        let r = parsed(&format!("127.0.0.1:5000/plugins/hello:1@{DIGEST}")).to_oci();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "plugins/hello");
        assert_eq!(r.tag(), Some("1"));
        assert_eq!(r.digest(), Some(DIGEST));
    }
}
