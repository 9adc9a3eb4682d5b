//! The command line's arguments: a data dir that is not there is refused, not created;
//! tokens come from a file or the environment as well as from a flag.

use std::process::Command;

use reqwest::Method;

use crate::child::{self, Child};

#[test]
fn agent_commands_refuse_a_data_dir_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-here");
    for args in [
        &["agent", "list"][..],
        &["agent", "add", "main"],
        &["agent", "revoke", "main"],
    ] {
        let out = child::portal(args, &missing);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&missing.display().to_string()) && stderr.contains("does not exist"),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} created the data dir");
    }
}

#[tokio::test]
async fn tokens_come_from_a_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let token = "file-admin-token-0123456789abcdef";
    let file = dir.path().join("admin-token.secret");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let data = dir.path().join("data");
    let server =
        Child::serve_without_token_with(&data, &["--admin-token-file", file.to_str().unwrap()])
            .await;
    let (status, _) = server.call(Method::GET, "/api/agents", token, None).await;
    assert_eq!(status, 200, "the token from the file is the admin token");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid())).unwrap();
    assert!(
        !String::from_utf8_lossy(&cmdline).contains(token),
        "the token is not in the process list"
    );

    let plugin_list = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(child::binary());
        command
            .args(["plugin", "list", "--url", &server.url])
            .args(args)
            .env_remove("PORTAL_ADMIN_TOKEN")
            .env_remove("PORTAL_ADMIN_TOKEN_FILE")
            .env("PORTAL_DATA_DIR", dir.path().join("elsewhere"));
        if let Some(value) = env {
            command.env("PORTAL_ADMIN_TOKEN", value);
        }
        command.output().unwrap()
    };
    let from_file = plugin_list(&["--admin-token-file", file.to_str().unwrap()], None);
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    assert!(String::from_utf8_lossy(&from_file.stdout).contains("secrets"));
    let from_env = plugin_list(&[], Some(token));
    assert!(
        from_env.status.success(),
        "{}",
        String::from_utf8_lossy(&from_env.stderr)
    );
    let twice = plugin_list(&["--admin-token-file", file.to_str().unwrap()], Some(token));
    assert!(!twice.status.success());
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("given twice"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
}
