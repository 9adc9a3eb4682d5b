//! Plugin releases from an OCI registry, followed by every replica.
//!
//! A release ([`portal_store::Release`]) names a plugin's component in a registry, pinned by
//! its manifest digest, and the component's own SHA-256. Publishing one is a
//! compare-and-swap on the plugin's release record in the store ([`publish`]); every
//! replica's [`follow::Follower`] sees the record change (the store's watch, or a timer),
//! pulls the component, checks it against the release's digests, compiles it and swaps it
//! in, then reports what it serves. The replica that took the install answers once every
//! live replica reports the new version, or names those that did not.
//!
//! With the embedded store there is one replica, and the same path serves it.

pub mod follow;
pub mod publish;

use std::time::Duration;

/// How to reach the plugin registry (`--plugin-registry*`).
#[derive(Clone, Default)]
pub struct RegistrySettings {
    /// Where a component uploaded as a file is pushed: `oci://host[:port]/prefix`; each
    /// plugin becomes `<prefix>/<name>`. `None`: uploads are installed here only, which
    /// with several replicas is refused.
    pub push_to: Option<String>,
    /// Registries (`host[:port]`) spoken to over plain HTTP; every other is HTTPS.
    pub plain_http: Vec<String>,
    pub username: Option<String>,
    /// Never logged.
    pub password: Option<String>,
}

impl std::fmt::Debug for RegistrySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrySettings")
            .field("push_to", &self.push_to)
            .field("plain_http", &self.plain_http)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl RegistrySettings {
    pub fn client(&self) -> Result<portal_oci::RegistryClient, portal_oci::Error> {
        let auth = match (&self.username, &self.password) {
            (Some(username), Some(password)) => portal_oci::Auth::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            _ => portal_oci::Auth::Anonymous,
        };
        portal_oci::RegistryClient::new(portal_oci::ClientOptions {
            auth,
            insecure_http_registries: self.plain_http.clone(),
            ..Default::default()
        })
    }
}

/// A replica that has not reported for this long is not waited for.
pub const REPLICA_GONE_AFTER: Duration = Duration::from_secs(30);
/// How often a replica reports what it serves, even when nothing changed.
pub const REPORT_EVERY: Duration = Duration::from_secs(5);
/// How long an install waits for every live replica.
pub const ROLLOUT_WAIT: Duration = Duration::from_secs(60);
