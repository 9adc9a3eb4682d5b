//! The `cloudflare` provider: Cloudflare API v4 over reqwest.
//!
//! The portal marks its records with a comment (`managed-by: friend-portal; friend: <friend>`)
//! and only ever lists records carrying that mark, and deletes only those marked for the
//! friend in scope; anything else in the zone (another friend's, an operator's) is left
//! alone. 429s, 5xx answers and connection failures are retried with exponential backoff
//! (honouring `Retry-After`). The API token goes into the `Authorization` header only: it is
//! never logged nor put in an error.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::RwLock;

use super::{DnsError, Record, RecordSpec, RecordType};

pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";
/// Where the token comes from first.
pub const TOKEN_ENV: &str = "PORTAL_CLOUDFLARE_TOKEN";
/// The mark in a record's comment that makes it the portal's.
const MARK: &str = "managed-by: friend-portal";
/// The longest a `Retry-After` is honoured for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Guards against a provider that keeps announcing more pages.
const MAX_PAGES: u32 = 1000;
/// Records asked for per page of a list.
const PER_PAGE: u64 = 100;

/// How to reach Cloudflare.
#[derive(Clone)]
pub struct CloudflareConfig {
    /// `https://api.cloudflare.com/client/v4`; tests point it at a mock.
    pub api_base: String,
    /// An API token with Zone:Read and DNS:Edit on the allowed zones. Never logged.
    pub token: String,
    /// Tries per request (the first one included) for 429s, 5xx and connection errors.
    pub max_attempts: u32,
    /// The first wait between tries; it doubles each time.
    pub backoff_base: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for CloudflareConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudflareConfig")
            .field("api_base", &self.api_base)
            .field("token", &"<redacted>")
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl CloudflareConfig {
    /// The real API, with the default retries and timeout.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            api_base: DEFAULT_API_BASE.to_string(),
            token: token.into(),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
        }
    }

    /// The token from `PORTAL_CLOUDFLARE_TOKEN`, or else from `token_file`.
    pub fn from_env_or_file(token_file: Option<&Path>) -> anyhow::Result<Self> {
        Self::from_sources(std::env::var(TOKEN_ENV).ok(), token_file)
    }

    /// The token from `env_token` when it is set and not blank, or else from `token_file`
    /// (whitespace trimmed in both cases).
    pub fn from_sources(
        env_token: Option<String>,
        token_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        if let Some(token) = env_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return Ok(Self::new(token));
        }
        let Some(path) = token_file else {
            anyhow::bail!(
                "DNS mode cloudflare needs an API token: set {TOKEN_ENV} or give a token file"
            );
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the Cloudflare token file {}", path.display()))?;
        let token = text.trim();
        anyhow::ensure!(
            !token.is_empty(),
            "the Cloudflare token file {} is empty",
            path.display()
        );
        Ok(Self::new(token))
    }
}

pub struct CloudflareDns {
    config: CloudflareConfig,
    client: reqwest::Client,
    /// Zone name (lower case) → zone id.
    zones: RwLock<HashMap<String, String>>,
}

/// Cloudflare's envelope around every answer.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Envelope {
    success: Option<bool>,
    errors: Vec<CfMessage>,
    result: Value,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CfMessage {
    code: i64,
    message: String,
}

/// Paging of a list. Cloudflare's published schema for DNS record lists names `page`,
/// `per_page`, `count` and `total_count`; answers also carry `total_pages`. Either is used.
#[derive(Deserialize)]
struct ResultInfo {
    total_pages: Option<u32>,
    total_count: Option<u64>,
    per_page: Option<u64>,
}

