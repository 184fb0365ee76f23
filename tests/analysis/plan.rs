//! Restore plans: which backups, in which order, and where STOPAT goes.

use crate::support::history::{at, Hist};
use chainwatch::analysis::history::history_of;
use chainwatch::analysis::{analyze_history, plan, DatabaseAnalysis, RestorePlan, Target};
use chainwatch::model::{BackupSet, Database, Lsn};
use chrono::Duration;

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

// ---- Recovery paths (forks), tails, media, restorability: issue 14 ----

use chainwatch::analysis::{plan_on, BreakReason};
use chainwatch::model::DeviceType;

/// F1, L1–L4 hourly; restored WITH RECOVERY to a point inside L3 at 04:10;
/// L5 (spanning the fork point), L6, L7 after. Returns (h, f1, logs before
/// the restore, logs after it, old fork).
fn restored_in_place() -> (Hist, i64, Vec<i64>, Vec<i64>, uuid::Uuid) {
    let mut h = Hist::new();
    let f1 = h.full(0, 30);
    let before = h.hourly_logs(60, 4);
    let old = h.fork;
    h.restore_into_log(before[2], 150_000);
    h.activity(2);
    let l5 = h.log(60 * 5, 2);
    let mut after = vec![l5];
    after.extend(h.hourly_logs(60 * 6, 2));
    (h, f1, before, after, old)
}

#[test]
fn latest_follows_the_current_path_across_the_fork_point() {
    let (h, f1, before, after, _) = restored_in_place();
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    assert!(p.recoverable, "{}", p.reason);
    // F1, L1, L2, L5 (spanning), L6, L7: never the abandoned L3, L4.
    let mut expected = vec![f1, before[0], before[1]];
    expected.extend(&after);
    assert_eq!(ids(&p), expected);
    assert_eq!(p.path, "current");
    assert!(p.reason.contains("fork point"), "{}", p.reason);
    // No break on the current path, and certainly no "history missing".
    assert!(
        a.chain.breaks.iter().all(|b| !b.on_current_path),
        "{:?}",
        a.chain.breaks
    );
    assert!(a
        .chain
        .breaks
        .iter()
        .all(|b| b.reason != BreakReason::HistoryMissing));
    // One window from F1 to L7, across the fork point.
    assert_eq!(a.windows.len(), 1, "{:?}", a.windows);
    assert_eq!(a.windows[0].from, h.row(f1).finish.unwrap());
    assert_eq!(a.windows[0].to, h.row(after[2]).finish.unwrap());
    assert_eq!(a.windows[0].fork, Some(h.fork));
}

#[test]
fn a_point_on_the_new_branch_before_any_new_full_is_reachable() {
    let (h, f1, before, after, _) = restored_in_place();
    let a = analyse(&h.rows);
    let t = h.row(after[1]).finish.unwrap() - Duration::minutes(20);
    let p = plan(&a, Target::Time(t));
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(ids(&p), vec![f1, before[0], before[1], after[0], after[1]]);
    assert_eq!(p.steps.last().unwrap().stop_at, Some(t));
}

