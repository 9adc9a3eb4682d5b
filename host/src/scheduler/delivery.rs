//! Delivery of a run to the agent.
//!
//! With a gateway (`--agent-gateway URL`, `PORTAL_AGENT_GATEWAY`): the OpenClaw gateway's
//! `POST <URL>/hooks/agent`, as its hooks reference documents it. The body is
//! `{"message","name","sessionKey","sessionMode":"persistent"}` (plus `agentId` when the
//! session key names its agent, `agent:<id>:...`), so the run lands in the friend's existing
//! conversation rather than a fresh isolated one; `Authorization: Bearer
//! <PORTAL_AGENT_GATEWAY_TOKEN>` when set. Every attempt of one run carries the same
//! `Idempotency-Key`, so a retry after a lost or slow answer replays the admitted run instead
//! of running the agent twice. The gateway may take up to 15 s to admit a run: the attempt
//! timeout (`attempt_timeout_secs`, 20 s by default) is longer than that.
//!
//! Outcomes: 2xx is delivered (admitted). 400, 401, 403, 404, 405 and 413 are final (a
//! retry would get the same answer). Network errors, timeouts, 408, 409 (the target session
//! could not accept work yet), 425, 429, 502 (preparation failed before admission; the
//! gateway keeps failed admissions retryable), 503 and other 5xx are retried with backoff,
//! waiting at least as long as a `Retry-After` asks (capped at [`MAX_RETRY_AFTER`]).
//! Without a gateway (the embedded default): the local outbox (`queued`), and a log line.
//!
//! The token is never logged, put in an error message or printed by `Debug`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::SchedulerConfig;
use super::jobs::{Job, RunStatus, Trigger};
use super::outbox::{Outbox, OutboxEntry};
use crate::leader::Leadership;

/// The longest `Retry-After` honoured; a gateway asking for more is retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What one run sends.
#[derive(Debug, Clone)]
pub struct Message {
    /// The run's `Idempotency-Key` ([`idempotency_key`]).
    pub key: String,
    pub friend: String,
    pub name: String,
    pub session_key: String,
    pub message: String,
    pub trigger: Trigger,
    pub at: DateTime<Utc>,
    /// The schedule's time this run is for; `None` for a manual run.
    pub scheduled_for: Option<DateTime<Utc>>,
}

/// How one run's delivery ended, and after how many attempts.
pub struct Outcome {
    pub ending: Ending,
    pub attempts: u32,
}

pub enum Ending {
    /// `Delivered` or `Queued`.
    Sent(RunStatus),
    /// What to record as the run's error.
    Failed(String),
    /// This replica stopped leading before the run was sent: it stays pending, and the
    /// next leader sends it (with the same key).
    Abandoned,
}

pub enum Delivery {
    Outbox(Outbox),
    Gateway(Gateway),
}

pub struct Gateway {
    endpoint: reqwest::Url,
    token: Option<String>,
    client: reqwest::Client,
    backoff: Vec<Duration>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// `http(s)://host[:port][/base]` -> `.../hooks/agent`.
pub fn hooks_endpoint(base: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(base.trim_end_matches('/'))
        .map_err(|e| format!("agent gateway URL '{base}': {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "agent gateway URL '{base}' must be http(s)://host[:port][/path]"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "agent gateway URL '{base}' must not have a query or fragment"
        ));
    }
    let path = format!("{}/hooks/agent", url.path().trim_end_matches('/'));
    let mut endpoint = url;
    endpoint.set_path(&path);
    Ok(endpoint)
}

impl Delivery {
    pub fn new(config: &SchedulerConfig, outbox: Outbox) -> anyhow::Result<Self> {
        let Some(base) = &config.gateway else {
            return Ok(Delivery::Outbox(outbox));
        };
        let endpoint = hooks_endpoint(base).map_err(anyhow::Error::msg)?;
        let client = reqwest::Client::builder()
            .timeout(config.attempt_timeout)
            .connect_timeout(config.attempt_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Delivery::Gateway(Gateway {
            endpoint,
            token: config.gateway_token.clone().filter(|t| !t.is_empty()),
            client,
            backoff: config.retry_backoff.clone(),
        }))
    }

