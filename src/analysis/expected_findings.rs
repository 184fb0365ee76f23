//! Health findings measured against a database's expectation: what is
//! missing or late, and — for databases that are healthy by their nature
//! (secondaries, tempdb, snapshots, offline, new) — why nothing is expected.
//! Each finding carries the expectation rule it measures.

use chrono::{DateTime, Utc};

use super::chain::Break;
use super::expectation::{Basis, Need};
use super::findings::{Finding, Severity};
use super::health::ChainState;
use super::DatabaseAnalysis;
use crate::model::time::{fmt_time, human_age};
use crate::model::{BackupSet, RecoveryModel};

struct Out<'x, 'a> {
    a: &'x DatabaseAnalysis<'a>,
    list: Vec<Finding>,
}

impl Out<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &'static str,
        severity: Severity,
        title: String,
        explanation: String,
        evidence: Vec<i64>,
        remedy: &str,
        measures: Option<String>,
    ) {
        let e = &self.a.health.expectation;
        self.list.push(Finding {
            expectation: Some(measures.unwrap_or_else(|| format!("expected: {}", e.summary))),
            ..self
                .a
                .finding(id, severity, title, explanation, evidence, remedy)
        });
    }
}

/// The full (any kind, copy-only included: it can start a restore) taken
/// on the fork a new-fork break leads to, after the break.
pub fn full_on_new_fork<'a>(a: &DatabaseAnalysis<'a>, b: &Break) -> Option<&'a BackupSet> {
    let next = a
        .history
        .rows
        .iter()
        .find(|r| Some(r.backup_set_id) == b.before_backup_set_id)?;
    let fork = super::chain::fork_of(next);
    let after = b.from_time?;
    a.history
        .rows
        .iter()
        .copied()
        .filter(|r| r.is_full() && !r.is_damaged && super::chain::fork_of(r) == fork)
        .filter(|r| r.finish.is_some_and(|f| f >= after))
        .min_by_key(|r| (r.finish, r.backup_set_id))
}

/// The severity of "never backed up": the config's `never_backed_up`, else `builtin`.
fn never_backed_up(a: &DatabaseAnalysis<'_>, builtin: Severity) -> Severity {
    use crate::model::policy::NeverBackedUp;
    match a.policy.never_backed_up {
        None => builtin,
        Some(NeverBackedUp::Ok) => Severity::Info,
        Some(NeverBackedUp::Warning) => Severity::Warning,
        Some(NeverBackedUp::Critical) => Severity::Critical,
    }
}

fn ago(now: DateTime<Utc>, t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => format!("{} ({} ago)", fmt_time(Some(t)), human_age(now - t)),
        None => "?".into(),
    }
}

