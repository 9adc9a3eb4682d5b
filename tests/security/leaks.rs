//! No response carries another friend's data, and secret values appear only where the
//! owner asks for one secret.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::routes::{self, Caller, PUBLIC_GETS};
use crate::support::Reply;
use crate::world::{Markers, World};

/// Why `reply` (to `caller`, on the route named `route`, after `request`) leaks, if it does:
/// a friend's secret value outside their own `secrets.get`; any of a friend's markers
/// to a caller who is neither that friend, the admin nor (for alice) her agent; any
/// marker in a 401 or 403; any token the world holds (only the routes that mint one
/// answer with a token, and then a new one).
pub fn leak(
    w: &World,
    caller: Caller,
    route: &str,
    request: &str,
    reply: &Reply,
) -> Option<String> {
    let refused = matches!(
        reply.status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    );
    let tokens = [
        ("admin token", crate::support::ADMIN),
        ("agent token", &w.agent),
        ("agent token", &w.other),
        ("session token", &w.alice),
        ("session token", &w.bob),
        ("session token", &w.expired),
        ("session token", &w.revoked),
    ];
    for (what, token) in tokens {
        if reply.text.contains(token)
            || reply
                .headers
                .iter()
                .any(|(_, v)| v.as_bytes() == token.as_bytes())
        {
            return Some(format!("an existing {what}"));
        }
    }
    for m in [&w.alice_m, &w.bob_m] {
        let own = caller.kind() == Some(routes::Kind::Friend) && caller.friend() == m.friend;
        let value_ok = own && route == "secrets.get" && reply.status.is_success();
        if !value_ok && reply.text.contains(&m.secret_value) && !request.contains(&m.secret_value) {
            return Some(format!("{}'s secret value", m.friend));
        }
        let may_see = !refused
            && (own || caller == Caller::Admin || (caller == Caller::Agent && m.friend == "alice"));
        if !may_see && let Some((what, marker)) = m.found_in(&reply.text, request) {
            return Some(format!("{}'s {what} ({marker})", m.friend));
        }
    }
    None
}

pub fn describe(caller: Caller, method: &Method, path: &str, r: &Reply) -> String {
    format!(
        "{caller:?} {method} {:.160} -> {} {:.400}",
        path, r.status, r.text
    )
}

