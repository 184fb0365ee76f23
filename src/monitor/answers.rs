//! The per-database and per-instance answers every monitoring output
//! reads: `check --format json` (flattened into each database line),
//! `--format prometheus`, `--format nagios` and `serve`. Computed once from
//! the estate report, so the outputs cannot disagree.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::analysis::{ChainState, DatabaseReport, EstateReport, Finding, Judged, Severity};
use crate::model::catalog;
use crate::model::Estate;

/// Recoverability and ages of one database, as of `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseAnswer {
    #[serde(skip)]
    pub instance: String,
    #[serde(skip)]
    pub database: String,
    /// The availability group, for availability databases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ag: Option<String>,
    #[serde(skip)]
    pub state: ChainState,
    #[serde(skip)]
    pub judged: Judged,
    /// How much restoring now would lose: now − the latest recoverable point.
    pub rpo_seconds: Option<i64>,
    pub latest_recoverable: Option<DateTime<Utc>>,
    /// The earliest recoverable point inside the retention period.
    pub recoverable_since: Option<DateTime<Utc>>,
    pub last_full: Option<DateTime<Utc>>,
    pub last_diff: Option<DateTime<Utc>>,
    pub last_log: Option<DateTime<Utc>>,
    /// Chain breaks inside the retention horizon.
    pub breaks_in_retention: usize,
    /// Monitoring-plugin status of this database: 0 OK, 1 warning, 2 critical, 3 unknown.
    pub status: u8,
    #[serde(skip)]
    pub rpo_warn_seconds: Option<i64>,
    #[serde(skip)]
    pub rpo_crit_seconds: Option<i64>,
    /// Finding counts by (severity, rule).
    #[serde(skip)]
    pub findings: BTreeMap<(Severity, &'static str), usize>,
}

impl DatabaseAnswer {
    pub fn of(d: &DatabaseReport, ag: Option<String>) -> DatabaseAnswer {
        let h = &d.health;
        // The one recoverability answer of the report (analysis::recoverability).
        let r = &d.recoverability;
        let status = match d.worst_severity() {
            Some(Severity::Critical) => 2,
            Some(Severity::Warning) => 1,
            _ if h.state == ChainState::Unknown => 3,
            _ => 0,
        };
        DatabaseAnswer {
            instance: d.instance.clone(),
            database: d.database.name.clone(),
            ag,
            state: h.state,
            judged: h.expectation.judged,
            rpo_seconds: r.rpo_seconds,
            latest_recoverable: r.latest_recoverable,
            recoverable_since: r.recoverable_since,
            last_full: r.last_full,
            last_diff: r.last_diff,
            last_log: r.last_log,
            breaks_in_retention: h.recent_breaks,
            status,
            rpo_warn_seconds: h.expectation.rpo_warn_seconds,
            rpo_crit_seconds: h.expectation.rpo_crit_seconds,
            findings: counts(&d.findings),
        }
    }
}

pub fn counts(findings: &[Finding]) -> BTreeMap<(Severity, &'static str), usize> {
    let mut out = BTreeMap::new();
    for f in findings {
        *out.entry((f.severity, f.id)).or_insert(0) += 1;
    }
    out
}

/// How one instance's collection went, when the source collected it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRun {
    pub name: String,
    /// The collection succeeded (history read, maybe with tables denied).
    pub ok: bool,
    /// `ok`, `unreachable`, `login failed`, ...
    pub status: String,
    pub elapsed: std::time::Duration,
    /// When the data judged for it was collected (older than now when stale).
    pub collected_at: Option<DateTime<Utc>>,
}

/// One instance, for the exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceAnswer {
    pub instance: String,
    pub up: bool,
    pub status: String,
    pub history_collected: bool,
    pub databases: usize,
    pub collection_seconds: Option<f64>,
    pub data_age_seconds: Option<i64>,
    pub findings: BTreeMap<(Severity, &'static str), usize>,
}

/// One backup container that was listed (or not), for the exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerAnswer {
    pub instance: Option<String>,
    pub container: String,
    pub listed: bool,
    pub blobs: usize,
    pub files: FileCounts,
}

