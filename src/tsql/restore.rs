//! The RESTORE script for a plan, as batches (see `script`).

use super::quote::{script_ident, script_string, QuoteError};
use super::script::{Batch, BatchKind, Script};
use super::stretch::{reauthorize_batch, Reauthorize};
use crate::model::container_of_url;
use crate::model::plan::{PlanStep, RestorePlan};

/// How to write the script.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Restore under another name (None = the original name).
    pub target_name: Option<String>,
    /// Add REPLACE (overwrite an existing database; skips the tail-log check).
    pub replace: bool,
    /// MOVE clauses: logical file name → new physical path.
    pub moves: Vec<(String, String)>,
    /// STATS percentage for progress messages.
    pub stats: Option<u8>,
    /// `WITH CREDENTIAL = N'…'`: only for a storage-key credential; a SAS
    /// credential named after the container URL is found by the server.
    pub credential: Option<String>,
    /// End with the Stretch reauthorize step.
    pub reauthorize: Option<Reauthorize>,
    /// Stop at a marked transaction by name (`STOPATMARK = N'name' AFTER
    /// N'local time'`) instead of `'lsn:…'`; the plan's LSN target is the mark's.
    pub stop_mark: Option<StopMark>,
    /// `RESTORE VERIFYONLY … WITH CHECKSUM` of every backup first.
    pub verify_first: bool,
    /// Take the existing target to SINGLE_USER WITH ROLLBACK IMMEDIATE first
    /// (and back to MULTI_USER after the recovery).
    pub single_user: bool,
    /// A tail-log backup of the existing target before it is overwritten.
    pub tail_log: Option<TailLog>,
    /// `DBCC CHECKDB` of the restored database after the recovery.
    pub checkdb: bool,
    /// Backup sets taken without CHECKSUM (`has_backup_checksums = 0`):
    /// verified without it (WITH CHECKSUM would fail with Msg 3187).
    pub without_checksums: Vec<i64>,
}

/// The tail-log backup taken before a REPLACE (`BACKUP LOG … WITH NORECOVERY`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TailLog {
    /// Where it goes: a file path (DISK) or a blob URL (URL).
    pub file: String,
    /// The database is damaged or not started: NO_TRUNCATE (which also
    /// means COPY_ONLY and CONTINUE_AFTER_ERROR), and its restore needs
    /// CONTINUE_AFTER_ERROR.
    pub no_truncate: bool,
    /// Restore it after the last log: the same database restored to its
    /// latest point (the point of failure). Never with STOPAT/STOPATMARK.
    pub restore_it: bool,
    /// The changes it keeps, in words ("changes since the last log backup (1h05m)").
    pub keeps: String,
}

/// A named mark to stop at, and the local time the search starts from
/// (marks may share a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopMark {
    pub name: String,
    pub after_local: Option<String>,
}

/// The whole restore sequence as text (see [`restore_batches`]).
pub fn restore_script(
    database: &str,
    plan: &RestorePlan,
    options: &RestoreOptions,
) -> Result<String, QuoteError> {
    Ok(restore_batches(database, plan, options)?.text())
}

