//! How often a friend's jobs may run: a minimum interval per job and a ceiling on one
//! friend's scheduled runs per minute (`policies/crons.toml`), and delivery slots that one
//! friend's backlog cannot fill.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::World;
use crate::receiver::Receiver;
use crate::support::ADMIN;

const CRONS: &str = "/api/portal/workspace/crons";

fn job(name: &str, cron: &str, friend: &str) -> Value {
    json!({"name": name, "message": "m", "cron": cron,
           "session": format!("agent:main:direct:channel:{friend}")})
}

#[tokio::test]
async fn a_schedule_closer_than_the_minimum_interval_is_refused_naming_it() {
    let w = World::new().await;
    for cron in ["* * * * * *", "*/30 * * * * *", "0,59 * * * * *"] {
        let r = w.create_job(&w.alice, job("fast", cron, "alice")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{cron}: {}",
            r.text
        );
        assert!(r.message().starts_with("cron:"), "{}", r.text);
        assert!(r.message().contains("once a minute"), "{cron}: {}", r.text);
    }
    for cron in ["* * * * *", "30 * * * * *", "*/5 * * * *"] {
        let name = format!("ok-{}", cron.len());
        let r = w.create_job(&w.alice, job(&name, cron, "alice")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{cron}: {}", r.text);
    }
    // An edit is held to the same rule, and a refused edit changes nothing.
    let one = format!("{CRONS}/ok-9");
    let change = json!({"message": "m", "cron": "*/10 * * * * *", "tz": "UTC",
                        "session": "agent:main:direct:channel:alice"});
    let r = w.p.put(&one, &w.alice, change).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().contains("once a minute"), "{}", r.text);
    assert_eq!(w.job(&w.alice, "ok-9").await.unwrap()["cron"], "* * * * *");
}

#[tokio::test]
async fn one_friends_jobs_together_stay_under_the_runs_per_minute_ceiling() {
    let w = World::new().await;
    // The policy's ceiling, 10 a minute: nine every-minute jobs, one every two minutes (0.5)
    // and daily ones (next to nothing) besides.
    for i in 0..9 {
        let r = w
            .create_job(&w.alice, job(&format!("each-{i}"), "* * * * *", "alice"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.text);
    }
    for (name, cron) in [
        ("half", "*/2 * * * *"),
        ("daily", "0 9 * * *"),
        ("nightly", "0 21 * * *"),
    ] {
        let r = w.create_job(&w.alice, job(name, cron, "alice")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text);
    }
    let r = w
        .create_job(&w.alice, job("one-more", "* * * * *", "alice"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().starts_with("cron:"), "{}", r.text);
    assert!(r.message().contains("at most 10 a minute"), "{}", r.text);
    // Editing a daily job into an every-minute one is refused the same way; into an hourly
    // one, which keeps the total under 10, it is not.
    let edit = |cron: &str| {
        json!({"message": "m", "cron": cron, "tz": "UTC",
               "session": "agent:main:direct:channel:alice"})
    };
    let daily = format!("{CRONS}/daily");
    let r = w.p.put(&daily, &w.alice, edit("* * * * *")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = w.p.put(&daily, &w.alice, edit("0 * * * *")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The ceiling is each friend's own.
    let r =
        w.p.put("/api/friends/bob/agents/main", ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = w.create_job(&w.bob, job("bobs", "* * * * *", "bob")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn one_friends_backlog_cannot_hold_every_delivery_slot() {
    let gw = Receiver::holding().await;
    let url = gw.url.clone();
    let w = World::with(move |config| {
        config.scheduler.gateway = Some(url);
        config.scheduler.max_concurrent_deliveries = 2;
    })
    .await;
    let r =
        w.p.put("/api/friends/bob/agents/main", ADMIN, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for name in ["a1", "a2", "a3"] {
        w.alice_job(name, "0 11 * * *").await;
        let r =
            w.p.post(&format!("{CRONS}/{name}/run"), &w.alice, json!({}))
                .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    }
    let r = w.create_job(&w.bob, job("b1", "0 11 * * *", "bob")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r =
        w.p.post(&format!("{CRONS}/b1/run"), &w.bob, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);

    // Two slots, both busy and held open: one of them is bob's.
    gw.wait_for(2).await;
    let sessions: Vec<Value> = gw
        .received()
        .iter()
        .map(|r| r.body["sessionKey"].clone())
        .collect();
    assert!(
        sessions.contains(&json!("agent:main:direct:channel:bob")),
        "alice's backlog holds every slot: {sessions:?}"
    );
    gw.release();
    w.scheduler().settle().await;
    assert_eq!(gw.received().len(), 4);
}

/// A job stored before the pace limits with a schedule they refuse (every second) still
/// runs at most once per minimum interval.
#[tokio::test]
async fn a_job_stored_before_the_limits_runs_at_most_once_per_minimum_interval() {
    let w = World::new().await;
    let jobs = portal::scheduler::jobs::JobStore::open(&w.p.server.state.store, 50);
    let due = crate::at("2026-03-01T10:05:00Z");
    let legacy = portal::scheduler::Job {
        friend: "alice".into(),
        name: "every-second".into(),
        message: "tick".into(),
        cron: "* * * * * *".into(),
        session: "agent:main:direct:channel:alice".into(),
        tz: "UTC".into(),
        enabled: true,
        created_at: due,
        next_run: Some(due),
    };
    jobs.put(&legacy).await.unwrap();
    drop(jobs);
    let w = w.restart("2026-03-01T10:05:00Z", |_| {}).await;
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 1);
    for second in ["01", "02", "30", "59"] {
        w.set_clock(&format!("2026-03-01T10:05:{second}Z"));
        w.fire().await;
    }
    assert_eq!(w.outbox().await.len(), 1, "not again within the minute");
    w.set_clock("2026-03-01T10:06:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 2);
}
