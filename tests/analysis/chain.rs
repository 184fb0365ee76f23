//! Chain continuity, breaks and windows on real-looking histories.

use crate::support::history::{at, Hist};
use chainwatch::analysis::chain::analyze_chain;
use chainwatch::analysis::history::history_of;
use chainwatch::analysis::window::{recoverable_windows, start_points};
use chainwatch::analysis::{analyze_history, BreakReason, ChainState, DatabaseAnalysis};
use chainwatch::model::{BackupSet, Database, RecoveryModel};

fn analyse(rows: &[BackupSet]) -> DatabaseAnalysis<'_> {
    let mut db = Database::new_named("Sales");
    db.exists = true;
    db.database_id = Some(5);
    db.recovery_model = Some(RecoveryModel::Full);
    analyze_history(
        "SQL01".into(),
        db,
        true,
        history_of(rows, "Sales"),
        at(60 * 24 * 3),
    )
}

/// A week: full on day 0, hourly logs, a log that started during the full.
fn healthy() -> Hist {
    let mut h = Hist::new();
    h.activity(10);
    h.log(-30, 1); // a log before the full: the chain starts before it
    h.full(0, 30);
    h.activity(1);
    h.log(10, 25); // started during the full, ends after it
    h.hourly_logs(60, 24);
    h
}

#[test]
fn continuous_chain_has_no_breaks_and_one_window() {
    let h = healthy();
    let a = analyse(&h.rows);
    assert_eq!(a.chain.runs.len(), 1, "one contiguous run");
    let real: Vec<_> = a
        .chain
        .breaks
        .iter()
        .filter(|b| b.reason != BreakReason::HistoryMissing)
        .collect();
    assert!(real.is_empty(), "unexpected breaks: {real:?}");
    assert_eq!(a.windows.len(), 1);
    let full = &h.rows[1];
    assert_eq!(a.windows[0].from, full.finish.unwrap());
    assert_eq!(a.windows[0].to, h.rows.last().unwrap().finish.unwrap());
    assert_eq!(
        a.windows[0].to_lsn,
        h.rows.last().unwrap().last_lsn.unwrap()
    );
    assert_eq!(a.health.state, ChainState::Ok);
}

#[test]
fn lsns_are_23_digits_and_checkpoint_differs_from_first() {
    let h = healthy();
    let full = h.rows.iter().find(|b| b.is_full()).unwrap();
    assert_eq!(full.first_lsn.unwrap().to_string().len(), 23);
    assert_ne!(full.checkpoint_lsn, full.first_lsn);
}

#[test]
fn log_that_started_during_the_full_covers_its_end() {
    let h = healthy();
    let full = h.rows.iter().find(|b| b.is_full()).unwrap();
    let during = h
        .rows
        .iter()
        .find(|b| b.is_log() && b.start < full.finish && b.finish > full.finish)
        .unwrap();
    assert!(during.first_lsn.unwrap() <= full.last_lsn.unwrap());
    assert!(during.last_lsn.unwrap() > full.last_lsn.unwrap());
    let a = analyse(&h.rows);
    let starts = start_points(&a.history.rows);
    let idx =
        chainwatch::analysis::window::covering_log(&a.chain, starts[0].fork(), starts[0].lsn())
            .unwrap();
    assert_eq!(a.chain.logs[idx].backup_set_id, during.backup_set_id);
}

#[test]
fn gap_gives_one_break_with_lsns_on_both_sides() {
    let mut h = healthy();
    h.lost_log();
    h.activity(2);
    let after = h.log(60 * 30, 2);
    let a = analyse(&h.rows);
    let gaps: Vec<_> = a
        .chain
        .breaks
        .iter()
        .filter(|b| b.reason == BreakReason::Gap)
        .collect();
    assert_eq!(gaps.len(), 1);
    let before_row = h
        .rows
        .iter()
        .filter(|b| b.is_log() && b.backup_set_id != after)
        .max_by_key(|b| b.last_lsn)
        .unwrap();
    assert_eq!(gaps[0].after_backup_set_id, Some(before_row.backup_set_id));
    assert_eq!(gaps[0].before_backup_set_id, Some(after));
    assert_eq!(gaps[0].from_lsn, before_row.last_lsn);
    assert_eq!(gaps[0].to_lsn, h.row(after).first_lsn);
    // The newest log is unreachable: no full after the gap.
    assert_eq!(a.health.state, ChainState::Broken);
}