pub fn expectation_findings(a: &DatabaseAnalysis<'_>, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Out {
        a,
        list: Vec::new(),
    };
    let h = &a.health;
    let e = &h.expectation;
    let db = &a.database;
    let full_rule = e.full.as_ref().map(Need::rule);
    let log_rule = e.log.as_ref().map(Need::rule);
    let created = db
        .create_date
        .map(|c| format!("; created {}", ago(now, Some(c))))
        .unwrap_or_default();
    match h.state {
        ChainState::Broken => out.push(
            "chain.broken",
            Severity::Critical,
            "newest backups cannot be restored".into(),
            format!(
                "the latest recoverable point is {}, but backups were taken until {}: the chain after it is broken",
                fmt_time(h.latest_recoverable),
                fmt_time(h.last_log.max(h.last_full)),
            ),
            a.chain.breaks.iter().filter(|b| !b.reason.keeps_continuity()).flat_map(|b| b.evidence.clone()).collect(),
            "take a full backup now to start a restorable chain, then find what broke it",
            log_rule.clone(),
        ),
        ChainState::NoFull => out.push(
            "chain.no_full",
            Severity::Critical,
            "no full backup in history".into(),
            format!("no full backup in the collected history can start a restore, so no log backup can be used{created}"),
            Vec::new(),
            "take a full backup (or collect a longer history window)",
            full_rule.clone(),
        ),
        ChainState::NoHistory => out.push(
            "backup.none",
            never_backed_up(a, if db.is_system() { Severity::Warning } else { Severity::Critical }),
            "no backups in history".into(),
            format!(
                "msdb holds no backup of this database{created}{}",
                e.full_grace_until
                    .map(|g| format!("; a first full was due by {}", fmt_time(Some(g))))
                    .unwrap_or_default()
            ),
            Vec::new(),
            "take a full backup and schedule backups (Managed Backup or an Agent job)",
            full_rule.clone(),
        ),
        ChainState::Pending if h.last_full.is_none() || a.windows.is_empty() => out.push(
            "backup.pending",
            Severity::Info,
            "new database: its first full backup is not due yet".into(),
            format!(
                "{}; the first full backup is expected by {}",
                match e.restored_at {
                    Some(t) => format!("restored {}", ago(now, Some(t))),
                    None => format!("created {}", ago(now, db.create_date)),
                },
                fmt_time(e.full_grace_until)
            ),
            Vec::new(),
            "",
            full_rule.clone(),
        ),
        ChainState::Pending => out.push(
            "log.pending",
            Severity::Info,
            "first log backup not due yet".into(),
            format!(
                "the chain's first full backup finished {}; the log backup job has not reached it yet, and the first log backup is expected by {}",
                ago(now, h.last_full),
                fmt_time(e.log_grace_until)
            ),
            Vec::new(),
            "",
            log_rule.clone(),
        ),
        ChainState::NoLogBackups => {
            let newest_data = a
                .history
                .rows
                .iter()
                .filter(|b| b.is_full() || b.is_diff())
                .max_by_key(|b| (b.finish, b.backup_set_id));
            let pseudo_simple = newest_data
                .is_some_and(|b| b.recovery_model == Some(RecoveryModel::Simple));
            out.push(
                "log.none",
                Severity::Warning,
                format!("{} recovery but no log backups", db.recovery_model.map(|m| m.label()).unwrap_or("FULL")),
                if pseudo_simple {
                    format!(
                        "the newest full or differential (#{}) was taken in SIMPLE recovery: after the switch to FULL the log chain starts only with the next full or differential, and until then the log truncates as in SIMPLE and no point-in-time restore is possible",
                        newest_data.map(|b| b.backup_set_id).unwrap_or_default()
                    )
                } else {
                    "without log backups the log keeps growing and no point-in-time restore is possible".into()
                },
                newest_data.filter(|_| pseudo_simple).map(|b| vec![b.backup_set_id]).unwrap_or_default(),
                if pseudo_simple {
                    "take a full or differential backup now to start the log chain, then schedule log backups"
                } else {
                    "schedule log backups, or switch to SIMPLE if point-in-time restore is not needed"
                },
                log_rule.clone(),
            );
        }
        ChainState::Dropped => out.push(
            "database.dropped",
            Severity::Info,
            "dropped or detached: backups remain in history".into(),
            format!("the database is not in sys.databases; its last backup finished {}", fmt_time(h.last_full.max(h.last_log))),
            Vec::new(),
            "download the backups you need before retention purges them",
            None,
        ),
        ChainState::Passive => passive(&mut out),
        ChainState::Exempt => out.push(
            match e.basis {
                Basis::Snapshot => "database.snapshot",
                Basis::Ignored => "database.ignored",
                _ => "database.exempt",
            },
            Severity::Info,
            match e.basis {
                Basis::Ignored => "ignored by policy: not judged".into(),
                Basis::Snapshot => "database snapshot: cannot be backed up".into(),
                Basis::Tempdb => "tempdb: never backed up".into(),
                _ => "no backups expected".into(),
            },
            e.reason.clone(),
            Vec::new(),
            "",
            None,
        ),
        ChainState::Offline => match h.last_full {
            None => out.push(
                "backup.none",
                never_backed_up(a, Severity::Warning),
                "OFFLINE and never backed up".into(),
                format!(
                    "the database is OFFLINE and msdb holds no full backup of it{created}: if it is brought back or needed later, nothing here restores it; if it is decommissioned, its files are the only copy"
                ),
                Vec::new(),
                "bring it ONLINE and take a full backup before decommissioning it (or keep its files)",
                Some("full: one taken before it went offline".into()),
            ),
            Some(full) => out.push(
                "database.offline",
                Severity::Info,
                "OFFLINE: no backups expected".into(),
                format!(
                    "{}; its newest full finished {}{}",
                    e.reason,
                    ago(now, Some(full)),
                    h.last_log.map(|l| format!(", its newest log {}", ago(now, Some(l)))).unwrap_or_default()
                ),
                Vec::new(),
                "keep the last backups for as long as the database may be needed",
                None,
            ),
        },
        ChainState::Unavailable => {
            let state = db.state_desc.clone().unwrap_or_default().to_ascii_uppercase();
            let severity = match state.as_str() {
                "SUSPECT" => Severity::Critical,
                "RECOVERING" => Severity::Info,
                _ => Severity::Warning,
            };
            out.push(
                "database.unavailable",
                severity,
                format!("database is {state}"),
                format!(
                    "{}; its newest full finished {}",
                    e.reason,
                    h.last_full.map(|t| ago(now, Some(t))).unwrap_or_else(|| "never (none in history)".into())
                ),
                Vec::new(),
                match state.as_str() {
                    "RECOVERING" => "wait for recovery to finish; check the error log if it takes long",
                    _ => "check the SQL Server error log; restore from the newest backups if the database cannot be recovered",
                },
                None,
            );
        }
        ChainState::Restoring => out.push(
            "database.restoring",
            Severity::Info,
            "RESTORING: no backups possible".into(),
            e.reason.clone(),
            Vec::new(),
            "finish the restore (RESTORE DATABASE … WITH RECOVERY) if it is not meant to stay restoring",
            None,
        ),
        _ => {}
    }
    let active = matches!(
        h.state,
        ChainState::Ok
            | ChainState::Degraded
            | ChainState::Broken
            | ChainState::Simple
            | ChainState::NoLogBackups
    );
    // A passive replica can still be where some kinds belong: an AG's
    // primary takes the differentials and regular fulls.
    let judged_here = [&e.full, &e.diff, &e.log]
        .into_iter()
        .flatten()
        .any(|n| n.judged_here);
    if active || (h.state == ChainState::Passive && judged_here) {
        late(&mut out, now);
    }
    let mut ids: Vec<i64> = e.origin_backup_sets.clone();
    ids.extend(a.history.foreign.iter().map(|b| b.backup_set_id));
    ids.sort_unstable();
    ids.dedup();
    let server = e
        .origin_server
        .clone()
        .or_else(|| a.history.foreign.iter().find_map(|b| b.server_name.clone()));
    if let (super::expectation::Judged::Here, Some(server)) = (e.judged, server) {
        out.push(
            "database.origin",
            Severity::Info,
            format!("restored from a backup taken on {server}"),
            format!(
                "{}: the msdb rows of that backup were written here by RESTORE; they show where the database came from and are not judged as its own backups or chain",
                e.origin.clone().unwrap_or_else(|| format!("restored from {server}"))
            ),
            ids,
            "",
            None,
        );
    }
    out.list
}

