//! Restore plans: which backups to restore, in order, to reach a target.
//!
//! A plan follows one recovery path (the database's current one unless an
//! LSN or `--fork` asks for another), prefers a path plain RESTORE can do
//! over one that needs another tool, and never uses a backup whose media
//! set is incomplete.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::chain::{BreakReason, RecoveryPath};
use super::localtime::{resolve_local, Local};
use super::window::{covering_in_path, log_time, path_run, StartPoint, Window};
use super::DatabaseAnalysis;
use crate::model::time::fmt_time;
use crate::model::{BackupSet, Destination, Lsn};

pub use crate::model::plan::{PlanStep, RestorePlan, Target};

/// Plans a restore of one analysed database to `target` on its current
/// recovery path (an LSN found only on another path is planned there).
pub fn plan(analysis: &DatabaseAnalysis<'_>, target: Target) -> RestorePlan {
    plan_on(analysis, target, None)
}

/// Plans a restore, on the path ending on `fork` when given.
pub fn plan_on(analysis: &DatabaseAnalysis<'_>, target: Target, fork: Option<Uuid>) -> RestorePlan {
    let chain = &analysis.chain;
    let paths: Vec<&RecoveryPath> = match (fork, target) {
        (Some(f), _) => chain.paths.iter().filter(|p| p.fork == Some(f)).collect(),
        (None, Target::Lsn(_)) => chain.paths.iter().collect(),
        (None, _) => chain.current_path().into_iter().collect(),
    };
    if fork.is_some() && paths.is_empty() {
        let forks: Vec<String> = chain
            .paths
            .iter()
            .filter_map(|p| p.fork.map(|f| f.to_string()))
            .collect();
        return unreachable(
            analysis,
            target,
            format!(
                "no recovery path of this database ends on fork {}; its forks: {}",
                fork.map(|f| f.to_string()).unwrap_or_default(),
                if forks.is_empty() {
                    "none".into()
                } else {
                    forks.join(", ")
                }
            ),
        );
    }
    for path in &paths {
        if let Some(p) = plan_path(analysis, path, target, false) {
            return p;
        }
    }
    if let Some(p) = simple_fallback(analysis, target) {
        return p;
    }
    let reason = explain_unreachable(analysis, target, fork);
    unreachable(analysis, target, reason)
}

/// Windows of a path (current or abandoned).
fn windows_of<'w>(analysis: &'w DatabaseAnalysis<'_>, path: &RecoveryPath) -> Vec<&'w Window> {
    if path.current {
        analysis.windows.iter().collect()
    } else {
        analysis
            .other_windows
            .iter()
            .filter(|w| w.fork == path.fork)
            .collect()
    }
}

/// The best plan on one path: natively restorable when possible; else the
/// one that needs a tool, with the best native plan beside it.
fn plan_path(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    target: Target,
    native_only: bool,
) -> Option<RestorePlan> {
    let resolved = match target {
        Target::Latest => {
            let w = windows_of(analysis, path)
                .into_iter()
                .filter(|w| !native_only || w.is_native())
                .max_by_key(|w| (w.to, w.to_lsn))?;
            Resolved::Time(w.to)
        }
        Target::Time(t) => Resolved::Time(t),
        Target::Lsn(l) => Resolved::Lsn(l),
    };
    // Newest start first: the fewest logs to apply. Copy-only fulls are valid starts.
    let mut starts: Vec<&StartPoint> = analysis
        .starts
        .iter()
        .filter(|s| path.holds(s.state()))
        .collect();
    starts.sort_by_key(|s| {
        std::cmp::Reverse((s.time(), s.lsn(), s.diff.is_some(), !s.full.is_copy_only))
    });
    let mut with_tool: Option<RestorePlan> = None;
    for start in &starts {
        let Some(p) = try_start(analysis, path, start, resolved, target) else {
            continue;
        };
        if p.needs.is_none() {
            return Some(p);
        }
        if native_only {
            continue;
        }
        with_tool.get_or_insert(p);
    }
    let mut p = with_tool?;
    p.native_alternative = native_alternative(analysis, path, &p).map(Box::new);
    Some(p)
}

