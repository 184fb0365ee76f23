//! Starts Azurite (npm `azurite@3.35.0`, blob service only) for a test and
//! stops it on drop.
//!
//! Finds `azurite-blob` in `$CHAINWATCH_AZURITE`, then on `PATH`, then in
//! `target/azurite/node_modules/.bin`; installs it there with npm when
//! missing. A missing Azurite fails the test: it is never skipped.
//! In memory, telemetry off, free port (`--blobPort 0`), SIGTERM on drop.
//! [`Azurite::start_https`] serves HTTPS with a given certificate and
//! accepts OAuth bearer tokens (`--oauth basic`: shape, issuer, audience
//! and lifetime are checked, the signature is not).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

pub const AZURITE_VERSION: &str = "3.35.0";

static INSTALL: Mutex<()> = Mutex::new(());

pub struct Azurite {
    child: Child,
    pub port: u16,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// How long start-up took (spawn to "listens").
    pub startup: Duration,
}

impl Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1` (`https://` when started so).
    pub fn blob_endpoint(&self) -> String {
        format!("{}://127.0.0.1:{}/devstoreaccount1", self.scheme, self.port)
    }

    pub fn start() -> Azurite {
        Azurite::start_with(&[], "http")
    }

    /// HTTPS with `cert`/`key` (PEM files), bearer tokens accepted.
    pub fn start_https(cert: &Path, key: &Path) -> Azurite {
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        Azurite::start_with(
            &["--oauth", "basic", "--cert", &cert, "--key", &key],
            "https",
        )
    }

    fn start_with(extra: &[&str], scheme: &'static str) -> Azurite {
        let bin = find_or_install();
        let began = Instant::now();
        let mut child = Command::new(&bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--inMemoryPersistence",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--silent",
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel::<String>();
        let tx2 = tx.clone();
        // Keep draining both pipes for the life of the process.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {line}"));
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(port) = listening_port(&line) {
                        break port;
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "Azurite did not report its port within 60 s; output:\n{}",
                        seen.join("\n")
                    );
                }
            }
        };
        Azurite {
            child,
            port,
            scheme,
            startup: began.elapsed(),
        }
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates `name` in the emulator's account and returns a client for it
/// (signed with a one-hour read-write SAS made from the account key).
pub async fn create_container(
    conn: &chainwatch::blob::sas::ConnectionString,
    name: &str,
) -> azure_storage_blob::BlobContainerClient {
    let writer = conn
        .container_url(
            name,
            "rwdlac",
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .unwrap();
    let url = format!("{}?{}", writer.base, writer.sas_token().unwrap());
    let client = azure_storage_blob::BlobContainerClient::new(
        azure_core::http::Url::parse(&url).unwrap(),
        None,
        None,
    )
    .unwrap();
    client.create(None).await.unwrap();
    client
}

/// `... successfully listens on http(s)://127.0.0.1:PORT` → PORT.
pub fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split("successfully listens on http").nth(1)?;
    let rest = rest
        .strip_prefix("s://")
        .or_else(|| rest.strip_prefix("://"))?;
    let port = rest.split(':').nth(1)?;
    port.trim()
        .trim_end_matches('/')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// The `azurite-blob` to run, installing `azurite@3.35.0` under target/azurite when needed.
pub fn find_or_install() -> PathBuf {
    if let Some(p) = std::env::var_os("CHAINWATCH_AZURITE") {
        return PathBuf::from(p);
    }
    if let Some(p) = on_path("azurite-blob") {
        return p;
    }
    let prefix = target_dir().join("azurite");
    let bin = prefix.join("node_modules/.bin/azurite-blob");
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if bin.is_file() {
        return bin;
    }
    std::fs::create_dir_all(&prefix).expect("create target/azurite");
    let status = Command::new("npm")
        .args(["install", "--prefix"])
        .arg(&prefix)
        .args([
            &format!("azurite@{AZURITE_VERSION}"),
            "--no-audit",
            "--no-fund",
            "--silent",
        ])
        .status()
        .unwrap_or_else(|e| {
            panic!("Azurite is missing and npm cannot run ({e}): install Node.js 20 and npm")
        });
    assert!(
        status.success(),
        "npm install azurite@{AZURITE_VERSION} failed"
    );
    assert!(
        bin.is_file(),
        "npm installed azurite but {} is missing",
        bin.display()
    );
    bin
}
