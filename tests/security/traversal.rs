//! Path traversal in every name parameter: never a 5xx, never a 2xx for a name no rule
//! allows, never another friend's data, never a file outside the data dir.

use std::path::Path;

use reqwest::Method;

use crate::leaks::{alice_intact, describe, leak};
use crate::routes::{self, Caller, Kind};
use crate::world::World;

const SENTINEL: &str = "pwned-q4";

fn evil_names() -> Vec<String> {
    vec![
        "..".into(),
        "%2e%2e".into(),
        "%2F".into(),
        "a%2Fb".into(),
        "%00".into(),
        format!("..%2F..%2F..%2F{SENTINEL}"),
        format!("%2e%2e%2f%2e%2e%2f%2e%2e%2f{SENTINEL}"),
        format!("..%5C..%5C{SENTINEL}"),
        format!("{SENTINEL}%00.md"),
        "%ff%fe".into(),
        "a".repeat(10_000),
    ]
}

#[tokio::test]
async fn traversal_in_every_name_parameter() {
    let w = World::new().await;
    let evil = evil_names();
    let mut failures = Vec::new();
    let mut cases = 0;
    for route in routes::all().iter().filter(|r| !r.params().is_empty()) {
        // Every allowed kind of caller, acting for alice (other parameters filled as usual).
        let callers: Vec<Caller> = [
            (Kind::Friend, Caller::Alice),
            (Kind::Agent, Caller::Agent),
            (Kind::Admin, Caller::Admin),
        ]
        .into_iter()
        .filter(|(k, _)| route.callers.contains(k))
        .map(|(_, c)| c)
        .collect();
        for param in route.params() {
            for name in &evil {
                for &caller in &callers {
                    let path = route.fill(&w, &w.alice_m, Some((param, name)));
                    let body = route.body_for("alice");
                    let r = w
                        .call(
                            &route.method,
                            &path,
                            caller.auth(&w).as_deref(),
                            body.as_ref(),
                        )
                        .await;
                    cases += 1;
                    let shown = describe(caller, &route.method, &path, &r);
                    if std::env::var_os("SECURITY_VERBOSE").is_some() {
                        eprintln!("{shown}");
                    }
                    if r.status.is_server_error() && !route.fixture {
                        failures.push(format!(":{param} -> 5xx: {shown}"));
                    }
                    // hello's :word and :key are free text by design.
                    if r.status.is_success() && !route.fixture {
                        failures.push(format!(":{param} accepted: {shown}"));
                    }
                    if let Some(why) = leak(&w, caller, "", &path, &r) {
                        failures.push(format!(":{param} leaks {why}: {shown}"));
                    }
                    if r.text.contains(&w.bob_m.memory) || r.text.contains(&w.bob_m.secret_name) {
                        failures.push(format!(":{param} shows bob's data: {shown}"));
                    }
                }
            }
        }
    }
    // The portal page's catch-all path reads embedded files, never the disk.
    for path in [
        "/portal/..%2F..%2FCargo.toml",
        "/portal/%2e%2e/%2e%2e/Cargo.toml",
        "/portal/..%2F..%2Fhost%2FCargo.toml",
        "/portal/%2Fetc%2Fpasswd",
    ] {
        let r = w.call(&Method::GET, path, None, None).await;
        cases += 1;
        if r.status.is_success()
            || r.status.is_server_error()
            || r.text.contains("[package]")
            || r.text.contains("root:")
        {
            failures.push(format!(
                "portal page: {}",
                describe(Caller::NoToken, &Method::GET, path, &r)
            ));
        }
    }
    eprintln!("traversal: {cases} requests");

    failures.extend(alice_intact(&w, &w.alice_m).await);
    failures.extend(alice_intact(&w, &w.bob_m).await);
    failures.extend(files_outside(&w));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Files that appeared outside the data dir, or in the workspace outside a known friend's folder.
fn files_outside(w: &World) -> Vec<String> {
    let mut wrong = Vec::new();
    let root = w.p.dir.path();
    for entry in walk(root) {
        let inside = entry.starts_with(&w.data_dir) || entry == root.join("outer");
        if !inside {
            wrong.push(format!("a file outside the data dir: {}", entry.display()));
        }
        if entry
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(SENTINEL))
        {
            wrong.push(format!(
                "a file named after the traversal payload: {}",
                entry.display()
            ));
        }
    }
    for ancestor in w.data_dir.ancestors() {
        if ancestor.join(SENTINEL).exists() {
            wrong.push(format!("{} exists", ancestor.join(SENTINEL).display()));
        }
    }
    let friends = w.data_dir.join("workspace").join("friends");
    // `.deleted` holds the folders of deleted friends (zed was deleted once).
    let known = [
        "alice", "x-alice", "carol", "dave", "erin", "zed", ".deleted",
    ];
    match std::fs::read_dir(&friends) {
        Ok(dir) => {
            for entry in dir.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !known.contains(&name.as_str()) {
                    wrong.push(format!(
                        "an unknown folder in the workspace: {}",
                        entry.path().display()
                    ));
                }
            }
        }
        Err(e) => wrong.push(format!("no workspace at {}: {e}", friends.display())),
    }
    let workspace = w.data_dir.join("workspace");
    if let Ok(dir) = std::fs::read_dir(&workspace) {
        for entry in dir.flatten() {
            if entry.file_name() != "friends" {
                wrong.push(format!(
                    "an unexpected entry in the workspace root: {}",
                    entry.path().display()
                ));
            }
        }
    }
    wrong
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}
