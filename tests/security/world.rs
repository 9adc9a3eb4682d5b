//! The seeded portal every security test runs against: agents `main` (friend of alice and
//! the victims), `bobs-agent` (bob's only) and `other` (no friendships), friends alice and
//! bob with marker strings in every kind of data they own, and the tokens of every kind of
//! caller.
//!
//! Bob's friend id is [`BOB`], `x-alice`: alice's id is a suffix of his, so every probe also
//! meets the confusions of names built as `<name>-<friend>` (hostnames, prefixes).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{ADMIN, Reply, TestPortal, config_for};

/// Unique strings planted in one friend's data; none may reach another caller.
/// Bob's friend id: alice's with a prefix.
pub const BOB: &str = "x-alice";
/// The agent bob (made by the admin) has a friendship with; no other friend has.
pub const BOBS_AGENT: &str = "bobs-agent";

pub struct Markers {
    pub friend: &'static str,
    pub secret_name: String,
    pub secret_value: String,
    pub memory: String,
    pub notes: String,
    pub heartbeat: String,
    pub cron_name: String,
    pub cron_message: String,
    pub exposure: String,
    pub hostname: String,
    pub deployment: String,
    pub signal: String,
}

impl Markers {
    /// Every marker ends in the friend's `code`, so one friend's markers are never inside
    /// another's even where one id is inside the other (`alice`, `x-alice`).
    fn of(friend: &'static str, code: &str, phone: &str) -> Self {
        let up = friend.to_uppercase();
        let exposure = format!("{friend}site");
        Self {
            friend,
            secret_name: format!("{friend}-vault-{code}"),
            secret_value: format!("{up}-SECRET-VALUE-{code}"),
            memory: format!("{up}-MEMORY-MARKER-{code}"),
            notes: format!("{up}-NOTES-MARKER-{code}"),
            heartbeat: format!("{up}-HEARTBEAT-MARKER-{code}"),
            cron_name: format!("{friend}-cronjob-{code}"),
            cron_message: format!("{up}-CRON-MESSAGE-{code}"),
            hostname: format!("{exposure}-{friend}.your-domain.net"),
            exposure,
            deployment: format!("{friend}-deploy-{code}"),
            signal: phone.to_owned(),
        }
    }

    /// (what, marker) pairs, the secret value first.
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("secret value", &self.secret_value),
            ("secret name", &self.secret_name),
            ("memory text", &self.memory),
            ("agent notes", &self.notes),
            ("heartbeat", &self.heartbeat),
            ("cron name", &self.cron_name),
            ("cron message", &self.cron_message),
            ("hostname", &self.hostname),
            ("deployment", &self.deployment),
            ("signal number", &self.signal),
        ]
    }

    /// The first marker found in `text`, ignoring markers the request itself carried
    /// (an error that echoes the name asked for is not a leak).
    pub fn found_in(&self, text: &str, request: &str) -> Option<(&'static str, String)> {
        self.all()
            .into_iter()
            .find(|(_, m)| text.contains(*m) && !request.contains(*m))
            .map(|(what, m)| (what, m.to_owned()))
    }
}

pub struct World {
    pub p: TestPortal,
    pub data_dir: PathBuf,
    /// Agent `main`: friendships with alice, carol, dave, erin.
    pub agent: String,
    /// Agent `other`: no friendships at all.
    pub other: String,
    pub alice: String,
    pub bob: String,
    /// An alice session made 31 days ago, and one she logged out of.
    pub expired: String,
    pub revoked: String,
    /// The token of agent `gone`, revoked after alice was introduced to it, and the token
    /// of the agent registered under the same id since.
    pub revoked_agent: String,
    pub reborn_agent: String,
    /// The session of friend `zed`, deleted and created again since.
    pub deleted_friend: String,
    pub alice_m: Markers,
    pub bob_m: Markers,
    pub alice_pod: String,
    pub bob_pod: String,
}

/// Friends made by `main` that destructive routes act on, so alice survives.
pub const VICTIMS: [&str; 3] = ["carol", "dave", "erin"];

impl World {
    pub async fn new() -> Self {
        // The data dir sits two levels inside the temp dir, so that a write escaping it
        // would land somewhere the traversal test can see.
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("outer").join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let clock =
            portal::clock::ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap());
        let (state, _) = portal::server::build_state(config_for(&data_dir), clock.clone())
            .await
            .unwrap();
        let server = portal::server::start(state).await.unwrap();
        let p = TestPortal {
            server,
            clock,
            dir,
            http: reqwest::Client::new(),
        };

