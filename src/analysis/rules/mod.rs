//! Interoperability rules: Microsoft's Managed Backup coexistence rules
//! (and the conflicts around them) evaluated as explained findings.
//!
//! Pure like the rest of the analysis: the input is the estate, the
//! per-database analyses of one instance and `now`; the output is findings.
//! A rule that needs a catalog table the snapshot did not carry says so in
//! a `rules.not_collected` finding instead of staying silent.

mod ha;
mod interop;
mod jobs;
mod lifecycle;
mod managed;
mod stretch;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::findings::{EvidenceRow, Finding, Severity};
use super::DatabaseAnalysis;
use crate::model::catalog::{Row, RowError};
use crate::model::{
    container_of_url, Database, Destination, Estate, Instance, Lsn, ManagedBackupConfig,
};

/// A chain finding that a rule finding replaces (same cause, more meaning).
#[derive(Debug, Clone, PartialEq)]
pub struct Superseded {
    pub database: String,
    pub id: &'static str,
    /// Only the chain finding with exactly this evidence; `None` = any.
    pub evidence: Option<Vec<i64>>,
}

/// What the rules found on one instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleFindings {
    /// Findings about one database (`database` is Some).
    pub databases: Vec<Finding>,
    /// Findings about the instance as a whole (`database` is None).
    pub instance: Vec<Finding>,
    pub superseded: Vec<Superseded>,
}

impl RuleFindings {
    /// Adds the rule findings of `database` to its chain findings, dropping
    /// the chain findings they replace: one finding per cause.
    pub fn merge_into(&self, database: &str, findings: &mut Vec<Finding>) {
        let mine: Vec<&Finding> = self
            .databases
            .iter()
            .filter(|f| f.database.as_deref() == Some(database))
            .collect();
        let covered: HashSet<i64> = mine
            .iter()
            .flat_map(|f| f.evidence.iter().copied())
            .collect();
        findings.retain(|f| {
            let replaced = self.superseded.iter().any(|s| {
                s.database == database
                    && s.id == f.id
                    && s.evidence.as_ref().is_none_or(|e| *e == f.evidence)
            });
            // A second producer is explained by the rule that names it.
            let explained = f.id == "chain.other_producer"
                && !f.evidence.is_empty()
                && f.evidence.iter().all(|id| covered.contains(id));
            !replaced && !explained
        });
        findings.extend(mine.into_iter().cloned());
    }
}

/// Evaluates every rule on one instance.
pub fn evaluate(
    estate: &Estate,
    instance: &Instance,
    analyses: &[DatabaseAnalysis<'_>],
    now: DateTime<Utc>,
) -> RuleFindings {
    let mut ctx = Ctx::new(estate, instance, now);
    if ctx.config_collected() {
        for a in analyses {
            interop::log_shipping(&mut ctx, a);
            interop::maintenance_plans(&mut ctx, a);
            jobs::job_steps(&mut ctx, a);
            interop::producers(&mut ctx, a);
            ha::mirroring(&mut ctx, a);
            ha::availability_group(&mut ctx, a);
            lifecycle::recovery_model(&mut ctx, a);
            lifecycle::dropped(&mut ctx, a);
            managed::health(&mut ctx, a);
        }
        ha::instance_defaults(&mut ctx);
    } else if instance
        .databases
        .iter()
        .any(|d| d.exists && !d.is_system())
    {
        let f = ctx.finding(
            "rules.not_collected",
            Severity::Info,
            None,
            "unknown: Managed Backup configuration not collected".into(),
            format!(
                "neither {} nor {} is in the snapshot, so chainwatch cannot tell which databases Managed Backup protects: the interoperability checks (log shipping, maintenance plans, other producers, mirroring, availability groups, recovery model, retention) were not run. This does not mean they pass.",
                crate::model::catalog::MB_DB_CONFIG,
                crate::model::catalog::SA_DB_CONFIG
            ),
        );
        ctx.push(Finding {
            remedy: "collect fn_backup_db_config (msdb.managed_backup on 2016+, msdb.smart_admin on 2014)".into(),
            ..f
        });
    }
    for a in analyses {
        stretch::stretch(&mut ctx, a);
    }
    ctx.finish()
}

/// The state shared by the rules of one instance.
pub(crate) struct Ctx<'e> {
    pub estate: &'e Estate,
    pub instance: &'e Instance,
    pub now: DateTime<Utc>,
    out: RuleFindings,
    problems: Vec<RowError>,
    /// Missing table → the databases (or "instance") that needed it, and why.
    missing: BTreeMap<String, (Vec<String>, String)>,
    /// backup_set_ids already explained by a rule, per database.
    claimed: HashMap<String, HashSet<i64>>,
}