#[test]
fn full_after_a_gap_restores_recoverability() {
    let mut h = healthy();
    h.lost_log();
    h.full(60 * 30, 20);
    h.hourly_logs(60 * 31, 3);
    let a = analyse(&h.rows);
    assert_eq!(a.windows.len(), 2, "{:?}", a.windows);
    assert_eq!(a.health.state, ChainState::Degraded);
    let uncovered = a.health.worst_uncovered.unwrap();
    assert!(
        uncovered.length() >= chrono::Duration::hours(5),
        "the gap counts as loss: {uncovered:?}"
    );
}

#[test]
fn empty_logs_keep_continuity() {
    let mut h = healthy();
    let e1 = h.log(60 * 26, 1); // no activity: empty
    let e2 = h.log(60 * 27, 1);
    h.hourly_logs(60 * 28, 2);
    assert!(h.row(e1).is_empty_log() && h.row(e2).is_empty_log());
    let a = analyse(&h.rows);
    assert_eq!(a.chain.runs.len(), 1);
    assert!(a.chain.logs.iter().any(|l| l.backup_set_id == e1));
}

#[test]
fn copy_only_backups_stay_outside_the_chain() {
    let mut h = healthy();
    let col = h.copy_only_log(60 * 25 + 30);
    h.hourly_logs(60 * 26, 2);
    let a = analyse(&h.rows);
    assert_eq!(a.chain.runs.len(), 1);
    assert!(a.chain.excluded.iter().any(|e| e.backup_set_id == col));
    assert!(!a.chain.logs.iter().any(|l| l.backup_set_id == col));
}

#[test]
fn switch_to_simple_is_named() {
    let mut h = healthy();
    h.model = RecoveryModel::Simple;
    h.activity(20);
    let simple_full = h.full(60 * 30, 10);
    h.model = RecoveryModel::Full;
    h.activity(5);
    h.full(60 * 40, 10);
    h.log_cursor = h.pos; // the new chain starts here
    h.activity(2);
    let first_new = h.log(60 * 41, 1);
    h.row_mut(first_new).begins_log_chain = true;
    let a = analyse(&h.rows);
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::SimpleSwitch)
        .expect("simple switch break");
    assert_eq!(b.before_backup_set_id, Some(first_new));
    assert!(b.evidence.contains(&simple_full));
}

#[test]
fn a_fork_point_is_a_path_not_a_break() {
    let mut h = healthy();
    // Restore to a point inside the 10th hourly log; as SQL Server does,
    // the next log begins where that log began and spans the fork point.
    let logs: Vec<i64> = h
        .rows
        .iter()
        .filter(|b| b.is_log())
        .map(|b| b.backup_set_id)
        .collect();
    let old_fork = h.fork;
    h.restore_into_log(logs[10], 50_000);
    h.activity(2);
    let first_after = h.log(60 * 30, 1);
    h.full(60 * 31, 10);
    h.hourly_logs(60 * 32, 3);
    let a = analyse(&h.rows);
    assert!(
        a.chain
            .breaks
            .iter()
            .all(|b| b.reason != BreakReason::NewFork),
        "{:?}",
        a.chain.breaks
    );
    assert_eq!(a.chain.forks.len(), 2);
    let fp = &a.chain.fork_points[0];
    assert_eq!(fp.spanning_backup_set_id, first_after);
    assert_eq!(fp.parent, Some(old_fork));
    assert_eq!(fp.fork, Some(h.fork));
    // The rolled-back logs (10 onwards) are an abandoned branch off log 9.
    let abandoned = a.chain.runs.iter().find(|r| r.abandoned).expect("branch");
    assert_eq!(a.chain.logs[abandoned.start].backup_set_id, logs[10]);
    assert_eq!(
        abandoned.branch_of.map(|i| a.chain.logs[i].backup_set_id),
        Some(logs[9])
    );
    assert_ne!(a.health.state, ChainState::Broken);
    let latest = a.windows.iter().max_by_key(|w| w.to).unwrap();
    assert_eq!(latest.fork, Some(h.fork));
    // The current path runs unbroken from the first full across the fork.
    assert_eq!(a.windows.len(), 1, "{:?}", a.windows);
}

#[test]
fn a_new_fork_that_history_cannot_connect_is_named() {
    let mut h = healthy();
    // The database was replaced from a backup this history does not know
    // (no spanning log); logs follow on the new fork with no full before them.
    h.fork = uuid::Uuid::from_u128(0xF7);
    h.database_guid = uuid::Uuid::from_u128(0xDD);
    h.activity(5);
    h.log_cursor = h.pos;
    h.activity(2);
    let first_after = h.log(60 * 30, 1);
    h.hourly_logs(60 * 31, 2);
    let a = analyse(&h.rows);
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::NewFork)
        .expect("fork break");
    assert_eq!(b.before_backup_set_id, Some(first_after));
    assert!(b.on_current_path);
}

