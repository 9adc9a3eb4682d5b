//! Delivery as OpenClaw's gateway documents `/hooks/agent` (see `openclaw.rs`): the run
//! lands in the friend's session (`sessionMode: "persistent"`, the key, the agent), every
//! attempt of one run carries one `Idempotency-Key`, `Retry-After` is honoured, slow
//! admissions are waited for, and each documented answer is final or retried as it says.

use std::time::Duration;

use portal::config::ServeConfig;
use serde_json::{Value, json};

use crate::World;
use crate::openclaw::{Gateway, HOOK_TOKEN, HooksConfig, Script};

const CRONS: &str = "/api/portal/workspace/crons";

/// The portal pointed at `gw` with the shipped delivery settings (`policies/crons.toml`:
/// a 20 s attempt timeout), and short backoffs so retries do not slow the suite.
fn gateway(gw: &Gateway, backoff_ms: &[u64]) -> impl FnOnce(&mut ServeConfig) + use<> {
    let url = gw.url.clone();
    let backoff: Vec<Duration> = backoff_ms
        .iter()
        .map(|ms| Duration::from_millis(*ms))
        .collect();
    move |config| {
        config.scheduler.gateway = Some(url);
        config.scheduler.gateway_token = Some(HOOK_TOKEN.into());
        config.scheduler.retry_backoff = backoff;
    }
}

/// Alice's job "nudge", run now; the job's last run once delivery settled.
async fn run_once(w: &World) -> Value {
    w.alice_job("nudge", "0 9 * * *").await;
    let r =
        w.p.post(&format!("{CRONS}/nudge/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, 202, "{}", r.text);
    w.scheduler().settle().await;
    w.job(&w.alice, "nudge").await.unwrap()["last_run"].clone()
}

#[tokio::test]
async fn a_run_joins_the_friends_session_and_is_delivered() {
    let gw = Gateway::start(HooksConfig::default(), vec![]).await;
    let w = World::with(gateway(&gw, &[10])).await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "delivered", "{last}");
    let runs = gw.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["sessionMode"], "persistent");
    assert_eq!(runs[0]["sessionKey"], "agent:main:direct:channel:alice");
    assert_eq!(runs[0]["agentId"], "main");
    let key = gw.requests()[0]
        .idempotency_key
        .clone()
        .expect("an Idempotency-Key");
    assert!(key.len() <= 256);
}

/// An operator who left `allowRequestSessionKey` off gets a final 400, once, and a run
/// whose error says which setting to look at.
#[tokio::test]
async fn a_gateway_refusing_request_session_keys_is_final_and_explained() {
    let config = HooksConfig {
        allow_request_session_key: false,
        ..HooksConfig::default()
    };
    let gw = Gateway::start(config, vec![]).await;
    let w = World::with(gateway(&gw, &[10, 10])).await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "failed", "{last}");
    assert!(
        last["error"]
            .as_str()
            .unwrap()
            .contains("allowRequestSessionKey"),
        "{last}"
    );
    assert_eq!(gw.requests().len(), 1, "400 is not retried");
    assert!(gw.runs().is_empty());
}

/// 409 (the session could not accept work yet), 502 (preparation failed before admission)
/// and 503 (no admission in time) are retried with the same key; 202 counts as accepted.
#[tokio::test]
async fn failed_admissions_are_retried_with_the_same_key() {
    let script = vec![
        Script::Answer(409, None),
        Script::Answer(502, None),
        Script::Answer(503, None),
        Script::Answer(202, None),
    ];
    let gw = Gateway::start(HooksConfig::default(), script).await;
    let w = World::with(gateway(&gw, &[10, 10, 10, 10])).await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "delivered", "{last}");
    let requests = gw.requests();
    let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [409, 502, 503, 202]);
    let keys: Vec<_> = requests.iter().map(|r| r.idempotency_key.clone()).collect();
    assert!(
        keys[0].is_some() && keys.iter().all(|k| *k == keys[0]),
        "{keys:?}"
    );
    // The gateway replays only for the same payload: every attempt sends the same body.
    assert!(requests.iter().all(|r| r.body == requests[0].body));
}

#[tokio::test]
async fn a_429_is_retried_no_sooner_than_retry_after() {
    let gw = Gateway::start(HooksConfig::default(), vec![Script::Answer(429, Some(3))]).await;
    let w = World::with(gateway(&gw, &[10])).await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "delivered", "{last}");
    let requests = gw.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(3), "retried after {waited:?}");
    assert_eq!(gw.runs().len(), 1);
}

/// The gateway may take up to 15 s to admit a run; one admitted after 12 s is one run.
#[tokio::test]
async fn a_slow_admission_is_waited_for_and_runs_the_agent_once() {
    let script = vec![Script::SlowAdmit(Duration::from_secs(12))];
    let gw = Gateway::start(HooksConfig::default(), script).await;
    let w = World::with(gateway(&gw, &[10])).await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "delivered", "{last}");
    assert_eq!(gw.requests().len(), 1, "the portal waited");
    assert_eq!(gw.runs().len(), 1);
}

/// Had the portal given up on a slow answer, its retry replays the admitted run: the same
/// key, and still one run of the agent.
#[tokio::test]
async fn a_retry_after_a_timeout_replays_the_run_instead_of_running_it_again() {
    let script = vec![Script::SlowAdmit(Duration::from_secs(3))];
    let gw = Gateway::start(HooksConfig::default(), script).await;
    let short = gateway(&gw, &[10]);
    let w = World::with(move |config| {
        short(config);
        config.scheduler.attempt_timeout = Duration::from_secs(1);
    })
    .await;
    let last = run_once(&w).await;
    assert_eq!(last["status"], "delivered", "{last}");
    let requests = gw.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].idempotency_key, requests[1].idempotency_key);
    assert_eq!(gw.runs().len(), 1, "one run of the agent");
}
