//! Delivery of a run to the agent.
//!
//! With a gateway (`--agent-gateway URL`, `PORTAL_AGENT_GATEWAY`): `POST <URL>/hooks/agent`
//! with `{"message","sessionKey","name"}`, `Authorization: Bearer <PORTAL_AGENT_GATEWAY_TOKEN>`
//! (when set), a timeout per attempt, and retries with backoff on network errors, timeouts,
//! 408, 425, 429 and 5xx. Any other 4xx is final (a retry would get the same answer).
//! Without a gateway (the embedded default): the local outbox, and a log line.
//!
//! The token is never logged, put in an error message or printed by `Debug`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::SchedulerConfig;
use super::jobs::Trigger;
use super::outbox::{Outbox, OutboxEntry};

/// What one run sends.
#[derive(Debug, Clone)]
pub struct Message {
    pub friend: String,
    pub name: String,
    pub session_key: String,
    pub message: String,
    pub trigger: Trigger,
    pub at: DateTime<Utc>,
    /// The schedule's time this run is for; `None` for a manual run.
    pub scheduled_for: Option<DateTime<Utc>>,
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

    /// Delivers one run; `Err` carries what to record as the run's error.
    pub async fn deliver(&self, message: &Message) -> Result<(), String> {
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
                match outbox.push(entry).await {
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
                        Ok(())
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not write the cron outbox");
                        Err("the local outbox could not be written".into())
                    }
                }
            }
            Delivery::Gateway(gateway) => gateway.deliver(message).await,
        }
    }
}

enum Attempt {
    Done,
    Retry(String),
    Final(String),
}

impl Gateway {
    async fn deliver(&self, message: &Message) -> Result<(), String> {
        let attempts = self.backoff.len() + 1;
        let mut last = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff[attempt - 2]).await;
            }
            match self.attempt(message).await {
                Attempt::Done => {
                    tracing::info!(
                        friend = %message.friend,
                        job = %message.name,
                        attempt,
                        "cron message delivered to the agent gateway"
                    );
                    return Ok(());
                }
                Attempt::Final(error) => {
                    tracing::warn!(friend = %message.friend, job = %message.name, attempt, %error, "cron delivery refused");
                    return Err(error);
                }
                Attempt::Retry(error) => {
                    tracing::warn!(friend = %message.friend, job = %message.name, attempt, attempts, %error, "cron delivery failed");
                    last = error;
                }
            }
        }
        Err(format!("{last} (gave up after {attempts} attempts)"))
    }

    async fn attempt(&self, message: &Message) -> Attempt {
        let body = json!({
            "message": message.message,
            "sessionKey": message.session_key,
            "name": message.name,
        });
        let mut request = self.client.post(self.endpoint.clone()).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    Attempt::Done
                } else if status.is_client_error() && !matches!(status.as_u16(), 408 | 425 | 429) {
                    Attempt::Final(format!("agent gateway refused the message: HTTP {status}"))
                } else {
                    Attempt::Retry(format!("agent gateway answered HTTP {status}"))
                }
            }
            Err(e) if e.is_timeout() => {
                Attempt::Retry("agent gateway did not answer in time".into())
            }
            Err(e) => Attempt::Retry(format!("agent gateway unreachable: {}", causes(e))),
        }
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
    use super::hooks_endpoint;

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
