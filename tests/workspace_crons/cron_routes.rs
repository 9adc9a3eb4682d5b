//! The routes added for issue 14: get one, update (PUT), run history, the same set for
//! agents and admin under `/api/friends/:id/workspace/crons`, the agent's own-session rule,
//! and the session choices on `GET /api/portal/agents`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::ADMIN;
use crate::{ALICE_DISCORD, World, at};

const CRONS: &str = "/api/portal/workspace/crons";
const ALICE_CRONS: &str = "/api/friends/alice/workspace/crons";

fn change(session: &str) -> Value {
    json!({
        "message": "Stand-up in an hour",
        "cron": "30 7 * * 1-5",
        "tz": "America/New_York",
        "session": session,
    })
}

#[tokio::test]
async fn runs_are_listed_newest_first_with_their_schedule_and_attempts() {
    let w = World::new().await;
    w.alice_job("daily", "0 9 * * *").await;
    let r =
        w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    w.scheduler().settle().await;
    w.set_clock("2026-03-02T09:00:00Z");
    w.fire().await;

    let r = w.p.get(&format!("{CRONS}/daily/runs"), &w.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // No gateway: both runs reached the local outbox only, and say so.
    assert_eq!(
        r.body,
        json!([
            {"at": "2026-03-02T09:00:00Z", "scheduled_for": "2026-03-02T09:00:00Z",
             "trigger": "scheduled", "status": "queued", "attempts": 1, "error": null},
            {"at": "2026-03-01T10:00:00Z", "scheduled_for": null,
             "trigger": "manual", "status": "queued", "attempts": 1, "error": null},
        ])
    );
    // The job view keeps its shape: last_run without the history's extra fields.
    let one = w.p.get(&format!("{CRONS}/daily"), &w.alice).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(
        one.body["last_run"],
        json!({"at": "2026-03-02T09:00:00Z", "trigger": "scheduled", "status": "queued", "error": null})
    );
    assert_eq!(Some(one.body), w.job(&w.alice, "daily").await);
}

#[tokio::test]
async fn put_replaces_the_job_and_recomputes_next_run_and_the_timer() {
    let w = World::new().await;
    let before = w.alice_job("daily", "0 9 * * *").await;
    assert_eq!(before["next_run"], "2026-03-02T09:00:00Z");
    let discord = format!("agent:main:discord:direct:{ALICE_DISCORD}");
    let r =
        w.p.put(&format!("{CRONS}/daily"), &w.alice, change(&discord))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({
            "name": "daily",
            "message": "Stand-up in an hour",
            "cron": "30 7 * * 1-5",
            "session": discord,
            "tz": "America/New_York",
            "enabled": true,
            "created_at": "2026-03-01T10:00:00Z",
            // 07:30 in New York (EST, -05:00) on Monday 2 March.
            "next_run": "2026-03-02T12:30:00Z",
            "last_run": null,
        })
    );
    // The timer follows: it wakes at the new time; nothing at the old 09:00 UTC, the new
    // message at 12:30 UTC.
    assert_eq!(
        w.scheduler().next_wakeup(),
        Some(at("2026-03-02T12:30:00Z"))
    );
    w.set_clock("2026-03-02T09:00:00Z");
    w.fire().await;
    assert!(w.outbox().await.is_empty());
    w.set_clock("2026-03-02T12:30:00Z");
    w.fire().await;
    let outbox = w.outbox().await;
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0]["message"], "Stand-up in an hour");
    assert_eq!(outbox[0]["sessionKey"], discord.as_str());
}

