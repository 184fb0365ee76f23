//! The command-line contract: `chain`, `plan` and `check` on fixtures.

use crate::support::bin::{json, run};

use std::path::PathBuf;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn gap() -> String {
    fixture("gap.json").display().to_string()
}

/// Writes an edited copy of a fixture and returns its path.
fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("gap.json")).unwrap()).unwrap();
    edit(&mut doc);
    let dir = std::env::temp_dir().join(format!("chainwatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    path
}

#[test]
fn chain_json_names_the_gap_and_the_windows() {
    let v = json(&[
        "chain",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--format",
        "json",
    ]);
    assert_eq!(v["database"], "Shop");
    assert_eq!(v["instance"], "SQL01");
    let breaks = v["breaks"].as_array().unwrap();
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    let b = &breaks[0];
    assert_eq!(b["reason"], "gap");
    assert_eq!(b["after_backup_set_id"], 5);
    assert_eq!(b["before_backup_set_id"], 7);
    assert_eq!(b["from_lsn"], "17126658000060314200037");
    assert_eq!(b["to_lsn"], "17126658000070314200037");
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 2);
    // Local +01:00 → UTC.
    assert_eq!(windows[0]["from"], "2026-11-19T23:10:00Z");
    assert_eq!(windows[0]["to"], "2026-11-20T03:01:00Z");
    assert_eq!(windows[1]["from"], "2026-11-20T05:10:00Z");
    assert_eq!(windows[1]["to"], "2026-11-20T07:01:00Z");
}

#[test]
fn chain_json_for_a_simple_database_has_no_breaks() {
    let v = json(&[
        "chain",
        "--snapshot",
        &gap(),
        "--database",
        "Quiet",
        "--format",
        "json",
        "--instance",
        "SQL01",
    ]);
    assert_eq!(v["breaks"].as_array().unwrap().len(), 0);
    assert_eq!(v["state"], "simple");
    assert_eq!(
        v["windows"].as_array().unwrap().len(),
        2,
        "one point per full"
    );
}

#[test]
fn plan_json_puts_stopat_on_the_log_holding_the_local_time() {
    let v = json(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--at",
        "2026-11-20T02:30:00",
        "--format",
        "json",
    ]);
    assert_eq!(v["recoverable"], true);
    assert_eq!(v["target"], "2026-11-20T01:30:00Z");
    let steps = v["steps"].as_array().unwrap();
    let ids: Vec<i64> = steps
        .iter()
        .map(|s| s["backup_set_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let kinds: Vec<&str> = steps.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["full", "log", "log", "log"]);
    assert_eq!(steps[3]["stop_at"], "2026-11-20T01:30:00Z");
    assert!(steps[2]["stop_at"].is_null());
    assert_eq!(steps[0]["first_lsn"], "17126658000000314200037");
    assert_eq!(steps[0]["files"][0], "D:\\backup\\Shop_1.bak");
}

#[test]
fn plan_accepts_utc_and_offsets() {
    for at in ["2026-11-20T01:30:00Z", "2026-11-20T03:30:00+02:00"] {
        let v = json(&[
            "plan",
            "--snapshot",
            &gap(),
            "--database",
            "Shop",
            "--at",
            at,
            "--format",
            "json",
        ]);
        assert_eq!(v["steps"].as_array().unwrap().len(), 4, "{at}");
    }
}

#[test]
fn plan_in_the_gap_is_refused_with_the_nearest_points() {
    let out = run(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--at",
        "2026-11-20T05:00:00",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "unreachable target exits 1");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["recoverable"], false);
    assert!(
        v["reason"].as_str().unwrap().contains("broken"),
        "{}",
        v["reason"]
    );
    assert_eq!(v["steps"].as_array().unwrap().len(), 0);
    assert_eq!(v["nearest_before"], "2026-11-20T03:01:00Z");
    assert_eq!(v["nearest_after"], "2026-11-20T05:10:00Z");
}

#[test]
fn plan_latest_and_lsn() {
    let v = json(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--format",
        "json",
    ]);
    let ids: Vec<i64> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["backup_set_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![6, 7, 8]);
    let v = json(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--lsn",
        "17126658000035000000000",
        "--format",
        "json",
    ]);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[2]["stop_at_lsn"], "17126658000035000000000");
}

#[test]
fn plan_tsql_quotes_and_uses_local_stopat() {
    let out = run(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--at",
        "2026-11-20T02:30:00",
        "--format",
        "tsql",
    ]);
    assert!(out.status.success());
    let sql = String::from_utf8(out.stdout).unwrap();
    assert!(
        sql.contains("RESTORE DATABASE [Shop]\n  FROM DISK = N'D:\\backup\\Shop_1.bak'"),
        "{sql}"
    );
    assert_eq!(
        sql.matches("STOPAT = N'2026-11-20T02:30:00.000'").count(),
        3,
        "{sql}"
    );
    assert!(
        sql.trim_end()
            .ends_with("RESTORE DATABASE [Shop] WITH RECOVERY;"),
        "{sql}"
    );
}