/// The best plan RESTORE alone can do, for a plan that needs a tool (no
/// native plan reached its target): to the newest native point before it.
fn native_alternative(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    tool_plan: &RestorePlan,
) -> Option<RestorePlan> {
    let limit = tool_plan.recovery_point?;
    let newest_native = windows_of(analysis, path)
        .into_iter()
        .filter(|w| w.is_native() && w.from <= limit)
        .map(|w| w.to.min(limit))
        .max()?;
    let mut p = plan_path(analysis, path, Target::Time(newest_native), true)?;
    p.reason = format!(
        "{} (RESTORE alone reaches {}, not the target)",
        p.reason,
        fmt_time(p.recovery_point)
    );
    Some(p)
}

#[derive(Debug, Clone, Copy)]
enum Resolved {
    Time(DateTime<Utc>),
    Lsn(Lsn),
}

fn try_start(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    start: &StartPoint<'_>,
    target: Resolved,
    original: Target,
) -> Option<RestorePlan> {
    let chain = &analysis.chain;
    let start_time = start.time()?;
    let start_lsn = start.lsn();
    let logs_of = |lo: usize, hi: usize| -> Vec<&BackupSet> {
        path.logs[lo..=hi].iter().map(|&i| chain.logs[i]).collect()
    };
    match target {
        Resolved::Time(t) => {
            if start_time > t {
                return None;
            }
            if start_time == t {
                return Some(build(
                    analysis,
                    path,
                    start,
                    &[],
                    original,
                    None,
                    Some(t),
                    start_lsn,
                ));
            }
            let i = covering_in_path(chain, path, start.state())?;
            let (_, end) = path_run(path, i)?;
            let k =
                (i..end).find(|&k| log_time(chain.logs[path.logs[k]]).is_some_and(|e| e >= t))?;
            let log = chain.logs[path.logs[k]];
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
                analysis,
                path,
                start,
                &logs_of(i, k),
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
                return Some(build_lsn(analysis, path, start, &[], x));
            }
            let i = covering_in_path(chain, path, start.state())?;
            let (_, end) = path_run(path, i)?;
            let k =
                (i..end).find(|&k| chain.logs[path.logs[k]].last_lsn.is_some_and(|l| l >= x))?;
            let log = chain.logs[path.logs[k]];
            if log.has_bulk_logged_data && log.last_lsn != Some(x) {
                return None;
            }
            Some(build_lsn(analysis, path, start, &logs_of(i, k), x))
        }
    }
}

fn data_steps(analysis: &DatabaseAnalysis<'_>, start: &StartPoint<'_>) -> Vec<PlanStep> {
    let mut steps = vec![step(analysis, "full", start.full)];
    if let Some(diff) = start.diff {
        steps.push(step(analysis, "diff", diff));
    }
    steps
}

#[allow(clippy::too_many_arguments)]
fn build(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    start: &StartPoint<'_>,
    logs: &[&BackupSet],
    target: Target,
    stop_at: Option<DateTime<Utc>>,
    point: Option<DateTime<Utc>>,
    lsn: Lsn,
) -> RestorePlan {
    let mut steps = data_steps(analysis, start);
    steps.extend(logs.iter().map(|l| step(analysis, "log", l)));
    let mut warnings = Vec::new();
    if let (Some(t), Some(last)) = (stop_at, steps.last_mut()) {
        if last.kind == "log" {
            last.stop_at = Some(t);
            let offset = logs.last().map(|l| offset_minutes(l)).unwrap_or(0);
            let local = t.naive_utc() + Duration::minutes(offset);
            last.stop_at_local = Some(local);
            if let Some(w) = crossing_warning(analysis, path, last.backup_set_id, t) {
                warnings.push(w);
            }
            if let Local::Ambiguous(a, b) = resolve_local(&analysis.history.rows, local, None) {
                let w = format!(
                    "STOPAT {local} is in the hour the server's clock repeated (it is {} or {}): SQL Server may stop at either; restore to an LSN instead (--lsn, the log holds {}..{})",
                    fmt_time(Some(a)),
                    fmt_time(Some(b)),
                    last.first_lsn.map(|l| l.to_string()).unwrap_or_default(),
                    last.last_lsn.map(|l| l.to_string()).unwrap_or_default(),
                );
                last.warnings.push(w.clone());
                warnings.push(w);
            }
        }
    }
    finish(analysis, path, target, steps, point, Some(lsn), warnings)
}

