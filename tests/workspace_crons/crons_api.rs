//! The cron endpoints: shapes, validation naming the field, own sessions only, limits,
//! and isolation between friends.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::ADMIN;
use crate::{ALICE_DISCORD, World};

const CRONS: &str = "/api/portal/workspace/crons";

fn body(name: &str) -> Value {
    json!({
        "name": name,
        "message": "Check my portfolio",
        "cron": "0 9 * * *",
        "session": "agent:main:direct:channel:alice",
        "tz": "Europe/Berlin",
    })
}

#[tokio::test]
async fn create_list_toggle_run_and_delete() {
    let w = World::new().await;
    let r = w.create_job(&w.alice, body("daily-check")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.headers["location"],
        "/api/portal/workspace/crons/daily-check"
    );
    assert_eq!(
        r.body,
        json!({
            "name": "daily-check",
            "message": "Check my portfolio",
            "cron": "0 9 * * *",
            "session": "agent:main:direct:channel:alice",
            "tz": "Europe/Berlin",
            "enabled": true,
            "created_at": "2026-03-01T10:00:00Z",
            // 09:00 in Berlin (CET, +01:00) on Monday 2 March.
            "next_run": "2026-03-02T08:00:00Z",
            "last_run": null,
        })
    );
    let list = w.p.get(CRONS, &w.alice).await;
    assert_eq!(list.body, json!([r.body]));

    let r =
        w.p.post(
            &format!("{CRONS}/daily-check/toggle"),
            &w.alice,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["enabled"].clone(), r.body["next_run"].clone()),
        (json!(false), Value::Null)
    );

    // A manual run works while disabled.
    let r =
        w.p.post(&format!("{CRONS}/daily-check/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"at": "2026-03-01T10:00:00Z", "trigger": "manual", "status": "pending", "error": null})
    );
    w.scheduler().settle().await;
    let job = w.job(&w.alice, "daily-check").await.unwrap();
    assert_eq!(
        job["last_run"],
        json!({"at": "2026-03-01T10:00:00Z", "trigger": "manual", "status": "queued", "error": null})
    );
    let outbox = w.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["sessionKey"], "agent:main:direct:channel:alice");
    assert_eq!(outbox[0]["message"], "Check my portfolio");

    let r =
        w.p.post(
            &format!("{CRONS}/daily-check/toggle"),
            &w.alice,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.body["next_run"], "2026-03-02T08:00:00Z");

    let r = w.p.delete(&format!("{CRONS}/daily-check"), &w.alice).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(w.p.get(CRONS, &w.alice).await.body, json!([]));
    let r = w.p.delete(&format!("{CRONS}/daily-check"), &w.alice).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Mutations are audited.
    let audit = w.p.get("/api/admin/audit?friend=alice", ADMIN).await;
    assert!(
        audit
            .text
            .contains("/api/portal/workspace/crons/{name}/run"),
        "{}",
        audit.text
    );
}

