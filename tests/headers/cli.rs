//! `chainwatch headers` and `--files`: restore plans from the backup files
//! alone, as dbatools' CI asserts them on a real SQL Server.

use crate::support::bin::{json, run};

use std::path::PathBuf;

use crate::support::samples;
use serde_json::Value;

fn lab(rel: &str) -> String {
    samples().join("backups").join(rel).display().to_string()
}

fn step_files(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["files"].as_array().unwrap().clone())
        .map(|f| {
            let f = f.as_str().unwrap().to_string();
            f.rsplit('/').next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn restoretimeclean2016_latest_restores_five_files() {
    let dir = lab("restoretimeclean2016");
    let p = json(&[
        "plan",
        "--files",
        &dir,
        "--database",
        "RestoreTimeClean",
        "--format",
        "json",
    ]);
    assert_eq!(p["recoverable"], true);
    assert_eq!(
        step_files(&p),
        [
            "RestoreTimeClean.bak",
            "RestoreTimeClean2.bak",
            "RestoreTimeClean2_1.trn",
            "RestoreTimeClean2_2.trn",
            "RestoreTimeClean2_3.trn"
        ]
    );
}

#[test]
fn restoretimeclean2016_at_21_12_27_restores_four_files() {
    let dir = lab("restoretimeclean2016");
    let p = json(&[
        "plan",
        "--files",
        &dir,
        "--database",
        "RestoreTimeClean",
        "--at",
        "2019-05-02T21:12:27",
        "--format",
        "json",
    ]);
    assert_eq!(p["recoverable"], true);
    assert_eq!(
        step_files(&p),
        [
            "RestoreTimeClean.bak",
            "RestoreTimeClean_1.trn",
            "RestoreTimeClean_2.trn",
            "RestoreTimeClean_3.trn"
        ]
    );
    // Local 21:12:27 at time zone 4 (UTC+1) is 20:12:27Z.
    assert!(p["target"]
        .as_str()
        .unwrap()
        .starts_with("2019-05-02T20:12:27"));
}

#[test]
fn simple_recovery_at_10_37_44_is_full_plus_first_differential() {
    // dbatools restores the full and `_1` (the differential `_2` is later).
    // This database has no log backups, so the plan restores the last data
    // backup before the target and says there is no point in time.
    let dir = lab("sql2008-backups/SimpleRecovery");
    let p = json(&[
        "plan",
        "--files",
        &dir,
        "--database",
        "SimpleBackTest",
        "--at",
        "2018-04-06T10:37:44",
        "--format",
        "json",
    ]);
    assert_eq!(p["recoverable"], true);
    assert!(p["summary"].as_str().unwrap().contains("no point in time"));
    assert!(p["recovery_point"]
        .as_str()
        .unwrap()
        .starts_with("2018-04-06T09:35:32"));
    assert_eq!(
        step_files(&p),
        ["SimpleBacktest.bak", "SimpleBackTest_1.bak"]
    );
}

#[test]
fn striped_chain_is_planned_with_both_stripes_per_step() {
    let dir = lab("sql2008-backups/RestoreTimeStripe");
    let p = json(&[
        "plan",
        "--files",
        &dir,
        "--database",
        "RestoreTimeStripe",
        "--format",
        "json",
    ]);
    assert_eq!(p["recoverable"], true);
    for s in p["steps"].as_array().unwrap() {
        assert_eq!(s["files"].as_array().unwrap().len(), 2, "{s}");
    }
}

#[test]
fn fork_sample_plans_full_plus_differential() {
    let more = samples().join("more/fork");
    let full = more.join("FullBackup.bak").display().to_string();
    let diff = more.join("DiffBackup.bak").display().to_string();
    let p = json(&[
        "plan",
        "--files",
        &full,
        "--files",
        &diff,
        "--database",
        "BackupTestDb",
        "--format",
        "json",
    ]);
    assert_eq!(p["recoverable"], true);
    let kinds: Vec<&str> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["full", "diff"]);
}

#[test]
fn chain_and_check_work_on_files() {
    let dir = lab("sql2008-backups/StopAt");
    let c = json(&[
        "chain",
        "--files",
        &dir,
        "--database",
        "StopAt",
        "--format",
        "json",
    ]);
    assert_eq!(c["breaks"].as_array().unwrap().len(), 0, "{c}");
    let out = run(&["check", "--files", &dir, "--format", "json"]);
    assert!(out.status.code().unwrap() <= 3);
    serde_json::from_slice::<Value>(&out.stdout).expect("check JSON");
}

#[test]
fn headers_json_uses_backupset_column_names() {
    let f = lab("sql2008-backups/StopAt/StopAt_23.trn");
    let v = json(&["headers", &f, "--format", "json"]);
    let sets = v.as_array().unwrap();
    assert_eq!(sets.len(), 1);
    let h = &sets[0];
    assert_eq!(h["first_lsn"], "19000000021500001");
    assert_eq!(h["type"], "L");
    assert_eq!(h["database_name"], "StopAt");
    assert_eq!(h["family_count"], 1);
    assert_eq!(h["family_sequence_number"], 1);
    for key in [
        "last_lsn",
        "checkpoint_lsn",
        "database_backup_lsn",
        "differential_base_lsn",
        "differential_base_guid",
        "backup_set_uuid",
        "backup_start_date",
        "backup_finish_date",
        "database_guid",
        "family_guid",
        "file",
        "media_set_guid",
    ] {
        assert!(h.get(key).is_some(), "{key}");
    }
    assert!(h["last_lsn"].is_string());
}

#[test]
fn a_refused_file_is_named_and_the_others_still_print() {
    let good = lab("sql2008-backups/StopAt/StopAt_23.trn");
    let bad = samples().join("README.md").display().to_string();
    let out = run(&["headers", &good, &bad, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["first_lsn"], "19000000021500001");
    assert_eq!(items[1]["error"]["kind"], "unknown_format");
    assert!(items[1]["file"].as_str().unwrap().ends_with("README.md"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("README.md"), "{stderr}");
}

#[test]
fn headers_against_a_snapshot_of_the_same_files() {
    // msdb history of the 2016 folder, then the files themselves: all match.
    let dir = lab("restoretimeclean2016");
    let tmp = std::env::temp_dir().join(format!("chainwatch-headers-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let snap = tmp.join("msdb.json");
    let results = chainwatch::headers::read_paths(&[PathBuf::from(&dir)]).unwrap();
    let files = chainwatch::headers::to_snapshot(&results, chrono::Utc::now());
    std::fs::write(&snap, files.snapshot.to_json_pretty()).unwrap();
    let snap = snap.display().to_string();
    let v = json(&["headers", &dir, "--against", &snap, "--format", "json"]);
    for h in v.as_array().unwrap() {
        assert_eq!(h["msdb"]["status"], "matches", "{h}");
    }
    // A file msdb never heard of.
    let other = lab("sql2008-backups/StopAt/StopAt_23.trn");
    let out = run(&["headers", &other, "--against", &snap, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["msdb"]["status"], "not_in_history");
}
