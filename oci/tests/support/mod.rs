//! A real CNCF distribution registry for the tests: built from its Go module by
//! tests/registry/build.sh (once per machine), started on 127.0.0.1 with its storage in a
//! temporary directory, and killed when the test drops it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use portal_oci::{Auth, ClientOptions, RegistryClient};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `registry` binary, built (or found built) once per test process. Never skips: without
/// Go the build fails, and so does every test that needs a registry.
fn registry_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/registry/build.sh");
        let output = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed ({}): it builds the CNCF distribution registry from Go modules and \
             needs Go (the version tests/registry/go.mod names, or newer) on PATH",
            script.display(),
            output.status
        );
        let bin = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let binary = Path::new(&bin).join("registry");
        assert!(
            binary.is_file(),
            "build.sh printed {bin}, which has no `registry`"
        );
        binary
    })
}

/// A running registry; killed on drop.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`, as written in references.
    pub addr: String,
    dir: tempfile::TempDir,
}

impl Registry {
    /// A registry open to anyone.
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// A registry that admits only `username` with `password` (an htpasswd file, bcrypt).
    pub fn start_with_user(username: &str, password: &str) -> Registry {
        Registry::start_with(Some((username, password)))
    }

    fn start_with(user: Option<(&str, &str)>) -> Registry {
        let binary = registry_binary();
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let auth = match user {
            None => String::new(),
            Some((username, password)) => {
                let hash = bcrypt::hash_with_result(password, 4)
                    .expect("bcrypt")
                    .format_for_version(bcrypt::Version::TwoY);
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{username}:{hash}\n")).expect("htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: portal-test\n    path: {}\n",
                    htpasswd.display()
                )
            }
        };
        let config = format!(
            "version: 0.1\n\
             log:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: {addr}\n\
             {auth}",
            dir.path().join("storage").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("config.yml");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config_path)
            // Its OpenTelemetry exporter would otherwise try an OTLP collector.
            .env("OTEL_TRACES_EXPORTER", "none")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut registry = Registry { child, addr, dir };
        registry.wait_until_serving();
        registry
    }

    fn wait_until_serving(&mut self) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the registry exited ({status}) at start:\n{}", self.log());
            }
            // 200 when open, 401 when it wants credentials: either way it is serving.
            if let Ok((status, _)) = http_get(&self.addr, "/v2/")
                && (status == 200 || status == 401)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the registry did not answer on {} within {STARTUP_TIMEOUT:?}:\n{}",
                self.addr,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// A client that speaks plain HTTP to this registry.
    pub fn client(&self, auth: Auth) -> RegistryClient {
        RegistryClient::new(ClientOptions {
            auth,
            insecure_http_registries: vec![self.addr.clone()],
            ..ClientOptions::default()
        })
        .expect("client")
    }

    /// The raw OCI client, for writing manifests this crate would never write.
    pub fn raw_client(&self) -> oci_client::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        oci_client::Client::try_from(oci_client::client::ClientConfig {
            protocol: oci_client::client::ClientProtocol::HttpsExcept(vec![self.addr.clone()]),
            ..Default::default()
        })
        .expect("raw client")
    }

    /// `GET path` on the open registry: status and body.
    pub fn get(&self, path: &str) -> (u16, Vec<u8>) {
        http_get(&self.addr, path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 now (the registry binds it a moment later).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A minimal HTTP/1.0 GET (no client library needed for a probe): status and body.
/// Accepts OCI manifests: the registry answers 404 for one to a client that does not.
fn http_get(addr: &str, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: {}\r\n\r\n",
        portal_oci::MANIFEST_MEDIA_TYPE
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    Ok((status, response[split + 4..].to_vec()))
}