/// The rule context's typed readers: each reads one column with the row's
/// own reader and keeps a bad value as a problem (once), answering None.
macro_rules! noted_readers {
    ($($name:ident => $read:ident: $t:ty),* $(,)?) => {
        $(
            pub fn $name(&mut self, row: &Row<'_>, column: &str) -> Option<$t> {
                let r = row.$read(column);
                self.note(r)
            }
        )*
    };
}

impl<'e> Ctx<'e> {
    fn new(estate: &'e Estate, instance: &'e Instance, now: DateTime<Utc>) -> Ctx<'e> {
        Ctx {
            estate,
            instance,
            now,
            out: RuleFindings::default(),
            problems: Vec::new(),
            missing: BTreeMap::new(),
            claimed: HashMap::new(),
        }
    }

    fn config_collected(&self) -> bool {
        self.has(crate::model::catalog::MB_DB_CONFIG)
            || self.has(crate::model::catalog::SA_DB_CONFIG)
    }

    pub fn has(&self, table: &str) -> bool {
        self.instance.tables.contains_key(table)
    }

    /// The rows of a table, or None (and a note for the report) when it was
    /// not collected.
    pub fn table(&mut self, table: &str, needed_by: &str, why: &str) -> Option<Vec<Row<'e>>> {
        let instance: &'e Instance = self.instance;
        if self.has(table) {
            return Some(instance.catalog_rows(table));
        }
        let entry = self
            .missing
            .entry(table.to_string())
            .or_insert_with(|| (Vec::new(), why.to_string()));
        if !entry.0.iter().any(|d| d == needed_by) {
            entry.0.push(needed_by.to_string());
        }
        None
    }

    /// Rows of a table that is optional for a rule (no note when absent).
    pub fn rows_if_any(&self, instance: &'e Instance, table: &str) -> Vec<Row<'e>> {
        instance.catalog_rows(table)
    }

    fn note<T>(&mut self, r: Result<Option<T>, RowError>) -> Option<T> {
        match r {
            Ok(v) => v,
            Err(e) => {
                if !self.problems.contains(&e) {
                    self.problems.push(e);
                }
                None
            }
        }
    }

    noted_readers! {
        str => string: String,
        int => int: i64,
        bit => bit: bool,
        lsn => lsn: Lsn,
        uuid => uuid: uuid::Uuid,
    }

    /// A `datetime` column in UTC, using the instance's offset.
    pub fn time(&mut self, row: &Row<'_>, column: &str) -> Option<DateTime<Utc>> {
        let r = row.datetime(column);
        let offset = self.instance.server.utc_offset_minutes.unwrap_or(0);
        self.note(r).map(|t| t.to_utc(offset))
    }

    /// Whether a text column names `database` (catalog names compare case-insensitively).
    pub fn names(&mut self, row: &Row<'_>, column: &str, database: &str) -> bool {
        self.str(row, column)
            .is_some_and(|n| n.eq_ignore_ascii_case(database))
    }

    /// Whether a row of `fn_available_backups` is `db`'s: by name, or by
    /// GUID when the database has one (the name first, so a bad value in
    /// it is noted before one in the GUID).
    pub fn is_database(&mut self, row: &Row<'_>, db: &Database) -> bool {
        let by_name = self.names(row, "database_name", &db.name);
        let by_guid =
            db.database_guid.is_some() && self.uuid(row, "database_guid") == db.database_guid;
        by_name || by_guid
    }

    pub fn finding(
        &self,
        id: &'static str,
        severity: Severity,
        database: Option<&str>,
        title: String,
        explanation: String,
    ) -> Finding {
        Finding {
            id,
            severity,
            instance: self.instance.name.clone(),
            database: database.map(String::from),
            title,
            explanation,
            evidence: Vec::new(),
            remedy: String::new(),
            rows: Vec::new(),
            sql: None,
            expectation: None,
        }
    }

    pub fn push(&mut self, f: Finding) {
        if f.database.is_some() {
            self.out.databases.push(f);
        } else {
            self.out.instance.push(f);
        }
    }

    pub fn supersede(&mut self, database: &str, id: &'static str, evidence: Option<Vec<i64>>) {
        self.out.superseded.push(Superseded {
            database: database.to_string(),
            id,
            evidence,
        });
    }

    pub fn claim(&mut self, database: &str, ids: impl IntoIterator<Item = i64>) {
        self.claimed
            .entry(database.to_string())
            .or_default()
            .extend(ids);
    }

    pub fn is_claimed(&self, database: &str, id: i64) -> bool {
        self.claimed.get(database).is_some_and(|s| s.contains(&id))
    }

    fn finish(mut self) -> RuleFindings {
        let missing = std::mem::take(&mut self.missing);
        for (table, (needed_by, why)) in missing {
            let f = self.finding(
                "rules.not_collected",
                Severity::Info,
                None,
                format!("unknown: {table} not collected"),
                format!(
                    "{table} is not in the snapshot, so chainwatch cannot check {why} for {}. Unknown, not fine.",
                    needed_by.join(", ")
                ),
            );
            self.push(Finding {
                remedy: format!(
                    "collect {table} (the collector's login may need more permissions)"
                ),
                rows: vec![EvidenceRow {
                    table: table.clone(),
                    row: None,
                    text: "table absent from the snapshot".into(),
                }],
                ..f
            });
        }
        if !self.problems.is_empty() {
            let text: Vec<String> = self.problems.iter().map(|e| e.to_string()).collect();
            let f = self.finding(
                "rules.row_unreadable",
                Severity::Info,
                None,
                format!("{} catalog value(s) could not be read", text.len()),
                format!(
                    "the rules skipped these values, so their checks may be incomplete: {}",
                    text.join("; ")
                ),
            );
            self.push(f);
        }
        self.out
    }
}

