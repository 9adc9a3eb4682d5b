//! Load and faults against the real binary (debug build, embedded mode): the tests count
//! failed requests, never time. `PORTAL_LOAD_SECS` sets the main run's length (default 60).

#[path = "../support/child.rs"]
mod child;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use child::{ADMIN, Child};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The tests here each load the whole machine: they run one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn policies() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/policies").to_owned()
}

async fn serve(dir: &std::path::Path) -> Child {
    Child::serve_with(dir, &["--policies-dir", &policies()]).await
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// Friends alice and bob with a secret each; their session tokens.
async fn seed(url: &str) -> (String, String) {
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    for friend in ["alice", "bob"] {
        post(
            &http,
            &format!("{url}/api/friends"),
            ADMIN,
            json!({"id": friend, "display_name": friend}),
        )
        .await;
        let s = post(
            &http,
            &format!("{url}/api/auth/portal-session"),
            ADMIN,
            json!({"friend_id": friend}),
        )
        .await;
        let token = s["session_token"].as_str().unwrap().to_owned();
        post(
            &http,
            &format!("{url}/api/portal/secrets"),
            &token,
            json!({"name": "seed", "data": {"K": "v"}}),
        )
        .await;
        tokens.push(token);
    }
    (tokens.remove(0), tokens.remove(0))
}

const READS: &[&str] = &[
    "/api/portal/me",
    "/api/portal/hello",
    "/api/portal/secrets",
    "/api/portal/namespace",
    "/api/portal/echo",
    "/api/portal/agents",
];

struct Counts {
    ok: AtomicU64,
    failures: Mutex<Vec<String>>,
}

/// `clients` tasks looping over the read routes until `stop`.
fn readers(
    url: &str,
    tokens: &[String],
    clients: usize,
    stop: &Arc<AtomicBool>,
    counts: &Arc<Counts>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..clients)
        .map(|i| {
            let (url, token, stop, counts) = (
                url.to_owned(),
                tokens[i % tokens.len()].clone(),
                stop.clone(),
                counts.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut n = i;
                while !stop.load(Ordering::Relaxed) {
                    let path = READS[n % READS.len()];
                    n += 1;
                    match http
                        .get(format!("{url}{path}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == StatusCode::OK => {
                            counts.ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => counts
                            .failures
                            .lock()
                            .unwrap()
                            .push(format!("{path}: {}", r.status())),
                        Err(e) => counts.failures.lock().unwrap().push(format!("{path}: {e}")),
                    }
                }
            })
        })
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("PORTAL_PLUGIN_DIR")).join(format!("{name}.wasm")))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_and_twenty_hot_swaps_fail_no_request() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let secs: u64 = std::env::var("PORTAL_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    let (alice, bob) = seed(&server.url).await;
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts {
        ok: AtomicU64::new(0),
        failures: Mutex::new(Vec::new()),
    });
    let clients = readers(&server.url, &[alice, bob], 200, &stop, &counts);

    let http = reqwest::Client::new();
    let (v1, v2) = (fixture("hello"), fixture("hello2"));
    for i in 0..20 {
        tokio::time::sleep(Duration::from_millis(secs * 1000 / 21)).await;
        let bytes = if i % 2 == 0 { v2.clone() } else { v1.clone() };
        let r = http
            .put(format!("{}/api/admin/plugins/hello", server.url))
            .bearer_auth(ADMIN)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "swap {i}");
    }
    tokio::time::sleep(Duration::from_millis(secs * 1000 / 21)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let failures = counts.failures.lock().unwrap();
    let ok = counts.ok.load(Ordering::Relaxed);
    eprintln!(
        "{secs} s, 200 connections, 20 swaps: {ok} requests succeeded, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed requests, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(ok > 1000, "the load ran: {ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_and_hogging_plugins_do_not_fail_other_routes() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    let (alice, bob) = seed(&server.url).await;
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts {
        ok: AtomicU64::new(0),
        failures: Mutex::new(Vec::new()),
    });
    let clients = readers(&server.url, &[alice.clone(), bob], 100, &stop, &counts);
    // Misbehavers: they fail by design; what matters is everyone else.
    let bad: Vec<_> = (0..8)
        .map(|i| {
            let (url, token, stop) = (server.url.clone(), alice.clone(), stop.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let path = if i % 2 == 0 {
                    "/api/portal/fixtures/spin"
                } else {
                    "/api/portal/fixtures/hog"
                };
                let mut faults = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(r) = http
                        .get(format!("{url}{path}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        && r.status().is_server_error()
                    {
                        faults += 1;
                    }
                }
                faults
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(20)).await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let mut faults = 0;
    for b in bad {
        faults += b.await.unwrap();
    }
    let failures = counts.failures.lock().unwrap();
    eprintln!(
        "20 s beside {faults} plugin faults: {} ok, {} failed",
        counts.ok.load(Ordering::Relaxed),
        failures.len()
    );
    assert!(faults > 10, "the misbehaving plugins ran: {faults}");
    assert!(
        failures.is_empty(),
        "other routes failed: {:?}",
        &failures[..failures.len().min(10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_write() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    let (alice, bob) = seed(&server.url).await;
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts {
        ok: AtomicU64::new(0),
        failures: Mutex::new(Vec::new()),
    });
    let clients = readers(
        &server.url,
        &[alice.clone(), bob.clone()],
        50,
        &stop,
        &counts,
    );
    let acknowledged: Arc<Mutex<BTreeSet<(usize, String)>>> = Arc::default();
    let writers: Vec<_> = [alice.clone(), bob.clone()]
        .into_iter()
        .enumerate()
        .flat_map(|(who, token)| (0..3).map(move |w| (who, token.clone(), w)))
        .map(|(who, token, w)| {
            let (url, acknowledged) = (server.url.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for n in 0.. {
                    let name = format!("w{w}-{n}");
                    let r = http
                        .post(format!("{url}/api/portal/secrets"))
                        .bearer_auth(&token)
                        .json(&json!({"name": name, "data": {"K": "v"}}))
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == StatusCode::CREATED => {
                            acknowledged.lock().unwrap().insert((who, name));
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(5)).await;
    server.kill_9();
    for w in writers {
        let _ = w.await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    let server = serve(dir.path()).await;
    let mut present = BTreeSet::new();
    for (who, token) in [alice, bob].iter().enumerate() {
        let (_, list) = server
            .call(reqwest::Method::GET, "/api/portal/secrets", token, None)
            .await;
        for s in list.as_array().unwrap() {
            present.insert((who, s["name"].as_str().unwrap().to_owned()));
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<_> = acknowledged.difference(&present).collect();
    eprintln!(
        "kill -9 under load: {} acknowledged writes, {} lost",
        acknowledged.len(),
        lost.len()
    );
    assert!(
        acknowledged.len() > 10,
        "writes happened: {}",
        acknowledged.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
}
