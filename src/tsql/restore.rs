//! The RESTORE script for a plan.

use super::quote::{comment_safe, quote_ident, quote_string, QuoteError};
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
}

/// Writes the whole restore sequence: NORECOVERY everywhere, STOPAT (server
/// local time) or STOPATMARK on every log, then a separate RECOVERY step.
pub fn restore_script(
    database: &str,
    plan: &RestorePlan,
    options: &RestoreOptions,
) -> Result<String, QuoteError> {
    let name = options.target_name.as_deref().unwrap_or(database);
    let db = quote_ident(name)?;
    let mut out = String::new();
    out.push_str(&format!(
        "-- chainwatch restore plan for {}\n",
        comment_safe(database)
    ));
    if !plan.recoverable {
        out.push_str(&format!(
            "-- NOT RECOVERABLE: {}\n",
            comment_safe(&plan.reason)
        ));
        return Ok(out);
    }
    let stop = plan
        .steps
        .iter()
        .rev()
        .find_map(|s| s.stop_at_local.zip(s.stop_at));
    let stop_lsn = plan.steps.iter().rev().find_map(|s| s.stop_at_lsn);
    match (stop, stop_lsn) {
        (Some((local, utc)), _) => out.push_str(&format!(
            "-- target: {} server local time ({} UTC)\n",
            local.format("%Y-%m-%dT%H:%M:%S%.3f"),
            utc.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        )),
        (None, Some(lsn)) => out.push_str(&format!("-- target: LSN {lsn}\n")),
        (None, None) => out.push_str("-- target: the end of the last backup in the plan\n"),
    }
    out.push_str(&format!(
        "-- steps: {}\n",
        comment_safe(&plan_summary(plan))
    ));
    out.push_str(
        "-- Review before running: SQL Server validates every step; this script is a proposal.\n",
    );
    if !options.replace {
        out.push_str("-- Restoring over an existing database needs a tail-log backup first (BACKUP LOG ... WITH NORECOVERY) or REPLACE.\n");
    }
    if plan
        .steps
        .iter()
        .any(|s| s.files.iter().any(|f| f.starts_with("http")))
    {
        out.push_str("-- URL backups need a credential on this server named after the container URL (SAS), or WITH CREDENTIAL for a storage-key credential.\n");
    }
    out.push('\n');
    let stats = options.stats.unwrap_or(10);
    for (i, step) in plan.steps.iter().enumerate() {
        out.push_str(&format!(
            "-- {} #{}{}\n",
            step.kind,
            step.backup_set_id,
            step.finish
                .map(|f| format!(", finished {}", f.format("%Y-%m-%dT%H:%M:%SZ")))
                .unwrap_or_default()
        ));
        let verb = if step.kind == "log" {
            "LOG"
        } else {
            "DATABASE"
        };
        let mut with = vec!["NORECOVERY".to_string()];
        if i == 0 {
            if options.replace {
                with.push("REPLACE".into());
            }
            for (logical, physical) in &options.moves {
                with.push(format!(
                    "MOVE {} TO {}",
                    quote_string(logical),
                    quote_string(physical)
                ));
            }
        }
        if step.kind == "log" {
            if let Some((local, _)) = stop {
                with.push(format!(
                    "STOPAT = {}",
                    quote_string(&local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
                ));
            } else if let Some(lsn) = stop_lsn {
                with.push(format!(
                    "STOPATMARK = {}",
                    quote_string(&format!("lsn:{lsn}"))
                ));
            }
        }
        with.push(format!("STATS = {stats}"));
        let statement = format!(
            "RESTORE {verb} {db}\n  FROM {}\n  WITH {};\n",
            devices(step),
            with.join(", ")
        );
        if step.virtual_device {
            out.push_str("-- This backup was made through a virtual device (VSS, DPM or a third-party tool):\n");
            out.push_str("-- restore it with that tool, then continue with the next statement.\n");
            for line in statement.lines() {
                out.push_str(&format!("-- {line}\n"));
            }
        } else {
            out.push_str(&statement);
        }
    }
    out.push_str(&format!("\nRESTORE DATABASE {db} WITH RECOVERY;\n"));
    Ok(out)
}

fn plan_summary(plan: &RestorePlan) -> String {
    plan.steps
        .iter()
        .map(|s| format!("{} #{}", s.kind, s.backup_set_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `URL = N'…', URL = N'…'` or `DISK = N'…'`, one per stripe.
fn devices(step: &PlanStep) -> String {
    if step.files.is_empty() {
        return "DISK = N'<file of backup set missing from history>'".into();
    }
    step.files
        .iter()
        .map(|f| {
            let kind = if container_of_url(f).is_some() {
                "URL"
            } else {
                "DISK"
            };
            format!("{kind} = {}", quote_string(f))
        })
        .collect::<Vec<_>>()
        .join(",\n       ")
}
