//! Rule 5: a cron job's session names one friend. A platform id belongs to at most one
//! friend, a friend id cannot be read as a platform id, and a job whose session has since
//! passed to someone else is not delivered when it fires: its run says why.

use reqwest::StatusCode;
use serde_json::{Value, json};

use portal::clock::Clock;

use crate::support::{ADMIN, TestPortal};

const CRONS: &str = "/api/portal/workspace/crons";
const DISCORD: &str = "123456789012345678";

async fn friend(p: &TestPortal, body: Value) -> StatusCode {
    let r = p.post("/api/friends", ADMIN, body).await;
    if r.status != StatusCode::CREATED {
        assert!(!r.message().is_empty(), "{}", r.text);
    }
    r.status
}

#[tokio::test]
async fn a_platform_id_belongs_to_one_friend() {
    let p = TestPortal::start().await;
    let alice = json!({"id": "alice", "display_name": "Alice", "discord_id": DISCORD, "signal": "+49 151 2345678"});
    assert_eq!(friend(&p, alice).await, StatusCode::CREATED);
    for taken in [
        json!({"id": "bob", "display_name": "Bob", "discord_id": DISCORD}),
        // The same number, typed another way, on another app.
        json!({"id": "bob", "display_name": "Bob", "whatsapp": "+49-151-234-5678"}),
    ] {
        assert_eq!(friend(&p, taken).await, StatusCode::CONFLICT);
    }
    assert_eq!(
        p.get("/api/friends/bob", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        friend(&p, json!({"id": "bob", "display_name": "Bob"})).await,
        StatusCode::CREATED
    );
    let r = p
        .put("/api/friends/bob", ADMIN, json!({"discord_id": DISCORD}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(r.message().contains("discord_id"), "{}", r.text);
    assert_eq!(
        p.get("/api/friends/bob", ADMIN).await.body["discord_id"],
        Value::Null
    );
    // Alice may keep her own ids when she changes something else, and her number is hers
    // whichever app it is on.
    let r = p
        .put(
            "/api/friends/alice",
            ADMIN,
            json!({"display_name": "Al", "whatsapp": "+49 151 2345678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn a_friend_id_cannot_be_mistaken_for_a_platform_id() {
    let p = TestPortal::start().await;
    for id in [DISCORD, "0151-2345678", "4915123"] {
        let r = p
            .post(
                "/api/friends",
                ADMIN,
                json!({"id": id, "display_name": "X"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{id}: {}",
            r.text
        );
        assert!(r.message().contains("letter"), "{}", r.text);
    }
}

#[tokio::test]
async fn a_job_whose_session_changed_hands_is_not_delivered() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    let alice = json!({"id": "alice", "display_name": "Alice", "discord_id": DISCORD});
    assert_eq!(
        p.post("/api/friends", &agent, alice).await.status,
        StatusCode::CREATED
    );
    p.add_friend(&agent, "bob").await;
    let alice_session = p.session_for(&agent, "alice").await;
    let session = format!("agent:main:discord:direct:{DISCORD}");
    let job = json!({"name": "nudge", "message": "Time to stretch", "cron": "0 9 * * *", "session": session, "tz": "UTC"});
    let r = p.post(CRONS, &alice_session, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // Alice gives up that Discord account; Bob takes it.
    let r = p
        .put(
            "/api/friends/alice",
            ADMIN,
            json!({"discord_id": null, "preferred_channel": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = p
        .put("/api/friends/bob", ADMIN, json!({"discord_id": DISCORD}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let run = p
        .post(&format!("{CRONS}/nudge/run"), &alice_session, json!({}))
        .await;
    assert_eq!(run.body["status"], "failed", "{}", run.text);
    assert!(
        run.body["error"]
            .as_str()
            .unwrap()
            .contains("no longer belongs"),
        "{}",
        run.text
    );

    // The scheduled run at 09:00 is refused the same way.
    let scheduler = &p.server.state.scheduler;
    p.clock.advance(chrono::Duration::hours(23));
    scheduler.run_due(p.clock.now()).await;
    scheduler.settle().await;
    let jobs = p.get(CRONS, &alice_session).await;
    let last = &jobs.body[0]["last_run"];
    assert_eq!(last["status"], "failed", "{}", jobs.text);
    assert_eq!(last["trigger"], "scheduled", "{}", jobs.text);

    let outbox = p.get("/api/admin/outbox", ADMIN).await;
    assert_eq!(
        outbox.body,
        json!([]),
        "nothing reached Bob's chat: {}",
        outbox.text
    );
}
