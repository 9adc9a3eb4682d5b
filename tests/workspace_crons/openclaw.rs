//! A gateway that behaves as OpenClaw's hooks reference documents `POST /hooks/agent`
//! (`docs/gateway/config-hooks.md`, `docs/automation/cron-jobs/webhooks.md` in the openclaw
//! repository), to test delivery against the contract rather than against what the portal
//! happens to send:
//!
//! - bearer-token authentication (401), `POST` only (405), a JSON body with a nonempty
//!   `message` (400);
//! - session policy: a request `sessionKey` needs `hooks.allowRequestSessionKey`, and
//!   `sessionMode: "persistent"` also needs a nonempty, case-insensitive
//!   `allowedSessionKeyPrefixes` that admits the key (400 otherwise); `agentId` must be a
//!   configured agent (400);
//! - admission answers `200 {"ok":true,"runId"}`; an `Idempotency-Key` seen before replays
//!   the same `runId` without starting another run;
//! - scripted answers per request (a status with `Retry-After`, or an admission that takes
//!   its time), as the documented 409, 429, 502 and 503 and slow admissions look.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::receiver::serve;

pub const HOOK_TOKEN: &str = "hook-token-7c1d52e0b9";

/// What the gateway does with one request, before its normal handling.
#[derive(Debug, Clone)]
pub enum Script {
    /// Answer this status (with `Retry-After` seconds, if any), admitting nothing, as a
    /// gateway does when admission fails (409, 429, 502, 503); a 2xx here admits nothing either.
    Answer(u16, Option<u64>),
    /// Admit the run, but only after this long (the documented admission wait).
    SlowAdmit(Duration),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    pub idempotency_key: Option<String>,
    pub body: Value,
    pub status: u16,
}

/// The operator's `hooks` settings that matter here.
#[derive(Debug, Clone)]
pub struct HooksConfig {
    pub allow_request_session_key: bool,
    pub allowed_session_key_prefixes: Vec<String>,
    pub agents: Vec<String>,
}

impl Default for HooksConfig {
    /// What README tells operators to set.
    fn default() -> Self {
        Self {
            allow_request_session_key: true,
            allowed_session_key_prefixes: vec!["agent:".into()],
            agents: vec!["main".into()],
        }
    }
}

#[derive(Default)]
struct Log {
    script: VecDeque<Script>,
    requests: Vec<Request>,
    /// Idempotency-Key -> runId of the run it admitted.
    replays: HashMap<String, String>,
    runs: Vec<Value>,
}

struct Shared {
    config: HooksConfig,
    log: Mutex<Log>,
}

pub struct Gateway {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    pub async fn start(config: HooksConfig, script: Vec<Script>) -> Self {
        let shared = Arc::new(Shared {
            config,
            log: Mutex::new(Log {
                script: script.into(),
                ..Log::default()
            }),
        });
        let app = axum::Router::new()
            .route("/hooks/agent", axum::routing::any(hook_agent))
            .with_state(shared.clone());
        let (url, task) = serve(app).await;
        Self { url, shared, task }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap().requests.clone()
    }

    /// The agent runs admitted (a replay is not a new run).
    pub fn runs(&self) -> Vec<Value> {
        self.shared.log.lock().unwrap().runs.clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"ok": false, "error": error}))).into_response()
}

/// Why the documented session and agent policy refuses the body, if it does.
fn policy_refusal(config: &HooksConfig, body: &Value) -> Option<String> {
    if body["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
        return Some("message is required".into());
    }
    if let Some(agent) = body.get("agentId")
        && !agent
            .as_str()
            .is_some_and(|a| config.agents.iter().any(|c| c == a))
    {
        return Some("unknown agentId".into());
    }
    let key = body["sessionKey"].as_str();
    if key.is_some() && !config.allow_request_session_key {
        return Some("sessionKey is not allowed (hooks.allowRequestSessionKey)".into());
    }
    let prefixes: Vec<String> = config
        .allowed_session_key_prefixes
        .iter()
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(key) = key
        && !prefixes.is_empty()
        && !prefixes
            .iter()
            .any(|p| key.to_ascii_lowercase().starts_with(p))
    {
        return Some("sessionKey prefix is not allowed".into());
    }
    if body["sessionMode"] == "persistent" && (key.is_none() || prefixes.is_empty()) {
        return Some("persistent mode needs a sessionKey and allowedSessionKeyPrefixes".into());
    }
    None
}

async fn hook_agent(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let key = header("idempotency-key").filter(|k| !k.trim().is_empty() && k.len() <= 256);
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Logged on arrival: a caller that gives up does not stop the gateway's admission.
    let (index, step) = {
        let mut log = shared.log.lock().unwrap();
        log.requests.push(Request {
            at: Instant::now(),
            idempotency_key: key.clone(),
            body: parsed.clone(),
            status: 0,
        });
        (log.requests.len() - 1, log.script.pop_front())
    };
    let response = if method != Method::POST {
        (StatusCode::METHOD_NOT_ALLOWED, [("allow", "POST")]).into_response()
    } else if header("authorization").as_deref() != Some(&format!("Bearer {HOOK_TOKEN}")) {
        refuse(StatusCode::UNAUTHORIZED, "unauthorized")
    } else if !parsed.is_object() {
        refuse(StatusCode::BAD_REQUEST, "invalid JSON")
    } else if let Some(why) = policy_refusal(&shared.config, &parsed) {
        refuse(StatusCode::BAD_REQUEST, &why)
    } else {
        match step {
            Some(Script::Answer(status, retry_after)) => {
                let mut r = refuse(StatusCode::from_u16(status).unwrap(), "scripted");
                if let Some(secs) = retry_after {
                    r.headers_mut().insert("retry-after", secs.into());
                }
                r
            }
            Some(Script::SlowAdmit(wait)) => {
                // Admitted (and replayable) now; the answer comes late, or is lost.
                let admitted = admit(&shared, key.as_deref(), &parsed);
                tokio::time::sleep(wait).await;
                admitted
            }
            None => admit(&shared, key.as_deref(), &parsed),
        }
    };
    shared.log.lock().unwrap().requests[index].status = response.status().as_u16();
    response
}

/// Admits a run, or replays the one its idempotency key already admitted.
fn admit(shared: &Shared, key: Option<&str>, body: &Value) -> Response {
    let mut log = shared.log.lock().unwrap();
    if let Some(run_id) = key.and_then(|k| log.replays.get(k)).cloned() {
        return Json(json!({"ok": true, "runId": run_id})).into_response();
    }
    let run_id = format!("run-{}", log.runs.len() + 1);
    log.runs.push(body.clone());
    if let Some(key) = key {
        log.replays.insert(key.to_owned(), run_id.clone());
    }
    Json(json!({"ok": true, "runId": run_id})).into_response()
}
