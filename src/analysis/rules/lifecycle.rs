//! Rules 7 and 8: recovery model changes and dropped databases.

use chrono::Duration;

use super::{join_ids, managed, row_ev, Ctx};
use crate::analysis::chain::BreakReason;
use crate::analysis::findings::{Finding, Severity};
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::model::{ManagedBackupSchema, RecoveryModel};
use crate::tsql::remedy;

/// Rule 7: FULL/BULK_LOGGED → SIMPLE and back on a Managed Backup database.
/// (Bulk-logged logs are the chain findings' `log.bulk_logged`.)
pub fn recovery_model(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    let retention = Duration::days(i64::from(cfg.retention_days.unwrap_or(30)));
    for b in a
        .chain
        .breaks
        .iter()
        .filter(|b| b.reason == BreakReason::SimpleSwitch && b.on_current_path)
    {
        let after = b.to_time;
        let new_full = a
            .history
            .rows
            .iter()
            .filter(|r| r.is_full() && !r.is_copy_only)
            .filter(|r| r.recovery_model.is_some_and(|m| m.keeps_log_chain()))
            .filter(|r| r.finish >= b.from_time && r.finish <= after)
            .max_by_key(|r| (r.finish, r.backup_set_id));
        let mut evidence = b.evidence.clone();
        if let Some(f) = new_full {
            if !evidence.contains(&f.backup_set_id) {
                evidence.push(f.backup_set_id);
            }
        }
        let recent = b.to_time.is_some_and(|t| ctx.now - t <= retention);
        let f = ctx.finding(
            "recovery.simple_period",
            // Severity policy: points inside retention that no restore reaches are a loss.
            match (recent, crate::analysis::health::lost_in(&a.windows, b, a.health.horizon_start, ctx.now)) {
                (true, Some(_)) => Severity::Critical,
                (true, None) => Severity::Warning,
                _ => Severity::Info,
            },
            Some(&db.name),
            format!("switched to SIMPLE and back: no point-in-time restore before {}", fmt_time(b.to_time)),
            format!(
                "the log chain ends with log #{} ({}) and a new one begins with log #{}{}: the database was in SIMPLE recovery in between ({}). Managed Backup took no log backups while it was SIMPLE, but retention kept purging; the switch back to FULL works like a new database, and the new chain starts at {}. No restore can stop between {} and the new chain's first backup.{}",
                b.after_backup_set_id.unwrap_or_default(),
                fmt_time(b.from_time),
                b.before_backup_set_id.unwrap_or_default(),
                if b.evidence.len() > 2 { format!(" (SIMPLE-model backups: {})", join_ids(&b.evidence[2..])) } else { String::new() },
                b.detail,
                new_full.map(|f| format!("full #{} ({})", f.backup_set_id, fmt_time(f.finish))).unwrap_or_else(|| "no full backup in this history: take one now".into()),
                fmt_time(b.from_time),
                if cfg.schema == ManagedBackupSchema::ManagedBackup {
                    " If the database has a custom schedule, @log_backup_freq must be non-zero again (the schedule is not in the snapshot)."
                } else {
                    ""
                },
            ),
        );
        ctx.supersede(&db.name, "chain.simple_switch", Some(b.evidence.clone()));
        ctx.push(Finding {
            evidence,
            remedy: if new_full.is_some() {
                "keep the database in FULL recovery; download older backups you still need before retention purges them".into()
            } else {
                "take a full backup through Managed Backup to start the new chain".into()
            },
            sql: new_full.is_none().then(|| remedy::on_demand(cfg.schema, &db.name, false)),
            ..f
        });
    }
    if db.exists && db.recovery_model == Some(RecoveryModel::Simple) {
        let earlier: Vec<&crate::model::BackupSet> = a
            .history
            .rows
            .iter()
            .copied()
            .filter(|r| r.recovery_model.is_some_and(|m| m.keeps_log_chain()))
            .collect();
        let last_full_model = earlier.iter().filter_map(|r| r.finish).max();
        let ids: Vec<i64> = earlier
            .iter()
            .filter(|r| r.finish == last_full_model)
            .map(|r| r.backup_set_id)
            .collect();
        let v2014 = cfg.schema == ManagedBackupSchema::SmartAdmin;
        if earlier.is_empty() && !v2014 {
            return;
        }
        let f = ctx.finding(
            "recovery.now_simple",
            Severity::Warning,
            Some(&db.name),
            "Managed Backup database is in SIMPLE recovery".into(),
            format!(
                "{}{}",
                if v2014 {
                    "SQL Server 2014 Managed Backup supports FULL and BULK_LOGGED only: in SIMPLE its backups stop, while retention keeps running and purges the files when it expires. "
                } else {
                    "in SIMPLE recovery Managed Backup takes no log backups, so there is no point-in-time restore. "
                },
                if earlier.is_empty() {
                    String::new()
                } else {
                    format!(
                        "The last backup taken in FULL or BULK_LOGGED recovery finished {} ({}); download the files you still need before retention purges them. The settings are kept for a switch back.",
                        fmt_time(last_full_model),
                        join_ids(&ids)
                    )
                }
            ),
        );
        ctx.push(Finding {
            evidence: ids,
            remedy: "switch back to FULL if point-in-time restore is needed (then take a full backup), or turn Managed Backup off deliberately".into(),
            sql: Some(format!(
                "{}\n{}",
                remedy::set_recovery_full(&db.name),
                remedy::on_demand(cfg.schema, &db.name, false)
            )),
            ..f
        });
    }
}