#[test]
fn log_by_another_producer_is_flagged_but_keeps_continuity() {
    let mut h = healthy();
    h.activity(3);
    let adhoc = h.log(60 * 25 + 20, 1);
    h.send_to_disk(adhoc, "D:\\adhoc\\Sales.trn", "CONTOSO\\jdoe");
    h.hourly_logs(60 * 26, 3);
    let a = analyse(&h.rows);
    assert_eq!(
        a.chain.runs.len(),
        1,
        "msdb chain still continuous through the disk file"
    );
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::OtherProducer)
        .expect("other producer");
    assert_eq!(b.evidence, vec![adhoc]);
    assert!(b.detail.contains("CONTOSO\\jdoe"), "{}", b.detail);
    assert_eq!(a.health.state, ChainState::Degraded);
}

#[test]
fn a_copy_only_tail_log_to_another_place_is_no_second_producer() {
    let mut h = healthy();
    h.activity(3);
    // The database fails; a DBA saves the tail WITH NO_TRUNCATE to a local disk.
    let tail = h.tail_log(60 * 25 + 20, 1);
    h.send_to_disk(tail, "D:\\adhoc\\Sales_tail.trn", "CONTOSO\\jdoe");
    let a = analyse(&h.rows);
    assert!(a.chain.is_tail(tail));
    assert!(
        a.chain
            .breaks
            .iter()
            .all(|b| b.reason != BreakReason::OtherProducer),
        "{:?}",
        a.chain.breaks
    );
    assert_eq!(a.health.state, ChainState::Ok);
}

#[test]
fn log_to_nul_cuts_the_chain() {
    let mut h = healthy();
    h.activity(3);
    let nul = h.log(60 * 25 + 20, 1);
    h.send_to_disk(nul, "NUL", "CONTOSO\\veeam");
    h.hourly_logs(60 * 26, 3);
    let a = analyse(&h.rows);
    assert_eq!(a.chain.runs.len(), 2);
    let b = a
        .chain
        .breaks
        .iter()
        .find(|b| b.evidence.contains(&nul))
        .expect("NUL break");
    assert_eq!(b.reason, BreakReason::OtherProducer);
    assert!(b.detail.contains("NUL"));
    assert_eq!(a.health.state, ChainState::Broken);
}

#[test]
fn striped_full_is_one_start_with_all_files() {
    let mut h = Hist::new();
    let f = h.full(0, 30);
    h.stripe(f, 4);
    h.hourly_logs(60, 3);
    let a = analyse(&h.rows);
    let starts = start_points(&a.history.rows);
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].full.files().len(), 4);
    let chain = analyze_chain(&a.history.rows);
    let windows = recoverable_windows(&chain, &starts);
    assert_eq!(windows.len(), 1);
}

#[test]
fn bulk_logged_log_splits_the_window() {
    let mut h = healthy();
    h.activity(4);
    let bulk = h.log(60 * 25, 2);
    h.row_mut(bulk).has_bulk_logged_data = true;
    h.hourly_logs(60 * 26, 2);
    let a = analyse(&h.rows);
    assert_eq!(a.windows.len(), 2, "{:?}", a.windows);
    assert_eq!(a.windows[1].from, h.row(bulk).finish.unwrap());
}

#[test]
fn duplicate_rows_from_two_replicas_count_once() {
    let h = healthy();
    let mut rows = h.rows.clone();
    let mut dup = rows[5].clone();
    dup.backup_set_id = 9999;
    dup.collected_from = "SQL02".into();
    rows.push(dup);
    let a = analyse(&rows);
    let b = analyse(&h.rows);
    assert_eq!(a.chain.logs.len(), b.chain.logs.len());
    assert_eq!(a.windows, b.windows);
}

#[test]
fn a_gap_on_the_abandoned_branch_does_not_degrade_the_database() {
    let mut h = Hist::new();
    h.full(0, 30);
    let before = h.hourly_logs(60, 3);
    h.lost_log();
    h.hourly_logs(60 * 4, 1);
    // Restored into the second log: the gap is on the branch it left.
    h.restore_into_log(before[1], 40_000);
    h.activity(2);
    h.log(60 * 6, 2);
    h.hourly_logs(60 * 7, 2);
    let a = analyse(&h.rows);
    let gap = a
        .chain
        .breaks
        .iter()
        .find(|b| b.reason == BreakReason::Gap)
        .expect("the gap is still reported");
    assert!(!gap.on_current_path);
    assert_eq!(a.health.recent_breaks, 0);
    assert_eq!(a.health.state, ChainState::Ok);
}