fn build_lsn(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    start: &StartPoint<'_>,
    logs: &[&BackupSet],
    x: Lsn,
) -> RestorePlan {
    let mut steps = data_steps(analysis, start);
    steps.extend(logs.iter().map(|l| step(analysis, "log", l)));
    let point = if logs.is_empty() { start.time() } else { None };
    if let Some(last) = steps.last_mut().filter(|s| s.kind == "log") {
        last.stop_at_lsn = Some(x);
    }
    // LSNs past a fork point repeat on the branch the database left.
    let mut warnings = Vec::new();
    if let Some(w) = analysis
        .other_windows
        .iter()
        .chain(analysis.windows.iter())
        .find(|w| {
            w.fork != path.fork && w.abandoned == path.current && w.from_lsn < x && x <= w.to_lsn
        })
    {
        warnings.push(format!(
            "LSN {x} exists on two recovery paths (LSNs repeat after a fork point): this plan takes the {} one; for the other, ask with --fork {}",
            if path.current { "current" } else { "abandoned" },
            w.fork.map(|f| f.to_string()).unwrap_or_else(|| "?".into()),
        ));
    }
    finish(
        analysis,
        path,
        Target::Lsn(x),
        steps,
        point,
        Some(x),
        warnings,
    )
}

/// The plan's labels: which path, what it needs, what to know.
fn finish(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    target: Target,
    steps: Vec<PlanStep>,
    point: Option<DateTime<Utc>>,
    lsn: Option<Lsn>,
    mut warnings: Vec<String>,
) -> RestorePlan {
    let mut needs: Vec<String> = steps.iter().filter_map(|s| s.needs.clone()).collect();
    needs.dedup();
    for s in &steps {
        for w in &s.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }
    let fork_points: Vec<String> = analysis
        .chain
        .fork_points
        .iter()
        .filter(|f| {
            steps
                .iter()
                .any(|s| s.backup_set_id == f.spanning_backup_set_id)
        })
        .map(|f| {
            format!(
                "LSN {} (log #{})",
                f.fork_point_lsn, f.spanning_backup_set_id
            )
        })
        .collect();
    let mut reason = summary(&steps);
    if !fork_points.is_empty() {
        reason.push_str(&format!(
            ", crossing the fork point at {}",
            fork_points.join(", ")
        ));
    }
    if !path.current {
        let w = format!(
            "this point is on a recovery path the database left (fork {}): restoring it brings back changes that were rolled back on purpose",
            path.fork.map(|f| f.to_string()).unwrap_or_else(|| "?".into())
        );
        warnings.insert(0, w);
    }
    RestorePlan {
        reason,
        recovery_point: point,
        recovery_lsn: lsn,
        path: if path.current { "current" } else { "abandoned" },
        fork: path.fork,
        needs: (!needs.is_empty()).then(|| needs.join("; ")),
        warnings,
        ..RestorePlan::of_steps(target, steps)
    }
}

/// A time that stops in the log spanning a fork point may also be a time
/// the abandoned branch holds: say what the current path gives there.
fn crossing_warning(
    analysis: &DatabaseAnalysis<'_>,
    path: &RecoveryPath,
    stop_log: i64,
    t: DateTime<Utc>,
) -> Option<String> {
    let fork = analysis
        .chain
        .fork_points
        .iter()
        .find(|f| f.spanning_backup_set_id == stop_log)?;
    let other = analysis
        .other_windows
        .iter()
        .find(|w| w.from < t && t <= w.to && w.fork != path.fork)?;
    Some(format!(
        "{} falls where this path crosses the fork point at LSN {} (log #{}): changes made after that point on the branch the database left are not on this path, and the restore stops at the fork point if {} was after it; for the database as it was then on that branch, ask with --fork {}",
        fmt_time(Some(t)),
        fork.fork_point_lsn,
        stop_log,
        fmt_time(Some(t)),
        other.fork.map(|f| f.to_string()).unwrap_or_else(|| "?".into()),
    ))
}

/// Without any log backup (SIMPLE recovery) a time can only be met by the
/// last data backup before it, as RESTORE itself would do.
fn simple_fallback(analysis: &DatabaseAnalysis<'_>, target: Target) -> Option<RestorePlan> {
    let Target::Time(t) = target else { return None };
    let path = analysis.chain.current_path()?;
    if !path.logs.is_empty() {
        return None;
    }
    let mut starts: Vec<&StartPoint> = analysis
        .starts
        .iter()
        .filter(|s| path.holds(s.state()) && s.time().is_some_and(|st| st <= t))
        .collect();
    starts.sort_by_key(|s| std::cmp::Reverse((s.time(), s.lsn(), s.diff.is_some())));
    let start = starts.first()?;
    let mut p = build(
        analysis,
        path,
        start,
        &[],
        target,
        None,
        start.time(),
        start.lsn(),
    );
    p.reason = format!(
        "{}: no log backups, so no point in time; restores to the end of the last backup before the target ({})",
        p.reason,
        fmt_time(start.time())
    );
    Some(p)
}

