//! Findings: what is wrong, how sure we are, the rows that prove it, what to do.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::chain::{fmt_time, BreakReason};
use super::health::ChainState;
use super::DatabaseAnalysis;
use crate::model::RecoveryModel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARN",
            Severity::Critical => "CRIT",
        }
    }
}

/// One explained finding about a database (or an instance when `database` is None).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub instance: String,
    pub database: Option<String>,
    pub title: String,
    pub explanation: String,
    /// backup_set_ids that prove it.
    pub evidence: Vec<i64>,
    pub remedy: String,
    /// Catalog rows beyond backup sets that prove it (jobs, plans, config rows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<EvidenceRow>,
    /// T-SQL that carries out the remedy (identifiers and strings quoted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// One catalog row a finding rests on: its table, its position in the
/// snapshot (when it came from one) and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRow {
    pub table: String,
    pub row: Option<usize>,
    pub text: String,
}

/// Log backups older than this are late for a FULL database.
const LOG_LATE: i64 = 6;
/// ... and this late means the log is effectively unprotected.
const LOG_VERY_LATE: i64 = 24;
/// Weekly fulls plus a day of slack.
const FULL_LATE_DAYS: i64 = 8;

pub fn chain_findings(a: &DatabaseAnalysis<'_>, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    let h = &a.health;
    let mut push =
        |id, severity, title: String, explanation: String, evidence: Vec<i64>, remedy: &str| {
            out.push(Finding {
                id,
                severity,
                instance: a.instance.clone(),
                database: Some(a.database.name.clone()),
                title,
                explanation,
                evidence,
                remedy: remedy.to_string(),
                rows: Vec::new(),
                sql: None,
            })
        };
    match h.state {
        ChainState::Broken => push(
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
        ),
        ChainState::NoFull => push(
            "chain.no_full",
            Severity::Critical,
            "no full backup in history".into(),
            "no full backup in the collected history can start a restore, so no log backup can be used".into(),
            Vec::new(),
            "take a full backup (or collect a longer history window)",
        ),
        ChainState::NoHistory => push(
            "backup.none",
            if a.database.is_system() { Severity::Warning } else { Severity::Critical },
            "no backups in history".into(),
            "msdb holds no backup of this database".into(),
            Vec::new(),
            "take a full backup and schedule backups (Managed Backup or an Agent job)",
        ),
        ChainState::NoLogBackups => push(
            "log.none",
            Severity::Warning,
            format!("{} recovery but no log backups", a.database.recovery_model.map(|m| m.label()).unwrap_or("FULL")),
            "without log backups the log keeps growing and no point-in-time restore is possible".into(),
            Vec::new(),
            "schedule log backups, or switch to SIMPLE if point-in-time restore is not needed",
        ),
        ChainState::Dropped => push(
            "database.dropped",
            Severity::Info,
            "dropped or detached: backups remain in history".into(),
            format!("the database is not in sys.databases; its last backup finished {}", fmt_time(h.last_full.max(h.last_log))),
            Vec::new(),
            "download the backups you need before retention purges them",
        ),
        ChainState::Passive => push(
            "database.passive",
            Severity::Info,
            "mirror or secondary: backups are taken elsewhere".into(),
            "this copy does not take backups itself; its chain lives on the principal or preferred replica".into(),
            Vec::new(),
            "",
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
    if active {
        if let Some(full) = h
            .last_full
            .filter(|t| now - *t > Duration::days(FULL_LATE_DAYS))
        {
            push(
                "full.late",
                Severity::Warning,
                format!("last full backup is {} old", human_age(now - full)),
                format!("the newest full backup finished {}", fmt_time(Some(full))),
                Vec::new(),
                "check the full backup schedule",
            );
        }
        let keeps_log = a
            .database
            .recovery_model
            .is_none_or(|m| m != RecoveryModel::Simple);
        if let Some(log) = h.last_log.filter(|_| keeps_log) {
            let age = now - log;
            if age > Duration::hours(LOG_LATE) {
                push(
                    "log.late",
                    if age > Duration::hours(LOG_VERY_LATE) {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    format!("last log backup is {} old", human_age(age)),
                    format!(
                        "the newest log backup finished {}; everything after it would be lost",
                        fmt_time(Some(log))
                    ),
                    Vec::new(),
                    "check the log backup job or Managed Backup health",
                );
            }
        }
    }
    for b in a.chain.breaks.iter() {
        let recent = b.to_time.or(b.from_time).is_some_and(|t| {
            t >= h
                .horizon_start
                .min(now - Duration::days(super::health::DEFAULT_HORIZON_DAYS))
        });
        let severity = match b.reason {
            BreakReason::HistoryMissing => Severity::Info,
            BreakReason::NewFork => Severity::Warning,
            _ if recent => Severity::Warning,
            _ => Severity::Info,
        };
        push(
            match b.reason {
                BreakReason::Gap => "chain.gap",
                BreakReason::SimpleSwitch => "chain.simple_switch",
                BreakReason::NewFork => "chain.new_fork",
                BreakReason::HistoryMissing => "chain.history_missing",
                BreakReason::OtherProducer => "chain.other_producer",
            },
            severity,
            format!("{} {}", b.reason.label(), fmt_time(b.from_time.or(b.to_time))),
            b.detail.clone(),
            b.evidence.clone(),
            match b.reason {
                BreakReason::OtherProducer => "make one tool own log backups; use COPY_ONLY (or sp_backup_on_demand) for extra backups",
                BreakReason::NewFork => "take a full backup on the new recovery fork",
                BreakReason::SimpleSwitch => "after switching back to FULL, take a full or differential backup at once",
                BreakReason::Gap => "find the missing log backups (other tools, other replicas) or take a full backup",
                BreakReason::HistoryMissing => "",
            },
        );
    }
    for log in a
        .chain
        .logs
        .iter()
        .filter(|l| l.has_bulk_logged_data && l.finish.is_some_and(|f| f >= h.horizon_start))
    {
        push(
            "log.bulk_logged",
            Severity::Info,
            format!("bulk-logged changes in log #{}", log.backup_set_id),
            format!(
                "point-in-time restore inside this log is impossible: it can only be restored to its end ({})",
                fmt_time(log.finish)
            ),
            vec![log.backup_set_id],
            "switch back to FULL after bulk operations and take a log backup",
        );
    }
    if a.history.matched_by_name_only {
        push(
            "history.weak_keys",
            Severity::Info,
            "history matched by database name only".into(),
            "some rows have no database_guid/family_guid; a database reusing this name would be mixed in".into(),
            Vec::new(),
            "",
        );
    }
    out
}

pub fn human_age(d: Duration) -> String {
    let mins = d.num_minutes();
    if mins < 0 {
        return "in the future".into();
    }
    if mins < 60 {
        format!("{mins}m")
    } else if mins < 48 * 60 {
        format!("{}h{:02}m", mins / 60, mins % 60)
    } else {
        format!("{}d{:02}h", mins / 1440, (mins % 1440) / 60)
    }
}
