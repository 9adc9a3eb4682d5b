//! The schemathesis fuzzing of the API as a cargo test target, so that the README's single
//! `cargo test --workspace` runs it too, with a small bound: `bash tests/fuzz/run.sh` from
//! the repository root against the `portal` binary cargo just built. run.sh installs
//! schemathesis (pinned, in target/fuzz-venv) when it is missing, or fails saying why.
//!
//! FUZZ_MAX_EXAMPLES (default here 50 per operation and phase) sets the bound; `just fuzz`
//! runs 200. FUZZ_TEST_TIMEOUT_SECS (default 900) bounds the whole run. The script's output
//! is streamed as it comes, and its summary is printed again at the end.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn schemathesis_finds_nothing() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent");
    let timeout = Duration::from_secs(
        std::env::var("FUZZ_TEST_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(900),
    );
    let examples = std::env::var("FUZZ_MAX_EXAMPLES").unwrap_or_else(|_| "50".into());
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("tests/fuzz/run.sh")
        .current_dir(repo)
        .env("PORTAL_BIN", env!("CARGO_BIN_EXE_portal"))
        .env("FUZZ_MAX_EXAMPLES", &examples)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout takes schemathesis and the portal along.
        .process_group(0)
        .spawn()
        .expect("cannot run bash tests/fuzz/run.sh");

    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let forward = |stream: Box<dyn std::io::Read + Send>, to_stderr: bool| {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if to_stderr {
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                } else {
                    let _ = writeln!(std::io::stdout().lock(), "{line}");
                }
                lines.lock().unwrap().push(line);
            }
        })
    };
    let out = forward(Box::new(child.stdout.take().unwrap()), false);
    let err = forward(Box::new(child.stderr.take().unwrap()), true);

    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for run.sh") {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = out.join();
    let _ = err.join();

    let lines = lines.lock().unwrap();
    let summary: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("fuzz: ") && !l.starts_with("fuzz: ==="))
        .collect();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "\nfuzzing ({examples} examples per operation and phase) finished in {:.1} s:\n{}",
        started.elapsed().as_secs_f64(),
        summary.join("\n")
    );
    drop(stdout);

    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
    match status {
        None => panic!("the fuzzing did not finish within {timeout:?}; last output:\n{tail}"),
        Some(status) => assert!(
            status.success(),
            "bash tests/fuzz/run.sh failed ({status}); last output:\n{tail}"
        ),
    }
}
