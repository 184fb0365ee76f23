//! Rule 11: Managed Backup health: overdue logs, forced fulls, gaps in its own file list.

use chrono::Duration;
use uuid::Uuid;

use super::{join_ids, managed, row_ev, Ctx, ManagedTarget};
use crate::analysis::chain::{fmt_lsn, BreakReason};
use crate::analysis::findings::{EvidenceRow, Finding, Severity};
use crate::analysis::health::ChainState;
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::model::{BackupSet, Lsn};
use crate::tsql::remedy;

/// Managed Backup takes a log backup at least every 2 hours; allow for the run itself.
const LOG_EVERY: i64 = 2 * 60;
const LOG_SLACK: i64 = 30;
/// The chain findings' `log.late` threshold (hours): beyond it they already warn.
const CHAIN_LOG_LATE: i64 = 6;
/// A full sooner than this after the previous one was not the weekly full.
const WEEKLY_SLACK_DAYS: i64 = 6;
const GIB: u64 = 1 << 30;

pub fn health(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    if !db.exists || db.dropped {
        return;
    }
    let target = ManagedTarget::of(&cfg);
    let mine: Vec<&BackupSet> = a
        .history
        .rows
        .iter()
        .copied()
        .filter(|b| target.matches(&b.destination()))
        .collect();
    log_overdue(ctx, a, &cfg, &mine);
    forced_fulls(ctx, a, &mine);
    available_gaps(ctx, a, &cfg);
}

fn log_overdue(
    ctx: &mut Ctx<'_>,
    a: &DatabaseAnalysis<'_>,
    cfg: &crate::model::ManagedBackupConfig,
    mine: &[&BackupSet],
) {
    let db = &a.database;
    let active = matches!(
        a.health.state,
        ChainState::Ok | ChainState::Degraded | ChainState::Broken
    );
    if !active || !db.recovery_model.is_some_and(|m| m.keeps_log_chain()) {
        return;
    }
    let Some(last) = mine
        .iter()
        .filter(|b| b.is_log() && !b.is_copy_only)
        .max_by_key(|b| (b.finish, b.backup_set_id))
    else {
        return;
    };
    let Some(finish) = last.finish else { return };
    let age = ctx.now - finish;
    // Past the chain's own log.late threshold the chain finding already says it.
    let chain_says = a
        .health
        .last_log
        .is_some_and(|l| ctx.now - l > Duration::hours(CHAIN_LOG_LATE));
    if age <= Duration::minutes(LOG_EVERY + LOG_SLACK) || chain_says {
        return;
    }
    let f = ctx.finding(
        "managed.log_overdue",
        Severity::Warning,
        Some(&db.name),
        format!("no Managed Backup log backup for {}", crate::model::time::human_age(age)),
        format!(
            "Managed Backup schedules a log backup at least every 2 hours; its newest log backup of {} is #{} ({}). SQL Server Agent stopped, the master switch off, or a failing backup (check managed_backup.fn_get_health_status) would all look like this.",
            db.name,
            last.backup_set_id,
            fmt_time(Some(finish))
        ),
    );
    ctx.push(Finding {
        evidence: vec![last.backup_set_id],
        remedy: "check that SQL Server Agent runs and the master switch is on, then take a log backup through Managed Backup".into(),
        sql: Some(remedy::on_demand(cfg.schema, &db.name, true)),
        ..f
    });
}

