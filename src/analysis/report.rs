//! Owned summaries of the analysis, for the console and `check`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::chain::Break;
use super::findings::{chain_findings, Finding, Severity};
use super::health::{ChainState, Health};
use super::window::Window;
use super::{analyze_database, DatabaseAnalysis};
use crate::model::{BackupType, Database, Estate, Lsn};

/// One backup as the timeline draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineItem {
    pub backup_set_id: i64,
    pub backup_type: BackupType,
    pub start: Option<DateTime<Utc>>,
    pub finish: Option<DateTime<Utc>>,
    pub first_lsn: Option<Lsn>,
    pub last_lsn: Option<Lsn>,
    pub is_copy_only: bool,
    pub has_bulk_logged_data: bool,
    pub is_empty_log: bool,
    pub stripes: usize,
    /// In the restorable log chain (logs) or a usable start (fulls, diffs).
    pub in_chain: bool,
    pub producer: String,
    pub files: Vec<String>,
    pub user_name: Option<String>,
    pub source_instance: String,
}

/// Everything the console shows for one database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseReport {
    pub instance: String,
    pub database: Database,
    pub health: Health,
    pub breaks: Vec<Break>,
    pub windows: Vec<Window>,
    pub findings: Vec<Finding>,
    pub timeline: Vec<TimelineItem>,
    pub history_sources: Vec<String>,
    pub excluded: Vec<super::chain::Excluded>,
    /// The one recoverability answer every surface reads.
    pub recoverability: super::recoverability::Recoverability,
    /// Windows on recovery paths the database left (abandoned branches).
    pub abandoned_windows: Vec<Window>,
    /// Where point-in-time restores started new recovery paths.
    pub fork_points: Vec<super::chain::ForkPoint>,
}

impl DatabaseReport {
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Per-instance collection status as far as the snapshot tells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceStatus {
    pub instance: String,
    pub version: String,
    pub databases: usize,
    pub history_collected: bool,
    pub missing_tables: Vec<String>,
    pub problems: Vec<String>,
    /// Findings about the instance as a whole (rules engine).
    pub findings: Vec<Finding>,
    /// The server's UTC offsets over the history, for showing its local time.
    #[serde(skip)]
    pub clock: crate::model::zone::ServerClock,
}

/// The whole estate, analysed at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstateReport {
    pub now: DateTime<Utc>,
    pub instances: Vec<InstanceStatus>,
    pub databases: Vec<DatabaseReport>,
}

impl EstateReport {
    /// Monitoring-plugin status: 0 OK, 1 warning, 2 critical, 3 unknown.
    pub fn exit_code(&self) -> i32 {
        let worst = self
            .databases
            .iter()
            .filter_map(|d| d.worst_severity())
            .chain(
                self.instances
                    .iter()
                    .flat_map(|i| i.findings.iter().map(|f| f.severity)),
            )
            .max();
        match worst {
            Some(Severity::Critical) => 2,
            Some(Severity::Warning) => 1,
            _ if self.is_unknown() => 3,
            _ => 0,
        }
    }

    fn is_unknown(&self) -> bool {
        self.instances.is_empty()
            || self.instances.iter().any(|i| !i.history_collected)
            || self
                .databases
                .iter()
                .any(|d| d.health.state == ChainState::Unknown)
    }
}

pub fn report_of(a: &DatabaseAnalysis<'_>, now: DateTime<Utc>) -> DatabaseReport {
    let chain_ids: std::collections::HashSet<i64> =
        a.chain.logs.iter().map(|l| l.backup_set_id).collect();
    let start_ids: std::collections::HashSet<i64> = a
        .starts
        .iter()
        .flat_map(|s| [Some(s.full.backup_set_id), s.diff.map(|d| d.backup_set_id)])
        .flatten()
        .collect();
    let mut timeline: Vec<TimelineItem> = a
        .history
        .rows
        .iter()
        .map(|b| TimelineItem {
            backup_set_id: b.backup_set_id,
            backup_type: b.backup_type,
            start: b.start,
            finish: b.finish,
            first_lsn: b.first_lsn,
            last_lsn: b.last_lsn,
            is_copy_only: b.is_copy_only,
            has_bulk_logged_data: b.has_bulk_logged_data,
            is_empty_log: b.is_empty_log(),
            stripes: b.families.len(),
            in_chain: chain_ids.contains(&b.backup_set_id) || start_ids.contains(&b.backup_set_id),
            producer: b.producer().label(),
            files: b.files(),
            user_name: b.user_name.clone(),
            source_instance: b.collected_from.clone(),
        })
        .collect();
    timeline.sort_by_key(|t| (t.finish, t.backup_set_id));
    let mut findings = chain_findings(a, now);
    findings.extend(super::restore_findings::restore_findings(a));
    findings.extend(super::rpo_findings::rpo_findings(a, now));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    DatabaseReport {
        instance: a.instance.clone(),
        database: a.database.clone(),
        health: a.health.clone(),
        breaks: a.chain.breaks.clone(),
        windows: a.windows.clone(),
        findings,
        timeline,
        history_sources: a.history.sources.clone(),
        excluded: a.chain.excluded.clone(),
        recoverability: super::recoverability::summarize(
            &a.database,
            &a.health,
            &a.windows,
            None,
            now,
        ),
        abandoned_windows: a.other_windows.clone(),
        fork_points: a.chain.fork_points.clone(),
    }
}

/// Analyses every database of every instance.
pub fn analyze_estate(estate: &Estate, now: DateTime<Utc>) -> EstateReport {
    let mut databases = Vec::new();
    let mut instances = Vec::new();
    for instance in &estate.instances {
        let analyses: Vec<DatabaseAnalysis<'_>> = instance
            .databases
            .iter()
            .map(|db| analyze_database(estate, instance, db, now))
            .collect();
        let rules = super::rules::evaluate(estate, instance, &analyses, now);
        for analysis in &analyses {
            let mut report = report_of(analysis, now);
            rules.merge_into(&analysis.database.name, &mut report.findings);
            if analysis.policy.ignored_by.is_some() {
                // `ignore = true`: not judged by any rule, only said to be ignored.
                report.findings.retain(|f| f.id == "database.ignored");
            }
            report
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.severity));
            report.recoverability.severity = report.worst_severity();
            databases.push(report);
        }
        instances.push(InstanceStatus {
            instance: instance.name.clone(),
            version: instance.server.version_name(),
            databases: instance.databases.len(),
            history_collected: instance.history_collected,
            missing_tables: instance
                .missing_tables
                .iter()
                .map(|m| match &m.reason {
                    Some(r) => format!("{} ({r})", m.table),
                    None => m.table.clone(),
                })
                .collect(),
            problems: instance.row_problems.clone(),
            findings: rules.instance,
            clock: {
                let rows: Vec<&crate::model::BackupSet> = instance.backups.iter().collect();
                super::localtime::server_clock(&rows, instance.server.utc_offset_minutes, now)
            },
        });
    }
    EstateReport {
        now,
        instances,
        databases,
    }
}
