//! Restore plans: which backups to restore, in order, to reach a target.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::chain::{fmt_time, BreakReason, ChainAnalysis};
use super::window::{covering_log, log_time, StartPoint, Window};
use super::DatabaseAnalysis;
use crate::model::{BackupSet, Destination, Lsn};

/// What the operator wants to restore to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// The most recent recoverable point.
    Latest,
    /// A point in time (UTC).
    Time(DateTime<Utc>),
    /// A log sequence number (STOPATMARK = 'lsn:…').
    Lsn(Lsn),
}

/// One RESTORE statement's worth: a backup set (all its stripes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// "full", "diff" or "log".
    pub kind: &'static str,
    pub backup_set_id: i64,
    pub backup_set_uuid: Option<Uuid>,
    pub first_lsn: Option<Lsn>,
    pub last_lsn: Option<Lsn>,
    pub files: Vec<String>,
    pub finish: Option<DateTime<Utc>>,
    /// STOPAT for this step (the log that holds the target time), UTC.
    pub stop_at: Option<DateTime<Utc>>,
    /// The same instant in the server's local time, as RESTORE expects it.
    pub stop_at_local: Option<NaiveDateTime>,
    /// STOPATMARK = 'lsn:…' for an LSN target.
    pub stop_at_lsn: Option<Lsn>,
    pub is_copy_only: bool,
    pub has_bulk_logged_data: bool,
    /// Written through a virtual device (VSS, DPM, third party): only that tool can restore it.
    pub virtual_device: bool,
    /// The instance whose msdb recorded this backup.
    pub source_instance: String,
}

/// A restore plan or the reason there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestorePlan {
    pub target: Target,
    pub recoverable: bool,
    /// Why not, when not recoverable; otherwise a short summary.
    pub reason: String,
    pub steps: Vec<PlanStep>,
    /// The point the plan recovers to (for `Latest`, the end of the last log).
    pub recovery_point: Option<DateTime<Utc>>,
    pub recovery_lsn: Option<Lsn>,
    /// Nearest recoverable points before and after an unreachable target.
    pub nearest_before: Option<DateTime<Utc>>,
    pub nearest_after: Option<DateTime<Utc>>,
}

/// Plans a restore of one analysed database to `target`.
pub fn plan(analysis: &DatabaseAnalysis<'_>, target: Target) -> RestorePlan {
    let chain = &analysis.chain;
    let resolved = match target {
        Target::Latest => match latest_window(analysis) {
            Some(w) => Resolved::Time(w.to, w.fork),
            None => {
                return unreachable(
                    analysis,
                    target,
                    "no full backup in history can start a restore".into(),
                )
            }
        },
        Target::Time(t) => Resolved::Time(t, None),
        Target::Lsn(l) => Resolved::Lsn(l),
    };
    // Newest start first: the fewest logs to apply. Copy-only fulls are valid starts.
    let mut starts: Vec<&StartPoint> = analysis.starts.iter().collect();
    starts.sort_by_key(|s| {
        std::cmp::Reverse((s.time(), s.lsn(), s.diff.is_some(), !s.full.is_copy_only))
    });
    for start in &starts {
        if let Some(plan) = try_start(chain, start, resolved, target) {
            return plan;
        }
    }
    // Without any log backup (SIMPLE recovery) a time can only be met by the
    // last data backup before it, as RESTORE itself would do.
    if let (Resolved::Time(t, _), true) = (resolved, chain.logs.is_empty()) {
        if let Some(start) = starts.iter().find(|s| s.time().is_some_and(|st| st <= t)) {
            let mut p = build(start, &[], target, None, start.time(), start.lsn());
            p.reason = format!(
                "{}: no log backups, so no point in time; restores to the end of the last backup before the target ({})",
                p.reason,
                fmt_time(start.time())
            );
            return p;
        }
    }
    let reason = explain_unreachable(analysis, resolved);
    unreachable(analysis, target, reason)
}

#[derive(Debug, Clone, Copy)]
enum Resolved {
    /// A time, optionally pinned to the fork of the window it came from.
    Time(DateTime<Utc>, Option<Uuid>),
    Lsn(Lsn),
}

fn latest_window<'w>(analysis: &'w DatabaseAnalysis<'_>) -> Option<&'w Window> {
    analysis.windows.iter().max_by_key(|w| (w.to, w.to_lsn))
}