fn forced_fulls(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>, mine: &[&BackupSet]) {
    let db = &a.database;
    // Availability databases get copy-only fulls from Managed Backup; elsewhere
    // a copy-only full in its container was someone's extra copy.
    let ag = db.group_database_id.is_some();
    let mut fulls: Vec<&BackupSet> = mine
        .iter()
        .copied()
        .filter(|b| b.is_full() && (ag || !b.is_copy_only))
        .collect();
    fulls.sort_by_key(|b| (b.start, b.backup_set_id));
    let mut forced: Vec<(&BackupSet, Vec<i64>)> = Vec::new();
    for pair in fulls.windows(2) {
        let (prev, full) = (pair[0], pair[1]);
        let (Some(prev_end), Some(start)) = (prev.finish, full.start) else {
            continue;
        };
        if start - prev_end >= Duration::days(WEEKLY_SLACK_DAYS) {
            continue;
        }
        // 1 GB of log since the last full also triggers a full.
        let growth: u64 = mine
            .iter()
            .filter(|b| b.is_log() && b.finish > Some(prev_end) && b.finish <= Some(start))
            .filter_map(|b| b.backup_size)
            .sum();
        if growth >= GIB {
            continue;
        }
        let window_start = start - Duration::hours(24);
        // A restore (new fork) or a SIMPLE switch explains a new full: other findings say so.
        let explained = a.chain.breaks.iter().any(|b| {
            matches!(b.reason, BreakReason::NewFork | BreakReason::SimpleSwitch)
                && b.from_time.is_none_or(|t| t <= start + Duration::hours(2))
                && b.to_time.is_some_and(|t| t >= window_start)
        }) || a.chain.fork_points.iter().any(|f| {
            // A restore to a point joined by its spanning log (not a break).
            a.history
                .rows
                .iter()
                .find(|b| b.backup_set_id == f.spanning_backup_set_id)
                .and_then(|b| b.finish)
                .is_some_and(|t| t >= window_start && t <= start + Duration::hours(26))
        });
        if explained {
            continue;
        }
        let mut causes: Vec<i64> = a
            .history
            .rows
            .iter()
            .filter(|b| !b.is_copy_only && !mine.iter().any(|m| m.backup_set_id == b.backup_set_id))
            .filter(|b| b.finish.is_some_and(|f| f >= window_start && f <= start))
            .map(|b| b.backup_set_id)
            .collect();
        for br in a
            .chain
            .breaks
            .iter()
            .filter(|b| b.reason == BreakReason::Gap)
        {
            if br.to_time.is_some_and(|t| {
                t >= window_start - Duration::days(2) && t <= start + Duration::hours(2)
            }) {
                causes.extend(br.evidence.iter().copied());
            }
        }
        causes.sort_unstable();
        causes.dedup();
        forced.push((full, causes));
    }
    let recent: Vec<&(&BackupSet, Vec<i64>)> = forced
        .iter()
        .filter(|(f, _)| f.finish.is_some_and(|t| ctx.now - t <= Duration::days(14)))
        .collect();
    if recent.is_empty() {
        return;
    }
    let full_ids: Vec<i64> = recent.iter().map(|(f, _)| f.backup_set_id).collect();
    let cause_ids: Vec<i64> = recent.iter().flat_map(|(_, c)| c.iter().copied()).collect();
    let mut evidence = full_ids.clone();
    evidence.extend(cause_ids.iter().copied());
    let f = ctx.finding(
        "managed.forced_full",
        if recent.len() >= 2 { Severity::Warning } else { Severity::Info },
        Some(&db.name),
        if recent.len() >= 2 {
            format!("{} unscheduled Managed Backup fulls in 14 days", recent.len())
        } else {
            "an unscheduled Managed Backup full".into()
        },
        format!(
            "Managed Backup took full backup{} {} less than a week after the previous full, without 1 GB of log growth in between: it does that when it finds its log chain broken. {}{}",
            if full_ids.len() == 1 { "" } else { "s" },
            join_ids(&full_ids),
            if cause_ids.is_empty() {
                "No other backup or gap in the day before explains it in this history.".to_string()
            } else {
                format!("In the day before: {} (backups by other producers or chain gaps).", join_ids(&cause_ids))
            },
            if recent.len() >= 2 { " Repeated forced fulls are a sign that something else keeps breaking the chain." } else { "" },
        ),
    );
    ctx.push(Finding {
        evidence,
        remedy: "find the other producer of log backups (see the other findings) and stop it or make it COPY_ONLY".into(),
        ..f
    });
}

struct Available {
    row: EvidenceRow,
    fork: Option<Uuid>,
    first: Lsn,
    last: Lsn,
    finish: Option<chrono::DateTime<chrono::Utc>>,
}