fn passive(out: &mut Out<'_, '_>) {
    let e = &out.a.health.expectation;
    let judged = match (&e.judged_on, e.basis) {
        (Some(j), _) => format!(" Its backups are judged on {j}."),
        (None, Basis::Standby) => String::new(),
        (None, _) => " That server is not in this estate, so whether its backups are current cannot be checked from here.".into(),
    };
    let title = match e.basis {
        Basis::Mirror => "mirror: backups are taken on the principal".to_string(),
        Basis::LogShippingSecondary => {
            "log shipping secondary: backups are taken on the primary".into()
        }
        Basis::Standby => "STANDBY: backups are taken where the logs come from".into(),
        _ => {
            let here: Vec<&str> = [&e.full, &e.diff]
                .into_iter()
                .flatten()
                .filter(|n| n.judged_here)
                .map(|n| n.kind)
                .collect();
            if here.is_empty() {
                format!("backups are taken {}", e.place)
            } else {
                format!(
                    "log backups are taken {}; {} here",
                    e.place,
                    here.join(" and ")
                )
            }
        }
    };
    out.push(
        "database.passive",
        Severity::Info,
        title,
        format!("{}.{judged}", e.reason),
        Vec::new(),
        "",
        None,
    );
}

/// Full, differential and log backups older than the expectation allows.
fn late(out: &mut Out<'_, '_>, now: DateTime<Utc>) {
    let h = &out.a.health;
    let mut e = h.expectation.clone();
    for n in [&mut e.full, &mut e.diff, &mut e.log] {
        if n.as_ref().is_some_and(|n| !n.judged_here) {
            *n = None;
        }
    }
    if let (Some(need), Some(full)) = (&e.full, h.last_full) {
        if need.late_after().is_some_and(|l| now - full > l) {
            out.push(
                "full.late",
                Severity::Warning,
                format!(
                    "last full backup is {} old{}",
                    human_age(now - full),
                    need.every
                        .as_ref()
                        .map(|e| format!(" (fulls run {e})"))
                        .unwrap_or_default()
                ),
                format!("the newest full backup finished {}", fmt_time(Some(full))),
                Vec::new(),
                "check the full backup schedule",
                Some(need.rule()),
            );
        }
    }
    if let Some(need) = &e.diff {
        let base = h.last_full.max(h.last_diff);
        if let (Some(base), Some(limit)) = (base, need.late_after()) {
            if now - base > limit {
                out.push(
                    "diff.late",
                    Severity::Warning,
                    format!(
                        "newest differential or full is {} old{}",
                        human_age(now - base),
                        need.every.as_ref().map(|e| format!(" (differentials run {e})")).unwrap_or_default()
                    ),
                    format!(
                        "differentials are in use; the newest restore base finished {}: every restore replays the logs since then",
                        fmt_time(Some(base))
                    ),
                    Vec::new(),
                    "check the differential backup job",
                    Some(need.rule()),
                );
            }
        }
    }
    if let (Some(need), Some(log)) = (&e.log, h.last_log) {
        let age = now - log;
        if need.late_after().is_some_and(|l| age > l) {
            let critical = need.critical_after().is_some_and(|c| age > c);
            out.push(
                "log.late",
                if critical {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "last log backup is {} old{}",
                    human_age(age),
                    need.every
                        .as_ref()
                        .map(|e| format!(" (logs run every {e})"))
                        .unwrap_or_default()
                ),
                // What a restore now loses is the one answer's, not the
                // schedule's: a copy-only or tail-log backup may reach further.
                match h.latest_recoverable.filter(|&r| r > log) {
                    Some(reach) => format!(
                        "the newest log backup of the chain finished {}; a copy-only or tail-log backup after it reaches {}, so a restore now loses everything after that point",
                        fmt_time(Some(log)),
                        fmt_time(Some(reach))
                    ),
                    None => format!(
                        "the newest log backup finished {}; everything after it would be lost",
                        fmt_time(Some(log))
                    ),
                },
                Vec::new(),
                "check the log backup job (Agent, log shipping) or Managed Backup health",
                Some(need.rule()),
            );
        }
    }
}