fn try_start(
    chain: &ChainAnalysis<'_>,
    start: &StartPoint<'_>,
    target: Resolved,
    original: Target,
) -> Option<RestorePlan> {
    let start_time = start.time()?;
    let start_lsn = start.lsn();
    match target {
        Resolved::Time(t, fork) => {
            if start_time > t || fork.is_some_and(|f| Some(f) != start.fork()) {
                return None;
            }
            if start_time == t {
                return Some(build(start, &[], original, None, Some(t), start_lsn));
            }
            let i = covering_log(chain, start.fork(), start_lsn)?;
            let run = &chain.runs[chain.run_of(i)?];
            let k = (i..run.end).find(|&k| log_time(chain.logs[k]).is_some_and(|e| e >= t))?;
            let log = chain.logs[k];
            let log_end = log_time(log)?;
            if log.has_bulk_logged_data && t != log_end && !log.is_empty_log() {
                return None;
            }
            let stop = if matches!(original, Target::Latest) {
                None
            } else {
                Some(t)
            };
            Some(build(
                start,
                &chain.logs[i..=k],
                original,
                stop,
                Some(t),
                log.last_lsn.unwrap_or_default(),
            ))
        }
        Resolved::Lsn(x) => {
            if start_lsn > x {
                return None;
            }
            if start_lsn == x {
                return Some(build_lsn(start, &[], x));
            }
            let i = covering_log(chain, start.fork(), start_lsn)?;
            let run = &chain.runs[chain.run_of(i)?];
            let k = (i..run.end).find(|&k| chain.logs[k].last_lsn.is_some_and(|l| l >= x))?;
            let log = chain.logs[k];
            if log.has_bulk_logged_data && log.last_lsn != Some(x) {
                return None;
            }
            Some(build_lsn(start, &chain.logs[i..=k], x))
        }
    }
}

fn data_steps(start: &StartPoint<'_>) -> Vec<PlanStep> {
    let mut steps = vec![step("full", start.full)];
    if let Some(diff) = start.diff {
        steps.push(step("diff", diff));
    }
    steps
}

fn build(
    start: &StartPoint<'_>,
    logs: &[&BackupSet],
    target: Target,
    stop_at: Option<DateTime<Utc>>,
    point: Option<DateTime<Utc>>,
    lsn: Lsn,
) -> RestorePlan {
    let mut steps = data_steps(start);
    steps.extend(logs.iter().map(|l| step("log", l)));
    if let (Some(t), Some(last)) = (stop_at, steps.last_mut()) {
        if last.kind == "log" {
            last.stop_at = Some(t);
            let offset = logs.last().map(|l| offset_minutes(l)).unwrap_or(0);
            last.stop_at_local = Some(t.naive_utc() + Duration::minutes(offset));
        }
    }
    RestorePlan {
        target,
        recoverable: true,
        reason: summary(&steps),
        steps,
        recovery_point: point,
        recovery_lsn: Some(lsn),
        nearest_before: None,
        nearest_after: None,
    }
}

fn build_lsn(start: &StartPoint<'_>, logs: &[&BackupSet], x: Lsn) -> RestorePlan {
    let mut steps = data_steps(start);
    steps.extend(logs.iter().map(|l| step("log", l)));
    let point = if logs.is_empty() { start.time() } else { None };
    if let Some(last) = steps.last_mut().filter(|s| s.kind == "log") {
        last.stop_at_lsn = Some(x);
    }
    RestorePlan {
        target: Target::Lsn(x),
        recoverable: true,
        reason: summary(&steps),
        steps,
        recovery_point: point,
        recovery_lsn: Some(x),
        nearest_before: None,
        nearest_after: None,
    }
}

fn summary(steps: &[PlanStep]) -> String {
    let logs = steps.iter().filter(|s| s.kind == "log").count();
    let diff = steps.iter().any(|s| s.kind == "diff");
    format!(
        "full{}{}",
        if diff { " + differential" } else { "" },
        match logs {
            0 => String::new(),
            1 => " + 1 log".into(),
            n => format!(" + {n} logs"),
        }
    )
}

fn step(kind: &'static str, b: &BackupSet) -> PlanStep {
    PlanStep {
        kind,
        backup_set_id: b.backup_set_id,
        backup_set_uuid: b.backup_set_uuid,
        first_lsn: b.first_lsn,
        last_lsn: b.last_lsn,
        files: b.files(),
        finish: b.finish,
        stop_at: None,
        stop_at_local: None,
        stop_at_lsn: None,
        is_copy_only: b.is_copy_only,
        has_bulk_logged_data: b.has_bulk_logged_data,
        virtual_device: b.destination() == Destination::VirtualDevice,
        source_instance: b.collected_from.clone(),
    }
}

