//! Findings about what a restore can use: fork points, tail-log backups
//! of damaged databases, incomplete media sets, rows the analysis had to
//! leave out, and recoverable points that need another tool.

use super::chain::{join_ids, missing_media_text, ExcludedKind};
use super::findings::{Finding, Severity};
use super::window::usable_data_backup;
use super::DatabaseAnalysis;
use crate::model::time::{fmt_time, human_age};
use crate::model::BackupType;

pub fn restore_findings(a: &DatabaseAnalysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |id: &'static str,
                    severity: Severity,
                    title: String,
                    explanation: String,
                    evidence: Vec<i64>,
                    remedy: &str| {
        out.push(a.finding(id, severity, title, explanation, evidence, remedy))
    };
    let horizon = a.health.horizon_start;

    for f in &a.chain.fork_points {
        let abandoned: Vec<i64> = a
            .chain
            .runs
            .iter()
            .filter(|r| r.abandoned && r.fork == f.parent)
            .flat_map(|r| a.chain.logs[r.start..r.end].iter().map(|l| l.backup_set_id))
            .collect();
        let new_full = a.history.rows.iter().find(|b| {
            b.backup_type == BackupType::Full
                && super::forks::fork_of(b) == f.fork
                && usable_data_backup(b)
        });
        let mut evidence = vec![f.spanning_backup_set_id];
        evidence.extend(&abandoned);
        push(
            "chain.fork_point",
            Severity::Info,
            format!("restored to a point: recovery fork at LSN {}", f.fork_point_lsn),
            format!(
                "the database was recovered at LSN {} (a point-in-time or partial restore); log #{} spans the fork point, so restores to later points follow the new path through it{}{}",
                f.fork_point_lsn,
                f.spanning_backup_set_id,
                if abandoned.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; log backups {} hold the changes rolled back then and are restorable only when asked for (--fork)",
                        join_ids(&abandoned)
                    )
                },
                match new_full {
                    Some(full) => format!("; full #{} was taken on the new path", full.backup_set_id),
                    None => String::new(),
                },
            ),
            evidence,
            if new_full.is_some() {
                ""
            } else {
                "take a full backup on the new recovery path, as SQL Server's docs advise after a point-in-time recovery"
            },
        );
    }

    for log in a
        .chain
        .logs
        .iter()
        .filter(|l| l.is_damaged || l.has_incomplete_metadata)
    {
        push(
            "chain.damaged_log",
            Severity::Warning,
            format!("log #{} needs CONTINUE_AFTER_ERROR", log.backup_set_id),
            format!(
                "log backup #{} (finished {}{}) was taken from a damaged database{}: it is usable, but RESTORE needs CONTINUE_AFTER_ERROR and the restored database may be inconsistent",
                log.backup_set_id,
                fmt_time(log.finish),
                if a.chain.is_tail(log.backup_set_id) { ", a tail-log backup" } else { "" },
                if log.has_incomplete_metadata { " and has incomplete metadata" } else { "" },
            ),
            vec![log.backup_set_id],
            "restore with CONTINUE_AFTER_ERROR (the plan and the script do), then run DBCC CHECKDB",
        );
    }

    let newest_usable_full = a
        .starts
        .iter()
        .filter(|s| s.diff.is_none())
        .filter_map(|s| s.full.finish)
        .max();
    for b in a
        .history
        .rows
        .iter()
        .filter(|b| !b.families.is_empty() && !b.media_complete())
    {
        let recent = b.finish.is_some_and(|f| f >= horizon);
        let newest = b.is_full() && b.finish > newest_usable_full;
        let fallback = match (b.is_full() || b.is_diff(), newest_usable_full) {
            (true, Some(t)) => format!(
                "; restores fall back to the older full that finished {}",
                fmt_time(Some(t))
            ),
            (true, None) => "; no other full can start a restore".to_string(),
            (false, _) => "; the log chain has a gap there".to_string(),
        };
        push(
            "media.incomplete",
            if recent && (newest || b.is_log()) {
                Severity::Warning
            } else {
                Severity::Info
            },
            format!(
                "{} #{} is missing a stripe",
                b.backup_type.label(),
                b.backup_set_id
            ),
            format!("{}{fallback}", missing_media_text(b)),
            vec![b.backup_set_id],
            "find the missing file (another folder or container) or collect msdb.dbo.backupmediafamily completely; take a new full backup if it is gone",
        );
    }

    let bad: Vec<&super::chain::Excluded> = a
        .chain
        .excluded
        .iter()
        .filter(|e| e.kind == ExcludedKind::BadRow)
        .collect();
    if !bad.is_empty() {
        let ids: Vec<i64> = bad.iter().map(|e| e.backup_set_id).collect();
        push(
            "history.bad_row",
            Severity::Warning,
            format!(
                "{} log backup row{} cannot be used",
                bad.len(),
                if bad.len() == 1 { "" } else { "s" }
            ),
            bad.iter()
                .map(|e| format!("log #{}: {}", e.backup_set_id, e.why))
                .collect::<Vec<_>>()
                .join("; "),
            ids,
            "check msdb.dbo.backupset for these rows (an export or a tool may have written them)",
        );
    }

    if let Some(latest) = a.windows.iter().max_by_key(|w| (w.to, w.to_lsn)) {
        if let Some(needs) = &latest.needs {
            let native = a
                .windows
                .iter()
                .filter(|w| w.is_native())
                .map(|w| w.to)
                .max();
            push(
                "restore.needs_tool",
                Severity::Info,
                format!("the newest recoverable point needs {needs}"),
                format!(
                    "restoring to {} needs {needs}; RESTORE alone reaches {}",
                    fmt_time(Some(latest.to)),
                    match native {
                        Some(t) => format!(
                            "{} ({} earlier)",
                            fmt_time(Some(t)),
                            human_age(latest.to - t)
                        ),
                        None => "no point at all".to_string(),
                    }
                ),
                Vec::new(),
                "keep that tool's restore procedure at hand, or take a native full backup",
            );
        }
    }
    out
}
