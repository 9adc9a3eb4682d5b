//! The browser tests of the portal page as a cargo test target, so that the README's single
//! `cargo test --workspace` runs them too: `bash tests/browser/run.sh` from the repository
//! root against the `portal` binary cargo just built. run.sh installs what is missing
//! (playwright-core, Debian's Chromium) or fails saying what is missing, so a machine without
//! a browser fails this test rather than skipping it.
//!
//! The script's output is streamed as it comes, and the node test runner's summary is
//! printed again at the end. BROWSER_TEST_TIMEOUT_SECS (default 900) bounds the whole run.

#[path = "../support/script.rs"]
mod script;

use std::io::Write;

/// The lines of node's test summary.
const SUMMARY: &[&str] = &[
    "tests ",
    "suites ",
    "pass ",
    "fail ",
    "cancelled ",
    "skipped ",
    "todo ",
    "duration_ms ",
];

#[test]
fn portal_page_in_chromium() {
    let timeout = script::timeout_from_env("BROWSER_TEST_TIMEOUT_SECS", 900);
    let run = script::run("tests/browser/run.sh", &[], timeout);
    let summary: Vec<&str> = run
        .lines
        .iter()
        .map(String::as_str)
        .filter(|l| {
            SUMMARY
                .iter()
                .any(|p| l.trim_start_matches(['ℹ', '#', ' ']).starts_with(p))
        })
        .collect();
    // Straight to stdout, past the test harness's capture, so CI logs show it.
    let _ = writeln!(
        std::io::stdout().lock(),
        "\nbrowser tests finished in {:.1} s; node test summary:\n{}",
        run.elapsed.as_secs_f64(),
        if summary.is_empty() {
            "(none: node --test did not get to run)".to_owned()
        } else {
            summary.join("\n")
        }
    );
    run.assert_success("tests/browser/run.sh", 40);
}
