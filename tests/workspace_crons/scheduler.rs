//! The scheduler under a manual clock: nothing here sleeps to wait for a schedule; the
//! tests move the clock and call `tick` (then `settle` for the deliveries). One test at the
//! end runs the production timer on the system clock to measure how late a due job fires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, config_for};
use crate::{World, at};

const CRONS: &str = "/api/portal/workspace/crons";

fn outbox_names(outbox: &[Value]) -> Vec<(String, String)> {
    let mut names: Vec<_> = outbox
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_due_job_fires_once_at_its_time() {
    let w = World::new().await;
    let job = w.alice_job("every-5", "*/5 * * * *").await;
    assert_eq!(job["next_run"], "2026-03-01T10:05:00Z");
    assert_eq!(
        w.scheduler().next_wakeup(),
        Some(at("2026-03-01T10:05:00Z"))
    );

    w.set_clock("2026-03-01T10:04:59Z");
    w.fire().await;
    assert!(w.outbox().await.is_empty(), "not yet");

    w.set_clock("2026-03-01T10:05:00Z");
    w.fire().await;
    let outbox = w.outbox().await;
    assert_eq!(outbox.len(), 1);
    let entry = &outbox[0];
    assert_eq!(
        (
            &entry["friend"],
            &entry["name"],
            &entry["trigger"],
            &entry["at"]
        ),
        (
            &json!("alice"),
            &json!("every-5"),
            &json!("scheduled"),
            &json!("2026-03-01T10:05:00Z")
        )
    );
    assert_eq!(entry["sessionKey"], "agent:main:direct:channel:alice");
    assert_eq!(entry["message"], "message of every-5");
    assert_eq!(entry["scheduled_for"], "2026-03-01T10:05:00Z");

    w.fire().await;
    assert_eq!(w.outbox().await.len(), 1, "fires once per time");
    let job = w.job(&w.alice, "every-5").await.unwrap();
    assert_eq!(job["next_run"], "2026-03-01T10:10:00Z");
    assert_eq!(
        job["last_run"],
        json!({"at": "2026-03-01T10:05:00Z", "trigger": "scheduled", "status": "queued", "error": null})
    );

    // A late tick (10:10, 10:15 and 10:20 passed) fires once, then follows the schedule.
    w.set_clock("2026-03-01T10:21:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 2);
    assert_eq!(
        w.job(&w.alice, "every-5").await.unwrap()["next_run"],
        "2026-03-01T10:25:00Z"
    );
}

#[tokio::test]
async fn toggling_takes_effect_at_once_and_manual_runs_ignore_it() {
    let w = World::new().await;
    w.alice_job("every-5", "*/5 * * * *").await;
    let r =
        w.p.post(
            &format!("{CRONS}/every-5/toggle"),
            &w.alice,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(w.scheduler().next_wakeup(), None, "off the timer");
    w.set_clock("2026-03-01T10:05:00Z");
    w.fire().await;
    assert!(w.outbox().await.is_empty());

    let r =
        w.p.post(&format!("{CRONS}/every-5/run"), &w.alice, json!({}))
            .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    w.scheduler().settle().await;
    let outbox = w.outbox().await;
    assert_eq!((outbox.len(), &outbox[0]["trigger"]), (1, &json!("manual")));
    assert_eq!(
        outbox[0].get("scheduled_for"),
        None,
        "a manual run has no time"
    );
    let job = w.job(&w.alice, "every-5").await.unwrap();
    assert_eq!(
        (&job["enabled"], &job["next_run"]),
        (&json!(false), &Value::Null)
    );

    // Enabled again at 10:07: the next time is 10:10; the missed 10:05 is not made up.
    w.set_clock("2026-03-01T10:07:00Z");
    let r =
        w.p.post(
            &format!("{CRONS}/every-5/toggle"),
            &w.alice,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.body["next_run"], "2026-03-01T10:10:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 1);
    w.set_clock("2026-03-01T10:10:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 2);
}

#[tokio::test]
async fn deleting_takes_effect_at_once() {
    let w = World::new().await;
    w.alice_job("every-5", "*/5 * * * *").await;
    w.p.post(&format!("{CRONS}/every-5/run"), &w.alice, json!({}))
        .await;
    w.scheduler().settle().await;
    assert_eq!(
        w.p.delete(&format!("{CRONS}/every-5"), &w.alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(w.scheduler().next_wakeup(), None);
    w.set_clock("2026-03-01T10:05:00Z");
    w.fire().await;
    assert_eq!(
        w.outbox().await.len(),
        1,
        "only the manual run before the delete"
    );
    // The name is free again, with no history.
    let job = w.alice_job("every-5", "*/5 * * * *").await;
    assert_eq!(job["last_run"], Value::Null);
}

#[tokio::test]
async fn restart_keeps_jobs_and_schedules() {
    let w = World::new().await;
    w.alice_job("every-5", "*/5 * * * *").await;
    w.alice_job("daily", "0 10 * * *").await;
    w.p.post(
        &format!("{CRONS}/daily/toggle"),
        &w.alice,
        json!({"enabled": false}),
    )
    .await;
    w.p.post(&format!("{CRONS}/daily/run"), &w.alice, json!({}))
        .await;
    w.scheduler().settle().await;
    let before = w.p.get(CRONS, &w.alice).await.body;

    let w = w.restart("2026-03-01T10:01:00Z", |_| {}).await;
    assert_eq!(w.p.get(CRONS, &w.alice).await.body, before);
    assert_eq!(
        w.scheduler().next_wakeup(),
        Some(at("2026-03-01T10:05:00Z"))
    );
    w.set_clock("2026-03-01T10:05:00Z");
    w.fire().await;
    assert_eq!(
        w.outbox().await.len(),
        2,
        "the manual run before, the scheduled one after"
    );
}

#[tokio::test]
async fn runs_missed_while_down_fire_once_within_the_grace_window() {
    let w = World::new().await;
    w.alice_job("every-5", "*/5 * * * *").await;
    w.alice_job("half-past", "30 10 * * *").await;
    w.alice_job("daily", "0 10 * * *").await; // next: 2 March 10:00
    let r = w
        .create_job(
            &w.alice,
            json!({"name": "paused", "message": "m", "cron": "* * * * *",
        "session": "agent:main:direct:channel:alice", "enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Down from 10:00 to 10:40: every-5 missed 10:05..10:40 and half-past 10:30 (10 minutes
    // ago): each runs once at start.
    let w = w.restart("2026-03-01T10:40:00Z", |_| {}).await;
    w.fire().await;
    assert_eq!(
        outbox_names(&w.outbox().await),
        [
            ("every-5".into(), "2026-03-01T10:40:00Z".into()),
            ("half-past".into(), "2026-03-01T10:40:00Z".into()),
        ]
    );
    // Each run names the time it stands for: half-past's own 10:30; every-5's first time
    // inside the window, 10:25 (10:05..10:20 are beyond it).
    let scheduled_for: Vec<_> = w
        .outbox()
        .await
        .iter()
        .map(|e| (e["name"].clone(), e["scheduled_for"].clone()))
        .collect();
    assert!(scheduled_for.contains(&(json!("every-5"), json!("2026-03-01T10:25:00Z"))));
    assert!(scheduled_for.contains(&(json!("half-past"), json!("2026-03-01T10:30:00Z"))));
    assert_eq!(
        w.job(&w.alice, "every-5").await.unwrap()["next_run"],
        "2026-03-01T10:45:00Z"
    );
    assert_eq!(
        w.job(&w.alice, "half-past").await.unwrap()["next_run"],
        "2026-03-02T10:30:00Z"
    );

    // Down until 2 March 10:20: daily's 10:00 is 20 minutes old, beyond the 15-minute
    // window: skipped. every-5 missed times up to 10:20: runs once.
    let w = w.restart("2026-03-02T10:20:00Z", |_| {}).await;
    w.fire().await;
    let names = outbox_names(&w.outbox().await);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.contains(&("every-5".into(), "2026-03-02T10:20:00Z".into())));
    let daily = w.job(&w.alice, "daily").await.unwrap();
    assert_eq!(
        (&daily["next_run"], &daily["last_run"]),
        (&json!("2026-03-03T10:00:00Z"), &Value::Null)
    );
    assert_eq!(
        w.job(&w.alice, "paused").await.unwrap()["last_run"],
        Value::Null
    );
}

#[tokio::test]
async fn the_last_fifty_runs_are_kept() {
    let w = World::new().await;
    w.alice_job("chatty", "0 9 * * *").await;
    for i in 0..55 {
        w.set_clock(&format!("2026-03-01T10:{i:02}:00Z"));
        let r =
            w.p.post(&format!("{CRONS}/chatty/run"), &w.alice, json!({}))
                .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    w.scheduler().settle().await;
    let runs = w.scheduler().runs("alice", "chatty", 100).await.unwrap();
    assert_eq!(runs.len(), 50);
    assert_eq!(runs[0].at, at("2026-03-01T10:54:00Z"), "newest first");
    assert_eq!(runs[49].at, at("2026-03-01T10:05:00Z"));
    assert!(
        runs.iter()
            .all(|r| r.status == portal::scheduler::RunStatus::Queued)
    );
}

#[tokio::test]
async fn daylight_saving_gaps_and_repeats_follow_the_documented_rule() {
    let w = World::new().await;
    w.set_clock("2026-03-28T12:00:00Z");
    let r = w
        .create_job(
            &w.alice,
            json!({"name": "night", "message": "m", "cron": "30 2 * * *",
        "session": "agent:main:direct:channel:alice", "tz": "Europe/Berlin"}),
        )
        .await;
    // 02:30 does not exist on 29 March in Berlin: it fires at 03:00 CEST.
    assert_eq!(r.body["next_run"], "2026-03-29T01:00:00Z", "{}", r.text);
    w.set_clock("2026-03-29T01:00:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 1);
    assert_eq!(
        w.job(&w.alice, "night").await.unwrap()["next_run"],
        "2026-03-30T00:30:00Z"
    );

    // 02:30 happens twice on 25 October: it fires at the first one only.
    // (Seven months on, alice's portal session has expired: a fresh one.)
    w.set_clock("2026-10-24T12:00:00Z");
    let alice = w.p.session_for(&w.agent, "alice").await;
    let r =
        w.p.post(
            &format!("{CRONS}/night/toggle"),
            &alice,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r =
        w.p.post(
            &format!("{CRONS}/night/toggle"),
            &alice,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.body["next_run"], "2026-10-25T00:30:00Z", "{}", r.text);
    w.set_clock("2026-10-25T00:30:00Z");
    w.fire().await;
    assert_eq!(
        w.job(&alice, "night").await.unwrap()["next_run"],
        "2026-10-26T01:30:00Z"
    );
    w.set_clock("2026-10-25T01:30:00Z");
    w.fire().await;
    assert_eq!(w.outbox().await.len(), 2, "not again at 02:30 CET");
}

#[tokio::test]
async fn a_deleted_friends_jobs_stop() {
    let w = World::new().await;
    w.alice_job("every-5", "*/5 * * * *").await;
    assert_eq!(
        w.p.delete("/api/friends/alice", ADMIN).await.status,
        StatusCode::NO_CONTENT
    );
    w.set_clock("2026-03-01T10:05:00Z");
    w.fire().await;
    assert!(w.outbox().await.is_empty());
    assert!(w.scheduler().list("alice").await.unwrap().is_empty());
    assert_eq!(w.scheduler().next_wakeup(), None);
}

/// The production timer on the system clock: a job due every second fires once for each
/// second, never before its time. How late it fires is printed here and measured by the
/// benchmark (`just bench`, cron drift), not asserted. (The one test that waits on real
/// time: about 3 seconds.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_system_clock_a_due_job_fires_once_a_second_never_early() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(dir.path());
    // Every second, past the policy's pace limits, for this measurement only.
    config.scheduler.min_interval = Duration::from_secs(1);
    config.scheduler.max_runs_per_minute = 60;
    let (state, _) = portal::server::build_state(config, Arc::new(portal::clock::SystemClock))
        .await
        .unwrap();
    let server = portal::server::start(state).await.unwrap();
    let p = crate::support::TestPortal {
        server,
        clock: portal::clock::ManualClock::new(at("2026-01-01T00:00:00Z")), // unused
        dir,
        http: reqwest::Client::new(),
    };
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let alice = p.session_for(&agent, "alice").await;
    let r = p
        .post(
            CRONS,
            &alice,
            json!({"name": "tick", "message": "m", "cron": "* * * * * *",
        "session": "agent:main:direct:channel:alice"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let started = Instant::now();
    let entries = loop {
        let entries = p
            .get("/api/admin/outbox", ADMIN)
            .await
            .body
            .as_array()
            .unwrap()
            .clone();
        if entries.len() >= 3 || started.elapsed() > Duration::from_secs(8) {
            break entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(entries.len() >= 3, "only {} runs in 8 s", entries.len());
    let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = entries
        .iter()
        .map(|e| {
            let due = e["scheduled_for"].as_str();
            let due = due.unwrap_or_else(|| panic!("a scheduled run names its time: {e}"));
            (at(due), at(e["at"].as_str().unwrap()))
        })
        .collect();
    runs.sort();
    let lateness: Vec<i64> = runs
        .iter()
        .map(|(due, fired)| (*fired - *due).num_milliseconds())
        .collect();
    eprintln!("due-job firing lateness (ms): {lateness:?}");
    for (due, fired) in &runs {
        assert_eq!(due.nanosecond(), 0, "due on a whole second: {due}");
        assert!(fired >= due, "fired at {fired}, before its time {due}");
    }
    assert!(
        runs.windows(2).all(|w| w[0].0 < w[1].0),
        "one run per second: {runs:?}"
    );
    p.server.shutdown().await.unwrap();
}
