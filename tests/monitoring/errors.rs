//! When `check` cannot judge (no snapshot, a damaged one): a monitoring
//! plugin still prints its one status line, and an exposition is never
//! half-written; both exit 3 (UNKNOWN) with the reason on stderr.

use std::process::Output;

use crate::common::{bin, temp_dir};

fn check(snapshot: &std::path::Path, format: &str) -> Output {
    bin()
        .args(["check", "--snapshot"])
        .arg(snapshot)
        .args(["--format", format])
        .output()
        .unwrap()
}

/// A missing file and a file that is not a snapshot.
fn broken_inputs(tag: &str) -> Vec<std::path::PathBuf> {
    let dir = temp_dir(tag);
    let damaged = dir.join("damaged.json");
    std::fs::write(
        &damaged,
        "{\"format\": \"chainwatch.snapshot.v1\", \"instances\": [",
    )
    .unwrap();
    vec![dir.join("missing.json"), damaged]
}

#[test]
fn nagios_prints_one_unknown_status_line_when_check_fails() {
    for path in broken_inputs("nagios-err") {
        let out = check(&path, "nagios");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{stdout:?}");
        let reason = lines[0]
            .strip_prefix("CHAINWATCH UNKNOWN - ")
            .unwrap_or_else(|| panic!("{stdout:?}"));
        // The reason names the file; no `|` would start perfdata.
        assert!(
            reason.contains(path.file_name().unwrap().to_str().unwrap()),
            "{reason}"
        );
        assert!(!reason.contains('|'), "{reason}");
        assert!(stderr.starts_with("chainwatch: "), "{stderr}");
    }
}

#[test]
fn prometheus_writes_nothing_when_check_fails() {
    for path in broken_inputs("prom-err") {
        let out = check(&path, "prometheus");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(stderr.starts_with("chainwatch: "), "{stderr}");
        assert!(
            stderr.contains(path.file_name().unwrap().to_str().unwrap()),
            "{stderr}"
        );
    }
}
