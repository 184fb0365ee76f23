//! Rule 3b: Agent job steps that back up a Managed Backup database around
//! it — `BACKUP LOG` (breaks the chain Managed Backup restores from) or a
//! full `BACKUP DATABASE` without COPY_ONLY (moves the differential base).
//! Read from the job steps themselves, so it warns before the job has run.
//! Log shipping jobs (rule 1) and maintenance plan jobs (rule 2) have their
//! own rules and are left to them.

use super::interop::parse_backup_at;
use super::{managed, row_ev, Ctx};
use crate::analysis::findings::Severity;
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::model::BackupType;
use crate::tsql::remedy;

/// What one job step does to one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepBackup {
    pub log: bool,
    pub copy_only: bool,
    /// Where it writes (a file or folder), when the command says.
    pub target: Option<String>,
}

/// The backups a step's command takes of `database`: plain BACKUP
/// statements (T-SQL, or inside sqlcmd/PowerShell text) and Ola
/// Hallengren's `DatabaseBackup` (`@Databases`, `@BackupType`, `@CopyOnly`).
pub(crate) fn step_backups(command: &str, database: &str) -> Vec<StepBackup> {
    let mut out = Vec::new();
    let upper = command.to_ascii_uppercase();
    let mut from = 0;
    while let Some(p) = upper[from..].find("BACKUP ").map(|p| p + from) {
        if let Some(cmd) = parse_backup_at(command, p) {
            let rest = &upper[p..];
            let this_end = rest[7..]
                .find("BACKUP ")
                .map(|e| e + 7)
                .unwrap_or(rest.len());
            if cmd.database.eq_ignore_ascii_case(database) {
                out.push(StepBackup {
                    log: cmd.log,
                    copy_only: rest[..this_end].contains("COPY_ONLY"),
                    target: cmd.target,
                });
            }
        }
        from = p + 7;
    }
    if upper.contains("DATABASEBACKUP") {
        let param = |name: &str| ola_param(command, name);
        let dbs = param("@Databases").unwrap_or_default();
        let kind = param("@BackupType")
            .unwrap_or_default()
            .to_ascii_uppercase();
        if ola_selects(&dbs, database) && (kind == "LOG" || kind == "FULL") {
            out.push(StepBackup {
                log: kind == "LOG",
                copy_only: param("@CopyOnly").is_some_and(|v| v.eq_ignore_ascii_case("Y")),
                target: param("@Directory").or_else(|| param("@URL")),
            });
        }
    }
    out
}

/// The value of `@Name = 'value'` / `N'value'` in an EXECUTE text.
fn ola_param(command: &str, name: &str) -> Option<String> {
    let lower = command.to_ascii_lowercase();
    let at = lower.find(&name.to_ascii_lowercase())? + name.len();
    let rest = &command[at..];
    let start = rest.find('\'')? + 1;
    let mut out = String::new();
    let mut chars = rest[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return Some(out);
            }
        }
        out.push(c);
    }
    None
}

/// Whether an Ola `@Databases` list selects `database`: its name, or
/// USER_DATABASES / ALL_DATABASES, unless excluded with `-name`.
fn ola_selects(list: &str, database: &str) -> bool {
    let items: Vec<&str> = list.split(',').map(str::trim).collect();
    let excluded = items.iter().any(|i| {
        i.strip_prefix('-')
            .is_some_and(|n| n.eq_ignore_ascii_case(database))
    });
    let included = items.iter().any(|i| {
        i.eq_ignore_ascii_case(database)
            || i.eq_ignore_ascii_case("USER_DATABASES")
            || i.eq_ignore_ascii_case("ALL_DATABASES")
    });
    included && !excluded
}