#[test]
fn the_abandoned_branch_is_reachable_only_when_asked_for() {
    let (h, f1, before, _, old) = restored_in_place();
    let a = analyse(&h.rows);
    // Its own run, branching off L2, and its own window.
    let run = a
        .chain
        .runs
        .iter()
        .find(|r| r.abandoned)
        .expect("abandoned run");
    assert_eq!(a.chain.logs[run.start].backup_set_id, before[2]);
    assert_eq!(
        run.branch_of.map(|i| a.chain.logs[i].backup_set_id),
        Some(before[1])
    );
    assert_eq!(a.other_windows.len(), 1, "{:?}", a.other_windows);
    let w = &a.other_windows[0];
    assert!(w.abandoned);
    assert_eq!(w.fork, Some(old));
    // A time inside L4 (04:00–04:02): on the current path it falls where
    // the path crosses the fork point; the plan says so and names the fork.
    let t = h.row(before[3]).finish.unwrap() - Duration::minutes(1);
    let p = plan(&a, Target::Time(t));
    assert!(p.recoverable);
    assert_eq!(p.path, "current");
    assert!(!ids(&p).contains(&before[3]));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains(&format!("--fork {old}"))),
        "{:?}",
        p.warnings
    );
    // Asked for with the fork: F1, L1–L4, labelled abandoned.
    let p = plan_on(&a, Target::Time(t), Some(old));
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(
        ids(&p),
        vec![f1, before[0], before[1], before[2], before[3]]
    );
    assert_eq!(p.path, "abandoned");
    assert!(p.warnings[0].contains("rolled back"), "{:?}", p.warnings);
    // LSNs past the fork point repeat on both branches: the current one
    // is planned and the other named; with the fork, the abandoned one.
    let x = Lsn::new(h.row(before[3]).first_lsn.unwrap().value() + 3).unwrap();
    let p = plan(&a, Target::Lsn(x));
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(p.path, "current");
    assert!(
        p.warnings.iter().any(|w| w.contains("--fork")),
        "{:?}",
        p.warnings
    );
    let p = plan_on(&a, Target::Lsn(x), Some(old));
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(p.path, "abandoned");
    assert_eq!(ids(&p).last(), Some(&before[3]));
}

#[test]
fn a_fork_with_a_new_full_and_no_spanning_log_starts_from_the_new_full() {
    // A restore from a backup this history does not know (a refresh), then a full.
    let mut h = Hist::new();
    h.full(0, 30);
    h.hourly_logs(60, 3);
    h.fork = uuid::Uuid::from_u128(0x77);
    h.database_guid = uuid::Uuid::from_u128(0x99);
    h.activity(3);
    h.log_cursor = h.pos;
    let f2 = h.full(60 * 5, 10);
    let logs = h.hourly_logs(60 * 6, 2);
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    assert_eq!(ids(&p), vec![f2, logs[0], logs[1]]);
    assert!(a.chain.breaks.iter().all(|b| !b.on_current_path));
}

#[test]
fn a_copy_only_tail_log_is_the_last_step() {
    let (mut h, full, logs) = history();
    // The database fails; the DBA takes a tail-log backup WITH NO_TRUNCATE.
    h.activity(2);
    let tail = h.tail_log(60 * 6 + 30, 1);
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    let mut expected = vec![full];
    expected.extend(&logs);
    expected.push(tail);
    assert_eq!(ids(&p), expected);
    assert!(p.steps.last().unwrap().tail);
    assert_eq!(p.recovery_point, h.row(tail).finish);
    assert!(a.chain.is_tail(tail));
    // A point inside the tail is reachable.
    let t = h.row(tail).finish.unwrap() - Duration::seconds(20);
    assert!(plan(&a, Target::Time(t)).recoverable);
    // A copy-only log in the middle of the chain stays out of it.
    let (mut h2, _, _) = history();
    h2.activity(1);
    let mid = h2.copy_only_log(60 * 6 + 10);
    h2.activity(1);
    h2.log(60 * 7, 1);
    let a2 = analyse(&h2.rows);
    assert!(!a2.chain.is_tail(mid));
    assert!(!ids(&plan(&a2, Target::Latest)).contains(&mid));
}

#[test]
fn a_damaged_tail_needs_continue_after_error_and_says_so() {
    let (mut h, _, _) = history();
    h.activity(2);
    let tail = h.tail_log(60 * 6 + 30, 1);
    h.row_mut(tail).is_damaged = true;
    h.row_mut(tail).has_incomplete_metadata = true;
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    let last = p.steps.last().unwrap();
    assert_eq!(last.backup_set_id, tail);
    assert!(last.continue_after_error);
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("CONTINUE_AFTER_ERROR")));
    let script = chainwatch::tsql::restore_script("Sales", &p, &Default::default()).unwrap();
    let tail_stmt = script.split("RESTORE LOG").last().unwrap().to_string();
    assert!(tail_stmt.contains("CONTINUE_AFTER_ERROR"), "{script}");
    // Only that step carries it.
    let statements: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        statements.matches("CONTINUE_AFTER_ERROR").count(),
        1,
        "{script}"
    );
}

