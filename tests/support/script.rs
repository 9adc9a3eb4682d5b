//! Runs one of the repository's test scripts (browser tests, fuzzing) as part of
//! `cargo test`: from the repository root, in its own process group so a timeout takes
//! everything it started along, with its output streamed as it comes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct ScriptRun {
    /// `None` when the script was killed at the timeout.
    pub status: Option<ExitStatus>,
    pub lines: Vec<String>,
    pub elapsed: Duration,
}

impl ScriptRun {
    /// Panics, with the last `n` lines, unless the script finished and succeeded.
    pub fn assert_success(&self, script: &str, n: usize) {
        let tail = self.lines[self.lines.len().saturating_sub(n)..].join("\n");
        match self.status {
            None => panic!("{script} did not finish in time; last output:\n{tail}"),
            Some(status) => assert!(
                status.success(),
                "bash {script} failed ({status}); last output:\n{tail}"
            ),
        }
    }
}

/// A duration in seconds from the environment, or the default.
pub fn timeout_from_env(var: &str, default_secs: u64) -> Duration {
    Duration::from_secs(
        std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default_secs),
    )
}

pub fn run(script: &str, envs: &[(&str, &str)], timeout: Duration) -> ScriptRun {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent");
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg(script)
        .current_dir(repo)
        .env("PORTAL_BIN", env!("CARGO_BIN_EXE_portal"))
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run bash {script}: {e}"));

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
        if let Some(status) = child.try_wait().expect("waiting for the script") {
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
    let lines = std::mem::take(&mut *lines.lock().unwrap());
    ScriptRun {
        status,
        lines,
        elapsed: started.elapsed(),
    }
}
