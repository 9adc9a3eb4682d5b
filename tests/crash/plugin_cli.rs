//! `portal plugin install|list|rollback` against a running portal.

use crate::child::{self, ADMIN, Child};

fn plugin(args: &[&str], url: &str) -> (bool, String, String) {
    let out = std::process::Command::new(child::binary())
        .arg("plugin")
        .args(args)
        .args(["--url", url, "--admin-token", ADMIN])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn install_list_and_rollback_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // The hello fixture is routed by the tests' policy only.
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/policies");
    let server = Child::serve_with(dir.path(), &["--policies-dir", policies]).await;
    let (ok, out, err) = plugin(&["list"], &server.url);
    assert!(ok, "{err}");
    assert!(out.contains("hello"), "{out}");

    let hello2 = std::path::Path::new(env!("PORTAL_PLUGIN_DIR")).join("hello2.wasm");
    let (ok, out, err) = plugin(&["install", "hello", hello2.to_str().unwrap()], &server.url);
    assert!(ok, "{err}");
    assert!(out.starts_with("hello: ") && out.contains("(was "), "{out}");

    let (ok, out, err) = plugin(&["rollback", "hello"], &server.url);
    assert!(ok, "{err}");
    assert!(out.contains("back to"), "{out}");
    let (ok, _, err) = plugin(&["rollback", "hello"], &server.url);
    assert!(!ok, "nothing left to roll back");
    assert!(err.contains("409"), "{err}");

    let greedy = std::path::Path::new(env!("PORTAL_PLUGIN_DIR")).join("greedy.wasm");
    let (ok, _, err) = plugin(
        &["install", "secrets", greedy.to_str().unwrap()],
        &server.url,
    );
    assert!(!ok);
    assert!(
        err.contains("422") && err.contains("friend:portal/kv@0.1.0"),
        "{err}"
    );
}
