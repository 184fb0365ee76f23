//! Restore plans: which backups, in which order, and where STOPAT goes.

mod common;

use chainwatch::analysis::history::history_of;
use chainwatch::analysis::{analyze_history, plan, DatabaseAnalysis, RestorePlan, Target};
use chainwatch::model::{BackupSet, Database, Lsn};
use chrono::Duration;
use common::{at, Hist};

fn analyse(rows: &[BackupSet]) -> DatabaseAnalysis<'_> {
    let mut db = Database::new_named("Sales");
    db.exists = true;
    analyze_history(
        "SQL01".into(),
        db,
        true,
        history_of(rows, "Sales"),
        at(60 * 24 * 10),
    )
}

fn ids(p: &RestorePlan) -> Vec<i64> {
    p.steps.iter().map(|s| s.backup_set_id).collect()
}

fn kinds(p: &RestorePlan) -> Vec<&str> {
    p.steps.iter().map(|s| s.kind).collect()
}

/// Full at 0..30 min, logs every hour from 60 min (finishing 2 min later).
fn history() -> (Hist, i64, Vec<i64>) {
    let mut h = Hist::new();
    let full = h.full(0, 30);
    let logs = h.hourly_logs(60, 6);
    (h, full, logs)
}

#[test]
fn latest_uses_full_and_every_log_without_stopat() {
    let (h, full, logs) = history();
    let p = plan(&analyse(&h.rows), Target::Latest);
    assert!(p.recoverable);
    let mut expected = vec![full];
    expected.extend(&logs);
    assert_eq!(ids(&p), expected);
    assert!(p.steps.iter().all(|s| s.stop_at.is_none()));
    assert_eq!(p.recovery_point, h.row(*logs.last().unwrap()).finish);
}

#[test]
fn target_before_the_first_full_is_not_recoverable() {
    let (h, _, _) = history();
    let p = plan(&analyse(&h.rows), Target::Time(at(10)));
    assert!(!p.recoverable);
    assert!(
        p.reason.contains("before the oldest recoverable point"),
        "{}",
        p.reason
    );
    assert_eq!(p.nearest_after, Some(at(30)));
    assert_eq!(p.nearest_before, None);
}

#[test]
fn target_before_the_first_log_stops_in_the_first_log() {
    let (h, full, logs) = history();
    let p = plan(&analyse(&h.rows), Target::Time(at(45)));
    assert!(p.recoverable);
    assert_eq!(ids(&p), vec![full, logs[0]]);
    assert_eq!(p.steps[1].stop_at, Some(at(45)));
}

#[test]
fn target_at_a_logs_start_stops_in_that_log() {
    let (h, full, logs) = history();
    // logs[2] starts at 180 and finishes at 182.
    let p = plan(&analyse(&h.rows), Target::Time(at(180)));
    assert_eq!(ids(&p), vec![full, logs[0], logs[1], logs[2]]);
    assert_eq!(p.steps.last().unwrap().stop_at, Some(at(180)));
    assert!(p.steps[..3].iter().all(|s| s.stop_at.is_none()));
}

#[test]
fn target_inside_a_log() {
    let (h, full, logs) = history();
    let p = plan(&analyse(&h.rows), Target::Time(at(181)));
    assert_eq!(ids(&p), vec![full, logs[0], logs[1], logs[2]]);
}

#[test]
fn target_at_a_logs_end_stops_in_that_log() {
    let (h, full, logs) = history();
    let p = plan(&analyse(&h.rows), Target::Time(at(182)));
    assert_eq!(ids(&p), vec![full, logs[0], logs[1], logs[2]]);
    assert_eq!(p.steps.last().unwrap().stop_at, Some(at(182)));
}

#[test]
fn target_between_logs_stops_in_the_next_log() {
    let (h, full, logs) = history();
    // Between logs[2] (ends 182) and logs[3] (starts 240, ends 242).
    let p = plan(&analyse(&h.rows), Target::Time(at(200)));
    assert_eq!(ids(&p), vec![full, logs[0], logs[1], logs[2], logs[3]]);
}

#[test]
fn target_after_the_last_log_needs_a_tail_backup() {
    let (h, _, logs) = history();
    let end = h.row(*logs.last().unwrap()).finish.unwrap();
    let p = plan(&analyse(&h.rows), Target::Time(end + Duration::minutes(5)));
    assert!(!p.recoverable);
    assert!(p.reason.contains("tail-log"), "{}", p.reason);
    assert_eq!(p.nearest_before, Some(end));
}

#[test]
fn target_in_a_gap_names_the_break_and_the_nearest_points() {
    let (mut h, _, logs) = history();
    h.lost_log();
    let f2 = h.full(60 * 8, 20);
    let after = h.hourly_logs(60 * 9, 2);
    let gap_start = h.row(*logs.last().unwrap()).finish.unwrap();
    let p = plan(
        &analyse(&h.rows),
        Target::Time(gap_start + Duration::minutes(30)),
    );
    assert!(!p.recoverable);
    assert_eq!(p.nearest_before, Some(gap_start));
    assert_eq!(p.nearest_after, h.row(f2).finish);
    // After the new full the plan uses it.
    let p2 = plan(&analyse(&h.rows), Target::Time(at(60 * 9 + 1)));
    assert_eq!(ids(&p2), vec![f2, after[0]]);
}

