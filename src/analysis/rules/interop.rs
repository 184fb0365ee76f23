//! Rules 1–4: log shipping, maintenance plans, other producers, ad hoc backups.

use std::collections::BTreeMap;

use chrono::Duration;

use super::{join_ids, managed, row_ev, Ctx, ManagedTarget};
use crate::analysis::chain::fmt_lsn;
use crate::analysis::findings::{EvidenceRow, Finding, Severity};
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::model::{BackupSet, BackupType, Destination, Producer};
use crate::tsql::remedy;

/// Folder of a path as `Destination::Disk` spells it (lowercase, no trailing slash).
fn folder(path: &str) -> String {
    path.trim_end_matches(['\\', '/']).to_ascii_lowercase()
}

/// The job named by `job_id`, as an evidence row with its name and state.
fn job_row(ctx: &mut Ctx<'_>, job_id: Option<uuid::Uuid>) -> Option<(String, EvidenceRow)> {
    let job_id = job_id?;
    let rows = ctx.table(
        catalog::SYSJOBS,
        "instance",
        "which Agent jobs take backups",
    )?;
    for row in rows {
        if ctx.uuid(&row, "job_id") == Some(job_id) {
            let name = ctx.str(&row, "name").unwrap_or_default();
            let enabled = ctx.int(&row, "enabled").unwrap_or(1) != 0;
            let text = format!(
                "job '{name}' ({}), job_id {job_id}",
                if enabled { "enabled" } else { "disabled" }
            );
            return Some((name, row_ev(&row, text)));
        }
    }
    None
}

/// Rule 1: log shipping and Managed Backup cannot be configured for the same database.
pub fn log_shipping(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    if !db.exists {
        return;
    }
    let Some(rows) = ctx.table(
        catalog::LOG_SHIPPING_PRIMARY,
        &db.name,
        "whether log shipping runs beside Managed Backup",
    ) else {
        return;
    };
    for row in rows {
        if !ctx.names(&row, "primary_database", &db.name) {
            continue;
        }
        let dirs: Vec<String> = ["backup_directory", "backup_share"]
            .iter()
            .filter_map(|c| ctx.str(&row, c))
            .collect();
        let job = ctx.uuid(&row, "backup_job_id");
        let mut rows = vec![row_ev(
            &row,
            format!(
                "primary_database = '{}', backup_directory = '{}'",
                db.name,
                dirs.first().cloned().unwrap_or_default()
            ),
        )];
        let job = job_row(ctx, job);
        if let Some((_, r)) = &job {
            rows.push(r.clone());
        }
        let wanted: Vec<String> = dirs.iter().map(|d| folder(d)).collect();
        let ids: Vec<i64> = a
            .history
            .rows
            .iter()
            .filter(|b| b.is_log() && !b.is_copy_only)
            .filter(|b| matches!(b.destination(), Destination::Disk(f) if wanted.contains(&f)))
            .map(|b| b.backup_set_id)
            .collect();
        ctx.claim(&db.name, ids.iter().copied());
        let job_name = job.as_ref().map(|(n, _)| n.clone());
        let mut sql = Vec::new();
        sql.push("-- Keep Managed Backup: stop the log shipping backup job, then remove log shipping (secondaries first).".to_string());
        if let Some(name) = &job_name {
            sql.push(remedy::disable_job(name));
        }
        sql.push(remedy::remove_log_shipping_primary(&db.name));
        sql.push("-- Or keep log shipping and turn Managed Backup off for this database:".into());
        sql.push(format!("-- {}", remedy::managed_off(cfg.schema, &db.name)));
        let f = ctx.finding(
            "interop.log_shipping",
            Severity::Critical,
            Some(&db.name),
            "log shipping on a Managed Backup database".into(),
            format!(
                "log_shipping_primary_databases lists {} as a log shipping primary{}, and Managed Backup is enabled for it. Microsoft: log shipping and Managed Backup cannot be configured for the same database. Both take log backups, so each one's files have holes the other filled{}.",
                db.name,
                job_name.as_ref().map(|n| format!(" (backup job '{n}')")).unwrap_or_default(),
                if ids.is_empty() {
                    String::from(": no log backup into the log shipping folder is in the collected history yet")
                } else {
                    format!(": {} log backups went to the log shipping folder ({})", ids.len(), join_ids(&ids))
                },
            ),
        );
        ctx.push(Finding {
            evidence: ids,
            rows,
            remedy: "choose one owner of log backups: remove log shipping, or turn Managed Backup off for this database".into(),
            sql: Some(sql.join("\n")),
            ..f
        });
    }
}