#[tokio::test]
async fn every_broken_rule_is_a_422_naming_its_field() {
    let w = World::new().await;
    let with = |field: &str, value: Value| {
        let mut b = body("valid-name");
        b[field] = value;
        b
    };
    let without = |field: &str| {
        let mut b = body("valid-name");
        b.as_object_mut().unwrap().remove(field);
        b
    };
    let cases = [
        ("name", with("name", json!("Daily"))),
        ("name", with("name", json!("-daily"))),
        ("name", with("name", json!("a".repeat(64)))),
        ("name", with("name", json!("a_b"))),
        ("name", without("name")),
        ("message", with("message", json!(""))),
        ("message", with("message", json!("   "))),
        ("message", with("message", json!("x".repeat(4001)))),
        ("message", with("message", json!(42))),
        ("cron", with("cron", json!("* * * *"))),
        ("cron", with("cron", json!("61 * * * *"))),
        ("cron", with("cron", json!("0 0 30 2 *"))),
        ("cron", with("cron", json!("@daily"))),
        ("cron", without("cron")),
        ("tz", with("tz", json!("Mars/Olympus_Mons"))),
        ("tz", with("tz", json!(1))),
        ("session", with("session", json!(""))),
        ("session", with("session", json!("agent main alice"))),
        ("enabled", with("enabled", json!("yes"))),
    ];
    for (field, case) in cases {
        let r = w.create_job(&w.alice, case.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            r.text
        );
        assert!(
            r.message().starts_with(&format!("{field}:")),
            "{case}: {}",
            r.text
        );
    }
    let r = w
        .create_job(&w.alice, with("cron", json!("61 * * * *")))
        .await;
    assert!(
        r.message().contains("minute"),
        "the cron field names the sub-field: {}",
        r.text
    );
    assert_eq!(w.p.get(CRONS, &w.alice).await.body, json!([]));

    // Defaults: UTC, enabled; 6 fields with seconds; 4000 characters exactly.
    let r = w
        .create_job(
            &w.alice,
            json!({"name": "utc", "message": "é".repeat(4000), "cron": "30 0 9 * * MON-FRI",
        "session": "agent:main:direct:channel:alice"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        (r.body["tz"].clone(), r.body["enabled"].clone()),
        (json!("UTC"), json!(true))
    );
    assert_eq!(r.body["next_run"], "2026-03-02T09:00:30Z");
    let r =
        w.p.post(&format!("{CRONS}/utc/toggle"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.message().starts_with("enabled"), "{}", r.text);
}

#[tokio::test]
async fn names_are_unique_per_friend_and_jobs_limited_by_policy() {
    let w = World::new().await;
    assert_eq!(
        w.create_job(&w.alice, body("daily")).await.status,
        StatusCode::CREATED
    );
    let r = w.create_job(&w.alice, body("daily")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // Bob may use the same name for his own job (with an agent of his).
    let r =
        w.p.put("/api/friends/bob/agents/main", ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut bobs = body("daily");
    bobs["session"] = json!("agent:main:direct:channel:bob");
    assert_eq!(w.create_job(&w.bob, bobs).await.status, StatusCode::CREATED);

    for i in 1..50 {
        let r = w.create_job(&w.alice, body(&format!("job-{i}"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.text);
    }
    let r = w.create_job(&w.alice, body("one-too-many")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.message().starts_with("jobs:") && r.message().contains("50"),
        "{}",
        r.text
    );
    assert_eq!(
        w.p.get(CRONS, &w.alice)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        50
    );
    // Deleting one makes room.
    assert_eq!(
        w.p.delete(&format!("{CRONS}/job-7"), &w.alice).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.create_job(&w.alice, body("one-more")).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_job_may_only_target_the_friends_own_sessions() {
    let w = World::new().await;
    let own = [
        "agent:main:direct:channel:alice",
        &format!("agent:main:discord:direct:{ALICE_DISCORD}"),
        "agent:main:signal:direct:+491512345678",
    ];
    for (i, session) in own.iter().enumerate() {
        let mut b = body(&format!("own-{i}"));
        b["session"] = json!(session);
        let r = w.create_job(&w.alice, b).await;
        assert_eq!(r.status, StatusCode::CREATED, "{session}: {}", r.text);
    }
    for session in [
        "agent:main:direct:channel:bob",
        "agent:main:direct:channel:alice:bob",
        "agent:main:direct:channel:alicex",
        "agent:main:direct:channel:",
    ] {
        let mut b = body("foreign");
        b["session"] = json!(session);
        let r = w.create_job(&w.alice, b).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{session}: {}", r.text);
        assert_eq!(r.code(), "forbidden");
    }
    // Bob cannot target alice's session either.
    let r = w.create_job(&w.bob, body("sneaky")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}

#[tokio::test]
async fn alice_and_bob_cannot_touch_each_others_jobs() {
    let w = World::new().await;
    let alices = w.alice_job("morning-check", "0 9 * * *").await;
    assert!(
        w.p.get(CRONS, &w.bob)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    for (method, path, body) in [
        (
            reqwest::Method::DELETE,
            format!("{CRONS}/morning-check"),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("{CRONS}/morning-check/run"),
            Some(json!({})),
        ),
        (
            reqwest::Method::POST,
            format!("{CRONS}/morning-check/toggle"),
            Some(json!({"enabled": false})),
        ),
    ] {
        let r = w.p.send(method.clone(), &path, Some(&w.bob), body).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.text
        );
        assert!(!r.text.contains("alice"), "no leak: {}", r.text);
    }
    w.scheduler().settle().await;
    assert_eq!(
        w.job(&w.alice, "morning-check").await.unwrap(),
        alices,
        "untouched, never run"
    );
    assert!(w.outbox().await.is_empty());
    // Agent and admin tokens are refused on the portal's routes.
    for token in [w.agent.as_str(), ADMIN] {
        assert_eq!(w.p.get(CRONS, token).await.status, StatusCode::FORBIDDEN);
    }
    // Names from the path that are not job names name nothing, even alice's own.
    for name in [
        "morning-check%00",
        "morning-check%00x",
        "..%2Fmorning-check",
        "MORNING-CHECK",
    ] {
        let r = w.p.delete(&format!("{CRONS}/{name}"), &w.alice).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: {}", r.text);
    }
    w.p.post(&format!("{CRONS}/morning-check/run"), &w.alice, json!({}))
        .await;
    w.scheduler().settle().await;
    w.p.delete(&format!("{CRONS}/morning-check%00"), &w.alice)
        .await;
    assert_eq!(
        w.scheduler()
            .runs("alice", "morning-check", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The outbox is the operator's.
    assert_eq!(
        w.p.get("/api/admin/outbox", &w.agent).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        w.p.get("/api/admin/outbox", &w.alice).await.status,
        StatusCode::FORBIDDEN
    );
}
