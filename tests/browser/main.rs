//! The browser tests of the portal page as a cargo test target, so that the README's single
//! `cargo test --workspace` runs them too: `bash tests/browser/run.sh` from the repository
//! root against the `portal` binary cargo just built. run.sh installs what is missing
//! (playwright-core, Debian's Chromium) or fails saying what is missing, so a machine without
//! a browser fails this test rather than skipping it.
//!
//! The script's output is streamed as it comes (straight to this process's stdout and stderr,
//! not through the test harness's capture), and the node test runner's summary is printed
//! again at the end. BROWSER_TEST_TIMEOUT_SECS (default 900) bounds the whole run.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn portal_page_in_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent");
    let timeout = Duration::from_secs(
        std::env::var("BROWSER_TEST_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(900),
    );
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("tests/browser/run.sh")
        .current_dir(repo)
        .env("PORTAL_BIN", env!("CARGO_BIN_EXE_portal"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout takes node, the portals and Chromium along.
        .process_group(0)
        .spawn()
        .expect("cannot run bash tests/browser/run.sh");

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
    // The spec reporter's summary: "ℹ tests 20", "ℹ pass 20", "ℹ fail 0", "ℹ duration_ms ...".
    let summary: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| {
            let l = l.trim_start_matches(['ℹ', '#', ' ']);
            [
                "tests ",
                "suites ",
                "pass ",
                "fail ",
                "cancelled ",
                "skipped ",
                "todo ",
                "duration_ms ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "\nbrowser tests finished in {:.1} s; node test summary:\n{}",
        started.elapsed().as_secs_f64(),
        if summary.is_empty() {
            "(none: node --test did not get to run)".to_owned()
        } else {
            summary.join("\n")
        }
    );
    drop(stdout);

    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    match status {
        None => panic!("the browser tests did not finish within {timeout:?}; last output:\n{tail}"),
        Some(status) => assert!(
            status.success(),
            "bash tests/browser/run.sh failed ({status}); last output:\n{tail}"
        ),
    }
}
