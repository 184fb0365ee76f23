//! `chainwatch chain`: breaks and recoverable windows of one database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{print_json, Format};
use crate::analysis::chain::{short_guid, Excluded, ForkPoint};
use crate::analysis::{analyze_database, find_database, Break, ChainState, Window};
use crate::model::time::fmt_time;
use crate::model::Lsn;
use crate::sources::Loaded;

#[derive(Serialize)]
struct RunJson {
    fork: Option<Uuid>,
    first_lsn: Lsn,
    last_lsn: Lsn,
    log_backups: usize,
    first_backup_set_id: i64,
    last_backup_set_id: i64,
    /// Not on the database's current recovery path.
    abandoned: bool,
    /// The log this run branches off (an abandoned branch's parent log).
    branch_of_backup_set_id: Option<i64>,
}

#[derive(Serialize)]
struct ChainJson<'a> {
    database: &'a str,
    instance: &'a str,
    state: ChainState,
    breaks: Vec<BreakJson<'a>>,
    windows: &'a [Window],
    /// Windows on recovery paths the database left (restorable only when asked for).
    abandoned_windows: &'a [Window],
    current_fork: Option<Uuid>,
    fork_points: &'a [ForkPoint],
    /// Copy-only log backups used as the last step of a run (tail-log backups).
    tail_backup_set_ids: &'a [i64],
    runs: Vec<RunJson>,
    excluded: &'a [Excluded],
    latest_recoverable: Option<DateTime<Utc>>,
    rpo_now_seconds: Option<i64>,
    history_sources: &'a [String],
}

#[derive(Serialize)]
struct BreakJson<'a> {
    #[serde(flatten)]
    inner: &'a Break,
    reason_text: &'static str,
}

pub fn run(
    loaded: &Loaded,
    instance: Option<&str>,
    database: &str,
    format: Format,
) -> anyhow::Result<u8> {
    let (inst, db) =
        find_database(&loaded.estate, instance, database).map_err(anyhow::Error::msg)?;
    let a = analyze_database(&loaded.estate, inst, db, loaded.now);
    match format {
        Format::Json => print_json(&ChainJson {
            database: &db.name,
            instance: &inst.name,
            state: a.health.state,
            breaks: a
                .chain
                .breaks
                .iter()
                .map(|b| BreakJson {
                    inner: b,
                    reason_text: b.reason.label(),
                })
                .collect(),
            windows: &a.windows,
            abandoned_windows: &a.other_windows,
            current_fork: a.chain.current_path().and_then(|p| p.fork),
            fork_points: &a.chain.fork_points,
            tail_backup_set_ids: &a.chain.tails,
            runs: a
                .chain
                .runs
                .iter()
                .map(|r| RunJson {
                    fork: r.fork,
                    first_lsn: r.first_lsn,
                    last_lsn: r.last_lsn,
                    log_backups: r.end - r.start,
                    first_backup_set_id: a.chain.logs[r.start].backup_set_id,
                    last_backup_set_id: a.chain.logs[r.end - 1].backup_set_id,
                    abandoned: r.abandoned,
                    branch_of_backup_set_id: r.branch_of.map(|i| a.chain.logs[i].backup_set_id),
                })
                .collect(),
            excluded: &a.chain.excluded,
            latest_recoverable: a.health.latest_recoverable,
            rpo_now_seconds: a.health.rpo_now_seconds,
            history_sources: &a.history.sources,
        })?,
        Format::Text => {
            outln!("{} on {}: {}", db.name, inst.name, a.health.state.label());
            outln!(
                "  {} backup sets in history ({} log backups in the chain, {} left out); from {}",
                a.history.rows.len(),
                a.chain.logs.len(),
                a.chain.excluded.len(),
                a.history.sources.join(" + ")
            );
            outln!(
                "  latest recoverable point: {}",
                fmt_time(a.health.latest_recoverable)
            );
            outln!("\nlog chain runs:");
            for r in &a.chain.runs {
                let branch = match (r.abandoned, r.branch_of) {
                    (false, _) => String::new(),
                    (true, Some(i)) => format!(
                        "  abandoned branch after #{}",
                        a.chain.logs[i].backup_set_id
                    ),
                    (true, None) => "  on an earlier recovery path".to_string(),
                };
                outln!(
                    "  LSN {} .. {}  {} logs (#{} .. #{}){branch}",
                    r.first_lsn,
                    r.last_lsn,
                    r.end - r.start,
                    a.chain.logs[r.start].backup_set_id,
                    a.chain.logs[r.end - 1].backup_set_id
                );
            }
            if !a.chain.tails.is_empty() {
                outln!(
                    "  tail-log backups (copy-only, end of a run): {}",
                    a.chain
                        .tails
                        .iter()
                        .map(|t| format!("#{t}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if !a.chain.fork_points.is_empty() {
                outln!("\nrecovery fork points (a restore to a point started a new path):");
                for f in &a.chain.fork_points {
                    outln!(
                        "  LSN {}: fork {} branches off {}; log #{} spans it{}",
                        f.fork_point_lsn,
                        short_guid(f.fork),
                        short_guid(f.parent),
                        f.spanning_backup_set_id,
                        if a.chain
                            .current_path()
                            .is_some_and(|p| p.lineage.iter().any(|r| r.fork == f.fork))
                        {
                            " (on the current path)"
                        } else {
                            ""
                        }
                    );
                }
            }
            outln!("\nbreaks:");
            if a.chain.breaks.is_empty() {
                outln!("  none");
            }
            for b in &a.chain.breaks {
                outln!(
                    "  {}: after #{} (LSN {}) before #{} (LSN {})",
                    b.reason.label(),
                    b.after_backup_set_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    b.from_lsn
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "?".into()),
                    b.before_backup_set_id
                        .map(|i| i.to_string())
                        .unwrap_or_else(|| "-".into()),
                    b.to_lsn
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "?".into()),
                );
                outln!("    {}", b.detail);
            }
            outln!("\nrecoverable windows (UTC):");
            if a.windows.is_empty() {
                outln!("  none");
            }
            for w in a.windows.iter().chain(&a.other_windows) {
                let tag = match (&w.needs, w.abandoned) {
                    (_, true) => format!("  [abandoned branch, fork {}]", short_guid(w.fork)),
                    (Some(n), false) => format!("  [needs {n}]"),
                    (None, false) => String::new(),
                };
                if w.is_point() {
                    outln!(
                        "  {}  (end of a data backup only; LSN {}){tag}",
                        fmt_time(Some(w.from)),
                        w.from_lsn
                    );
                } else {
                    outln!(
                        "  {} .. {}  (LSN {} .. {}){tag}",
                        fmt_time(Some(w.from)),
                        fmt_time(Some(w.to)),
                        w.from_lsn,
                        w.to_lsn
                    );
                }
            }
        }
    }
    Ok(0)
}
