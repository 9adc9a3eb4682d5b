//! README's quick start runs verbatim: `cargo run --release -- serve` (and `just run`, which
//! runs the same) needs exactly one binary among the workspace's default members, or cargo
//! stops with "could not determine which binary to run". Read from `cargo metadata`, so no
//! build is needed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn metadata() -> Value {
    // Cargo sets CARGO for the tests it runs; the same cargo (and toolchain) answers.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(REPO)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The binaries `cargo run` (no `-p`, no `--bin`) chooses from: those of the default members.
fn default_binaries(meta: &Value) -> Vec<String> {
    let defaults: Vec<&str> = meta["workspace_default_members"]
        .as_array()
        .expect("workspace_default_members (cargo 1.71+)")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut bins = Vec::new();
    for package in meta["packages"].as_array().expect("packages") {
        let id = package["id"].as_str().unwrap_or_default();
        if !defaults.contains(&id) {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if is_bin {
                bins.push(target["name"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    bins
}

#[test]
fn cargo_run_has_exactly_one_binary_to_run_and_it_is_the_portal() {
    let bins = default_binaries(&metadata());
    assert_eq!(
        bins,
        ["portal"],
        "`cargo run --release -- serve` must find one binary among the default members"
    );
}

#[test]
fn readme_and_just_run_use_that_command() {
    let repo = Path::new(REPO);
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README.md");
    assert!(
        readme.contains("cargo run --release -- serve"),
        "README's quick start names the command this file checks"
    );
    let justfile = std::fs::read_to_string(repo.join("justfile")).expect("justfile");
    let run = justfile
        .split("\nrun ")
        .nth(1)
        .expect("a `run` recipe in the justfile");
    let body: Vec<&str> = run
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with(' ') || l.starts_with('\t'))
        .map(str::trim)
        .collect();
    assert_eq!(
        body,
        ["cargo run --release -- serve {{ARGS}}"],
        "`just run` runs README's command (no -p or --bin of its own to drift)"
    );
}