#[test]
fn a_full_with_a_missing_stripe_is_never_a_step() {
    let mut h = Hist::new();
    let f1 = h.full(0, 30);
    let early = h.hourly_logs(60, 3);
    let f2 = h.full(60 * 4, 20);
    h.stripe(f2, 3);
    // Family 2 of 3 is not in backupmediafamily.
    h.row_mut(f2).families.remove(1);
    let late = h.hourly_logs(60 * 5, 2);
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    let mut expected = vec![f1];
    expected.extend(&early);
    expected.extend(&late);
    assert_eq!(ids(&p), expected, "falls back to the complete older full");
    assert!(!ids(&p).contains(&f2));
    assert_eq!(h.row(f2).missing_families(), vec![2]);
}

#[test]
fn a_log_with_a_missing_stripe_is_a_gap_that_names_it() {
    let (mut h, _, logs) = history();
    h.stripe(logs[2], 2);
    h.row_mut(logs[2]).families.pop();
    let a = analyse(&h.rows);
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::Gap)
        .expect("a gap where the log cannot be read");
    assert!(b.evidence.contains(&logs[2]), "{:?}", b.evidence);
    assert!(b.detail.contains(&format!("#{}", logs[2])), "{}", b.detail);
    assert!(b.detail.contains("3132"), "{}", b.detail);
}

#[test]
fn a_mirrored_set_with_one_complete_mirror_is_restorable() {
    // The loader keeps one complete mirror; the analysis sees its families.
    let (mut h, full, _) = history();
    h.stripe(full, 2);
    let p = plan(&analyse(&h.rows), Target::Latest);
    assert_eq!(p.steps[0].files.len(), 2);
    assert!(p.recoverable);
}

/// A VSS full (virtual device, snapshot) after a native one.
fn with_vss_full() -> (Hist, i64, Vec<i64>, i64, Vec<i64>) {
    let mut h = Hist::new();
    let f1 = h.full(0, 30);
    let early = h.hourly_logs(60, 3);
    let vss = h.full(60 * 4, 1);
    {
        let r = h.row_mut(vss);
        r.is_snapshot = true;
        r.software_name = Some("Microsoft Data Protection Manager".into());
        r.families[0].device_type = Some(DeviceType::VirtualDevice);
        r.families[0].physical_device_name = Some("{5A3C2F1E-DPM}".into());
    }
    let late = h.hourly_logs(60 * 5, 2);
    (h, f1, early, vss, late)
}

#[test]
fn plans_prefer_a_native_path_over_a_newer_vss_full() {
    let (h, f1, early, vss, late) = with_vss_full();
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    assert!(p.recoverable);
    assert!(!ids(&p).contains(&vss));
    let mut expected = vec![f1];
    expected.extend(&early);
    expected.extend(&late);
    assert_eq!(ids(&p), expected);
    assert_eq!(p.needs, None);
    assert!(
        a.windows.iter().all(|w| w.needs.is_none()),
        "{:?}",
        a.windows
    );
}

#[test]
fn when_only_a_tool_reaches_the_target_both_plans_are_shown() {
    let (mut h, f1, early, vss, late) = with_vss_full();
    // The native chain is cut before the VSS full: log 3 is lost.
    let lost = early[2];
    h.rows.retain(|b| b.backup_set_id != lost);
    let a = analyse(&h.rows);
    let p = plan(&a, Target::Latest);
    assert!(p.recoverable, "{}", p.reason);
    assert_eq!(ids(&p), vec![vss, late[0], late[1]]);
    assert_eq!(p.steps[0].restorability, "needs_tool");
    assert_eq!(p.steps[1].restorability, "native");
    let native = p.native_alternative.as_ref().expect("the native-only plan");
    assert!(native.needs.is_none());
    assert!(native.steps.iter().all(|s| s.restorability == "native"));
    assert_eq!(ids(native), vec![f1, early[0], early[1]]);
    assert_eq!(native.recovery_point, h.row(early[1]).finish);
    // The recoverable lane tells native from needs-a-tool.
    assert!(
        a.windows.iter().any(|w| w.needs.is_some()),
        "{:?}",
        a.windows
    );
    assert!(a.windows.iter().any(|w| w.needs.is_none()));
}