    pub fn describe(&self) -> String {
        match self {
            Delivery::Outbox(_) => "local outbox (no agent gateway configured)".into(),
            Delivery::Gateway(g) => {
                let mut shown = g.endpoint.clone();
                let _ = shown.set_username("");
                let _ = shown.set_password(None);
                format!("agent gateway {shown}")
            }
        }
    }

    /// Delivers one run: `Delivered` (the gateway admitted it) or `Queued` (the local
    /// outbox), with the attempts it took. No attempt starts once `fence` says this
    /// replica no longer leads.
    pub async fn deliver(&self, message: &Message, fence: &Leadership) -> Outcome {
        if !fence.is_leading() {
            return Outcome {
                ending: Ending::Abandoned,
                attempts: 0,
            };
        }
        match self {
            Delivery::Outbox(outbox) => {
                let entry = OutboxEntry {
                    id: 0,
                    at: message.at,
                    friend: message.friend.clone(),
                    name: message.name.clone(),
                    session_key: message.session_key.clone(),
                    message: message.message.clone(),
                    trigger: message.trigger,
                    scheduled_for: message.scheduled_for,
                };
                let ending = match outbox.push(entry).await {
                    Ok(entry) => {
                        tracing::info!(
                            friend = %message.friend,
                            job = %message.name,
                            session = %message.session_key,
                            trigger = message.trigger.as_str(),
                            outbox_id = entry.id,
                            chars = message.message.chars().count(),
                            "cron message put in the local outbox (no agent gateway configured)"
                        );
                        Ending::Sent(RunStatus::Queued)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not write the cron outbox");
                        Ending::Failed("the local outbox could not be written".into())
                    }
                };
                Outcome {
                    ending,
                    attempts: 1,
                }
            }
            Delivery::Gateway(gateway) => gateway.deliver(message, fence).await,
        }
    }
}

enum Attempt {
    Done,
    /// Worth another attempt, after at least the wait the gateway asked for, if any.
    Retry(String, Option<Duration>),
    Final(String),
}

impl Gateway {
    async fn deliver(&self, message: &Message, fence: &Leadership) -> Outcome {
        let attempts = self.backoff.len() + 1;
        let outcome = |ending, attempt: usize| Outcome {
            ending,
            attempts: u32::try_from(attempt).unwrap_or(u32::MAX),
        };
        let mut last = String::new();
        let mut asked: Option<Duration> = None;
        for attempt in 1..=attempts {
            if attempt > 1 {
                let backoff = self.backoff[attempt - 2];
                tokio::time::sleep(asked.map_or(backoff, |a| a.max(backoff))).await;
            }
            if !fence.is_leading() {
                tracing::warn!(friend = %message.friend, job = %message.name, attempt, "cron delivery left to the next leader: this replica no longer leads");
                return outcome(Ending::Abandoned, attempt - 1);
            }
            match self.attempt(message).await {
                Attempt::Done => {
                    tracing::info!(
                        friend = %message.friend,
                        job = %message.name,
                        attempt,
                        "cron message delivered to the agent gateway"
                    );
                    return outcome(Ending::Sent(RunStatus::Delivered), attempt);
                }
                Attempt::Final(error) => {
                    tracing::warn!(friend = %message.friend, job = %message.name, attempt, %error, "cron delivery refused");
                    return outcome(Ending::Failed(error), attempt);
                }
                Attempt::Retry(error, retry_after) => {
                    tracing::warn!(friend = %message.friend, job = %message.name, attempt, attempts, %error, "cron delivery failed");
                    last = error;
                    asked = retry_after;
                }
            }
        }
        outcome(
            Ending::Failed(format!("{last} (gave up after {attempts} attempts)")),
            attempts,
        )
    }