/// A `BACKUP DATABASE|LOG <name> ...` command, as a maintenance plan logged it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BackupCommand {
    pub log: bool,
    pub database: String,
    pub copy_only: bool,
    pub target: Option<String>,
}

/// Reads the first BACKUP statement of a command text.
pub(crate) fn parse_backup_command(command: &str) -> Option<BackupCommand> {
    parse_backup_at(command, 0)
}

/// Reads the first BACKUP statement at or after byte `from` of a command
/// text; a variable target is looked up in the whole text before it.
pub(crate) fn parse_backup_at(command: &str, from: usize) -> Option<BackupCommand> {
    let upper = command.to_ascii_uppercase();
    let (pos, log) = [("BACKUP DATABASE", false), ("BACKUP LOG", true)]
        .iter()
        .filter_map(|(k, log)| upper[from..].find(k).map(|p| (from + p + k.len(), *log)))
        .min_by_key(|(p, _)| *p)?;
    let rest = command[pos..].trim_start();
    let database = if let Some(inner) = rest.strip_prefix('[') {
        let mut name = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ']' {
                if chars.peek() == Some(&']') {
                    chars.next();
                    name.push(']');
                } else {
                    break;
                }
            } else {
                name.push(c);
            }
        }
        name
    } else {
        rest.split(|c: char| c.is_whitespace() || c == ';')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let target = ["TO DISK", "TO URL"].iter().find_map(|k| {
        let p = pos + upper[pos..].find(k)?;
        let after = command[p + k.len()..]
            .trim_start()
            .strip_prefix('=')?
            .trim_start();
        match after.strip_prefix('@') {
            // `TO URL = @u`: the literal the variable is declared or set with, a path
            // prefix when the step appends a timestamp (never the next quoted option).
            Some(var) => {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let decl = format!("@{}", name.to_ascii_uppercase());
                // Declared (or SET) before the BACKUP statement, as a whole name.
                let at = upper[..p].match_indices(&decl).map(|(i, _)| i).find(|i| {
                    !upper[i + decl.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })?;
                let init = command[at + decl.len()..].split_once('=')?.1.trim_start();
                first_literal(init)
            }
            None => first_literal(after),
        }
    });
    Some(BackupCommand {
        log,
        database,
        copy_only: upper.contains("COPY_ONLY"),
        target,
    })
}

/// The string literal (`'…'` or `N'…'`) that `text` starts with.
fn first_literal(text: &str) -> Option<String> {
    let rest = text
        .strip_prefix('\'')
        .or_else(|| text.strip_prefix("N'"))
        .or_else(|| text.strip_prefix("n'"))?;
    let end = rest.find('\'')?;
    Some(rest[..end].to_string())
}

/// Rule 2: maintenance plans that back up a Managed Backup database.
pub fn maintenance_plans(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    if !db.exists {
        return;
    }
    let why = "whether maintenance plans back up this Managed Backup database";
    let Some(details) = ctx.table(catalog::MAINTPLAN_LOGDETAIL, &db.name, why) else {
        return;
    };
    let logs = ctx
        .table(catalog::MAINTPLAN_LOG, &db.name, why)
        .unwrap_or_default();
    let subplans = ctx
        .table(catalog::MAINTPLAN_SUBPLANS, &db.name, why)
        .unwrap_or_default();
    let plans = ctx
        .table(catalog::MAINTPLAN_PLANS, &db.name, why)
        .unwrap_or_default();
    // (plan name, copy-only) → (logdetail rows, commands)
    struct Group {
        plan_id: Option<uuid::Uuid>,
        subplan_id: Option<uuid::Uuid>,
        rows: Vec<EvidenceRow>,
        targets: Vec<String>,
        log: bool,
        last: Option<chrono::DateTime<chrono::Utc>>,
    }
    let mut groups: BTreeMap<(String, bool), Group> = BTreeMap::new();
    for row in details {
        let Some(command) = ctx.str(&row, "command") else {
            continue;
        };
        let Some(cmd) = parse_backup_command(&command) else {
            continue;
        };
        if !cmd.database.eq_ignore_ascii_case(&db.name) {
            continue;
        }
        let task = ctx.uuid(&row, "task_detail_id");
        let mut plan_name = None;
        let mut plan_id = None;
        let mut subplan_id = None;
        for l in &logs {
            if task.is_some() && ctx.uuid(l, "task_detail_id") == task {
                plan_name = ctx.str(l, "plan_name");
                plan_id = ctx.uuid(l, "plan_id");
                subplan_id = ctx.uuid(l, "subplan_id");
            }
        }
        let when = ctx.time(&row, "start_time");
        let name = plan_name.unwrap_or_else(|| "(plan not in sysmaintplan_log)".into());
        let g = groups
            .entry((name, cmd.copy_only))
            .or_insert_with(|| Group {
                plan_id,
                subplan_id,
                rows: Vec::new(),
                targets: Vec::new(),
                log: false,
                last: None,
            });
        g.log |= cmd.log;
        g.last = g.last.max(when);
        g.rows.push(row_ev(
            &row,
            format!(
                "{} {}: {}",
                fmt_time(when),
                if cmd.log {
                    "BACKUP LOG"
                } else {
                    "BACKUP DATABASE"
                },
                if cmd.copy_only {
                    "COPY_ONLY"
                } else {
                    "not copy-only"
                }
            ),
        ));
        if let Some(t) = cmd.target {
            g.targets.push(t.to_ascii_lowercase());
        }
    }
    for ((plan, copy_only), g) in groups {
        let mut rows = Vec::new();
        for p in &plans {
            if g.plan_id.is_some() && ctx.uuid(p, "id") == g.plan_id {
                rows.push(row_ev(p, format!("maintenance plan '{plan}'")));
            }
        }
        let mut job = None;
        for s in &subplans {
            if g.subplan_id.is_some() && ctx.uuid(s, "subplan_id") == g.subplan_id {
                let name = ctx.str(s, "subplan_name").unwrap_or_default();
                rows.push(row_ev(s, format!("subplan '{name}' of plan '{plan}'")));
                let id = ctx.uuid(s, "job_id");
                job = job_row(ctx, id);
            }
        }
        if let Some((_, r)) = &job {
            rows.push(r.clone());
        }
        rows.extend(g.rows);
        let ids: Vec<i64> = a
            .history
            .rows
            .iter()
            .filter(|b| b.is_copy_only == copy_only)
            .filter(|b| {
                b.files()
                    .iter()
                    .any(|f| g.targets.contains(&f.to_ascii_lowercase()))
            })
            .map(|b| b.backup_set_id)
            .collect();
        ctx.claim(&db.name, ids.iter().copied());
        let job_name = job.map(|(n, _)| n);
        let f = if copy_only {
            ctx.finding(
                "interop.maint_plan_copy_only",
                Severity::Info,
                Some(&db.name),
                format!("maintenance plan '{plan}' takes COPY_ONLY backups: fine"),
                format!(
                    "the plan's logged commands back up {} WITH COPY_ONLY ({} runs, last {}). Copy-only backups do not touch the log chain or the differential base, so Managed Backup tolerates them. Nothing to do.",
                    db.name,
                    g.targets.len().max(ids.len()),
                    fmt_time(g.last)
                ),
            )
        } else {
            let mut f = ctx.finding(
                "interop.maint_plan",
                if g.log { Severity::Critical } else { Severity::Warning },
                Some(&db.name),
                format!("maintenance plan '{plan}' backs up a Managed Backup database"),
                format!(
                    "the plan's logged commands back up {} without COPY_ONLY ({}, last {}){}. Microsoft: backup maintenance plans on a Managed Backup database are not supported{}.",
                    db.name,
                    if ids.is_empty() { "no matching backup set in history".to_string() } else { format!("backup sets {}", join_ids(&ids)) },
                    fmt_time(g.last),
                    job_name.as_ref().map(|j| format!(", Agent job '{j}'")).unwrap_or_default(),
                    if g.log {
                        ": its log backups go to disk, so Managed Backup's own files no longer form a chain"
                    } else {
                        ": each full becomes the differential base and the database_backup_lsn of later log backups, so restores depend on files outside Managed Backup's container"
                    },
                ),
            );
            f.remedy = "make the plan's backup task COPY_ONLY, or remove the task (Managed Backup already takes fulls and logs)".into();
            let mut sql = vec![format!(
                "-- In the plan's Back Up Database task tick \"Copy-only backup\"; an extra backup through Managed Backup:\n{}",
                remedy::on_demand(cfg.schema, &db.name, false)
            )];
            if let Some(j) = &job_name {
                sql.push(format!(
                    "-- or stop the plan's job:\n{}",
                    remedy::disable_job(j)
                ));
            }
            f.sql = Some(sql.join("\n"));
            f
        };
        ctx.push(Finding {
            evidence: ids,
            rows,
            ..f
        });
    }
}

/// What kind of second producer a group of backups is.
fn kind_of(p: &Producer, rows: &[&BackupSet]) -> &'static str {
    let third_party = !p.software_name.is_empty()
        && !p.software_name.eq_ignore_ascii_case("Microsoft SQL Server");
    if p.destination == Destination::VirtualDevice
        || third_party
        || rows.iter().any(|b| b.is_snapshot)
    {
        "third_party"
    } else {
        "adhoc"
    }
}