#[test]
fn newest_usable_differential_is_used() {
    let mut h = Hist::new();
    let full = h.full(0, 30);
    h.hourly_logs(60, 3);
    h.activity(3);
    let d1 = h.diff(60 * 4, 10);
    let logs = h.hourly_logs(60 * 5, 3);
    let p = plan(&analyse(&h.rows), Target::Time(at(60 * 6 + 1)));
    assert_eq!(ids(&p), vec![full, d1, logs[0], logs[1]]);
    assert_eq!(kinds(&p), vec!["full", "diff", "log", "log"]);
}

#[test]
fn differential_of_a_superseded_base_is_not_mixed_with_the_new_full() {
    let mut h = Hist::new();
    let f1 = h.full(0, 30);
    h.hourly_logs(60, 2);
    let d1 = h.diff(60 * 3, 10);
    let mid = h.hourly_logs(60 * 4, 2);
    let f2 = h.full(60 * 6, 20);
    let after = h.hourly_logs(60 * 7, 3);
    let a = analyse(&h.rows);
    // Between d1 and f2: f1 + d1 + logs.
    let p = plan(&a, Target::Time(at(60 * 5)));
    assert_eq!(ids(&p), vec![f1, d1, mid[0], mid[1]]);
    // After f2: f2 and its logs; d1 (based on f1) must not appear.
    let p2 = plan(&a, Target::Time(at(60 * 8 + 1)));
    assert_eq!(ids(&p2), vec![f2, after[0], after[1]]);
    assert!(!ids(&p2).contains(&d1));
}

#[test]
fn copy_only_full_can_start_a_restore_but_is_no_differential_base() {
    let mut h = Hist::new();
    let f1 = h.full(0, 30);
    h.hourly_logs(60, 2);
    let cof = h.copy_only_full(60 * 3, 10);
    let logs = h.hourly_logs(60 * 4, 2);
    let d = h.diff(60 * 6, 10);
    let after = h.hourly_logs(60 * 7, 2);
    let a = analyse(&h.rows);
    let diff_row = h.row(d);
    assert_eq!(diff_row.differential_base_guid, h.row(f1).backup_set_uuid);
    // Target after the copy-only full: the copy-only full is the newest start.
    let p = plan(&a, Target::Time(at(60 * 5 + 1)));
    assert_eq!(ids(&p), vec![cof, logs[0], logs[1]]);
    assert_eq!(p.steps.last().unwrap().stop_at, Some(at(60 * 5 + 1)));
    // After the differential: f1 + diff (never copy-only full + diff).
    let p2 = plan(&a, Target::Time(at(60 * 7 + 1)));
    assert_eq!(ids(&p2), vec![f1, d, after[0]]);
}

#[test]
fn bulk_logged_log_only_to_its_end() {
    let (mut h, full, logs) = history();
    h.activity(3);
    let bulk = h.log(60 * 7, 2);
    h.row_mut(bulk).has_bulk_logged_data = true;
    h.hourly_logs(60 * 8, 1);
    let a = analyse(&h.rows);
    let inside = plan(&a, Target::Time(at(60 * 7)));
    assert!(!inside.recoverable);
    assert!(inside.reason.contains("bulk-logged"), "{}", inside.reason);
    let end = plan(&a, Target::Time(at(60 * 7 + 2)));
    assert!(end.recoverable);
    let mut expected = vec![full];
    expected.extend(&logs);
    expected.push(bulk);
    assert_eq!(ids(&end), expected);
}

#[test]
fn lsn_target_uses_stopatmark_on_the_log_that_holds_it() {
    let (h, full, logs) = history();
    let l2 = h.row(logs[2]);
    let x = Lsn::new(l2.first_lsn.unwrap().value() + 5).unwrap();
    let p = plan(&analyse(&h.rows), Target::Lsn(x));
    assert!(p.recoverable);
    assert_eq!(ids(&p), vec![full, logs[0], logs[1], logs[2]]);
    assert_eq!(p.steps.last().unwrap().stop_at_lsn, Some(x));
}

#[test]
fn empty_log_in_the_path_is_kept_in_order() {
    let (mut h, full, logs) = history();
    let empty = h.log(60 * 7, 1);
    h.activity(2);
    let next = h.log(60 * 8, 1);
    let p = plan(&analyse(&h.rows), Target::Latest);
    let mut expected = vec![full];
    expected.extend(&logs);
    expected.extend([empty, next]);
    assert_eq!(ids(&p), expected);
}

#[test]
fn striped_step_lists_every_file() {
    let (mut h, full, _) = history();
    h.stripe(full, 3);
    let p = plan(&analyse(&h.rows), Target::Latest);
    assert_eq!(p.steps[0].files.len(), 3);
    assert!(p.steps[0].files[2].ends_with("_3.bak"));
}

#[test]
fn without_log_backups_a_time_gets_the_last_data_backup_before_it() {
    let mut h = Hist::new();
    h.model = chainwatch::model::RecoveryModel::Simple;
    let f1 = h.full(0, 30);
    h.activity(5);
    let d1 = h.diff(60 * 5, 10);
    h.activity(5);
    let d2 = h.diff(60 * 10, 10);
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Time(at(60 * 7)));
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(ids(&p), vec![f1, d1]);
    assert_eq!(p.recovery_point, h.row(d1).finish);
    assert!(p.reason.contains("no point in time"), "{}", p.reason);
    assert!(!ids(&p).contains(&d2));
    // Before the first full there is still nothing.
    assert!(!plan(&a, Target::Time(at(10))).recoverable);
}