        let agent = p.add_agent("main").await;
        let other = p.add_agent("other").await;
        p.add_agent("victim-agent").await;
        let alice_m = Markers::of("alice", "q7a1", "+49 151 7770001");
        let bob_m = Markers::of(BOB, "k3b2", "+49 151 7770002");
        // Bob's own agent, so that his cron job can name one of his agents.
        p.add_agent(BOBS_AGENT).await;
        for (token, m) in [(&agent, &alice_m), (&ADMIN.to_owned(), &bob_m)] {
            let mut body = json!({"id": m.friend, "display_name": m.friend.to_uppercase(), "signal": m.signal});
            if m.friend == BOB {
                body["agent_id"] = json!(BOBS_AGENT);
            }
            let r = p.post("/api/friends", token, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        for victim in VICTIMS {
            p.add_friend(&agent, victim).await;
        }

        let expired = p.session_for(&agent, "alice").await;
        p.clock.advance(chrono::Duration::days(31));
        let alice = p.session_for(&agent, "alice").await;
        let bob = p.session_for(ADMIN, BOB).await;
        let revoked = p.session_for(&agent, "alice").await;
        let r = p.delete("/api/portal/session", &revoked).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

        let revoked_agent = p.add_agent("gone").await;
        let r = p
            .put("/api/friends/alice/agents/gone", ADMIN, json!({}))
            .await;
        assert!(r.status.is_success(), "{}", r.text);
        assert_eq!(
            p.delete("/api/agents/gone", ADMIN).await.status,
            StatusCode::NO_CONTENT
        );
        let reborn_agent = p.add_agent("gone").await;
        p.add_friend(&agent, "zed").await;
        let deleted_friend = p.session_for(&agent, "zed").await;
        assert_eq!(
            p.delete("/api/friends/zed", &agent).await.status,
            StatusCode::NO_CONTENT
        );
        // The id stays retired until what the old zed left behind is purged (id_reuse.rs).
        assert_eq!(
            p.delete("/api/friends/zed?purge=true", ADMIN).await.status,
            StatusCode::NO_CONTENT
        );
        p.add_friend(&agent, "zed").await;

        let alice_pod = seed(&p, &alice, &alice_m).await;
        let bob_pod = seed(&p, &bob, &bob_m).await;
        Self {
            p,
            data_dir,
            agent,
            other,
            alice,
            bob,
            expired,
            revoked,
            revoked_agent,
            reborn_agent,
            deleted_friend,
            alice_m,
            bob_m,
            alice_pod,
            bob_pod,
        }
    }

    pub fn markers(&self, friend: &str) -> &Markers {
        if friend == BOB {
            &self.bob_m
        } else {
            &self.alice_m
        }
    }

    /// A request with any headers and body, over a raw socket: the path goes out exactly
    /// as written (`..`, `%2e%2e` and `%2F` included), which reqwest would normalise.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let send = async {
            let mut stream = tokio::net::TcpStream::connect(self.p.server.addr).await?;
            let mut head = format!(
                "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
                self.p.server.addr,
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            // The server may answer (413) before reading the body; keep whatever it said.
            let _ = stream.write_all(body).await;
            let mut out = Vec::new();
            let _ = stream.read_to_end(&mut out).await;
            Ok::<_, std::io::Error>(out)
        };
        let bytes = tokio::time::timeout(Duration::from_secs(30), send)
            .await
            .unwrap_or_else(|_| panic!("{method} {:.200}: no answer in 30 s", path))
            .unwrap_or_else(|e| panic!("{method} {:.200}: {e}", path));
        parse_response(&bytes).unwrap_or_else(|| {
            panic!(
                "{method} {:.200}: unparseable answer {:?}",
                path,
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )
        })
    }

    /// `raw` with a bearer token (or none) and a JSON content type when there is a body.
    pub async fn call(
        &self,
        method: &Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let mut headers = Vec::new();
        if let Some(auth) = auth {
            headers.push(("authorization", auth));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(method.as_str(), path, &headers, &bytes).await
    }
}

/// Everything each friend owns: a secret, the three workspace files, a cron job, a
/// service with a deployment, an exposure. Returns a pod name.
async fn seed(p: &TestPortal, token: &str, m: &Markers) -> String {
    let f = m.friend;
    let ok = |r: Reply, what: &str| {
        assert!(
            r.status.is_success(),
            "seeding {f}: {what}: {} {}",
            r.status,
            r.text
        )
    };
    ok(
        p.post(
            "/api/portal/secrets",
            token,
            json!({"name": m.secret_name, "data": {"token": m.secret_value}}),
        )
        .await,
        "secret",
    );
    ok(
        p.put(
            "/api/portal/workspace/memory",
            token,
            json!({"content": m.memory}),
        )
        .await,
        "memory",
    );
    ok(
        p.put(
            "/api/portal/workspace/heartbeat",
            token,
            json!({"content": m.heartbeat}),
        )
        .await,
        "heartbeat",
    );
    ok(
        p.put(
            &format!("/api/friends/{f}/workspace/friend-notes"),
            ADMIN,
            json!({"content": m.notes}),
        )
        .await,
        "notes",
    );
    let agent = if f == BOB { BOBS_AGENT } else { "main" };
    let job = json!({"name": m.cron_name, "message": m.cron_message, "cron": "0 9 * * *", "session": format!("agent:{agent}:direct:channel:{f}")});
    ok(
        p.post("/api/portal/workspace/crons", token, job).await,
        "cron job",
    );
    let manifests = json!({"manifests": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": m.deployment},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:alpine"}]}}}},
    ]});
    ok(
        p.post(
            &format!("/api/friends/{f}/namespace/apply"),
            ADMIN,
            manifests,
        )
        .await,
        "workloads",
    );
    let expose =
        json!({"name": m.exposure, "service": "web", "port": 80, "domain": "your-domain.net"});
    ok(
        p.post("/api/portal/namespace/expose", token, expose).await,
        "exposure",
    );
    let pods = p
        .get(&format!("/api/friends/{f}/namespace/pods"), ADMIN)
        .await;
    pods.body[0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("no pod for {f}: {}", pods.text))
        .to_owned()
}

fn parse_response(bytes: &[u8]) -> Option<Reply> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..split]).ok()?;
    let mut rest = bytes[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::try_from(name.trim()).ok()?,
            HeaderValue::try_from(value.trim()).ok()?,
        );
    }
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        rest = dechunk(&rest)?;
    }
    let text = String::from_utf8_lossy(&rest).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Some(Reply {
        status: StatusCode::from_u16(status).ok()?,
        headers,
        body,
        text,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