impl ResultInfo {
    /// Whether pages remain after `page`, which held `got` records of `PER_PAGE` asked for.
    fn more_after(info: Option<&Self>, page: u32, got: usize) -> bool {
        match info {
            Some(Self {
                total_pages: Some(total),
                ..
            }) => page < *total,
            Some(Self {
                total_count: Some(total),
                per_page,
                ..
            }) => u64::from(page) * per_page.unwrap_or(PER_PAGE).max(1) < *total,
            _ => got as u64 >= PER_PAGE,
        }
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct CfRecord {
    id: String,
    #[serde(rename = "type")]
    record_type: String,
    name: String,
    content: String,
    #[serde(default)]
    proxied: bool,
    #[serde(default)]
    ttl: u32,
    comment: Option<String>,
    created_on: DateTime<Utc>,
}

impl CfRecord {
    /// The friend, when the record is the portal's.
    fn portal_friend(&self) -> Option<&str> {
        let rest = self.comment.as_deref()?.strip_prefix(MARK)?;
        if !rest.is_empty() && !rest.starts_with(';') {
            return None; // e.g. "managed-by: friend-portal-clone"
        }
        Some(
            rest.split_once("friend:")
                .map_or("", |(_, friend)| friend.trim()),
        )
    }

    /// Whether the record is the portal's and marked for `friend` (never for no one).
    fn marked_for(&self, friend: &str) -> bool {
        !friend.is_empty() && self.portal_friend() == Some(friend)
    }

    fn into_record(self, zone: &str) -> Option<Record> {
        let friend = self.portal_friend()?.to_string();
        let record_type = match self.record_type.as_str() {
            "CNAME" => RecordType::Cname,
            "A" => RecordType::A,
            _ => return None,
        };
        let spec = RecordSpec {
            hostname: self.name,
            zone: zone.to_string(),
            record_type,
            content: self.content,
            proxied: self.proxied,
            ttl: self.ttl,
            friend,
        };
        Some(Record {
            spec,
            id: self.id,
            created_at: self.created_on,
        })
    }
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> DnsError {
    DnsError::Unavailable(format!(
        "Cloudflare sent an unreadable answer to {what}: {e}"
    ))
}

/// Ids go into URL paths: only plain ones are accepted.
fn checked_id(id: String, what: &str) -> Result<String, DnsError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(id)
    } else {
        Err(unreadable(what, format!("unexpected id {id:?}")))
    }
}

fn messages(errors: &[CfMessage]) -> String {
    let parts: Vec<_> = errors
        .iter()
        .map(|e| format!("{}: {}", e.code, e.message))
        .collect();
    parts.join("; ")
}

impl CloudflareDns {
    pub fn new(config: CloudflareConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            config,
            client,
            zones: RwLock::new(HashMap::new()),
        }
    }

    pub async fn create(&self, spec: &RecordSpec) -> Result<Record, DnsError> {
        let zone = spec.zone.trim_end_matches('.').to_ascii_lowercase();
        let host = spec.hostname.trim_end_matches('.').to_ascii_lowercase();
        if host != zone && !host.ends_with(&format!(".{zone}")) {
            return Err(DnsError::Refused(format!(
                "{} is not in zone {}",
                spec.hostname, spec.zone
            )));
        }
        let zone_id = self.zone_id(&spec.zone).await?;
        let existing = self.records(&zone_id, Some(&spec.hostname)).await?;
        if let Some(other) = existing.iter().find(|r| r.portal_friend().is_none()) {
            return Err(DnsError::Conflict(format!(
                "a {} record for {} exists and was not created by the portal; left alone",
                other.record_type, spec.hostname
            )));
        }
        if let Some(own) = existing.first() {
            // Never overwritten: the friend's own record exists, or another friend's does.
            let whose = if own.marked_for(&spec.friend) {
                "yours"
            } else {
                "another friend's"
            };
            return Err(DnsError::Conflict(format!(
                "{} is already taken by a portal record ({whose})",
                spec.hostname
            )));
        }
        let body = json!({
            "type": spec.record_type.as_str(),
            "name": spec.hostname,
            "content": spec.content,
            "ttl": spec.ttl,
            "proxied": spec.proxied,
            "comment": format!("{MARK}; friend: {}", spec.friend),
        });
        let path = format!("/zones/{zone_id}/dns_records");
        let env = self.call(Method::POST, &path, &[], Some(&body)).await?;
        let created: CfRecord =
            serde_json::from_value(env.result).map_err(|e| unreadable("a record creation", e))?;
        let id = checked_id(created.id, "a record creation")?;
        tracing::info!(hostname = %spec.hostname, record_id = %id, friend = %spec.friend, "created Cloudflare DNS record");
        Ok(Record {
            spec: spec.clone(),
            id,
            created_at: created.created_on,
        })
    }