#[test]
fn check_exit_codes_follow_the_monitoring_convention() {
    // A gap inside the retention period: the points in it are lost even
    // though the latest is restorable again, and an actual loss is critical.
    let out = run(&["check", "--snapshot", &gap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CRIT  SQL01  Shop  chain.gap"), "{text}");
    assert!(
        text.contains("No restore reaches the points from"),
        "{text}"
    );
    // The same history with the gap older than the retention period: only the
    // late logs (a risk) remain, a warning.
    let old_gap = edited("old-gap.json", |doc| {
        doc["collected_at"] = "2026-12-20T00:00:00Z".into();
    });
    let out = run(&[
        "check",
        "--snapshot",
        old_gap.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gap_finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "chain.gap")
        .cloned();
    assert!(
        gap_finding
            .as_ref()
            .is_none_or(|f| f["severity"] != "critical"),
        "{gap_finding:?}"
    );
    // Without the full after the gap the newest logs are unreachable: critical.
    let broken = edited("broken.json", |doc| {
        let rows = doc["instances"][0]["tables"]["msdb.dbo.backupset"]
            .as_array_mut()
            .unwrap();
        rows.retain(|r| r["backup_set_id"] != 6);
    });
    let out = run(&[
        "check",
        "--snapshot",
        broken.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "CRITICAL");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "chain.broken"));
    // History not collected: unknown.
    let unknown = edited("unknown.json", |doc| {
        doc["instances"][0]["tables"]
            .as_object_mut()
            .unwrap()
            .remove("msdb.dbo.backupset");
    });
    assert_eq!(
        run(&["check", "--snapshot", unknown.to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
    // A listed database with no backup at all: critical.
    let never = edited("never.json", |doc| {
        doc["collected_at"] = "2026-11-20T08:00:00Z".into();
        let rows = doc["instances"][0]["tables"]["msdb.dbo.backupset"]
            .as_array_mut()
            .unwrap();
        rows.retain(|r| r["database_name"] == "Quiet" && r["backup_set_id"] == 20);
    });
    let out = run(&["check", "--snapshot", never.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "Shop has no backups left: critical\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn check_ok_exits_zero() {
    let ok = edited("ok.json", |doc| {
        doc["collected_at"] = "2026-11-20T07:30:00Z".into();
        let tables = doc["instances"][0]["tables"].as_object_mut().unwrap();
        tables["sys.databases"]
            .as_array_mut()
            .unwrap()
            .retain(|d| d["name"] == "Quiet");
        tables["msdb.dbo.backupset"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["database_name"] == "Quiet");
    });
    let out = run(&["check", "--snapshot", ok.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK"));
}

#[test]
fn bad_snapshots_fail_with_a_precise_message() {
    let bad = edited("bad.json", |doc| {
        doc["instances"][0]["tables"]["msdb.dbo.backupset"][3]["first_lsn"] = "12x4".into();
    });
    let out = run(&["check", "--snapshot", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("msdb.dbo.backupset row 3, column first_lsn"),
        "{err}"
    );
    let out = run(&[
        "chain",
        "--snapshot",
        bad.to_str().unwrap(),
        "--database",
        "Shop",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "chain",
        "--snapshot",
        "/nonexistent/x.json",
        "--database",
        "Shop",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.json"));
}

#[test]
fn a_truncated_snapshot_says_so_and_where_once() {
    let whole = std::fs::read_to_string(fixture("gap.json")).unwrap();
    let dir = std::env::temp_dir().join(format!("chainwatch-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.json");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let out = run(&["check", "--snapshot", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines_kept = whole[..whole.len() * 2 / 3].matches('\n').count() + 1;
    assert!(
        err.contains("the snapshot is truncated: it ends at line")
            && err.contains(&format!("line {lines_kept},")),
        "{err}"
    );
    assert!(!err.contains("not a chainwatch snapshot"), "{err}");
    // Malformed (not cut short): the parser's position, said once.
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        whole.replacen("\"instances\"", "\"instances\" x", 1),
    )
    .unwrap();
    let out = run(&["check", "--snapshot", broken.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a chainwatch snapshot"), "{err}");
    assert_eq!(
        err.matches("line ").count(),
        1,
        "position said twice: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn console_options_belong_to_the_console_alone() {
    for command in ["blobs", "check", "restore", "headers", "demo"] {
        let out = run(&[command, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{command} --help failed");
        for flag in ["--theme", "--no-color", "--ascii", "--mouse", "--clipboard"] {
            assert!(
                !help.contains(flag),
                "{command} --help lists {flag}:\n{help}"
            );
        }
    }
    let help = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    assert!(
        help.contains("--theme") && help.contains("--clipboard"),
        "{help}"
    );
}

#[test]
fn unknown_database_and_ambiguous_names_are_explained() {
    let out = run(&["plan", "--snapshot", &gap(), "--database", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database named \"Nope\""));
    let out = run(&[
        "plan",
        "--snapshot",
        &gap(),
        "--database",
        "Shop",
        "--at",
        "tomorrow",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at"));
}

#[test]
fn demo_export_round_trips_through_the_snapshot_source() {
    let dir = std::env::temp_dir().join(format!("chainwatch-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.json");
    let now = "2026-11-22T10:00:00Z";
    let out = run(&["demo", "--export", file.to_str().unwrap(), "--now", now]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_file = json(&[
        "chain",
        "--snapshot",
        file.to_str().unwrap(),
        "--database",
        "Telemetry",
        "--format",
        "json",
    ]);
    let from_demo = json(&[
        "chain",
        "--demo",
        "--now",
        now,
        "--database",
        "Telemetry",
        "--format",
        "json",
    ]);
    assert_eq!(from_file, from_demo);
    assert_eq!(from_file["breaks"][0]["reason"], "gap");
    // The contract's own example: a point-in-time plan on the demo estate.
    let plan = json(&[
        "plan",
        "--demo",
        "--now",
        now,
        "--database",
        "Sales",
        "--at",
        "2026-11-21T12:00:00",
        "--format",
        "json",
    ]);
    assert_eq!(plan["recoverable"], true);
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps[0]["kind"], "full");
    assert!(steps.last().unwrap()["stop_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-21T11:00:00"));
}

/// Runs the binary with its stdout a pipe whose reader is closed before
/// the process starts, so its first write fails (a reader closed after the
/// spawn races with small outputs that fit in the pipe's buffer).
fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run chainwatch")
}

#[test]
fn a_closed_output_pipe_ends_every_command_quietly() {
    let g = gap();
    for args in [
        vec!["check", "--demo", "--format", "json"],
        vec!["check", "--demo"],
        vec!["chain", "--demo", "--database", "Sales", "--format", "json"],
        vec!["chain", "--demo", "--database", "Sales"],
        vec!["plan", "--demo", "--database", "Sales", "--format", "json"],
        vec!["plan", "--demo", "--database", "Sales", "--format", "tsql"],
        vec!["restore", "--snapshot", &g, "--database", "Shop"],
    ] {
        let out = run_into_closed_pipe(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // (restore prints its pre-flight on stderr; no error may follow it)
        assert!(!err.contains("chainwatch:"), "{args:?} complained: {err}");
        assert_eq!(out.status.code(), Some(141), "{args:?}");
    }
}

#[test]
fn plan_and_restore_exit_codes_follow_the_contract() {
    let g = gap();
    // Reachable: 0 (every format).
    for format in ["text", "json", "tsql"] {
        let out = run(&[
            "plan",
            "--snapshot",
            &g,
            "--database",
            "Shop",
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}");
    }
    // Not reachable: 1, with the reason, in every format and for restore.
    let gap_time = "2026-11-20T05:00:00";
    for format in ["text", "json", "tsql"] {
        let out = run(&[
            "plan",
            "--snapshot",
            &g,
            "--database",
            "Shop",
            "--at",
            gap_time,
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("broken"), "{format}: {all}");
    }
    let out = run(&[
        "restore",
        "--snapshot",
        &g,
        "--database",
        "Shop",
        "--at",
        gap_time,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no script for an unreachable target");
    // Text never prints "?" for a nearest point that does not exist.
    let out = run(&[
        "plan",
        "--snapshot",
        &g,
        "--database",
        "Shop",
        "--at",
        "2000-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("before: none"), "{text}");
    assert!(!text.contains(": ?"), "{text}");
    // Bad arguments or input: 2.
    let out = run(&["plan", "--snapshot", &g, "--database", "NoSuchDb"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "plan",
        "--snapshot",
        &g,
        "--database",
        "Shop",
        "--lsn",
        "12x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "restore",
        "--snapshot",
        "/nonexistent.json",
        "--database",
        "Shop",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_values_are_errors_naming_the_row_never_silent() {
    // A datetime without a time of day is not read as midnight.
    let p = edited("no-time.json", |doc| {
        doc["instances"][0]["tables"]["msdb.dbo.backupset"][3]["backup_finish_date"] =
            "2026-11-20".into();
    });
    let out = run(&["check", "--snapshot", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SQL01")
            && err.contains("msdb.dbo.backupset row 3, column backup_finish_date"),
        "{err}"
    );
    assert!(err.contains("no time of day"), "{err}");
    // time_zone is -48..48 or 127.
    let p = edited("tz.json", |doc| {
        doc["instances"][0]["tables"]["msdb.dbo.backupset"][3]["time_zone"] = 200.into();
    });
    let out = run(&["check", "--snapshot", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 3, column time_zone"), "{err}");
    let p = edited("tz127.json", |doc| {
        doc["instances"][0]["tables"]["msdb.dbo.backupset"][3]["time_zone"] = 127.into();
    });
    assert_eq!(
        run(&[
            "chain",
            "--snapshot",
            p.to_str().unwrap(),
            "--database",
            "Shop"
        ])
        .status
        .code(),
        Some(0),
        "127 means unknown"
    );
}

#[test]
fn a_log_row_the_analysis_cannot_use_is_named_not_a_silent_gap() {
    for (name, edit) in [
        ("null-lsn.json", serde_json::Value::Null),
        ("reversed.json", "17126658000030314200037".into()),
    ] {
        let p = edited(name, |doc| {
            // Row 3 is a log in the middle of the chain; make its last_lsn bad.
            doc["instances"][0]["tables"]["msdb.dbo.backupset"][3]["last_lsn"] = edit;
        });
        let v = json(&[
            "chain",
            "--snapshot",
            p.to_str().unwrap(),
            "--database",
            "Shop",
            "--format",
            "json",
        ]);
        let excluded = v["excluded"].as_array().unwrap();
        let bad = excluded
            .iter()
            .find(|e| e["backup_set_id"] == 4)
            .unwrap_or_else(|| panic!("{name}: {excluded:?}"));
        assert_eq!(bad["kind"], "bad_row", "{name}");
        // The break after it names the row and why.
        let b = v["breaks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["evidence"].as_array().unwrap().contains(&4.into()))
            .unwrap_or_else(|| panic!("{name}: no break names #4: {:#}", v["breaks"]));
        assert!(b["detail"].as_str().unwrap().contains("#4"), "{name}: {b}");
        // And check reports it as a finding.
        let c = json_any(&[
            "check",
            "--snapshot",
            p.to_str().unwrap(),
            "--format",
            "json",
        ]);
        let text = c.to_string();
        assert!(text.contains("history.bad_row"), "{name}");
    }
}

/// Runs the binary whatever its exit code and parses stdout as JSON.
fn json_any(args: &[&str]) -> Value {
    let out = run(args);
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// One truth through the command line: `check --format json`, `chain
/// --format json` and `plan --format json` give every demo database the
/// same latest recoverable point, RPO and windows.
#[test]
fn check_chain_and_plan_agree_for_every_demo_database() {
    let now = "2026-11-22T10:00:00Z";
    let check = json_any(&["check", "--demo", "--now", now, "--format", "json"]);
    let dbs = check["databases"].as_array().unwrap();
    assert!(dbs.len() >= 15);
    for d in dbs {
        let (inst, name) = (
            d["instance"].as_str().unwrap(),
            d["database"].as_str().unwrap(),
        );
        for key in [
            "rpo_seconds",
            "latest_recoverable",
            "recoverable_since",
            "last_full",
            "last_diff",
            "last_log",
            "windows",
        ] {
            assert!(d.get(key).is_some(), "{name}: check JSON lacks {key}");
        }
        let chain = json(&[
            "chain",
            "--demo",
            "--now",
            now,
            "--instance",
            inst,
            "--database",
            name,
            "--format",
            "json",
        ]);
        assert_eq!(
            chain["latest_recoverable"], d["latest_recoverable"],
            "{name}"
        );
        assert_eq!(chain["rpo_now_seconds"], d["rpo_seconds"], "{name}");
        assert_eq!(chain["windows"], d["windows"], "{name}");
        assert_eq!(chain["state"], d["state"], "{name}");
        let out = run(&[
            "plan",
            "--demo",
            "--now",
            now,
            "--instance",
            inst,
            "--database",
            name,
            "--format",
            "json",
        ]);
        let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
        if d["latest_recoverable"].is_null() {
            assert_eq!(plan["recoverable"], false, "{name}");
            assert_eq!(out.status.code(), Some(1), "{name}");
        } else {
            assert_eq!(plan["recoverable"], true, "{name}");
            assert_eq!(plan["recovery_point"], d["latest_recoverable"], "{name}");
        }
    }
}