/// Blobs by problem, from the storage findings of one container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FileCounts {
    /// In history (needed or claimed by Managed Backup) but not in the container.
    pub missing_files: usize,
    /// In the container but unknown to history.
    pub orphan_files: usize,
    /// Past Managed Backup's retention and still there.
    pub expired_files: usize,
}

impl FileCounts {
    /// Each storage finding lists its blobs as evidence rows.
    pub fn of(findings: &[Finding]) -> FileCounts {
        let mut c = FileCounts::default();
        for f in findings {
            let n = f.rows.len().max(1);
            match f.id {
                "storage.missing_needed" | "storage.missing_claimed" | "storage.stripe_missing" => {
                    c.missing_files += n
                }
                "storage.unknown_file" => c.orphan_files += n,
                "storage.past_retention" => c.expired_files += n,
                _ => {}
            }
        }
        c
    }
}

/// Everything an exposition or a status line says.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub now: DateTime<Utc>,
    /// The whole check's status, 0..3.
    pub status: u8,
    pub instances: Vec<InstanceAnswer>,
    pub databases: Vec<DatabaseAnswer>,
    pub containers: Vec<ContainerAnswer>,
}

impl Answers {
    /// `runs`: per-instance collection outcomes when the source collected
    /// (live); without them an instance is up when its history was read.
    pub fn of(
        estate: &Estate,
        report: &EstateReport,
        status: u8,
        runs: &[InstanceRun],
        containers: Vec<ContainerAnswer>,
    ) -> Answers {
        let now = report.now;
        let ags = ag_names(estate);
        let databases = report
            .databases
            .iter()
            .map(|d| {
                let ag = ags
                    .get(&(
                        d.instance.to_ascii_lowercase(),
                        d.database.name.to_ascii_lowercase(),
                    ))
                    .cloned();
                DatabaseAnswer::of(d, ag)
            })
            .collect();
        let instances = report
            .instances
            .iter()
            .map(|i| {
                let run = runs
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(&i.instance));
                let collected = run.map(|r| r.collected_at).unwrap_or(estate.collected_at);
                InstanceAnswer {
                    instance: i.instance.clone(),
                    up: run.map_or(i.history_collected, |r| r.ok),
                    status: run.map_or_else(
                        || {
                            if i.history_collected {
                                "ok"
                            } else {
                                "not collected"
                            }
                            .to_string()
                        },
                        |r| r.status.clone(),
                    ),
                    history_collected: i.history_collected,
                    databases: i.databases,
                    collection_seconds: run.map(|r| r.elapsed.as_secs_f64()),
                    data_age_seconds: collected.map(|t| (now - t).num_seconds().max(0)),
                    findings: counts(&i.findings),
                }
            })
            .collect();
        Answers {
            now,
            status,
            instances,
            databases,
            containers,
        }
    }
}

/// (instance, database) in lower case → availability group name, from
/// `sys.dm_hadr_database_replica_states` and `sys.availability_groups`.
fn ag_names(estate: &Estate) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for i in &estate.instances {
        let groups: BTreeMap<uuid::Uuid, String> = i
            .catalog_rows(catalog::AVAILABILITY_GROUPS)
            .iter()
            .filter_map(|r| Some((r.uuid("group_id").ok()??, r.string("name").ok()??)))
            .collect();
        if groups.is_empty() {
            continue;
        }
        let states = i.catalog_rows(catalog::HADR_REPLICA_STATES);
        for db in &i.databases {
            let Some(gdb) = db.group_database_id else {
                continue;
            };
            let name = states
                .iter()
                .filter(|r| r.uuid("group_database_id").ok().flatten() == Some(gdb))
                .find_map(|r| r.uuid("group_id").ok().flatten())
                .and_then(|g| groups.get(&g));
            if let Some(name) = name {
                out.insert(
                    (i.name.to_ascii_lowercase(), db.name.to_ascii_lowercase()),
                    name.clone(),
                );
            }
        }
    }
    out
}