#[tokio::test]
async fn no_response_carries_another_friends_data() {
    let w = World::new().await;
    let mut failures = Vec::new();
    let mut cases = 0;
    // The misbehaving fixtures hold no data; hello echoes and keeps kv.
    let gets: Vec<_> = routes::all()
        .into_iter()
        .filter(|r| r.method == Method::GET && (!r.fixture || r.name.starts_with("hello.")))
        .collect();
    for route in &gets {
        for caller in Caller::ALL {
            // Each path filled with alice's names and with bob's: bob asking for alice's
            // secret by name must get nothing of hers, and the other way round.
            for target in [&w.alice_m, &w.bob_m] {
                let path = route.fill(&w, target, None);
                let r = w
                    .call(&Method::GET, &path, caller.auth(&w).as_deref(), None)
                    .await;
                cases += 1;
                if r.status.is_server_error() && !route.fixture {
                    failures.push(format!(
                        "5xx: {}",
                        describe(caller, &route.method, &path, &r)
                    ));
                }
                if let Some(why) = leak(&w, caller, &route.name, &path, &r) {
                    failures.push(format!(
                        "leaks {why}: {}",
                        describe(caller, &route.method, &path, &r)
                    ));
                }
            }
        }
    }
    // Query parameters naming another friend change nothing: the scope is the caller's.
    for route in gets.iter().filter(|r| r.path.starts_with("/api/portal/")) {
        let path = format!(
            "{}?friend=x-alice&id=x-alice&friend_id=x-alice&namespace=friend-x-alice&name={}",
            route.fill(&w, &w.alice_m, None),
            w.bob_m.secret_name
        );
        let r = w
            .call(&Method::GET, &path, Caller::Alice.auth(&w).as_deref(), None)
            .await;
        cases += 1;
        if let Some(why) = leak(&w, Caller::Alice, &route.name, &path, &r) {
            failures.push(format!(
                "leaks {why}: {}",
                describe(Caller::Alice, &Method::GET, &path, &r)
            ));
        }
    }
    for path in PUBLIC_GETS {
        for caller in Caller::ALL {
            let r = w
                .call(&Method::GET, path, caller.auth(&w).as_deref(), None)
                .await;
            cases += 1;
            if let Some(why) = leak(&w, caller, "public", path, &r) {
                failures.push(format!(
                    "leaks {why}: {}",
                    describe(caller, &Method::GET, path, &r)
                ));
            }
        }
    }
    eprintln!("leaks: {cases} GET requests checked");

    // The markers really are where the checks above looked (else they prove nothing).
    let sees = |r: Reply, marker: &str, what: &str| {
        assert!(
            r.text.contains(marker),
            "control: {what} should show {marker}: {} {}",
            r.status,
            r.text
        )
    };
    let a = &w.alice_m;
    sees(
        w.p.get(&format!("/api/portal/secrets/{}", a.secret_name), &w.alice)
            .await,
        &a.secret_value,
        "alice's secret",
    );
    sees(
        w.p.get("/api/portal/workspace/memory", &w.alice).await,
        &a.memory,
        "alice's memory",
    );
    sees(
        w.p.get("/api/friends/alice/workspace/friend-notes", &w.agent)
            .await,
        &a.notes,
        "alice's notes",
    );
    sees(
        w.p.get("/api/friends/alice/workspace/heartbeat", &w.agent)
            .await,
        &a.heartbeat,
        "alice's heartbeat",
    );
    sees(
        w.p.get("/api/portal/workspace/crons", &w.alice).await,
        &a.cron_message,
        "alice's crons",
    );
    sees(
        w.p.get("/api/portal/namespace", &w.alice).await,
        &a.hostname,
        "alice's namespace",
    );
    sees(
        w.p.get("/api/friends/alice", &w.agent).await,
        &a.signal,
        "alice's profile",
    );
    sees(
        w.p.get(
            &format!("/api/portal/secrets/{}", w.bob_m.secret_name),
            &w.bob,
        )
        .await,
        &w.bob_m.secret_value,
        "bob's secret",
    );

    assert!(
        failures.is_empty(),
        "{} leaks or failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Bob naming alice's secret, job or exposure in his own portal reaches nothing of hers.
#[tokio::test]
async fn another_friends_names_reach_nothing() {
    let w = World::new().await;
    let a = &w.alice_m;
    let attempts = [
        (
            Method::PUT,
            format!("/api/portal/secrets/{}", a.secret_name),
            Some(json!({"data": {"token": "bob-was-here"}})),
        ),
        (
            Method::DELETE,
            format!("/api/portal/secrets/{}", a.secret_name),
            None,
        ),
        (
            Method::POST,
            format!("/api/portal/workspace/crons/{}/run", a.cron_name),
            None,
        ),
        (
            Method::POST,
            format!("/api/portal/workspace/crons/{}/toggle", a.cron_name),
            Some(json!({"enabled": false})),
        ),
        (
            Method::DELETE,
            format!("/api/portal/workspace/crons/{}", a.cron_name),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/portal/namespace/expose/{}", a.exposure),
            None,
        ),
        // A job aimed at alice's session, an exposure of alice's name: bob's own or refused.
        (
            Method::POST,
            "/api/portal/workspace/crons".to_owned(),
            Some(
                json!({"name": "sneaky", "message": "hi", "cron": "0 9 * * *", "session": "agent:main:direct:channel:alice"}),
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in &attempts {
        let r = w
            .call(
                method,
                path,
                Some(&format!("Bearer {}", w.bob)),
                body.as_ref(),
            )
            .await;
        if r.status.is_success() || r.status.is_server_error() {
            failures.push(format!(
                "expected a 4xx: {}",
                describe(Caller::Bob, method, path, &r)
            ));
        }
        if let Some(why) = leak(&w, Caller::Bob, "", path, &r) {
            failures.push(format!(
                "leaks {why}: {}",
                describe(Caller::Bob, method, path, &r)
            ));
        }
    }
    failures.extend(alice_intact(&w, a).await);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Alice's id is a suffix of bob's (`x-alice`): an exposure name of hers that would spell
/// his hostname (`<his name>-x` + `-alice`) neither takes nor removes it.
#[tokio::test]
async fn a_suffix_id_cannot_spell_the_longer_ids_hostnames() {
    let w = World::new().await;
    let b = &w.bob_m;
    let spelled = format!("{}-x", b.exposure);
    assert_eq!(
        format!("{spelled}-alice.your-domain.net"),
        b.hostname,
        "the name spells bob's hostname"
    );
    let expose =
        json!({"name": spelled, "service": "web", "port": 80, "domain": "your-domain.net"});
    let attempts = [
        (
            Method::POST,
            "/api/portal/namespace/expose".to_owned(),
            Some(expose.clone()),
        ),
        (
            Method::DELETE,
            format!("/api/portal/namespace/expose/{spelled}"),
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in &attempts {
        let auth = format!("Bearer {}", w.alice);
        let r = w.call(method, path, Some(&auth), body.as_ref()).await;
        if !matches!(r.status, StatusCode::CONFLICT | StatusCode::NOT_FOUND) {
            failures.push(format!(
                "expected 409 or 404: {}",
                describe(Caller::Alice, method, path, &r)
            ));
        }
    }
    // And her agent, on her behalf, the same.
    for (method, path, body) in [
        (
            Method::POST,
            "/api/friends/alice/namespace/expose".to_owned(),
            Some(expose),
        ),
        (
            Method::DELETE,
            format!("/api/friends/alice/namespace/expose/{spelled}"),
            None,
        ),
    ] {
        let auth = format!("Bearer {}", w.agent);
        let r = w.call(&method, &path, Some(&auth), body.as_ref()).await;
        if !matches!(r.status, StatusCode::CONFLICT | StatusCode::NOT_FOUND) {
            failures.push(format!(
                "expected 409 or 404: {}",
                describe(Caller::Agent, &method, &path, &r)
            ));
        }
    }
    failures.extend(alice_intact(&w, b).await);
    let dns = w.p.get("/api/admin/dns", crate::support::ADMIN).await;
    let records: Vec<_> = dns
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["hostname"] == b.hostname.as_str())
        .map(|r| r["friend"].clone())
        .collect();
    if records != [json!(crate::world::BOB)] {
        failures.push(format!("bob's DNS record is not his alone: {records:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is wrong with alice's (or bob's) seeded data now, if anything.
pub async fn alice_intact(w: &World, m: &Markers) -> Vec<String> {
    let token = if m.friend == crate::world::BOB {
        &w.bob
    } else {
        &w.alice
    };
    let mut wrong = Vec::new();
    let checks = [
        (
            format!("/api/portal/secrets/{}", m.secret_name),
            m.secret_value.clone(),
        ),
        ("/api/portal/workspace/memory".to_owned(), m.memory.clone()),
        (
            "/api/portal/workspace/heartbeat".to_owned(),
            m.heartbeat.clone(),
        ),
        (
            "/api/portal/workspace/friend-notes".to_owned(),
            m.notes.clone(),
        ),
        ("/api/portal/namespace".to_owned(), m.hostname.clone()),
        ("/api/portal/namespace".to_owned(), m.deployment.clone()),
    ];
    for (path, marker) in checks {
        let r = w.p.get(&path, token).await;
        if !r.text.contains(&marker) {
            wrong.push(format!(
                "{}'s data changed: GET {path} lacks {marker}: {} {:.300}",
                m.friend, r.status, r.text
            ));
        }
    }
    let crons = w.p.get("/api/portal/workspace/crons", token).await;
    let job = crons.body.as_array().and_then(|jobs| {
        jobs.iter()
            .find(|j| j["name"] == m.cron_name.as_str())
            .cloned()
    });
    match job {
        Some(job) if job["enabled"] == true && job["last_run"].is_null() => {}
        other => wrong.push(format!("{}'s cron job changed or ran: {other:?}", m.friend)),
    }
    wrong
}

/// A friend id used again after its friend was deleted (with `purge=true`) is a new
/// person: the old one's secrets, memory and cron jobs must not reach them.
#[tokio::test]
async fn a_reused_friend_id_inherits_nothing() {
    use crate::support::{ADMIN, TestPortal};
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    p.add_friend(&main, "zed").await;
    let old = p.session_for(&main, "zed").await;
    let secret = json!({"name": "zed-old", "data": {"pin": "OLD-ZED-SECRET-3141"}});
    assert_eq!(
        p.post("/api/portal/secrets", &old, secret).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        p.put(
            "/api/portal/workspace/memory",
            &old,
            json!({"content": "OLD-ZED-MEMORY-2718"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let job = json!({"name": "old-zed-job", "message": "OLD-ZED-CRON-1618", "cron": "0 9 * * *", "session": "agent:main:direct:channel:zed"});
    assert_eq!(
        p.post("/api/portal/workspace/crons", &old, job)
            .await
            .status,
        StatusCode::CREATED
    );
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}});
    assert_eq!(
        p.post("/api/friends/zed/namespace/apply", &main, svc)
            .await
            .status,
        StatusCode::OK
    );
    let expose =
        json!({"name": "oldsite", "service": "web", "port": 80, "domain": "your-domain.net"});
    assert_eq!(
        p.post("/api/portal/namespace/expose", &old, expose)
            .await
            .status,
        StatusCode::CREATED
    );
    let r = p.delete("/api/friends/zed?purge=true", &main).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // Someone else, introduced by another agent, gets the id.
    p.add_friend(&other, "zed").await;
    let new = p.session_for(&other, "zed").await;
    let mut failures = Vec::new();
    if p.get("/api/portal/me", &old).await.status != StatusCode::UNAUTHORIZED {
        failures.push("the deleted friend's session works for the new zed".to_owned());
    }
    let views = [
        ("/api/portal/secrets", &new),
        ("/api/portal/secrets/zed-old", &new),
        ("/api/portal/workspace/memory", &new),
        ("/api/portal/workspace/crons", &new),
        ("/api/friends/zed/workspace/memory", &other),
        ("/api/friends/zed/secrets", &other),
    ];
    for (path, token) in views {
        let r = p.get(path, token).await;
        for marker in [
            "OLD-ZED-SECRET-3141",
            "zed-old",
            "OLD-ZED-MEMORY-2718",
            "old-zed-job",
            "OLD-ZED-CRON-1618",
        ] {
            if r.text.contains(marker) && !path.contains(marker) {
                failures.push(format!(
                    "the new zed sees the deleted zed's {marker}: GET {path} -> {} {:.300}",
                    r.status, r.text
                ));
            }
        }
    }
    // A purged friend's hostname left in DNS points at an ingress that no longer routes it.
    let dns = p.get("/api/admin/dns", ADMIN).await;
    if dns.text.contains("oldsite-zed.your-domain.net") {
        failures.push(format!(
            "the purged friend's DNS record is still there: {:.300}",
            dns.text
        ));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