/// The restore sequence: NORECOVERY everywhere, STOPAT (server local time)
/// or STOPATMARK on every log, a separate RECOVERY step, then (for a
/// Stretch-enabled database) the reauthorize step.
pub fn restore_batches(
    database: &str,
    plan: &RestorePlan,
    options: &RestoreOptions,
) -> Result<Script, QuoteError> {
    let name = options.target_name.as_deref().unwrap_or(database);
    let db = script_ident(name)?;
    let mut script = Script::default();
    let header = &mut script.header;
    header.push(format!("chainwatch restore plan for {database}"));
    if name != database {
        header.push(format!("restored as {name}"));
    }
    if !plan.recoverable {
        header.push(format!("NOT RECOVERABLE: {}", plan.reason));
        return Ok(script);
    }
    let stop = plan
        .steps
        .iter()
        .rev()
        .find_map(|s| s.stop_at_local.zip(s.stop_at));
    let stop_lsn = plan.steps.iter().rev().find_map(|s| s.stop_at_lsn);
    header.push(match (stop, stop_lsn) {
        (Some((local, utc)), _) => format!(
            "target: {} server local time ({} UTC)",
            local.format("%Y-%m-%dT%H:%M:%S%.3f"),
            utc.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        ),
        (None, Some(lsn)) => match &options.stop_mark {
            Some(m) => format!("target: marked transaction {} (LSN {lsn})", m.name),
            None => format!("target: LSN {lsn}"),
        },
        (None, None) => "target: the end of the last backup in the plan".into(),
    });
    header.push(format!("steps: {}", plan_summary(plan)));
    header.push(
        "Review before running: SQL Server validates every step; this script is a proposal.".into(),
    );
    match (options.replace, &options.tail_log) {
        (true, Some(t)) => header.push(format!(
            "REPLACE: overwrites the existing database and its files; the tail-log backup first keeps {}.",
            t.keeps
        )),
        (true, None) => header.push(
            "REPLACE: overwrites the existing database and its files WITHOUT a tail-log backup: changes since its last log backup are lost."
                .into(),
        ),
        (false, _) => header.push(
            "A new database: nothing existing is overwritten (no REPLACE).".into(),
        ),
    }
    if plan
        .steps
        .iter()
        .any(|s| s.files.iter().any(|f| container_of_url(f).is_some()))
        && options.credential.is_none()
    {
        header.push("URL backups need a credential on this server named after the container URL (SAS), or WITH CREDENTIAL for a storage-key credential.".into());
    }
    let stats = options.stats.unwrap_or(10);
    let credential = options
        .credential
        .as_ref()
        .map(|c| Ok::<_, QuoteError>(format!(", CREDENTIAL = {}", script_string(c)?)))
        .transpose()?
        .unwrap_or_default();
    if options.verify_first {
        for step in plan.steps.iter().filter(|s| {
            !s.virtual_device && s.restorability != "metadata_only" && !s.files.is_empty()
        }) {
            let checksums = !options.without_checksums.contains(&step.backup_set_id);
            let comment = if checksums {
                format!(
                    "Reads {} #{} whole and checks its backup checksums; nothing is restored.",
                    step.kind, step.backup_set_id
                )
            } else {
                format!(
                    "{} #{} was taken without CHECKSUM: VERIFYONLY reads it whole and checks that it is complete, not its pages.",
                    step.kind, step.backup_set_id
                )
            };
            let with = match (checksums, credential.strip_prefix(", ")) {
                (true, _) => format!("\n  WITH CHECKSUM{credential}"),
                (false, Some(c)) => format!("\n  WITH {c}"),
                (false, None) => String::new(),
            };
            script.batches.push(Batch::runnable(
                BatchKind::Verify,
                format!("verify {} #{}", step.kind, step.backup_set_id),
                comment,
                format!("RESTORE VERIFYONLY\n  FROM {}{with};", devices(step)?),
            ));
        }
    }
    if options.single_user {
        script.batches.push(Batch::runnable(
            BatchKind::SingleUser,
            "single user",
            format!("Exclusive access to {name}: other sessions are disconnected and their open transactions rolled back."),
            format!("ALTER DATABASE {db} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;"),
        ));
    }
    let no_stop = stop.is_none() && stop_lsn.is_none();
    if let Some(t) = &options.tail_log {
        let mut comments = vec![format!(
            "Tail-log backup: keeps {} and leaves {name} RESTORING (NORECOVERY).",
            t.keeps
        )];
        if t.no_truncate {
            comments.push(
                "The database is damaged or not started: NO_TRUNCATE backs up the log as it is (copy-only, continues after errors)."
                    .into(),
            );
        }
        script.batches.push(Batch {
            kind: BatchKind::TailLog,
            label: "tail-log backup".into(),
            comments,
            sql: format!(
                "BACKUP LOG {db}\n  TO {}\n  WITH NORECOVERY{}{credential}, STATS = {stats};",
                device(&t.file)?,
                if t.no_truncate { ", NO_TRUNCATE" } else { "" }
            ),
            runnable: true,
        });
    }
    for (i, step) in plan.steps.iter().enumerate() {
        let mut with = vec!["NORECOVERY".to_string()];
        if i == 0 {
            if options.replace {
                with.push("REPLACE".into());
            }
            for (logical, physical) in &options.moves {
                with.push(format!(
                    "MOVE {} TO {}",
                    script_string(logical)?,
                    script_string(physical)?
                ));
            }
        }
        if let Some(cred) = &options.credential {
            with.push(format!("CREDENTIAL = {}", script_string(cred)?));
        }
        if step.kind == "log" {
            if let Some((local, _)) = stop {
                with.push(format!(
                    "STOPAT = {}",
                    script_string(&local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())?
                ));
            } else if let Some(m) = stop_lsn.and(options.stop_mark.as_ref()) {
                with.push(match &m.after_local {
                    Some(after) => format!(
                        "STOPATMARK = {} AFTER {}",
                        script_string(&m.name)?,
                        script_string(after)?
                    ),
                    None => format!("STOPATMARK = {}", script_string(&m.name)?),
                });
            } else if let Some(lsn) = stop_lsn {
                with.push(format!(
                    "STOPATMARK = {}",
                    script_string(&format!("lsn:{lsn}"))?
                ));
            }
        }
        if step.continue_after_error {
            // A damaged or incomplete-metadata backup (a tail-log backup of
            // a damaged database) restores only with CONTINUE_AFTER_ERROR.
            with.push("CONTINUE_AFTER_ERROR".into());
        }
        if step.restorability == "metadata_only" {
            with.push("METADATA_ONLY".into());
        }
        with.push(format!("STATS = {stats}"));
        let (kind, verb) = if step.kind == "log" {
            (BatchKind::RestoreLog, "LOG")
        } else {
            (BatchKind::RestoreData, "DATABASE")
        };
        let mut comments = vec![format!(
            "{} #{}{}",
            step.kind,
            step.backup_set_id,
            step.finish
                .map(|f| format!(", finished {}", f.format("%Y-%m-%dT%H:%M:%SZ")))
                .unwrap_or_default()
        )];
        for w in &step.warnings {
            comments.push(format!("WARNING: {w}"));
        }
        let metadata_only = step.restorability == "metadata_only";
        let runnable = !step.virtual_device && !metadata_only && !step.files.is_empty();
        if metadata_only {
            comments.push(
                "A T-SQL snapshot backup (METADATA_ONLY): first revert the data and log volumes"
                    .into(),
            );
            comments
                .push("from the storage snapshot taken with it, then run this statement.".into());
        }
        if step.continue_after_error {
            comments
                .push("Damaged or incomplete metadata: run DBCC CHECKDB after the restore.".into());
        }
        if step.virtual_device {
            comments.push(
                "This backup was made through a virtual device (VSS, DPM or a third-party tool):"
                    .into(),
            );
            comments
                .push("restore it with that tool, then continue with the next statement.".into());
        }
        script.batches.push(Batch {
            kind,
            label: format!("{} #{}", step.kind, step.backup_set_id),
            comments,
            sql: format!(
                "RESTORE {verb} {db}\n  FROM {}\n  WITH {};",
                devices(step)?,
                with.join(", ")
            ),
            runnable,
        });
    }
    if let Some(t) = options
        .tail_log
        .as_ref()
        .filter(|t| t.restore_it && no_stop)
    {
        script.batches.push(Batch {
            kind: BatchKind::RestoreLog,
            label: "tail log".into(),
            comments: vec![
                "The tail-log backup taken above: the restore reaches the moment it was taken.".into(),
                "If a log backup ran after the history was collected, this fails with Msg 4305: restore that log first.".into(),
            ],
            sql: format!(
                "RESTORE LOG {db}\n  FROM {}\n  WITH NORECOVERY{}{credential}, STATS = {stats};",
                device(&t.file)?,
                if t.no_truncate {
                    ", CONTINUE_AFTER_ERROR"
                } else {
                    ""
                }
            ),
            runnable: true,
        });
    }
    script.batches.push(Batch::runnable(
        BatchKind::Recovery,
        "recovery",
        "bring the database online",
        format!("RESTORE DATABASE {db} WITH RECOVERY;"),
    ));
    if options.single_user {
        script.batches.push(Batch::runnable(
            BatchKind::MultiUser,
            "multi user",
            "The restored database keeps the access mode of its backup: open it to every user again.",
            format!("ALTER DATABASE {db} SET MULTI_USER;"),
        ));
    }
    if options.checkdb {
        script.batches.push(Batch::runnable(
            BatchKind::CheckDb,
            "DBCC CHECKDB",
            "Consistency check of the restored database: every error is listed; none means it is sound.",
            format!("DBCC CHECKDB ({db}) WITH NO_INFOMSGS, ALL_ERRORMSGS;"),
        ));
    }
    if let Some(r) = &options.reauthorize {
        script.batches.push(reauthorize_batch(name, r)?);
    }
    Ok(script)
}

