//! Link-time grants: a component importing what its policy does not grant is refused at
//! load, at start-up and on upload, with an error that names the interface and the grant.

use reqwest::StatusCode;

use crate::World;
use crate::support::{ADMIN, config_for, fixture};

#[tokio::test]
async fn greedy_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        policies.join("plugins.toml"),
        "[plugins.greedy]\ncomponent = \"builtin:greedy\"\ngrants = [\"log\"]\n\n[[plugins.greedy.routes]]\nmethod = \"GET\"\npath = \"/api/portal/greedy\"\nname = \"greedy\"\ncallers = [\"friend\"]\n",
    )
    .unwrap();
    let mut config = config_for(&dir.path().join("data"));
    config.policies = portal::policy::PolicySource::Dir(policies);
    let clock = std::sync::Arc::new(portal::clock::SystemClock);
    let error = portal::server::build_state(config, clock)
        .await
        .err()
        .expect("greedy must not load")
        .to_string();
    assert!(error.contains("plugins.toml"), "names the file: {error}");
    assert!(error.contains("plugins.greedy"), "names the entry: {error}");
    assert!(
        error.contains("friend:portal/kv@0.1.0"),
        "names the interface: {error}"
    );
    assert!(
        error.contains(r#"add "kv" to plugins.greedy.grants"#),
        "names the grant: {error}"
    );
}

#[tokio::test]
async fn an_invalid_policy_stops_the_start_naming_file_entry_and_problem() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        policies.join("plugins.toml"),
        "[plugins.x]\ncomponent = \"builtin:hello\"\ndeadline_ms = 0\n",
    )
    .unwrap();
    let mut config = config_for(&dir.path().join("data"));
    config.policies = portal::policy::PolicySource::Dir(policies.clone());
    let error =
        portal::server::build_state(config, std::sync::Arc::new(portal::clock::SystemClock))
            .await
            .err()
            .unwrap()
            .to_string();
    assert!(
        error.starts_with(&policies.join("plugins.toml").display().to_string()),
        "{error}"
    );
    assert!(
        error.contains("plugins.x.deadline_ms: must be 1-60000"),
        "{error}"
    );
}

#[tokio::test]
async fn greedy_is_refused_on_upload_and_nothing_changes() {
    let w = World::new().await;
    let before = w.p.get("/api/admin/plugins", ADMIN).await;
    let r = w.upload("crash", fixture("greedy")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.message().contains("friend:portal/kv@0.1.0"), "{}", r.text);
    assert!(
        r.message().contains(r#"add "kv" to plugins.crash.grants"#),
        "{}",
        r.text
    );
    assert_eq!(
        w.p.get("/api/admin/plugins", ADMIN).await.body[0]["version"],
        before.body[0]["version"]
    );
    assert_eq!(
        w.p.get("/api/portal/fixtures/crash", &w.alice).await.code(),
        "plugin_failed",
        "the old version still serves"
    );
}

#[tokio::test]
async fn uploads_that_are_not_components_are_refused() {
    let w = World::new().await;
    let cases: [(&[u8], &str); 3] = [
        (b"definitely not wasm", "WebAssembly header"),
        (b"\0asm\x01\0\0\0", "core module"),
        (b"\0asm\x0d\0\x01\0\xff\xff", "not a WebAssembly component"),
    ];
    for (bytes, says) in cases {
        let r = w.upload("hello", bytes.to_vec()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.message().contains(says), "{says}: {}", r.text);
    }
    let unknown = w.upload("nope", fixture("hello2")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let by_agent =
        w.p.http
            .put(w.p.url("/api/admin/plugins/hello"))
            .bearer_auth(&w.agent)
            .body(fixture("hello2"))
            .send()
            .await
            .unwrap();
    assert_eq!(by_agent.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        w.p.get("/api/portal/hello", &w.alice).await.body["version"],
        "v1"
    );
}
