//! Findings: what is wrong, how sure we are, the rows that prove it, what to do.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::chain::BreakReason;
use super::DatabaseAnalysis;
use crate::model::time::{fmt_time, human_age};

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
    /// The expectation this finding measures ("log every 15 min: late after 60 min (newest log)").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expectation: Option<String>,
}

/// One catalog row a finding rests on: its table, its position in the
/// snapshot (when it came from one) and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceRow {
    pub table: String,
    pub row: Option<usize>,
    pub text: String,
}

impl DatabaseAnalysis<'_> {
    /// A finding about this database whose proof is the backup sets in
    /// `evidence`: no other catalog rows, no T-SQL and no expectation
    /// (callers that measure one set it on the result).
    pub(super) fn finding(
        &self,
        id: &'static str,
        severity: Severity,
        title: String,
        explanation: String,
        evidence: Vec<i64>,
        remedy: &str,
    ) -> Finding {
        Finding {
            id,
            severity,
            instance: self.instance.clone(),
            database: Some(self.database.name.clone()),
            title,
            explanation,
            evidence,
            remedy: remedy.to_string(),
            rows: Vec::new(),
            sql: None,
            expectation: None,
        }
    }
}

pub fn chain_findings(a: &DatabaseAnalysis<'_>, now: DateTime<Utc>) -> Vec<Finding> {
    let h = &a.health;
    let mut out = super::expected_findings::expectation_findings(a, now);
    let summary = format!("expected: {}", h.expectation.summary);
    let mut push =
        |id, severity, title: String, explanation: String, evidence: Vec<i64>, remedy: &str| {
            out.push(Finding {
                expectation: Some(summary.clone()),
                ..a.finding(id, severity, title, explanation, evidence, remedy)
            })
        };
    for b in a.chain.breaks.iter() {
        let recent = b.to_time.or(b.from_time).is_some_and(|t| {
            t >= h
                .horizon_start
                .min(now - Duration::days(super::health::DEFAULT_HORIZON_DAYS))
        });
        // A restore that already has its full on the new fork needs nothing more.
        let new_full = (b.reason == BreakReason::NewFork)
            .then(|| super::expected_findings::full_on_new_fork(a, b))
            .flatten();
        // Severity policy (README): points inside the retention period that
        // cannot be restored are an actual loss (critical); a break that
        // keeps continuity or a fork without its full yet is a risk (warning).
        let lost_inside = super::health::lost_in(&a.windows, b, h.horizon_start, now);
        let severity = match b.reason {
            BreakReason::HistoryMissing => Severity::Info,
            BreakReason::NewFork if new_full.is_some() => Severity::Info,
            _ if !b.on_current_path => Severity::Info,
            _ if lost_inside.is_some() => Severity::Critical,
            BreakReason::NewFork => Severity::Warning,
            _ if recent => Severity::Warning,
            _ => Severity::Info,
        };
        let mut evidence = b.evidence.clone();
        let detail = match new_full {
            Some(f) => {
                evidence.push(f.backup_set_id);
                format!(
                    "{}. Full #{} ({}) was taken on the new fork: the chain restarts there; points before the restore are restorable from the earlier fork's backups",
                    b.detail,
                    f.backup_set_id,
                    fmt_time(f.finish)
                )
            }
            None => b.detail.clone(),
        };
        let detail = match lost_inside {
            Some(u) => format!(
                "{detail}. No restore reaches the points from {} to {} ({}), inside the retention period",
                fmt_time(Some(u.from)),
                fmt_time(Some(u.to)),
                human_age(u.length())
            ),
            None => detail,
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
            detail,
            evidence,
            match b.reason {
                BreakReason::OtherProducer => "make one tool own log backups; use COPY_ONLY (or sp_backup_on_demand) for extra backups",
                BreakReason::NewFork if new_full.is_some() => "",
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