#[test]
fn a_third_party_virtual_device_full_names_its_tool() {
    let (mut h, _, early, vss, _) = with_vss_full();
    h.row_mut(vss).is_snapshot = false;
    h.rows.retain(|b| b.backup_set_id != early[2]);
    let p = plan(&analyse(&h.rows), Target::Latest);
    assert_eq!(p.steps[0].restorability, "needs_tool");
    assert_eq!(
        p.steps[0].needs.as_deref(),
        Some("Microsoft Data Protection Manager")
    );
    assert!(p.needs.unwrap().contains("Data Protection Manager"));
}

#[test]
fn a_tsql_snapshot_backup_is_planned_as_metadata_only() {
    // SQL Server 2022: BACKUP DATABASE … WITH METADATA_ONLY to a .bkm file.
    let (mut h, _, early, snap, _) = with_vss_full();
    {
        let r = h.row_mut(snap);
        r.software_name = Some("Microsoft SQL Server".into());
        r.families[0].device_type = Some(DeviceType::Disk);
        r.families[0].physical_device_name = Some("D:\\snap\\Sales.bkm".into());
    }
    h.rows.retain(|b| b.backup_set_id != early[2]);
    let p = plan(&analyse(&h.rows), Target::Latest);
    assert_eq!(p.steps[0].backup_set_id, snap);
    assert_eq!(p.steps[0].restorability, "metadata_only");
    assert!(p.needs.as_deref().unwrap().contains("storage snapshot"));
    let script = chainwatch::tsql::restore_script("Sales", &p, &Default::default()).unwrap();
    assert!(script.contains("METADATA_ONLY"), "{script}");
    assert!(
        !script.contains(
            "RESTORE DATABASE [Sales] FROM DISK = N'D:\\snap\\Sales.bkm' WITH NORECOVERY"
        ),
        "{script}"
    );
}

// ---- Local time across a daylight-saving change ----

use chainwatch::analysis::localtime::{resolve_local, Local};

/// 15-minute logs from 06:00Z to 14:00Z; the server's clock changed from
/// UTC`+before` to UTC`+after` (hours) at 10:00Z.
fn across_dst(before: i64, after: i64) -> Hist {
    let mut h = Hist::new();
    h.full(6 * 60 - 40, 20);
    for k in 0..32 {
        h.activity(1);
        h.log(6 * 60 + 15 * k, 1);
    }
    let change = at(10 * 60);
    for b in &mut h.rows {
        let offset = if b.finish.unwrap() < change {
            before
        } else {
            after
        };
        b.finish_local = Some(b.finish.unwrap().naive_utc() + Duration::hours(offset));
        b.start_local = Some(b.start.unwrap().naive_utc() + Duration::hours(offset));
        b.time_zone = Some((offset * 4) as i16);
    }
    h
}

fn local(hh: u32, mm: u32) -> chrono::NaiveDateTime {
    at(0).date_naive().and_hms_opt(hh, mm, 0).unwrap()
}