fn available_gaps(
    ctx: &mut Ctx<'_>,
    a: &DatabaseAnalysis<'_>,
    cfg: &crate::model::ManagedBackupConfig,
) {
    let db = &a.database;
    let name = catalog::available_backups(cfg.schema);
    let Some(rows) = ctx.table(
        name,
        &db.name,
        "gaps in Managed Backup's own list of files (fn_available_backups)",
    ) else {
        return;
    };
    let mut logs: Vec<Available> = Vec::new();
    for row in &rows {
        if !ctx.is_database(row, db) {
            continue;
        }
        if !ctx
            .str(row, "backup_type")
            .is_some_and(|t| t.eq_ignore_ascii_case("LOG"))
        {
            continue;
        }
        let (Some(first), Some(last)) = (ctx.lsn(row, "first_lsn"), ctx.lsn(row, "last_lsn"))
        else {
            continue;
        };
        let path = ctx
            .str(row, "Backup_path")
            .or_else(|| ctx.str(row, "backup_path"))
            .unwrap_or_default();
        let finish = ctx.time(row, "backup_finish_date");
        logs.push(Available {
            row: row_ev(row, format!("{path}: LSN {first} to {last}")),
            fork: ctx.uuid(row, "last_recovery_fork_id"),
            first,
            last,
            finish,
        });
    }
    logs.sort_by_key(|l| (l.fork, l.first, l.last));
    // Fork order by time so the newest fork's gaps are judged against the newest full.
    let mut gaps: Vec<(&Available, &Available)> = Vec::new();
    let mut prev: Option<&Available> = None;
    let mut end = Lsn::ZERO;
    for l in &logs {
        if let Some(p) = prev.filter(|p| p.fork == l.fork) {
            if l.first > end {
                gaps.push((p, l));
            }
            if l.last > end {
                end = l.last;
                prev = Some(l);
            }
        } else {
            prev = Some(l);
            end = l.last;
        }
    }
    for (before, after) in gaps {
        // Explained by a backup another rule already names?
        let explained: Vec<i64> = a
            .history
            .rows
            .iter()
            .filter(|b| b.is_log() && ctx.is_claimed(&db.name, b.backup_set_id))
            .filter(|b| {
                b.first_lsn.is_some_and(|f| f >= before.last)
                    && b.last_lsn.is_some_and(|l| l <= after.first)
            })
            .map(|b| b.backup_set_id)
            .collect();
        // A SIMPLE period or a restore is its own finding, not a missing file.
        let other_cause = a.chain.breaks.iter().any(|b| {
            matches!(b.reason, BreakReason::NewFork | BreakReason::SimpleSwitch)
                && b.from_lsn.is_some_and(|f| f <= after.first)
                && b.to_lsn.is_some_and(|t| t >= before.last)
        });
        if !explained.is_empty() || other_cause {
            continue;
        }
        // The same gap in msdb is the chain's `chain.gap`: one finding for one cause.
        let chain_gap = a.chain.breaks.iter().find(|b| {
            b.reason == BreakReason::Gap
                && b.from_lsn.is_some_and(|f| f < after.first)
                && b.to_lsn.is_some_and(|t| t > before.last)
        });
        let later_full = a
            .history
            .rows
            .iter()
            .any(|b| b.is_full() && b.first_lsn.is_some_and(|f| f >= after.first));
        let mut evidence = Vec::new();
        if let Some(b) = chain_gap {
            evidence.extend(b.evidence.iter().copied());
            ctx.supersede(&db.name, "chain.gap", Some(b.evidence.clone()));
        }
        let f = ctx.finding(
            "managed.available_gap",
            // Points inside the gap are lost: critical inside the retention
            // period even when a later full restarted the chain.
            if !later_full || before.finish.is_some_and(|f| f >= a.health.horizon_start) {
                Severity::Critical
            } else {
                Severity::Warning
            },
            Some(&db.name),
            format!("gap in Managed Backup's files after {}", fmt_time(before.finish)),
            format!(
                "{} lists log files up to LSN {} and the next starts at LSN {}: the log in between is in none of Managed Backup's files{}, so no restore from its container can cross it. {}",
                name,
                fmt_lsn(Some(before.last)),
                fmt_lsn(Some(after.first)),
                if chain_gap.is_some() { " nor in any log backup in msdb" } else { " (msdb history does not show who took it: deleted files or another tool with its history purged)" },
                if later_full { "A later full backup starts a restorable chain again; points inside the gap are lost." } else { "No full backup after the gap: the newest backups cannot be restored." },
            ),
        );
        ctx.push(Finding {
            evidence,
            rows: vec![before.row.clone(), after.row.clone()],
            remedy: if later_full {
                "find out what removed the files (storage lifecycle rules, manual deletes, another log producer)".into()
            } else {
                "take a full backup through Managed Backup now".into()
            },
            sql: (!later_full).then(|| remedy::on_demand(cfg.schema, &db.name, false)),
            ..f
        });
    }
}