/// Rule 3b, for one database.
pub fn job_steps(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    if !db.exists {
        return;
    }
    let why = "whether Agent jobs back up this Managed Backup database";
    let Some(steps) = ctx.table(catalog::SYSJOBSTEPS, &db.name, why) else {
        return;
    };
    let jobs = ctx
        .table(catalog::SYSJOBS, &db.name, why)
        .unwrap_or_default();
    for step in steps {
        let subsystem = ctx.str(&step, "subsystem").unwrap_or_default();
        let command = ctx.str(&step, "command").unwrap_or_default();
        if subsystem.eq_ignore_ascii_case("SSIS")
            || command.to_ascii_lowercase().contains("sqllogship")
        {
            continue; // maintenance plans and log shipping: rules 2 and 1
        }
        let found: Vec<StepBackup> = step_backups(&command, &db.name)
            .into_iter()
            .filter(|b| !b.copy_only)
            .collect();
        let Some(worst) = found.iter().find(|b| b.log).or(found.first()).cloned() else {
            continue;
        };
        let job_id = ctx.uuid(&step, "job_id");
        let mut job_name = None;
        let mut enabled = true;
        let mut rows = Vec::new();
        for j in &jobs {
            if job_id.is_some() && ctx.uuid(j, "job_id") == job_id {
                let name = ctx.str(j, "name").unwrap_or_default();
                enabled = ctx.int(j, "enabled").unwrap_or(1) != 0;
                rows.push(row_ev(
                    j,
                    format!(
                        "job '{name}' ({})",
                        if enabled { "enabled" } else { "disabled" }
                    ),
                ));
                job_name = Some(name);
            }
        }
        let step_id = ctx.int(&step, "step_id").unwrap_or(0);
        let step_name = ctx.str(&step, "step_name").unwrap_or_default();
        let last_run = ctx.int(&step, "last_run_date").filter(|d| *d > 0);
        let short: String = command.chars().take(240).collect();
        rows.push(row_ev(
            &step,
            format!(
                "step {step_id} '{step_name}' ({subsystem}){}: {short}",
                if last_run.is_some() {
                    ""
                } else {
                    ", never run"
                }
            ),
        ));
        // Backup sets this job's kind of backup already left in history.
        let kind = if worst.log {
            BackupType::Log
        } else {
            BackupType::Full
        };
        let target = worst.target.as_deref().map(|t| t.to_ascii_lowercase());
        let ids: Vec<i64> = a
            .history
            .rows
            .iter()
            .filter(|b| b.backup_type == kind && !b.is_copy_only)
            .filter(|b| {
                target.as_deref().is_some_and(|t| {
                    b.files().iter().any(|f| {
                        f.to_ascii_lowercase()
                            .starts_with(t.trim_end_matches(['\\', '/']))
                    })
                })
            })
            .map(|b| b.backup_set_id)
            .collect();
        ctx.claim(&db.name, ids.iter().copied());
        let name = job_name.clone().unwrap_or_else(|| "(unknown job)".into());
        let (severity, what, effect) = if worst.log {
            (
                // Severity policy: holes it already made are a loss; a job
                // that has not backed up yet is a risk.
                if enabled && !ids.is_empty() {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                "BACKUP LOG",
                "every log backup it takes leaves Managed Backup's own log files with a hole: a restore from the container fails at that point, and Managed Backup answers with a forced full",
            )
        } else {
            (
                Severity::Warning,
                "BACKUP DATABASE (not COPY_ONLY)",
                "each full it takes becomes the differential base and the database_backup_lsn of later logs, so restores depend on a file outside Managed Backup's container",
            )
        };
        let mut f = ctx.finding(
            if worst.log {
                "interop.job_log_backup"
            } else {
                "interop.job_full_backup"
            },
            severity,
            Some(&db.name),
            format!("Agent job '{name}' runs {what} on a Managed Backup database"),
            format!(
                "step {step_id} of job '{name}' ({}) backs up {} with {what}{}: {effect}.{}",
                if enabled {
                    "enabled"
                } else {
                    "disabled: it breaks the chain once enabled"
                },
                db.name,
                worst
                    .target
                    .as_ref()
                    .map(|t| format!(" to {t}"))
                    .unwrap_or_default(),
                if ids.is_empty() {
                    if last_run.is_some() {
                        " History shows no backup set from it in the window.".to_string()
                    } else {
                        " It has not run yet: nothing is broken so far.".to_string()
                    }
                } else {
                    format!(
                        " Backup sets it left: {}; last {}.",
                        super::join_ids(&ids),
                        fmt_time(
                            ids.last()
                                .and_then(|id| a
                                    .history
                                    .rows
                                    .iter()
                                    .find(|b| b.backup_set_id == *id))
                                .and_then(|b| b.finish)
                        )
                    )
                }
            ),
        );
        f.evidence = ids;
        f.rows = rows;
        f.remedy = if worst.log {
            "stop the job (or add COPY_ONLY to its BACKUP LOG); extra log backups go through Managed Backup".into()
        } else {
            "add COPY_ONLY to the job's BACKUP DATABASE, or take extra fulls through Managed Backup"
                .into()
        };
        let mut sql = Vec::new();
        if let Some(n) = &job_name {
            sql.push(remedy::disable_job(n));
        }
        sql.push(format!(
            "-- an extra backup that keeps the chain:\n{}",
            remedy::on_demand(cfg.schema, &db.name, worst.log)
        ));
        f.sql = Some(sql.join("\n"));
        ctx.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_ola_commands() {
        let b = step_backups(
            "BACKUP LOG [CRM] TO DISK = N'E:\\b\\crm.trn' WITH INIT;\nBACKUP DATABASE [Other] TO DISK = N'x'",
            "crm",
        );
        assert_eq!(
            b,
            vec![StepBackup {
                log: true,
                copy_only: false,
                target: Some("E:\\b\\crm.trn".into())
            }]
        );
        let c = step_backups(
            "BACKUP DATABASE [CRM] TO DISK = N'x' WITH COPY_ONLY; BACKUP LOG [CRM] TO DISK = N'y'",
            "CRM",
        );
        assert_eq!((c[0].copy_only, c[1].copy_only), (true, false));
        let ola = "EXECUTE dbo.DatabaseBackup @Databases = 'USER_DATABASES, -Sales', @Directory = N'\\\\fs\\b', @BackupType = 'LOG'";
        assert!(step_backups(ola, "Sales").is_empty());
        let o = step_backups(ola, "CRM");
        assert_eq!(o.len(), 1);
        assert!(o[0].log && !o[0].copy_only);
        assert_eq!(o[0].target.as_deref(), Some("\\\\fs\\b"));
        assert!(step_backups("EXECUTE dbo.DatabaseBackup @Databases = 'CRM', @BackupType = 'LOG', @CopyOnly = 'Y'", "CRM")[0].copy_only);
        assert!(step_backups("DBCC CHECKDB", "CRM").is_empty());
    }
}