    async fn attempt(&self, message: &Message) -> Attempt {
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header("idempotency-key", &message.key)
            .json(&hook_body(message));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = retry_after(response.headers());
                match status.as_u16() {
                    200..=299 => Attempt::Done,
                    400 | 401 | 403 | 404 | 405 | 413 => Attempt::Final(format!(
                        "agent gateway refused the message: HTTP {status}{}",
                        refusal_hint(status.as_u16())
                    )),
                    _ => {
                        Attempt::Retry(format!("agent gateway answered HTTP {status}"), retry_after)
                    }
                }
            }
            Err(e) if e.is_timeout() => {
                Attempt::Retry("agent gateway did not answer in time".into(), None)
            }
            Err(e) => Attempt::Retry(format!("agent gateway unreachable: {}", causes(e)), None),
        }
    }
}

/// The `/hooks/agent` payload: the run goes into the session its key names.
fn hook_body(message: &Message) -> serde_json::Value {
    let mut body = json!({
        "message": message.message,
        "name": message.name,
        "sessionKey": message.session_key,
        "sessionMode": "persistent",
    });
    if let Some(agent) = session_agent(&message.session_key) {
        body["agentId"] = agent.into();
    }
    body
}

/// The agent a session key names: `agent:<id>:...`.
pub fn session_agent(session_key: &str) -> Option<&str> {
    let mut parts = session_key.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("agent"), Some(id), Some(_)) if !id.is_empty() => Some(id),
        _ => None,
    }
}

/// One key per run, the same on every attempt, on every replica and after a failover, so
/// that the gateway drops a repeat: made from the job (its friend, name and when it was
/// made, so a job made again under the name is another) and the time the run stands for,
/// or for a manual run its number in the store. Hashed, so the key names nobody.
pub fn idempotency_key(job: &Job, scheduled_for: Option<DateTime<Utc>>, seq: u64) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for part in [job.friend.as_str(), job.name.as_str()] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(job.created_at.timestamp_micros().to_be_bytes());
    match scheduled_for {
        Some(at) => {
            hash.update(b"scheduled");
            hash.update(at.timestamp_micros().to_be_bytes());
        }
        None => {
            hash.update(b"manual");
            hash.update(seq.to_be_bytes());
        }
    }
    // The gateway takes at most 256 characters.
    format!("friend-portal-run-{}", &hex::encode(hash.finalize())[..32])
}

/// `Retry-After` in seconds (the form the gateway sends), capped.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// What an operator should look at, for the refusals the gateway's docs explain.
fn refusal_hint(status: u16) -> &'static str {
    match status {
        400 => {
            " (check hooks.allowRequestSessionKey and hooks.allowedSessionKeyPrefixes, which must admit \"agent:\")"
        }
        401 => " (check PORTAL_AGENT_GATEWAY_TOKEN against hooks.token)",
        404 => " (check hooks.enabled and hooks.path)",
        _ => "",
    }
}

/// The error and its causes, without the URL (it may carry credentials).
fn causes(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{hooks_endpoint, session_agent};

    #[test]
    fn the_agent_is_read_from_agent_session_keys_only() {
        assert_eq!(session_agent("agent:main:discord:direct:123"), Some("main"));
        assert_eq!(session_agent("agent:ops:alice"), Some("ops"));
        for none in ["alice", "agent:main", "agent::x", "hook:agent:main:x", ""] {
            assert_eq!(session_agent(none), None, "{none}");
        }
    }

    #[test]
    fn the_hooks_path_is_appended_to_the_base() {
        for (base, want) in [
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/hooks/agent"),
            ("http://gw.local/", "http://gw.local/hooks/agent"),
            (
                "https://gw.example/base/",
                "https://gw.example/base/hooks/agent",
            ),
        ] {
            assert_eq!(hooks_endpoint(base).unwrap().as_str(), want);
        }
        for bad in ["ftp://x", "not a url", "http://x/?q=1", "/relative"] {
            assert!(hooks_endpoint(bad).is_err(), "{bad}");
        }
    }
}
