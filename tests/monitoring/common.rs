//! Running `chainwatch check` on built estates, with a config's policy.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use crate::support::estates::{now, Server};

/// A fresh directory for one test's files.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cw-mon-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Writes the estate as a snapshot file.
pub fn snapshot(servers: &[&Server], dir: &std::path::Path) -> PathBuf {
    let doc = json!({
        "format": "chainwatch.snapshot.v1",
        "collected_at": now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "instances": servers.iter().map(|s| s.json()).collect::<Vec<_>>(),
    });
    let path = dir.join("estate.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    c.env_remove("CHAINWATCH_CONFIG");
    c
}

/// `check --snapshot S [--config C] --format FORMAT`: exit code and stdout.
pub fn check_text(servers: &[&Server], config: Option<&str>, format: &str) -> (i32, String) {
    let dir = temp_dir("check");
    let snap = snapshot(servers, &dir);
    let mut cmd = bin();
    cmd.args(["check", "--snapshot"]).arg(&snap);
    if let Some(text) = config {
        let path = dir.join("cw.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    let out = cmd.args(["--format", format]).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.stderr.is_empty() || format != "json",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `check --format json` with a config's policy.
pub fn check(servers: &[&Server], config: Option<&str>) -> (i32, Value) {
    let (code, text) = check_text(servers, config, "json");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, v)
}