    /// Deletes the portal's records for `hostname` marked for `friend`, leaving any other
    /// alone (another friend's, or one the portal did not create).
    pub async fn delete(
        &self,
        zone: &str,
        hostname: &str,
        friend: &str,
    ) -> Result<usize, DnsError> {
        let zone_id = self.zone_id(zone).await?;
        let mut deleted = 0;
        for record in self.records(&zone_id, Some(hostname)).await? {
            if !record.marked_for(friend) {
                tracing::info!(%hostname, record_id = %record.id, %friend, "not deleting a DNS record that is not this friend's");
                continue;
            }
            let id = checked_id(record.id, "a record listing")?;
            let path = format!("/zones/{zone_id}/dns_records/{id}");
            self.call(Method::DELETE, &path, &[], None).await?;
            tracing::info!(%hostname, record_id = %id, "deleted Cloudflare DNS record");
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The portal's records in `zone`.
    pub async fn list(&self, zone: &str) -> Result<Vec<Record>, DnsError> {
        let zone_id = self.zone_id(zone).await?;
        let records = self.records(&zone_id, None).await?;
        Ok(records
            .into_iter()
            .filter_map(|r| r.into_record(zone))
            .collect())
    }

    /// The zone's id, looked up once per zone name.
    async fn zone_id(&self, zone: &str) -> Result<String, DnsError> {
        let key = zone.trim_end_matches('.').to_ascii_lowercase();
        if let Some(id) = self.zones.read().await.get(&key) {
            return Ok(id.clone());
        }
        let env = self
            .call(
                Method::GET,
                "/zones",
                &[("name", &key), ("status", "active")],
                None,
            )
            .await?;
        let zones: Vec<IdOnly> =
            serde_json::from_value(env.result).map_err(|e| unreadable("a zone lookup", e))?;
        let Some(found) = zones.into_iter().next() else {
            return Err(DnsError::Refused(format!(
                "the Cloudflare token cannot see zone {zone}, or it does not exist"
            )));
        };
        let id = checked_id(found.id, "a zone lookup")?;
        self.zones.write().await.insert(key, id.clone());
        Ok(id)
    }

    /// Every record in the zone (or with `name`), page after page.
    async fn records(&self, zone_id: &str, name: Option<&str>) -> Result<Vec<CfRecord>, DnsError> {
        let path = format!("/zones/{zone_id}/dns_records");
        let mut all = Vec::new();
        let mut page = 1u32;
        let per_page = PER_PAGE.to_string();
        loop {
            let page_s = page.to_string();
            let mut query = vec![("per_page", per_page.as_str()), ("page", page_s.as_str())];
            if let Some(name) = name {
                query.insert(0, ("name", name.trim_end_matches('.')));
            }
            let env = self.call(Method::GET, &path, &query, None).await?;
            let records: Vec<CfRecord> = serde_json::from_value(env.result)
                .map_err(|e| unreadable("a record listing", e))?;
            let got = records.len();
            let more = ResultInfo::more_after(env.result_info.as_ref(), page, got);
            all.extend(records);
            if got == 0 || !more || page >= MAX_PAGES {
                return Ok(all);
            }
            page += 1;
        }
    }

    /// One API call, retried on 429s, 5xx and connection errors.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Envelope, DnsError> {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let what = format!("{method} {path}");
        let attempts = self.config.max_attempts.max(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let mut request = self
                .client
                .request(method.clone(), &url)
                .bearer_auth(&self.config.token)
                .timeout(self.config.timeout)
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            let backoff = self
                .config
                .backoff_base
                .saturating_mul(1 << (attempt - 1).min(10));
            let wait = match request.send().await {
                // A POST that timed out may have landed: trying again could create twice.
                Err(e) if method == Method::POST && e.is_timeout() => {
                    return Err(DnsError::Unavailable(format!(
                        "{what}: Cloudflare did not answer in time; the record may or may not exist"
                    )));
                }
                Err(e) => {
                    last = format!("could not reach Cloudflare: {}", e.without_url());
                    backoff
                }
                Ok(response) => {
                    let status = response.status();
                    if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                        return Self::answer(&what, response).await;
                    }
                    let retry_after = response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                    let env: Envelope = response.json().await.unwrap_or_default();
                    last = format!("Cloudflare answered {status}");
                    if !env.errors.is_empty() {
                        last = format!("{last} ({})", messages(&env.errors));
                    }
                    retry_after.unwrap_or(backoff)
                }
            };
            if attempt < attempts {
                tracing::warn!(request = %what, attempt, error = %last, "Cloudflare request failed; retrying");
                tokio::time::sleep(wait).await;
            }
        }
        Err(DnsError::Unavailable(format!(
            "{what}: {last}, {attempts} attempts made"
        )))
    }

    /// A final (not retried) answer: the envelope, or Cloudflare's refusal in its own words.
    async fn answer(what: &str, response: reqwest::Response) -> Result<Envelope, DnsError> {
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| DnsError::Unavailable(format!("{what}: {}", e.without_url())))?;
        let parsed = serde_json::from_str::<Envelope>(&text);
        match parsed {
            Ok(env) if status.is_success() && env.success != Some(false) => Ok(env),
            Ok(env) if !env.errors.is_empty() => Err(DnsError::Refused(format!(
                "Cloudflare refused: {}",
                messages(&env.errors)
            ))),
            Err(e) if status.is_success() => Err(unreadable(what, e)),
            _ => Err(DnsError::Refused(format!(
                "Cloudflare refused {what}: HTTP {status}"
            ))),
        }
    }
}