/// Rule 8: a dropped or detached Managed Backup database keeps its files until retention ends.
pub fn dropped(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = db.managed_backup.clone() else {
        return;
    };
    if !(db.dropped || cfg.is_dropped) {
        return;
    }
    let available = catalog::available_backups(cfg.schema);
    let Some(rows) = ctx.table(
        available,
        &db.name,
        "when the files of dropped databases are purged",
    ) else {
        return;
    };
    let mut files = Vec::new();
    for row in &rows {
        if !ctx.is_database(row, db) {
            continue;
        }
        let expires = ctx.time(row, "expiration_date");
        let path = ctx
            .str(row, "Backup_path")
            .or_else(|| ctx.str(row, "backup_path"));
        let first = ctx.lsn(row, "first_lsn");
        let last = ctx.lsn(row, "last_lsn");
        files.push((
            row_ev(
                row,
                format!("{} expires {}", path.unwrap_or_default(), fmt_time(expires)),
            ),
            expires,
            first,
            last,
        ));
    }
    let ids: Vec<i64> = a
        .history
        .rows
        .iter()
        .filter(|b| {
            files
                .iter()
                .any(|(_, _, f, l)| f.is_some() && b.first_lsn == *f && b.last_lsn == *l)
        })
        .map(|b| b.backup_set_id)
        .collect();
    let first_gone = files.iter().filter_map(|f| f.1).min();
    let last_gone = files.iter().filter_map(|f| f.1).max();
    let soon = last_gone.is_some_and(|t| t - ctx.now <= Duration::days(3));
    let f = ctx.finding(
        "retention.dropped",
        if soon { Severity::Warning } else { Severity::Info },
        Some(&db.name),
        if files.is_empty() {
            "dropped: Managed Backup lists no files any more".into()
        } else {
            format!("dropped: its backups are purged from {} to {}", fmt_time(first_gone), fmt_time(last_gone))
        },
        if files.is_empty() {
            format!(
                "{} is dropped or detached (fn_backup_db_config is_dropped = {}); {} has no file of it left, so retention has purged them all. msdb history may still list backups that no longer exist.",
                db.name, cfg.is_dropped, available
            )
        } else {
            format!(
                "{} is dropped or detached. Microsoft: earlier backups stay in storage until the retention period ({} days) ends, then they are purged. {} lists {} file(s); the first expires {}, the last {}. After that no restore is possible.",
                db.name,
                cfg.retention_days.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
                available,
                files.len(),
                fmt_time(first_gone),
                fmt_time(last_gone)
            )
        },
    );
    ctx.supersede(&db.name, "database.dropped", None);
    ctx.push(Finding {
        evidence: ids,
        rows: files.into_iter().map(|f| f.0).collect(),
        remedy: "copy the blobs you may still need elsewhere before they expire (retention cannot be extended for a dropped database)".into(),
        ..f
    });
}
