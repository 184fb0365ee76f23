//! The RESTORE script for a plan, as batches (see `script`).

use super::quote::{script_ident, script_string, QuoteError};
use super::script::{Batch, BatchKind, Script};
use super::stretch::{reauthorize_batch, Reauthorize};
use crate::analysis::{PlanStep, RestorePlan};
use crate::model::container_of_url;

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
    if options.replace {
        header.push(
            "REPLACE: overwrites the existing database and its files without a tail-log backup."
                .into(),
        );
    } else {
        header.push("Restoring over an existing database needs a tail-log backup first (BACKUP LOG ... WITH NORECOVERY) or REPLACE.".into());
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
    script.batches.push(Batch {
        kind: BatchKind::Recovery,
        label: "recovery".into(),
        comments: vec!["bring the database online".into()],
        sql: format!("RESTORE DATABASE {db} WITH RECOVERY;"),
        runnable: true,
    });
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

/// `URL = N'…', URL = N'…'` or `DISK = N'…'`, one per stripe.
fn devices(step: &PlanStep) -> Result<String, QuoteError> {
    if step.files.is_empty() {
        return Ok("DISK = N'<file of backup set missing from history>'".into());
    }
    Ok(step
        .files
        .iter()
        .map(|f| {
            let kind = if container_of_url(f).is_some() {
                "URL"
            } else {
                "DISK"
            };
            Ok(format!("{kind} = {}", script_string(f)?))
        })
        .collect::<Result<Vec<_>, QuoteError>>()?
        .join(",\n       "))
}
