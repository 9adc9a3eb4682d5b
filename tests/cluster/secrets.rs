//! The secrets endpoints over HTTP, embedded cluster.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN, TestPortal};

pub struct Two {
    pub p: TestPortal,
    pub agent: String,
    pub alice: String,
    pub bob: String,
}

pub async fn two() -> Two {
    two_on(TestPortal::start().await).await
}

pub async fn two_on(p: TestPortal) -> Two {
    let agent = p.add_agent("main").await;
    p.add_friend(&agent, "alice").await;
    p.add_friend(ADMIN, "bob").await;
    let alice = p.session_for(&agent, "alice").await;
    let bob = p.session_for(ADMIN, "bob").await;
    Two {
        p,
        agent,
        alice,
        bob,
    }
}

#[tokio::test]
async fn create_list_reveal_update_delete() {
    let t = two().await;
    let p = &t.p;
    let created = p
        .post(
            "/api/portal/secrets",
            &t.alice,
            json!({"name": "my-api-key", "data": {"API_KEY": "s3cret"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["name"], "my-api-key");
    assert_eq!(created.body["keys"], json!(["API_KEY"]));
    // Timestamps come from the portal's clock (the tests' manual one), not the system's.
    assert_eq!(created.body["created_at"], "2026-03-01T10:00:00Z");
    assert_eq!(created.body["updated_at"], "2026-03-01T10:00:00Z");
    assert!(!created.text.contains("s3cret"));

    let list = p.get("/api/portal/secrets", &t.alice).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(!list.text.contains("s3cret"), "lists never carry values");
    let by_agent = p.get("/api/friends/alice/secrets", &t.agent).await;
    assert_eq!(by_agent.status, StatusCode::OK);
    assert_eq!(by_agent.body[0]["name"], "my-api-key");
    assert!(!by_agent.text.contains("s3cret"));

    let one = p.get("/api/portal/secrets/my-api-key", &t.alice).await;
    assert_eq!(one.body["data"], json!({"API_KEY": "s3cret"}));

    p.clock.advance(chrono::Duration::minutes(5));
    let updated = p
        .put(
            "/api/portal/secrets/my-api-key",
            &t.alice,
            json!({"data": {"API_KEY": "rotated", "EXTRA": "x"}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["keys"], json!(["API_KEY", "EXTRA"]));
    assert_eq!(updated.body["created_at"], "2026-03-01T10:00:00Z");
    assert_eq!(updated.body["updated_at"], "2026-03-01T10:05:00Z");
    assert_eq!(
        p.get("/api/portal/secrets/my-api-key", &t.alice).await.body["data"]["API_KEY"],
        "rotated"
    );
    assert_eq!(
        p.get("/api/portal/me", &t.alice).await.body["stats"]["secrets"],
        1
    );

    assert_eq!(
        p.delete("/api/portal/secrets/my-api-key", &t.alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        p.get("/api/portal/secrets/my-api-key", &t.alice)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.get("/api/portal/me", &t.alice).await.body["stats"]["secrets"],
        0
    );
}

#[tokio::test]
async fn refusals_name_the_rule() {
    let t = two().await;
    let p = &t.p;
    p.post(
        "/api/portal/secrets",
        &t.alice,
        json!({"name": "taken", "data": {"K": "v"}}),
    )
    .await;
    let dup = p
        .post(
            "/api/portal/secrets",
            &t.alice,
            json!({"name": "taken", "data": {"K": "v"}}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    for (body, says) in [
        (json!({"name": "Not_A_Name", "data": {"K": "v"}}), "name:"),
        (json!({"name": "ok", "data": {}}), "at least one key"),
        (
            json!({"name": "ok", "data": {"bad key!": "v"}}),
            "key 'bad key!'",
        ),
        (json!({"name": "ok", "data": {"K": 5}}), "invalid type"),
        (json!({"data": {"K": "v"}}), "missing field `name`"),
    ] {
        let r = p.post("/api/portal/secrets", &t.alice, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
        assert!(r.message().contains(says), "{body}: {}", r.text);
    }
    let big = p
        .post(
            "/api/portal/secrets",
            &t.alice,
            json!({"name": "big", "data": {"K": "x".repeat(1_100_000)}}),
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        p.get("/api/portal/secrets", &t.alice)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing else was created"
    );
}

#[tokio::test]
async fn alice_can_never_reach_bobs_secrets() {
    let t = two().await;
    let p = &t.p;
    p.post(
        "/api/portal/secrets",
        &t.bob,
        json!({"name": "bobs", "data": {"PIN": "1234"}}),
    )
    .await;
    for path in [
        "/api/portal/secrets/bobs",
        "/api/portal/secrets/..%2Fbobs",
        "/api/portal/secrets/friend-bob%2Fbobs",
        "/api/portal/secrets/%2e%2e",
    ] {
        let r = p.get(path, &t.alice).await;
        assert!(matches!(r.status.as_u16(), 404 | 400), "{path}: {}", r.text);
        assert!(!r.text.contains("1234"));
    }
    assert_eq!(
        p.put(
            "/api/portal/secrets/bobs",
            &t.alice,
            json!({"data": {"PIN": "0000"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.delete("/api/portal/secrets/bobs", &t.alice).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(p.get("/api/portal/secrets", &t.alice).await.body, json!([]));
    // The agent has no friendship with bob.
    assert_eq!(
        p.get("/api/friends/bob/secrets", &t.agent).await.status,
        StatusCode::FORBIDDEN
    );
    // Creating a secret of the same name in alice's namespace leaves bob's alone.
    p.post(
        "/api/portal/secrets",
        &t.alice,
        json!({"name": "bobs", "data": {"PIN": "9999"}}),
    )
    .await;
    assert_eq!(
        p.get("/api/portal/secrets/bobs", &t.bob).await.body["data"]["PIN"],
        "1234"
    );
}

#[tokio::test]
async fn system_secrets_are_invisible_and_untouchable() {
    use k8s_openapi::api::core::v1::Secret;
    use kube::api::{Api, ObjectMeta, PostParams};
    let t = two().await;
    let api: Api<Secret> = Api::namespaced(t.p.server.state.cluster.client.clone(), "friend-alice");
    let token = Secret {
        metadata: ObjectMeta {
            name: Some("sa-token".into()),
            ..Default::default()
        },
        type_: Some("kubernetes.io/service-account-token".into()),
        ..Default::default()
    };
    api.create(&PostParams::default(), &token).await.unwrap();
    let opaque = Secret {
        metadata: ObjectMeta {
            name: Some("operators".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    api.create(&PostParams::default(), &opaque).await.unwrap();
    let p = &t.p;
    assert_eq!(p.get("/api/portal/secrets", &t.alice).await.body, json!([]));
    for name in ["sa-token", "operators"] {
        let path = format!("/api/portal/secrets/{name}");
        assert_eq!(p.get(&path, &t.alice).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            p.put(&path, &t.alice, json!({"data": {"x": "y"}}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            p.delete(&path, &t.alice).await.status,
            StatusCode::NOT_FOUND
        );
    }
    assert!(api.get_opt("sa-token").await.unwrap().is_some());
}

#[tokio::test]
async fn secrets_survive_a_restart() {
    let t = two().await;
    t.p.post(
        "/api/portal/secrets",
        &t.alice,
        json!({"name": "keep", "data": {"K": "v"}}),
    )
    .await;
    let Two { p, alice, .. } = t;
    let p = p.restart().await;
    assert_eq!(
        p.get("/api/portal/secrets/keep", &alice).await.body["data"]["K"],
        "v"
    );
}
