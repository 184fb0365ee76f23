//! Rule 10: Stretch-enabled databases (deprecated), restored and not reauthorized.

use super::{row_ev, Ctx};
use crate::analysis::findings::{Finding, Severity};
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::tsql::remedy;

const DEPRECATED: &str = "Stretch Database is deprecated in SQL Server 2022 (16.x) and Azure SQL Database, and Microsoft announced its retirement in July 2024";

pub fn stretch(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    if !db.exists || db.stretch_enabled != Some(true) {
        return;
    }
    let f = ctx.finding(
        "stretch.deprecated",
        Severity::Info,
        Some(&db.name),
        "Stretch Database: deprecated feature".into(),
        format!(
            "{} is Stretch-enabled. {DEPRECATED}. Its SQL Server backups are shallow: rows already migrated to Azure are not in them (Azure snapshots the remote data itself, at least every 8 hours, kept 7 days). Plan to bring the data back (MIGRATION_STATE = INBOUND) and disable Stretch.",
            db.name
        ),
    );
    ctx.push(Finding {
        remedy: "plan the migration off Stretch; never enable it on new databases".into(),
        ..f
    });

    let credential = ctx
        .rows_if_any(ctx.instance, catalog::SCOPED_CREDENTIALS)
        .into_iter()
        .find(|r| {
            r.string("database_name")
                .ok()
                .flatten()
                .is_some_and(|n| n.eq_ignore_ascii_case(&db.name))
        })
        .and_then(|r| r.string("name").ok().flatten());
    let reauthorize = remedy::reauthorize(&db.name, credential.as_deref());

    // Restored: restorehistory rows for this database.
    if let Some(rows) = ctx.table(
        catalog::RESTOREHISTORY,
        &db.name,
        "whether a Stretch-enabled database was restored (and needs sp_rda_reauthorize_db)",
    ) {
        let mut restores = Vec::new();
        for row in &rows {
            if !ctx.names(row, "destination_database_name", &db.name) {
                continue;
            }
            let when = ctx.time(row, "restore_date");
            let kind = ctx.str(row, "restore_type").unwrap_or_default();
            let set = ctx.int(row, "backup_set_id");
            restores.push((
                when,
                set,
                row_ev(
                    row,
                    format!(
                        "restore_type {kind} at {}, backup set {}",
                        fmt_time(when),
                        set.map(|s| format!("#{s}")).unwrap_or_else(|| "?".into())
                    ),
                ),
            ));
        }
        if let Some(latest) = restores.iter().filter_map(|r| r.0).max() {
            let ids: Vec<i64> = restores.iter().filter_map(|r| r.1).collect();
            let guid_changed = a
                .history
                .rows
                .iter()
                .filter(|b| b.finish.is_some_and(|f| f < latest))
                .filter_map(|b| b.database_guid)
                .next_back()
                .zip(db.database_guid)
                .is_some_and(|(before, now)| before != now);
            let f = ctx.finding(
                "stretch.restored",
                Severity::Warning,
                Some(&db.name),
                format!("Stretch-enabled database restored {}: reauthorize the link to Azure", fmt_time(Some(latest))),
                format!(
                    "restorehistory shows {} restored at {}{}. After a restore the link to the remote Azure data is not live until sp_rda_reauthorize_db runs in the restored database; queries on Stretch tables fail until then. chainwatch cannot see whether that already happened. {DEPRECATED}.",
                    db.name,
                    fmt_time(Some(latest)),
                    if guid_changed { " (it has a new database_guid since)" } else { "" },
                ),
            );
            ctx.push(Finding {
                evidence: ids,
                rows: restores.into_iter().map(|r| r.2).collect(),
                remedy: "run sp_rda_reauthorize_db with the database scoped credential (with_copy = 1 connects to a copy of the remote data), then check is_reconciled".into(),
                sql: Some(reauthorize.clone()),
                ..f
            });
        }
    }

    // Tables out of sync with their remote copy.
    let rda: Vec<_> = ctx
        .rows_if_any(ctx.instance, catalog::RDA_TABLES)
        .into_iter()
        .filter(|r| {
            r.string("database_name")
                .ok()
                .flatten()
                .is_none_or(|n| n.eq_ignore_ascii_case(&db.name))
        })
        .collect();
    let mut unreconciled = Vec::new();
    for row in &rda {
        if ctx.bit(row, "is_reconciled") == Some(false) {
            let name = ctx.str(row, "remote_table_name").unwrap_or_default();
            unreconciled.push(row_ev(
                row,
                format!("remote table {name}: is_reconciled = 0"),
            ));
        }
    }
    if !unreconciled.is_empty() {
        let f = ctx.finding(
            "stretch.unreconciled",
            Severity::Warning,
            Some(&db.name),
            format!("{} Stretch table(s) out of sync with Azure", unreconciled.len()),
            "sys.remote_data_archive_tables.is_reconciled = 0: queries that include remote data fail until the table is reconciled (after an Azure restore or manual remote deletes). The docs disagree on whether reauthorizing reconciles automatically; check again after it.".into(),
        );
        ctx.push(Finding {
            rows: unreconciled,
            remedy: "reauthorize, then run sys.sp_rda_reconcile_batch for each table still not reconciled".into(),
            sql: Some(format!("{reauthorize}\n{}", remedy::reconcile_placeholder())),
            ..f
        });
    }
}