/// Managed Backup's configuration for a database, when it is enabled.
pub(crate) fn managed(db: &Database) -> Option<&ManagedBackupConfig> {
    db.managed_backup.as_ref().filter(|m| m.enabled)
}

/// Where Managed Backup writes, as far as its configuration tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManagedTarget {
    /// `account/container` (2016+ `storage_url`).
    Container(String),
    /// Only the storage account is known (2014 puts a container per instance).
    Account(String),
    /// No storage URL: any URL could be Managed Backup's.
    AnyUrl,
}

impl ManagedTarget {
    pub fn of(cfg: &ManagedBackupConfig) -> ManagedTarget {
        let Some(url) = cfg.storage_url.as_deref() else {
            return ManagedTarget::AnyUrl;
        };
        if let Some(c) = container_of_url(url) {
            return ManagedTarget::Container(c);
        }
        let host = url.split_once("://").map_or(url, |(_, r)| r);
        let account = host.split(['.', '/']).next().unwrap_or("");
        if account.is_empty() {
            ManagedTarget::AnyUrl
        } else {
            ManagedTarget::Account(account.to_ascii_lowercase())
        }
    }

    pub fn matches(&self, d: &Destination) -> bool {
        let Destination::Container(c) = d else {
            return false;
        };
        match self {
            ManagedTarget::Container(m) => m.eq_ignore_ascii_case(c),
            ManagedTarget::Account(a) => c
                .split('/')
                .next()
                .is_some_and(|acct| acct.eq_ignore_ascii_case(a)),
            ManagedTarget::AnyUrl => true,
        }
    }

    pub fn label(&self) -> String {
        match self {
            ManagedTarget::Container(c) => format!("container {c}"),
            ManagedTarget::Account(a) => format!("storage account {a}"),
            ManagedTarget::AnyUrl => "its storage URL (not configured in the snapshot)".into(),
        }
    }
}

pub(crate) fn join_ids(ids: &[i64]) -> String {
    super::chain::join_ids(ids)
}

/// An evidence row read from a snapshot table.
pub(crate) fn row_ev(row: &Row<'_>, text: String) -> EvidenceRow {
    EvidenceRow {
        table: row.table.to_string(),
        row: Some(row.index),
        text,
    }
}
