//! Rule: operations of several steps leave no gap another request can use. Each test holds
//! an operation between its steps (the store's pause points), makes the competing request
//! in the gap, lets the operation finish, and checks that nothing outlived what it should.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::support::{ADMIN, Reply, TestPortal, reply};

const CRONS: &str = "/api/portal/workspace/crons";

/// Sends a request in the background, so the test can act while the server holds it.
fn spawn_request(p: &TestPortal, method: Method, path: &str, token: &str) -> JoinHandle<Reply> {
    let request = p.http.request(method, p.url(path)).bearer_auth(token);
    tokio::spawn(async move { reply(request.send().await.unwrap()).await })
}

/// Opens a link as a browser does; the new session's token when it worked.
async fn exchange(p: &TestPortal, link: &str) -> Option<String> {
    let r = p.exchange(link).await;
    (r.status == StatusCode::CREATED).then(|| r.body["session_token"].as_str().unwrap().to_owned())
}

async fn works(p: &TestPortal, token: &str) -> bool {
    p.get("/api/portal/me", token).await.status == StatusCode::OK
}

#[tokio::test]
async fn a_link_opened_while_it_is_being_ended_leaves_no_live_session_behind_an_ended_link() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let alice = p.session_for(&agent, "alice").await;
    let link = p.link_for(&agent, "alice").await;
    let listed = p.get("/api/portal/sessions", &alice).await;
    let link_id = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "link")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .expect("the unopened link is listed");

    let mut gate = p.server.state.store.pause_next("revoke_session");
    let end = spawn_request(
        &p,
        Method::DELETE,
        &format!("/api/portal/sessions/{link_id}"),
        &alice,
    );
    gate.reached().await;
    let opened = exchange(&p, &link).await;
    gate.release();
    let end = end.await.unwrap();

    let opened_works = match &opened {
        Some(token) => works(&p, token).await,
        None => false,
    };
    assert!(
        !(end.status == StatusCode::NO_CONTENT && opened_works),
        "the link was reported ended ({}), yet the session opened from it works",
        end.status
    );
    // Either way the link is spent or ended: it opens nothing more.
    assert_eq!(exchange(&p, &link).await, None);
}

#[tokio::test]
async fn a_session_opened_while_its_friend_is_deleted_dies_with_the_friend() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let link = p.link_for(&agent, "alice").await;

    let mut gate = p.server.state.store.pause_next("friend_sessions_listed");
    let delete = spawn_request(&p, Method::DELETE, "/api/friends/alice?purge=true", ADMIN);
    gate.reached().await;
    let opened = exchange(&p, &link).await;
    gate.release();
    let r = delete.await.unwrap();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    // A new friend is given the id.
    p.add_friend(&agent, "alice").await;
    if let Some(token) = opened {
        assert!(
            !works(&p, &token).await,
            "a session of the deleted alice works for the new alice"
        );
    }
}

#[tokio::test]
async fn a_purged_friends_jobs_and_files_never_reach_the_next_friend_given_the_id() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    let alice = p.session_for(&agent, "alice").await;
    let job = json!({"name": "old-alice", "message": "old alice's reminder", "cron": "0 9 * * *",
        "session": "agent:main:direct:channel:alice"});
    let r = p.post(CRONS, &alice, job).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let memory = json!({"content": "old alice's private memory"});
    let r = p.put("/api/portal/workspace/memory", &alice, memory).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let mut gate = p.server.state.store.pause_next("friend_deleted");
    let delete = spawn_request(&p, Method::DELETE, "/api/friends/alice?purge=true", ADMIN);
    gate.reached().await;
    // In the gap: a new friend with the id, looked at by the admin.
    let new = json!({"id": "alice", "display_name": "New Alice"});
    let made_in_gap = p.post("/api/friends", ADMIN, new.clone()).await;
    let in_gap = inherited(&p).await;
    gate.release();
    let r = delete.await.unwrap();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    if made_in_gap.status == StatusCode::CREATED {
        assert_eq!(
            in_gap,
            Vec::<String>::new(),
            "the new alice saw the old one's"
        );
    } else {
        assert_eq!(
            made_in_gap.status,
            StatusCode::CONFLICT,
            "{}",
            made_in_gap.text
        );
        let r = p.post("/api/friends", ADMIN, new).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(inherited(&p).await, Vec::<String>::new());
}

/// What the friend now called alice can see of the old alice's jobs and memory.
async fn inherited(p: &TestPortal) -> Vec<String> {
    let mut found = Vec::new();
    let jobs = p.get("/api/friends/alice/workspace/crons", ADMIN).await;
    if jobs.text.contains("old alice") {
        found.push(format!("jobs: {}", jobs.text));
    }
    let memory = p.get("/api/friends/alice/workspace/memory", ADMIN).await;
    if memory.body["content"]
        .as_str()
        .is_some_and(|c| c.contains("old alice"))
    {
        found.push(format!("memory: {}", memory.text));
    }
    found
}

#[tokio::test]
async fn a_friendship_made_while_its_friend_is_deleted_dies_with_the_friend() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    let ops = p.add_agent("ops").await;
    p.add_friend(&agent, "alice").await;

    let mut gate = p.server.state.store.pause_next("friend_agents_listed");
    let delete = spawn_request(&p, Method::DELETE, "/api/friends/alice?purge=true", ADMIN);
    gate.reached().await;
    // In the gap: the admin introduces another agent to alice.
    let linked = p
        .send(
            Method::PUT,
            "/api/friends/alice/agents/ops",
            Some(ADMIN),
            None,
        )
        .await;
    gate.release();
    let r = delete.await.unwrap();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert!(
        linked.status.is_success() || linked.status == StatusCode::NOT_FOUND,
        "{}",
        linked.text
    );

    // A new friend is given the id, with no agent: ops is not theirs.
    let new = json!({"id": "alice", "display_name": "New Alice"});
    let r = p.post("/api/friends", ADMIN, new).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = p.get("/api/friends/alice", &ops).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the old alice's new friendship passed to the new alice: {}",
        r.text
    );
}
