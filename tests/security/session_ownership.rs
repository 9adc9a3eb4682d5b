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

/// A job's session key names an agent and a contact: both must be the friend's own, for
/// a friend, an agent and the admin alike, on create and on edit.
#[tokio::test]
async fn every_part_of_a_session_key_is_the_friends_own_for_every_caller() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let ops = p.add_agent("ops").await;
    p.add_friend(&main, "alice").await;
    p.add_friend(&ops, "bob").await;
    let alice = p.session_for(&main, "alice").await;
    let job = |name: &str, session: &str| json!({"name": name, "message": "hello", "cron": "0 9 * * *", "session": session});
    let foreign = [
        // An agent alice has no friendship with, or none at all.
        "agent:ops:direct:channel:alice",
        "agent:nobody:direct:channel:alice",
        "agent:ops:direct:channel:bob",
        // No agent named.
        "alice",
        "agent:main:direct:channel:bob",
        "agent:main:direct:channel:alice:x",
    ];
    let admin_path = "/api/friends/alice/workspace/crons";
    for (i, (token, path)) in [
        (alice.as_str(), CRONS),
        (ADMIN, admin_path),
        (main.as_str(), admin_path),
    ]
    .into_iter()
    .enumerate()
    {
        for session in foreign {
            let r = p.post(path, token, job("foreign", session)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{i} {session}: {}", r.text);
        }
        let name = format!("own-{i}");
        let r = p
            .post(path, token, job(&name, "agent:main:direct:channel:alice"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{i}: {}", r.text);
        let one = format!("{path}/{name}");
        let change = json!({"message": "m", "cron": "0 9 * * *", "tz": "UTC",
                            "session": "agent:ops:direct:channel:alice"});
        let r = p.put(&one, token, change).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{i}: {}", r.text);
        let r = p.get(&one, token).await;
        assert_eq!(
            r.body["session"], "agent:main:direct:channel:alice",
            "{}",
            r.text
        );
    }
}

/// A friendship ended after a job was made: the job's runs stop, each recorded as failed
/// saying why.
#[tokio::test]
async fn a_job_whose_agent_is_no_longer_the_friends_is_not_delivered() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    p.add_friend(&main, "alice").await;
    let alice = p.session_for(&main, "alice").await;
    let job = json!({"name": "nudge", "message": "Stretch", "cron": "0 9 * * *",
        "session": "agent:main:direct:channel:alice", "tz": "UTC"});
    let r = p.post(CRONS, &alice, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = p.delete("/api/friends/alice/agents/main", ADMIN).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let run = p
        .post(&format!("{CRONS}/nudge/run"), &alice, json!({}))
        .await;
    assert_eq!(run.body["status"], "failed", "{}", run.text);
    let error = run.body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no longer one of your agents"),
        "{}",
        run.text
    );

    let scheduler = &p.server.state.scheduler;
    p.clock.advance(chrono::Duration::hours(23));
    scheduler.run_due(p.clock.now()).await;
    scheduler.settle().await;
    let jobs = p.get(CRONS, &alice).await;
    let last = &jobs.body[0]["last_run"];
    assert_eq!(last["status"], "failed", "{}", jobs.text);
    assert_eq!(last["trigger"], "scheduled", "{}", jobs.text);
    let outbox = p.get("/api/admin/outbox", ADMIN).await;
    assert_eq!(outbox.body, json!([]), "{}", outbox.text);
}

/// A Discord id and a phone number are different things even when their digits agree:
/// a session key's channel says which of the friend's ids its last part must be, and a
/// phone number is international (E.164: '+', then 8 to 15 digits).
#[tokio::test]
async fn platform_ids_match_only_on_their_own_channel() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let alice = json!({"id": "alice", "display_name": "Alice", "discord_id": DISCORD});
    assert_eq!(
        p.post("/api/friends", &main, alice).await.status,
        StatusCode::CREATED
    );
    for number in [DISCORD, "5550100", "+0 555 0100", "+1234567"] {
        let bob = json!({"id": "bob", "display_name": "Bob", "signal": number});
        let r = p.post("/api/friends", &main, bob).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{number}: {}",
            r.text
        );
        assert!(r.message().starts_with("signal:"), "{}", r.text);
    }
    let bob = json!({"id": "bob", "display_name": "Bob", "signal": "+49 151 2345679"});
    assert_eq!(
        p.post("/api/friends", &main, bob).await.status,
        StatusCode::CREATED
    );
    let bob = p.session_for(&main, "bob").await;
    let job = |name: &str, session: &str| json!({"name": name, "message": "hello", "cron": "0 9 * * *", "session": session});
    for session in [
        "agent:main:discord:direct:+491512345679",
        "agent:main:whatsapp:direct:+491512345679",
        &format!("agent:main:discord:direct:{DISCORD}"),
    ] {
        let r = p.post(CRONS, &bob, job("wrong", session)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{session}: {}", r.text);
    }
    let r = p
        .post(
            CRONS,
            &bob,
            job("right", "agent:main:signal:direct:+491512345679"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