fn plan_summary(plan: &RestorePlan) -> String {
    plan.steps
        .iter()
        .map(|s| format!("{} #{}", s.kind, s.backup_set_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `URL = N'…'` for a blob, `DISK = N'…'` for a file.
fn device(path: &str) -> Result<String, QuoteError> {
    let kind = if container_of_url(path).is_some() {
        "URL"
    } else {
        "DISK"
    };
    Ok(format!("{kind} = {}", script_string(path)?))
}

/// `URL = N'…', URL = N'…'` or `DISK = N'…'`, one per stripe.
fn devices(step: &PlanStep) -> Result<String, QuoteError> {
    if step.files.is_empty() {
        return Ok("DISK = N'<file of backup set missing from history>'".into());
    }
    Ok(step
        .files
        .iter()
        .map(|f| device(f))
        .collect::<Result<Vec<_>, QuoteError>>()?
        .join(",\n       "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::Target;

    fn step(kind: &'static str, id: i64, file: &str) -> PlanStep {
        PlanStep {
            source_instance: "S".into(),
            ..PlanStep::new(kind, id, vec![file.into()])
        }
    }

    #[test]
    fn verify_uses_checksum_only_where_the_backup_has_them() {
        let plan = RestorePlan::of_steps(
            Target::Latest,
            vec![step("full", 1, "D:\\a.bak"), step("log", 2, "D:\\a.trn")],
        );
        let s = restore_batches(
            "a",
            &plan,
            &RestoreOptions {
                verify_first: true,
                without_checksums: vec![2],
                ..RestoreOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            s.batches[0].sql,
            "RESTORE VERIFYONLY\n  FROM DISK = N'D:\\a.bak'\n  WITH CHECKSUM;"
        );
        assert_eq!(
            s.batches[1].sql,
            "RESTORE VERIFYONLY\n  FROM DISK = N'D:\\a.trn';"
        );
        assert!(s.batches[1].comments[0].contains("without CHECKSUM"));
        // A damaged target: NO_TRUNCATE on the tail, CONTINUE_AFTER_ERROR on its restore.
        let s = restore_batches(
            "a",
            &plan,
            &RestoreOptions {
                replace: true,
                tail_log: Some(TailLog {
                    file: "D:\\t.trn".into(),
                    no_truncate: true,
                    restore_it: true,
                    keeps: "x".into(),
                }),
                ..RestoreOptions::default()
            },
        )
        .unwrap();
        assert_eq!(
            s.batches[0].sql,
            "BACKUP LOG [a]\n  TO DISK = N'D:\\t.trn'\n  WITH NORECOVERY, NO_TRUNCATE, STATS = 10;"
        );
        let tail = &s.batches[s.batches.len() - 2];
        assert!(
            tail.sql.contains("FROM DISK = N'D:\\t.trn'"),
            "{}",
            tail.sql
        );
        assert!(tail.sql.contains("CONTINUE_AFTER_ERROR"), "{}", tail.sql);
    }
}
