use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

#[tokio::test]
async fn create_get_update_delete() {
    let p = TestPortal::start().await;
    let agent = p.add_agent("main").await;
    let created = p
        .post(
            "/api/friends",
            &agent,
            json!({"id": "alice", "display_name": "Alice", "discord_id": "123456789012345678",
                   "signal": "+1-555-0100", "whatsapp": "+1-555-0100", "preferred_channel": "signal"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["namespace"], "friend-alice");
    assert_eq!(created.body["agents"][0]["agent_id"], "main");

    let profile = p.dir.path().join("workspace/friends/alice/profile.json");
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(on_disk["display_name"], "Alice");
    assert_eq!(on_disk["namespace"], "friend-alice");

    let got = p.get("/api/friends/alice", &agent).await;
    assert_eq!(got.body["signal"], "+1-555-0100");
    assert_eq!(got.body["agents"][0]["display_name"], "Agent main");

    let updated = p
        .put(
            "/api/friends/alice",
            &agent,
            json!({"display_name": "Alice L.", "preferred_channel": "discord"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["display_name"], "Alice L.");
    assert_eq!(
        updated.body["signal"], "+1-555-0100",
        "fields not sent are kept"
    );
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(on_disk["display_name"], "Alice L.");

    // null clears a platform id
    let cleared = p
        .put("/api/friends/alice", &agent, json!({"whatsapp": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.body.get("whatsapp").is_none());

    assert_eq!(
        p.delete("/api/friends/alice", &agent).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        p.get("/api/friends/alice", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_id_and_display_name_are_required() {
    let p = TestPortal::start().await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "bob", "display_name": "Bob"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(
        r.body["agents"],
        json!([]),
        "an admin-created friend has no agent yet"
    );
    let missing = p.post("/api/friends", ADMIN, json!({"id": "carol"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.message().contains("display_name"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn each_validation_rule_names_its_field() {
    let p = TestPortal::start().await;
    let cases = [
        (json!({"id": "Alice", "display_name": "A"}), "id"),
        (json!({"id": "-alice", "display_name": "A"}), "id"),
        (json!({"id": "a".repeat(33), "display_name": "A"}), "id"),
        (json!({"id": "../etc", "display_name": "A"}), "id"),
        (json!({"id": "alice", "display_name": ""}), "display_name"),
        (
            json!({"id": "alice", "display_name": "x".repeat(101)}),
            "display_name",
        ),
        (
            json!({"id": "alice", "display_name": "A", "discord_id": "12345"}),
            "discord_id",
        ),
        (
            json!({"id": "alice", "display_name": "A", "signal": "call me"}),
            "signal",
        ),
        (
            json!({"id": "alice", "display_name": "A", "whatsapp": "+1 (555)"}),
            "whatsapp",
        ),
        (
            json!({"id": "alice", "display_name": "A", "preferred_channel": "signal"}),
            "preferred_channel",
        ),
        (
            json!({"id": "alice", "display_name": "A", "signal": "+15550100", "preferred_channel": "carrier-pigeon"}),
            "preferred_channel",
        ),
        (
            json!({"id": "alice", "display_name": "A", "nickname": "Al"}),
            "nickname",
        ),
    ];
    for (body, field) in cases {
        let r = p.post("/api/friends", ADMIN, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(r.message().contains(field), "{body}: {}", r.text);
    }
    assert_eq!(
        p.get("/api/friends", ADMIN).await.body,
        json!([]),
        "nothing was created"
    );

    p.add_friend(ADMIN, "alice").await;
    let r = p
        .put(
            "/api/friends/alice",
            ADMIN,
            json!({"discord_id": "not-a-snowflake"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.get("/api/friends/alice", ADMIN)
            .await
            .body
            .get("discord_id")
            .is_none(),
        "a refused update changes nothing"
    );
}

#[tokio::test]
async fn duplicate_id_is_a_conflict() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "alice", "display_name": "Another"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        p.get("/api/friends/alice", ADMIN).await.body["display_name"],
        "ALICE"
    );
}

#[tokio::test]
async fn agents_see_only_their_friends() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    p.add_friend(&main, "alice").await;
    p.add_friend(&other, "bob").await;

    let list = p.get("/api/friends", &main).await;
    let ids: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["alice"]);
    assert_eq!(
        p.get("/api/friends", ADMIN)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(
        p.get("/api/friends/bob", &main).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.put("/api/friends/bob", &main, json!({"display_name": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.delete("/api/friends/bob", &main).await.status,
        StatusCode::FORBIDDEN
    );
    // A friend that does not exist reads to an agent as one that is not theirs.
    assert_eq!(
        p.get("/api/friends/nobody", &main).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.get("/api/friends/nobody", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );

    // The admin can introduce an agent to an existing friend.
    let linked = p
        .send(
            reqwest::Method::PUT,
            "/api/friends/bob/agents/main",
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.text);
    assert_eq!(
        p.get("/api/friends/bob", &main).await.status,
        StatusCode::OK
    );
    assert_eq!(
        p.delete("/api/friends/bob/agents/main", ADMIN).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        p.get("/api/friends/bob", &main).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn friends_cannot_use_the_friends_api() {
    let p = TestPortal::start().await;
    p.add_friend(ADMIN, "alice").await;
    let session = p.session_for(ADMIN, "alice").await;
    assert_eq!(
        p.get("/api/friends", &session).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.get("/api/friends/alice", &session).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.post(
            "/api/friends",
            &session,
            json!({"id": "eve", "display_name": "Eve"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        p.get("/api/admin/audit", &session).await.status,
        StatusCode::FORBIDDEN
    );
}

fn ids(reply: &crate::support::Reply) -> Vec<String> {
    reply
        .body
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|f| f["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The `rel="next"` target of a `Link` header, if any.
fn next_page(reply: &crate::support::Reply) -> Option<String> {
    let link = reply.headers.get("link")?.to_str().ok()?;
    assert!(link.ends_with(r#">; rel="next""#), "{link}");
    Some(link.strip_prefix('<')?.split('>').next()?.to_owned())
}

#[tokio::test]
async fn the_list_pages_in_id_order_by_following_next_links() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    for id in ["erin", "alice", "dave", "carol", "bob"] {
        p.add_friend(&main, id).await;
    }
    p.add_friend(&other, "zed").await;

    // Without a limit, every friend at once and no link: the spec's shape.
    let all = p.get("/api/friends", ADMIN).await;
    assert_eq!(ids(&all), ["alice", "bob", "carol", "dave", "erin", "zed"]);
    assert_eq!(next_page(&all), None);

    for (caller, expected) in [
        (ADMIN, vec!["alice", "bob", "carol", "dave", "erin", "zed"]),
        (main.as_str(), vec!["alice", "bob", "carol", "dave", "erin"]),
    ] {
        let mut seen = Vec::new();
        let mut pages = 0;
        let mut next = Some("/api/friends?limit=2".to_owned());
        while let Some(path) = next {
            let page = p.get(&path, caller).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
            assert!(ids(&page).len() <= 2);
            seen.extend(ids(&page));
            next = next_page(&page);
            pages += 1;
        }
        assert_eq!(seen, expected, "pages of two, as {caller}");
        assert_eq!(pages, expected.len().div_ceil(2));
    }

    // `after` need not name an existing friend: it is a position.
    assert_eq!(
        ids(&p.get("/api/friends?limit=10&after=c", ADMIN).await),
        ["carol", "dave", "erin", "zed"]
    );
    assert_eq!(
        ids(&p.get("/api/friends?after=dave", &main).await),
        ["erin"]
    );
    for bad in ["limit=0", "limit=1001", "limit=-1", "limit=two"] {
        let r = p.get(&format!("/api/friends?{bad}"), ADMIN).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{bad}: {} {}",
            r.status,
            r.text
        );
        assert!(r.text.contains("limit"), "{bad}: {}", r.text);
    }
}

/// The quick start's path: an admin creates the friend with `agent_id`, and the friend's
/// portal shows that agent at once (no separate PUT .../agents/:agent_id).
#[tokio::test]
async fn an_admin_creates_a_friend_with_their_agent() {
    let p = TestPortal::start().await;
    let main = p.add_agent("main").await;
    let other = p.add_agent("other").await;
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "alice", "display_name": "Alice", "agent_id": "main"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["agents"][0]["agent_id"], "main");
    let token = p.session_for(ADMIN, "alice").await;
    let agents = p.get("/api/portal/agents", &token).await;
    assert_eq!(agents.body[0]["agent_id"], "main", "{}", agents.text);
    assert_eq!(
        p.get("/api/friends/alice", &main).await.status,
        StatusCode::OK,
        "the agent may act for its new friend"
    );

    // An agent that is not registered: 422 naming the field, and no friend.
    let r = p
        .post(
            "/api/friends",
            ADMIN,
            json!({"id": "bob", "display_name": "Bob", "agent_id": "ghost"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().contains("agent_id"), "{}", r.text);
    assert_eq!(
        p.get("/api/friends/bob", ADMIN).await.status,
        StatusCode::NOT_FOUND
    );

    // An agent makes friendships for itself only.
    let r = p
        .post(
            "/api/friends",
            &other,
            json!({"id": "carol", "display_name": "Carol", "agent_id": "main"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = p
        .post(
            "/api/friends",
            &other,
            json!({"id": "carol", "display_name": "Carol", "agent_id": "other"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
