//! Running the real `chainwatch` binary from integration tests.
#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

/// Runs the binary with colours off.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run chainwatch")
}

/// Runs the binary, requires success, and parses stdout as JSON.
pub fn json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}