/// Minutes east of UTC for a row, from its own local/UTC pair.
pub fn offset_minutes(b: &BackupSet) -> i64 {
    match (b.finish_local, b.finish) {
        (Some(local), Some(utc)) => (local - utc.naive_utc()).num_minutes(),
        _ => b.time_zone.map(|tz| i64::from(tz) * 15).unwrap_or(0),
    }
}

fn unreachable(analysis: &DatabaseAnalysis<'_>, target: Target, reason: String) -> RestorePlan {
    let (before, after) = match target {
        Target::Time(t) => nearest(&analysis.windows, t),
        Target::Lsn(l) => nearest_lsn(&analysis.windows, l),
        Target::Latest => (None, None),
    };
    RestorePlan {
        target,
        recoverable: false,
        reason,
        steps: Vec::new(),
        recovery_point: None,
        recovery_lsn: None,
        nearest_before: before,
        nearest_after: after,
    }
}

fn nearest(windows: &[Window], t: DateTime<Utc>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let before = windows.iter().filter(|w| w.to < t).map(|w| w.to).max();
    let after = windows.iter().filter(|w| w.from > t).map(|w| w.from).min();
    (before, after)
}

fn nearest_lsn(windows: &[Window], l: Lsn) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let before = windows
        .iter()
        .filter(|w| w.to_lsn < l)
        .max_by_key(|w| w.to_lsn)
        .map(|w| w.to);
    let after = windows
        .iter()
        .filter(|w| w.from_lsn > l)
        .min_by_key(|w| w.from_lsn)
        .map(|w| w.from);
    (before, after)
}

/// Says why no start point reaches the target, naming the evidence.
fn explain_unreachable(analysis: &DatabaseAnalysis<'_>, target: Resolved) -> String {
    let windows = &analysis.windows;
    if windows.is_empty() {
        return "no full backup in history can start a restore".into();
    }
    let chain = &analysis.chain;
    match target {
        Resolved::Time(t, _) => {
            let first = windows.iter().map(|w| w.from).min().unwrap_or(t);
            let last = windows.iter().map(|w| w.to).max().unwrap_or(t);
            if t < first {
                return format!("{} is before the oldest recoverable point ({}): no full backup in history finished before it", fmt_time(Some(t)), fmt_time(Some(first)));
            }
            if let Some(log) = chain.logs.iter().enumerate().find_map(|(k, l)| {
                let end = log_time(l)?;
                let begin = if k > 0 {
                    log_time(chain.logs[k - 1])
                } else {
                    l.start
                };
                (l.has_bulk_logged_data && begin.is_some_and(|b| b < t) && t < end).then_some(l)
            }) {
                return format!(
                    "log backup #{} contains bulk-logged changes: it can be restored only to its end ({}), not to a point inside it",
                    log.backup_set_id,
                    fmt_time(log.finish)
                );
            }
            if let Some(b) = analysis.chain.breaks.iter().find(|b| {
                !b.reason.keeps_continuity()
                    && b.from_time.is_none_or(|f| f <= t)
                    && b.to_time.is_some_and(|e| t <= e)
            }) {
                return format!(
                    "the log chain is broken there ({}): {}",
                    b.reason.label(),
                    b.detail
                );
            }
            if t > last {
                return format!(
                    "{} is after the latest recoverable point ({}): no log backup covers it yet; a tail-log backup would be needed",
                    fmt_time(Some(t)),
                    fmt_time(Some(last))
                );
            }
            format!(
                "no full backup before {} reaches it through an unbroken log chain",
                fmt_time(Some(t))
            )
        }
        Resolved::Lsn(x) => {
            if let Some(b) = chain.breaks.iter().find(|b| {
                !b.reason.keeps_continuity()
                    && b.reason != BreakReason::HistoryMissing
                    && b.from_lsn.is_some_and(|f| f < x)
                    && b.to_lsn.is_some_and(|e| x < e)
            }) {
                return format!(
                    "LSN {x} falls in a break ({}): {}",
                    b.reason.label(),
                    b.detail
                );
            }
            if let Some(log) = chain.logs.iter().find(|l| {
                l.has_bulk_logged_data
                    && l.first_lsn.is_some_and(|f| f < x)
                    && l.last_lsn.is_some_and(|e| x < e)
            }) {
                return format!(
                    "LSN {x} is inside log backup #{}, which contains bulk-logged changes: only its end (LSN {}) can be reached",
                    log.backup_set_id,
                    log.last_lsn.unwrap_or_default()
                );
            }
            format!("no full backup reaches LSN {x} through an unbroken log chain")
        }
    }
}
