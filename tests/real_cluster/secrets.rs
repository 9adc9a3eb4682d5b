//! Friends' secrets against the real API server, through the tenant role's rights only.

use reqwest::StatusCode;
use serde_json::json;

use crate::portal::KubePortal;

#[tokio::test]
async fn create_list_read_replace_delete() {
    let p = KubePortal::start().await;
    let f = p.friend("sec").await;
    let created = p
        .post(
            "/api/portal/secrets",
            &f.session,
            json!({"name": "my-api-key", "data": {"API_KEY": "s3cret"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["keys"], json!(["API_KEY"]));
    let stored = p
        .plane
        .get_json(&["secret", "my-api-key", "-n", &f.namespace])
        .expect("the Secret is in the namespace");
    assert_eq!(
        stored["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "friend-portal"
    );
    assert_eq!(stored["type"], "Opaque");

    let dup = p
        .post(
            "/api/portal/secrets",
            &f.session,
            json!({"name": "my-api-key", "data": {"API_KEY": "x"}}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);

    let list = p.get("/api/portal/secrets", &f.session).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.body);
    assert!(!list.body.to_string().contains("s3cret"));
    let one = p.get("/api/portal/secrets/my-api-key", &f.session).await;
    assert_eq!(
        one.body["data"],
        json!({"API_KEY": "s3cret"}),
        "{}",
        one.body
    );

    let replaced = p
        .put(
            "/api/portal/secrets/my-api-key",
            &f.session,
            json!({"data": {"API_KEY": "rotated", "EXTRA": "x"}}),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["keys"], json!(["API_KEY", "EXTRA"]));
    assert_eq!(
        p.get("/api/portal/secrets/my-api-key", &f.session)
            .await
            .body["data"]["API_KEY"],
        "rotated"
    );

    let deleted = p.delete("/api/portal/secrets/my-api-key", &f.session).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert!(
        p.plane
            .get_json(&["secret", "my-api-key", "-n", &f.namespace])
            .is_none()
    );
    assert_eq!(
        p.get("/api/portal/secrets/my-api-key", &f.session)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_secret_the_portal_did_not_label_is_invisible_and_untouchable() {
    let p = KubePortal::start().await;
    let f = p.friend("unlab").await;
    p.plane.admin(&[
        "create",
        "secret",
        "generic",
        "operators",
        "-n",
        &f.namespace,
        "--from-literal=PASSWORD=hunter2",
    ]);
    let list = p.get("/api/portal/secrets", &f.session).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body, json!([]));
    let path = "/api/portal/secrets/operators";
    let read = p.get(path, &f.session).await;
    assert_eq!(read.status, StatusCode::NOT_FOUND, "{}", read.body);
    assert!(!read.body.to_string().contains("hunter2"));
    assert_eq!(
        p.put(path, &f.session, json!({"data": {"PASSWORD": "x"}}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.delete(path, &f.session).await.status,
        StatusCode::NOT_FOUND
    );
    let still = p
        .plane
        .get_json(&["secret", "operators", "-n", &f.namespace])
        .expect("left alone");
    assert_eq!(still["data"]["PASSWORD"], "aHVudGVyMg==");
}