/// Rules 3 and 4: log and full backups of a Managed Backup database by anything else.
pub fn producers(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    let target = ManagedTarget::of(&cfg);
    let retention = Duration::days(i64::from(cfg.retention_days.unwrap_or(30)));
    let mut groups: BTreeMap<(bool, Producer), Vec<&BackupSet>> = BTreeMap::new();
    for b in a.history.rows.iter().copied() {
        if b.is_copy_only
            || !matches!(b.backup_type, BackupType::Log | BackupType::Full)
            || target.matches(&b.destination())
            || ctx.is_claimed(&db.name, b.backup_set_id)
        {
            continue;
        }
        groups
            .entry((b.is_log(), b.producer()))
            .or_default()
            .push(b);
    }
    for ((log, producer), rows) in groups {
        let ids: Vec<i64> = rows.iter().map(|b| b.backup_set_id).collect();
        let first = rows.iter().filter_map(|b| b.first_lsn).min();
        let last = rows.iter().filter_map(|b| b.last_lsn).max();
        let newest = rows.iter().filter_map(|b| b.finish).max();
        let oldest = rows.iter().filter_map(|b| b.finish).min();
        let recent = newest.is_some_and(|t| ctx.now - t <= retention);
        let kind = kind_of(&producer, &rows);
        let who = producer.label();
        let mut evidence_rows = Vec::new();
        if !producer.software_name.is_empty()
            && !producer
                .software_name
                .eq_ignore_ascii_case("Microsoft SQL Server")
        {
            evidence_rows.push(EvidenceRow {
                table: crate::model::catalog::BACKUPMEDIASET.into(),
                row: None,
                text: format!("software_name = '{}'", producer.software_name),
            });
        }
        if !producer.user_name.is_empty() {
            evidence_rows.push(EvidenceRow {
                table: crate::model::catalog::BACKUPSET.into(),
                row: None,
                text: format!("user_name = '{}'", producer.user_name),
            });
        }
        let span = format!(
            "{} backup{} ({}) from {} to {}, LSN {} to {}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            join_ids(&ids),
            fmt_time(oldest),
            fmt_time(newest),
            fmt_lsn(first),
            fmt_lsn(last)
        );
        let f = if log {
            let (id, title, why) = match (kind, &producer.destination) {
                ("third_party", _) => (
                    "interop.third_party_log",
                    format!("log backups by DPM / VSS / a third-party tool ({who})"),
                    "a second tool truncates the log: Managed Backup's files have holes where its log backups are, so no restore from Managed Backup's files alone can cross them, and Managed Backup takes a new full when it notices the broken chain. Microsoft: DPM incremental backups (log backups) and third-party tools that truncate the log are not supported beside Managed Backup.",
                ),
                (_, Destination::Nul) => (
                    "interop.adhoc_log",
                    "log backup to the NUL device".to_string(),
                    "the log records were thrown away: no restore can cross this point, from any set of files.",
                ),
                (_, Destination::Container(_)) => (
                    "interop.adhoc_log",
                    format!("log backups to another storage account or container ({who})"),
                    "Microsoft: log backups to another storage account break Managed Backup's chain; a restore needs these files as well.",
                ),
                _ => (
                    "interop.adhoc_log",
                    format!("ad hoc log backups outside Managed Backup ({who})"),
                    "Microsoft: log backups to any non-Azure destination break Managed Backup's chain. msdb still chains them, but Managed Backup's own files have a hole there and a restore needs these files as well.",
                ),
            };
            let mut f = ctx.finding(
                id,
                if recent { Severity::Critical } else { Severity::Warning },
                Some(&db.name),
                title,
                format!(
                    "{span}, not by Managed Backup (which writes to {}): {why}{}",
                    target.label(),
                    if recent { "" } else { " These are older than the retention period, so they no longer limit the current window." },
                ),
            );
            f.remedy = if kind == "third_party" {
                "stop the other tool's log backups for this database (keep its full or copy-only backups), or turn Managed Backup off for it".into()
            } else {
                "take extra log backups through Managed Backup (sp_backup_on_demand) or WITH COPY_ONLY, never as regular log backups".into()
            };
            f.sql = Some(format!(
                "{}\n-- or, when a copy is needed elsewhere:\n{}",
                remedy::on_demand(cfg.schema, &db.name, true),
                remedy::copy_only_backup(&db.name, true)
            ));
            f
        } else {
            let mut f = ctx.finding(
                "interop.foreign_full",
                Severity::Warning,
                Some(&db.name),
                format!(
                    "full backups outside Managed Backup, not copy-only ({}{who})",
                    if kind == "third_party" { "VSS / third party: " } else { "" }
                ),
                format!(
                    "{span}, not by Managed Backup and not COPY_ONLY: each moves the differential base and becomes the database_backup_lsn of later log backups, so restores may look for a full outside Managed Backup's container. The log chain itself is not broken by a full backup."
                ),
            );
            f.remedy = if kind == "third_party" {
                "make the VSS / third-party full backups copy-only (in DPM or the tool's settings)"
                    .into()
            } else {
                "take extra full backups WITH COPY_ONLY or through sp_backup_on_demand".into()
            };
            f.sql = Some(format!(
                "{}\n-- or, when a copy is needed elsewhere:\n{}",
                remedy::on_demand(cfg.schema, &db.name, false),
                remedy::copy_only_backup(&db.name, false)
            ));
            f
        };
        ctx.claim(&db.name, ids.iter().copied());
        ctx.push(Finding {
            evidence: ids,
            rows: evidence_rows,
            ..f
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maintenance_plan_commands() {
        let c = parse_backup_command(
            "BACKUP DATABASE [HR]]x] TO DISK = N'E:\\MP\\a.bak' WITH COPY_ONLY, NOINIT",
        )
        .unwrap();
        assert_eq!(c.database, "HR]x");
        assert!(c.copy_only && !c.log);
        assert_eq!(c.target.as_deref(), Some("E:\\MP\\a.bak"));
        let c = parse_backup_command("backup log Sales to url = 'https://a/b/c.trn'").unwrap();
        assert_eq!(c.database, "Sales");
        assert!(c.log && !c.copy_only);
        assert!(parse_backup_command("DBCC CHECKDB").is_none());
    }

    #[test]
    fn a_variable_target_is_its_declared_prefix_not_the_credential() {
        let c = parse_backup_command(
            "DECLARE @u nvarchar(400) = N'https://acct.blob.core.windows.net/logs/L_' + CONVERT(nvarchar(8), GETDATE(), 112) + N'.trn';\r\nBACKUP LOG [L] TO URL = @u WITH CREDENTIAL = N'cred', COMPRESSION;",
        )
        .unwrap();
        assert_eq!(
            c.target.as_deref(),
            Some("https://acct.blob.core.windows.net/logs/L_")
        );
        let c =
            parse_backup_command("BACKUP LOG [L] TO URL = @x WITH CREDENTIAL = N'cred'").unwrap();
        assert_eq!(c.target, None, "an undeclared variable names no target");
    }
}
