//! `chainwatch plan`: the restore sequence to a target.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{print_json, PlanFormat};
use crate::analysis::restore_facts::reauthorize_for;
use crate::analysis::{analyze_database, find_database, plan_on, PlanStep, Target};
use crate::model::time::fmt_time;
use crate::model::Lsn;
use crate::model::{Database, Instance};
use crate::sources::Loaded;
use crate::tsql::{restore_script, RestoreOptions};

#[derive(Serialize)]
struct PlanJson<'a> {
    database: &'a str,
    instance: &'a str,
    /// "latest", an ISO-8601 UTC time, or "lsn:<digits>".
    target: String,
    target_kind: &'static str,
    recoverable: bool,
    reason: Option<&'a str>,
    summary: Option<&'a str>,
    steps: &'a [PlanStep],
    recovery_point: Option<DateTime<Utc>>,
    recovery_lsn: Option<Lsn>,
    nearest_before: Option<DateTime<Utc>>,
    nearest_after: Option<DateTime<Utc>>,
    /// "current" (the recovery path the database is on) or "abandoned".
    path: &'static str,
    fork: Option<uuid::Uuid>,
    /// What else the plan needs beyond RESTORE (a tool, a storage snapshot).
    needs: Option<&'a str>,
    /// When the plan needs another tool: the best plan RESTORE alone can do.
    native_alternative: Option<&'a crate::analysis::RestorePlan>,
    warnings: &'a [String],
}

pub fn run(
    loaded: &Loaded,
    instance: Option<&str>,
    database: &str,
    at: Option<&str>,
    lsn: Option<&str>,
    fork: Option<&str>,
    format: PlanFormat,
) -> anyhow::Result<u8> {
    let (inst, db) =
        find_database(&loaded.estate, instance, database).map_err(anyhow::Error::msg)?;
    let a = analyze_database(&loaded.estate, inst, db, loaded.now);
    let target = match (at, lsn) {
        (Some(t), _) => Target::Time(super::parse_target_time(
            t,
            &a,
            inst.server.utc_offset_minutes,
        )?),
        (None, Some(l)) => Target::Lsn(
            l.parse::<Lsn>()
                .map_err(|e| anyhow::anyhow!("--lsn: {e}"))?,
        ),
        (None, None) => Target::Latest,
    };
    let fork = fork
        .map(|f| {
            f.parse::<uuid::Uuid>()
                .map_err(|e| anyhow::anyhow!("--fork {f:?}: not a GUID ({e})"))
        })
        .transpose()?;
    let p = plan_on(&a, target, fork);
    let (target_text, target_kind) = match target {
        Target::Latest => ("latest".to_string(), "latest"),
        Target::Time(t) => (
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            "time",
        ),
        Target::Lsn(l) => (format!("lsn:{l}"), "lsn"),
    };
    match format {
        PlanFormat::Json => print_json(&PlanJson {
            database: &db.name,
            instance: &inst.name,
            target: target_text,
            target_kind,
            recoverable: p.recoverable,
            reason: (!p.recoverable).then_some(p.reason.as_str()),
            summary: p.recoverable.then_some(p.reason.as_str()),
            steps: &p.steps,
            recovery_point: p.recovery_point,
            recovery_lsn: p.recovery_lsn,
            nearest_before: p.nearest_before,
            nearest_after: p.nearest_after,
            path: p.path,
            fork: p.fork,
            needs: p.needs.as_deref(),
            native_alternative: p.native_alternative.as_deref(),
            warnings: &p.warnings,
        })?,
        PlanFormat::Tsql if !p.recoverable => {
            eprintln!(
                "chainwatch: {} cannot be restored to {target_text}: {}",
                db.name, p.reason
            );
            return Ok(1);
        }
        PlanFormat::Tsql => out!(
            "{}",
            restore_script(&db.name, &p, &default_options(inst, db))?
        ),
        PlanFormat::Text => {
            outln!("restore {} on {} to {}", db.name, inst.name, target_text);
            if !p.recoverable {
                outln!("NOT RECOVERABLE: {}", p.reason);
                outln!(
                    "  nearest recoverable point before: {}",
                    fmt_nearest(p.nearest_before)
                );
                outln!(
                    "  nearest recoverable point after:  {}",
                    fmt_nearest(p.nearest_after)
                );
                return Ok(1);
            }
            outln!("{} — recovers to {}", p.reason, fmt_time(p.recovery_point));
            if p.path != "current" {
                outln!(
                    "  on an ABANDONED recovery path (fork {})",
                    p.fork.map(|f| f.to_string()).unwrap_or_default()
                );
            }
            if let Some(n) = &p.needs {
                outln!("  NEEDS {}", crate::tsql::comment_safe(n));
            }
            for w in &p.warnings {
                outln!("  WARNING: {}", crate::tsql::comment_safe(w));
            }
            if let Some(alt) = &p.native_alternative {
                outln!(
                    "  with RESTORE alone: {} — recovers to {} (#{})",
                    alt.reason,
                    fmt_time(alt.recovery_point),
                    alt.steps
                        .iter()
                        .map(|s| s.backup_set_id.to_string())
                        .collect::<Vec<_>>()
                        .join(", #")
                );
            }
            for (i, s) in p.steps.iter().enumerate() {
                outln!(
                    "{:>3}. {:<4} #{:<7} finished {}  LSN {} .. {}{}{}",
                    i + 1,
                    s.kind,
                    s.backup_set_id,
                    fmt_time(s.finish),
                    s.first_lsn.map(|l| l.to_string()).unwrap_or_default(),
                    s.last_lsn.map(|l| l.to_string()).unwrap_or_default(),
                    s.stop_at
                        .map(|t| format!(
                            "  STOPAT {} (server local {})",
                            fmt_time(Some(t)),
                            s.stop_at_local.map(|l| l.to_string()).unwrap_or_default()
                        ))
                        .unwrap_or_default(),
                    s.stop_at_lsn
                        .map(|l| format!("  STOPATMARK lsn:{l}"))
                        .unwrap_or_default(),
                );
                if s.tail {
                    outln!("       (tail-log backup, copy-only)");
                }
                if s.continue_after_error {
                    outln!("       (needs CONTINUE_AFTER_ERROR)");
                }
                if let Some(n) = &s.needs {
                    outln!("       (needs {})", crate::tsql::comment_safe(n));
                }
                for f in &s.files {
                    outln!("       {f}");
                }
            }
        }
    }
    // Exit 1 when the target cannot be reached, whatever the format.
    Ok(if p.recoverable { 0 } else { 1 })
}

/// A nearest point, or "none" when there is none (never a bare "?").
fn fmt_nearest(t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(_) => fmt_time(t),
        None => "none".into(),
    }
}

/// The script options `plan --format tsql` and the wizard start from: a
/// Stretch-enabled database ends with the reauthorize step, using its
/// scoped credential when it has exactly one.
pub fn default_options(inst: &Instance, db: &Database) -> RestoreOptions {
    RestoreOptions {
        reauthorize: (db.stretch_enabled == Some(true)).then(|| reauthorize_for(inst, &db.name)),
        ..RestoreOptions::default()
    }
}