#[test]
fn a_local_time_in_the_repeated_autumn_hour_has_two_readings() {
    let h = across_dst(2, 1);
    let rows: Vec<&BackupSet> = h.rows.iter().collect();
    // 11:30 local happened at 09:30Z (UTC+2) and again at 10:30Z (UTC+1).
    assert_eq!(
        resolve_local(&rows, local(11, 30), None),
        Local::Ambiguous(at(9 * 60 + 30), at(10 * 60 + 30))
    );
    assert_eq!(
        resolve_local(&rows, local(8, 30), None),
        Local::Unique(at(6 * 60 + 30))
    );
    assert_eq!(
        resolve_local(&rows, local(13, 0), None),
        Local::Unique(at(12 * 60))
    );
    // The CLI refuses it with both readings.
    let a = analyse(&h.rows);
    let err = chainwatch::cli::parse_target_time("2026-11-01T11:30:00", &a, None).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("ambiguous"), "{text}");
    assert!(
        text.contains("2026-11-01T09:30:00Z") && text.contains("2026-11-01T10:30:00Z"),
        "{text}"
    );
    assert_eq!(
        chainwatch::cli::parse_target_time("2026-11-01T13:00:00", &a, None).unwrap(),
        at(12 * 60)
    );
}

#[test]
fn a_stopat_in_the_repeated_hour_is_flagged_with_the_lsn_form() {
    let h = across_dst(2, 1);
    let a = analyse(&h.rows);
    // 09:40Z is 11:40 local, which the clock showed again at 10:40Z.
    let p = plan(&a, Target::Time(at(9 * 60 + 40)));
    assert!(p.recoverable);
    let last = p.steps.last().unwrap();
    assert_eq!(last.stop_at_local, Some(local(11, 40)));
    assert!(
        last.warnings
            .iter()
            .any(|w| w.contains("repeated") && w.contains("--lsn")),
        "{:?}",
        last.warnings
    );
    let script = chainwatch::tsql::restore_script("Sales", &p, &Default::default()).unwrap();
    assert!(script.contains("-- WARNING: STOPAT"), "{script}");
    // Outside the repeated hour: no warning.
    let p = plan(&a, Target::Time(at(12 * 60 + 10)));
    assert!(p.steps.last().unwrap().warnings.is_empty());
}

#[test]
fn a_local_time_in_the_skipped_spring_hour_is_refused_with_the_next_valid_time() {
    let h = across_dst(1, 2);
    let rows: Vec<&BackupSet> = h.rows.iter().collect();
    // The clock jumped from 11:00 to 12:00 local at 10:00Z.
    assert_eq!(
        resolve_local(&rows, local(11, 30), None),
        Local::Skipped {
            next: local(12, 0),
            utc: at(10 * 60)
        }
    );
    let a = analyse(&h.rows);
    let err = chainwatch::cli::parse_target_time("2026-11-01T11:30:00", &a, None).unwrap_err();
    assert!(err.to_string().contains("never happened"), "{err}");
    assert!(err.to_string().contains("12:00"), "{err}");
    assert_eq!(
        chainwatch::cli::parse_target_time("2026-11-01T12:30:00", &a, None).unwrap(),
        at(10 * 60 + 30)
    );
}

#[test]
fn server_time_is_shown_with_the_offset_in_force_then() {
    use chainwatch::analysis::localtime::server_clock;
    use chainwatch::model::zone::{OperatorZone, Shown, Zone};
    let h = across_dst(2, 1);
    let rows: Vec<&BackupSet> = h.rows.iter().collect();
    // The instance now reports UTC+1 (as after the change).
    let clock = server_clock(&rows, Some(60), at(20 * 60));
    let shown = Shown {
        zone: Zone::Server,
        server: Some(&clock),
        operator: OperatorZone::Fixed(0),
    };
    assert_eq!(shown.long(at(9 * 60 + 30)), "2026-11-01 11:30+02:00");
    assert_eq!(shown.long(at(10 * 60 + 30)), "2026-11-01 11:30+01:00");
    assert_eq!(shown.long(at(20 * 60)), "2026-11-01 21:00+01:00");
    // An instance whose offset changed after its newest backup: the change
    // lies between that backup and now, on a whole local hour.
    let later = server_clock(&rows, Some(0), at(20 * 60));
    assert_eq!(later.offset_at(at(13 * 60)), Some(60));
    assert_eq!(later.offset_at(at(20 * 60)), Some(0));
    // No history and no current offset: nothing is known, UTC is shown.
    let none = server_clock(&[], None, at(0));
    assert_eq!(none.offset_at(at(0)), None);
}
