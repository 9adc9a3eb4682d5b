//! The schemathesis fuzzing of the API as a cargo test target, so that the README's single
//! `cargo test --workspace` runs it too, with a small bound: `bash tests/fuzz/run.sh` from
//! the repository root against the `portal` binary cargo just built. run.sh installs
//! schemathesis (pinned, in target/fuzz-venv) when it is missing, or fails saying why.
//!
//! FUZZ_MAX_EXAMPLES (default here 50 per operation and phase) sets the bound; `just fuzz`
//! runs 200. FUZZ_TEST_TIMEOUT_SECS (default 900) bounds the whole run. The script's output
//! is streamed as it comes, and its summary is printed again at the end.

#[path = "../support/script.rs"]
mod script;

use std::io::Write;

#[test]
fn schemathesis_finds_nothing() {
    let examples = std::env::var("FUZZ_MAX_EXAMPLES").unwrap_or_else(|_| "50".into());
    let timeout = script::timeout_from_env("FUZZ_TEST_TIMEOUT_SECS", 900);
    let run = script::run(
        "tests/fuzz/run.sh",
        &[("FUZZ_MAX_EXAMPLES", &examples)],
        timeout,
    );
    let summary: Vec<&str> = run
        .lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("fuzz: ") && !l.starts_with("fuzz: ==="))
        .collect();
    // Straight to stdout, past the test harness's capture, so CI logs show it.
    let _ = writeln!(
        std::io::stdout().lock(),
        "\nfuzzing ({examples} examples per operation and phase) finished in {:.1} s:\n{}",
        run.elapsed.as_secs_f64(),
        summary.join("\n")
    );
    run.assert_success("tests/fuzz/run.sh", 60);
}
