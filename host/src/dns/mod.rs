//! DNS records for exposed services: `local` (kept in the embedded store, listed by
//! `GET /api/admin/dns`) or `cloudflare` (Cloudflare API v4). Every record carries the
//! friend it is for; a delete names the friend (from the request's scope) and removes only
//! that friend's records, never another friend's nor one the portal did not create.

pub mod cloudflare;
mod local;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use cloudflare::{CloudflareConfig, CloudflareDns};
pub use local::LocalDns;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DnsMode {
    /// Records kept in the data dir; nothing leaves the machine.
    Local,
    /// Cloudflare's API v4, with an API token.
    Cloudflare,
}

impl DnsMode {
    pub fn name(self) -> &'static str {
        match self {
            DnsMode::Local => "local",
            DnsMode::Cloudflare => "cloudflare",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum RecordType {
    #[serde(rename = "CNAME")]
    Cname,
    A,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Cname => "CNAME",
            RecordType::A => "A",
        }
    }
}

/// A record the portal wants to exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RecordSpec {
    /// The full hostname, e.g. `my-app-alice.your-domain.net`.
    pub hostname: String,
    /// The zone it belongs to, e.g. `your-domain.net`.
    pub zone: String,
    pub record_type: RecordType,
    /// The CNAME target or the A address.
    pub content: String,
    pub proxied: bool,
    /// Seconds; 1 means "automatic" at Cloudflare.
    pub ttl: u32,
    /// The friend the record is for (kept with the record, for the operator).
    pub friend: String,
}

/// A record as a provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Record {
    #[serde(flatten)]
    pub spec: RecordSpec,
    pub id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DnsError {
    /// The name is taken by a record the portal did not create.
    #[error("{0}")]
    Conflict(String),
    /// The provider refused, with its own words.
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached or kept failing.
    #[error("{0}")]
    Unavailable(String),
}

/// The configured provider.
pub enum Dns {
    Local(LocalDns),
    Cloudflare(CloudflareDns),
}

impl Dns {
    pub fn mode(&self) -> DnsMode {
        match self {
            Dns::Local(_) => DnsMode::Local,
            Dns::Cloudflare(_) => DnsMode::Cloudflare,
        }
    }

    pub async fn create(&self, spec: &RecordSpec) -> Result<Record, DnsError> {
        match self {
            Dns::Local(d) => d.create(spec).await,
            Dns::Cloudflare(d) => d.create(spec).await,
        }
    }

    /// Deletes `friend`'s records for `hostname`, leaving any other alone; returns how
    /// many were deleted.
    pub async fn delete(
        &self,
        zone: &str,
        hostname: &str,
        friend: &str,
    ) -> Result<usize, DnsError> {
        match self {
            Dns::Local(d) => d.delete(hostname, friend).await,
            Dns::Cloudflare(d) => d.delete(zone, hostname, friend).await,
        }
    }

    /// The portal's records (in `zone`, for Cloudflare).
    pub async fn list(&self, zone: &str) -> Result<Vec<Record>, DnsError> {
        match self {
            Dns::Local(d) => d.list(),
            Dns::Cloudflare(d) => d.list(zone).await,
        }
    }
}

/// The Cloudflare settings from the command line: the token from a file, or from
/// `PORTAL_CLOUDFLARE_TOKEN`.
pub fn cloudflare_config(
    api_base: String,
    token_file: Option<&std::path::Path>,
) -> anyhow::Result<CloudflareConfig> {
    let mut config = CloudflareConfig::from_env_or_file(token_file)?;
    config.api_base = api_base.trim_end_matches('/').to_owned();
    Ok(config)
}