fn summary(steps: &[PlanStep]) -> String {
    let logs = steps.iter().filter(|s| s.kind == "log").count();
    let diff = steps.iter().any(|s| s.kind == "diff");
    let tail = steps.iter().any(|s| s.tail);
    format!(
        "full{}{}{}",
        if diff { " + differential" } else { "" },
        match logs {
            0 => String::new(),
            1 => " + 1 log".into(),
            n => format!(" + {n} logs"),
        },
        if tail {
            " (the last one a tail-log backup)"
        } else {
            ""
        }
    )
}

fn step(analysis: &DatabaseAnalysis<'_>, kind: &'static str, b: &BackupSet) -> PlanStep {
    let restorability = b.restorability();
    let continue_after_error = b.is_log() && (b.is_damaged || b.has_incomplete_metadata);
    let mut warnings = Vec::new();
    if continue_after_error {
        warnings.push(format!(
            "log #{} was taken from a damaged database ({}): RESTORE needs CONTINUE_AFTER_ERROR; run DBCC CHECKDB after the restore",
            b.backup_set_id,
            match (b.is_damaged, b.has_incomplete_metadata) {
                (true, true) => "is_damaged, has_incomplete_metadata",
                (true, false) => "is_damaged",
                _ => "has_incomplete_metadata",
            }
        ));
    }
    if let Some(n) = restorability.needs() {
        warnings.push(format!(
            "{} #{} needs {n}: RESTORE alone cannot read it",
            b.backup_type.label(),
            b.backup_set_id
        ));
    }
    PlanStep {
        backup_set_uuid: b.backup_set_uuid,
        first_lsn: b.first_lsn,
        last_lsn: b.last_lsn,
        finish: b.finish,
        is_copy_only: b.is_copy_only,
        has_bulk_logged_data: b.has_bulk_logged_data,
        virtual_device: b.destination() == Destination::VirtualDevice,
        restorability: restorability.code(),
        needs: restorability.needs(),
        tail: analysis.chain.is_tail(b.backup_set_id),
        continue_after_error,
        warnings,
        source_instance: b.collected_from.clone(),
        ..PlanStep::new(kind, b.backup_set_id, b.files())
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
        recoverable: false,
        reason,
        nearest_before: before,
        nearest_after: after,
        fork: analysis.chain.current_path().and_then(|p| p.fork),
        ..RestorePlan::of_steps(target, Vec::new())
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
fn explain_unreachable(
    analysis: &DatabaseAnalysis<'_>,
    target: Target,
    fork: Option<Uuid>,
) -> String {
    let windows = &analysis.windows;
    let chain = &analysis.chain;
    let elsewhere = |t: DateTime<Utc>| {
        analysis
            .other_windows
            .iter()
            .find(|w| w.contains_time(t))
            .and_then(|w| w.fork)
    };
    if windows.is_empty() {
        return "no full backup in history can start a restore".into();
    }
    match target {
        Target::Latest => "no full backup in history can start a restore".into(),
        Target::Time(t) => {
            if fork.is_none() {
                if let Some(f) = elsewhere(t) {
                    if !windows.iter().any(|w| w.contains_time(t)) {
                        return format!(
                            "{} is not on the recovery path the database is on now, but on the branch it left (fork {f}); to restore that abandoned state, ask for it with --fork {f}",
                            fmt_time(Some(t))
                        );
                    }
                }
            }
            let first = windows.iter().map(|w| w.from).min().unwrap_or(t);
            let last = windows.iter().map(|w| w.to).max().unwrap_or(t);
            if t < first {
                return format!("{} is before the oldest recoverable point ({}): no full backup in history finished before it", fmt_time(Some(t)), fmt_time(Some(first)));
            }
            // In the current path's restore order, so "the log before" is its neighbour there.
            let current: Vec<&BackupSet> = chain
                .current_path()
                .map(|p| p.logs.iter().map(|&i| chain.logs[i]).collect())
                .unwrap_or_default();
            if let Some(log) = current.iter().enumerate().find_map(|(k, l)| {
                let end = log_time(l)?;
                let begin = if k > 0 {
                    log_time(current[k - 1])
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
            if let Some(b) = chain.breaks.iter().find(|b| {
                b.on_current_path
                    && !b.reason.keeps_continuity()
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
        Target::Lsn(x) => {
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