#[tokio::test]
async fn put_checks_as_create_does_and_changes_nothing_when_refused() {
    let w = World::new().await;
    let job = w.alice_job("daily", "0 9 * * *").await;
    let path = format!("{CRONS}/daily");
    let ok = change("agent:main:direct:channel:alice");
    let mut cases = Vec::new();
    for field in ["message", "cron", "tz", "session"] {
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove(field);
        cases.push((field, missing));
    }
    for (field, value) in [
        ("message", json!(" ")),
        ("cron", json!("61 * * * *")),
        ("tz", json!("Mars/Olympus")),
        ("session", json!("a b")),
    ] {
        let mut bad = ok.clone();
        bad[field] = value;
        cases.push((field, bad));
    }
    for (field, body) in cases {
        let r = w.p.put(&path, &w.alice, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(
            r.message().starts_with(&format!("{field}:")),
            "{body}: {}",
            r.text
        );
    }
    let r =
        w.p.put(&path, &w.alice, change("agent:main:direct:channel:bob"))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let r =
        w.p.put(&format!("{CRONS}/nope"), &w.alice, ok.clone())
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(w.job(&w.alice, "daily").await, Some(job));
}

#[tokio::test]
async fn a_disabled_job_stays_disabled_when_edited() {
    let w = World::new().await;
    w.alice_job("daily", "0 9 * * *").await;
    let r =
        w.p.post(
            &format!("{CRONS}/daily/toggle"),
            &w.alice,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r =
        w.p.put(
            &format!("{CRONS}/daily"),
            &w.alice,
            change("agent:main:direct:channel:alice"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["enabled"].clone(), r.body["next_run"].clone()),
        (json!(false), Value::Null)
    );
    w.set_clock("2026-03-02T12:30:00Z");
    w.fire().await;
    assert!(w.outbox().await.is_empty());
    // Enabled again, it follows the new schedule: Tuesday 07:30 in New York.
    let r =
        w.p.post(
            &format!("{CRONS}/daily/toggle"),
            &w.alice,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.body["next_run"], "2026-03-03T12:30:00Z", "{}", r.text);
}

/// Every route of the operators' set, by `token`, for alice's job made with `session`.
async fn operator_set(w: &World, token: &str, session: &str) {
    let job = json!({"name": "op-job", "message": "from an operator", "cron": "0 9 * * *", "session": session});
    let r = w.p.post(ALICE_CRONS, token, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.headers["location"], format!("{ALICE_CRONS}/op-job"));
    let created = r.body;
    // The friend sees the same job.
    assert_eq!(w.job(&w.alice, "op-job").await.as_ref(), Some(&created));
    let r = w.p.get(ALICE_CRONS, token).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!([created])),
        "{}",
        r.text
    );
    let one = format!("{ALICE_CRONS}/op-job");
    let r = w.p.get(&one, token).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, created),
        "{}",
        r.text
    );
    let r = w.p.put(&one, token, change(session)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["next_run"], "2026-03-02T12:30:00Z");
    let r = w.p.post(&format!("{one}/run"), token, json!({})).await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (StatusCode::ACCEPTED, json!("pending")),
        "{}",
        r.text
    );
    w.scheduler().settle().await;
    let r = w.p.get(&format!("{one}/runs"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["status"], "queued", "{}", r.text);
    assert_eq!(r.body.as_array().map(Vec::len), Some(1));
    let r =
        w.p.post(&format!("{one}/toggle"), token, json!({"enabled": false}))
            .await;
    assert_eq!(
        (r.status, r.body["enabled"].clone()),
        (StatusCode::OK, json!(false)),
        "{}",
        r.text
    );
    let r = w.p.delete(&one, token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(w.job(&w.alice, "op-job").await, None);
}

#[tokio::test]
async fn agents_and_admin_have_the_whole_set_under_the_friend() {
    let w = World::new().await;
    operator_set(&w, &w.agent, "agent:main:direct:channel:alice").await;
    // The admin acts for no agent: a session of any of the friend's agents.
    w.p.add_agent("ops").await;
    let r =
        w.p.put("/api/friends/alice/agents/ops", ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    operator_set(&w, ADMIN, "agent:ops:direct:channel:alice").await;
}

#[tokio::test]
async fn an_agent_may_only_name_its_own_sessions_of_the_friend() {
    let w = World::new().await;
    let ops = w.p.add_agent("ops").await;
    let r =
        w.p.put("/api/friends/alice/agents/ops", ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = |session: &str| json!({"name": "ops-job", "message": "hello", "cron": "0 9 * * *", "session": session});
    for foreign in [
        "agent:main:direct:channel:alice",
        "alice",
        "agent:ops:direct:channel:bob",
    ] {
        let r = w.p.post(ALICE_CRONS, &ops, job(foreign)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{foreign}: {}", r.text);
    }
    let r =
        w.p.post(ALICE_CRONS, &ops, job("agent:ops:direct:channel:alice"))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let one = format!("{ALICE_CRONS}/ops-job");
    let r =
        w.p.put(&one, &ops, change("agent:main:direct:channel:alice"))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(
        w.job(&w.alice, "ops-job").await.unwrap()["session"],
        "agent:ops:direct:channel:alice"
    );
    // The friend and the admin choose any agent's session of the friend.
    let r =
        w.p.put(
            &format!("{CRONS}/ops-job"),
            &w.alice,
            change("agent:main:direct:channel:alice"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r =
        w.p.put(&one, ADMIN, change("agent:ops:direct:channel:alice"))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn other_friends_and_strangers_reach_no_job() {
    let w = World::new().await;
    w.alice_job("daily", "0 9 * * *").await;
    let before = w.job(&w.alice, "daily").await;
    // Bob: alice's job names are unknown to him.
    for (method, path) in [("GET", "daily"), ("PUT", "daily"), ("GET", "daily/runs")] {
        let path = format!("{CRONS}/{path}");
        let r = match method {
            "GET" => w.p.get(&path, &w.bob).await,
            _ => {
                w.p.put(&path, &w.bob, change("agent:main:direct:channel:bob"))
                    .await
            }
        };
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
    }
    // An agent without the friendship, and a friend's token, on the operators' routes.
    let stranger = w.p.add_agent("stranger").await;
    for token in [&stranger, &w.alice, &w.bob] {
        for path in [
            ALICE_CRONS.to_owned(),
            format!("{ALICE_CRONS}/daily"),
            format!("{ALICE_CRONS}/daily/runs"),
        ] {
            let r = w.p.get(&path, token).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        }
        let r =
            w.p.put(
                &format!("{ALICE_CRONS}/daily"),
                token,
                change("agent:stranger:direct:channel:alice"),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    }
    let r = w.p.get("/api/friends/bob/workspace/crons", &w.agent).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(w.job(&w.alice, "daily").await, before);
}

#[tokio::test]
async fn the_agents_list_offers_sessions_the_friend_may_choose() {
    let w = World::new().await;
    let r = w.p.get("/api/portal/agents", &w.alice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[0]["agent_id"], "main");
    let sessions = r.body[0]["sessions"].clone();
    assert_eq!(
        sessions,
        json!([
            {"session": "agent:main:direct:channel:alice", "label": "Direct chat with Agent main"},
            {"session": format!("agent:main:discord:direct:{ALICE_DISCORD}"), "label": "Discord"},
            {"session": "agent:main:signal:direct:+491512345678", "label": "Signal (+49 151 2345678)"},
        ])
    );
    // Each is accepted, by the friend and by the agent.
    for (i, choice) in sessions.as_array().unwrap().iter().enumerate() {
        for (token, path) in [(&w.alice, CRONS), (&w.agent, ALICE_CRONS)] {
            let name = format!("pick-{i}-{}", if path == CRONS { "f" } else { "a" });
            let job = json!({"name": name, "message": "m", "cron": "0 9 * * *", "session": choice["session"]});
            let r = w.p.post(path, token, job).await;
            assert_eq!(r.status, StatusCode::CREATED, "{choice}: {}", r.text);
        }
    }
    // Bob has no agent, so nothing to choose.
    let r = w.p.get("/api/portal/agents", &w.bob).await;
    assert_eq!(r.body, json!([]), "{}", r.text);
}
