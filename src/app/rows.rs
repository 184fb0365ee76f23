//! Which rows each list shows: sorting, per-instance selection and the `/`
//! filter. Pure functions over the report, so they are easy to test.

use crate::analysis::{Break, DatabaseReport, EstateReport, Finding, Severity};

use super::state::DetailTab;

/// One entry of the instances pane (besides "All instances").
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRow {
    pub name: String,
    pub version: String,
    pub databases: usize,
    pub worst: Option<Severity>,
    pub history_collected: bool,
}

/// Instances in report order, with the worst finding of their databases.
pub fn instance_rows(report: &EstateReport) -> Vec<InstanceRow> {
    report
        .instances
        .iter()
        .map(|i| InstanceRow {
            name: i.instance.clone(),
            version: i.version.clone(),
            databases: i.databases,
            worst: report
                .databases
                .iter()
                .filter(|d| d.instance == i.instance)
                .filter_map(DatabaseReport::worst_severity)
                .max(),
            history_collected: i.history_collected,
        })
        .collect()
}

/// Case-insensitive substring match; an empty needle matches everything.
fn matches(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Indices into `report.databases`, sorted by instance then name, limited to
/// one instance when given, filtered over instance + name + state.
pub fn database_rows(report: &EstateReport, instance: Option<&str>, filter: &str) -> Vec<usize> {
    let mut rows: Vec<usize> = report
        .databases
        .iter()
        .enumerate()
        .filter(|(_, d)| instance.is_none_or(|i| d.instance == i))
        .filter(|(_, d)| {
            let text = format!(
                "{} {} {}",
                d.instance,
                d.database.name,
                d.health.state.label()
            );
            matches(&text, filter)
        })
        .map(|(i, _)| i)
        .collect();
    rows.sort_by_cached_key(|&i| {
        let d = &report.databases[i];
        (
            d.instance.to_lowercase(),
            d.database.name.to_lowercase(),
            d.database.name.clone(),
        )
    });
    rows
}

/// An entry of the "Breaks & findings" tab: findings first (worst first), then breaks.
#[derive(Debug, Clone, Copy)]
pub enum Issue<'a> {
    Finding(&'a Finding),
    Break(&'a Break),
}

impl Issue<'_> {
    pub fn evidence(&self) -> &[i64] {
        match self {
            Issue::Finding(f) => &f.evidence,
            Issue::Break(b) => &b.evidence,
        }
    }

    pub fn title(&self) -> String {
        match self {
            Issue::Finding(f) => f.title.clone(),
            Issue::Break(b) => b.reason.label().to_string(),
        }
    }

    /// The severity label, or BREAK for a chain break.
    pub fn label(&self) -> &'static str {
        match self {
            Issue::Finding(f) => f.severity.label(),
            Issue::Break(_) => "BREAK",
        }
    }
}

/// The issue at `index` of the combined findings + breaks list.
pub fn issue(db: &DatabaseReport, index: usize) -> Option<Issue<'_>> {
    match db.findings.get(index) {
        Some(f) => Some(Issue::Finding(f)),
        None => db.breaks.get(index - db.findings.len()).map(Issue::Break),
    }
}

/// Backups newest first: indices into `db.timeline`.
fn backups_newest_first(db: &DatabaseReport) -> impl Iterator<Item = usize> {
    (0..db.timeline.len()).rev()
}

/// Indices of the rows the given detail tab shows, after the filter.
pub fn detail_rows(db: &DatabaseReport, tab: DetailTab, filter: &str) -> Vec<usize> {
    match tab {
        DetailTab::Findings => (0..db.findings.len() + db.breaks.len())
            .filter(|&i| {
                issue(db, i)
                    .is_some_and(|x| matches(&format!("{} {}", x.label(), x.title()), filter))
            })
            .collect(),
        DetailTab::Backups => backups_newest_first(db)
            .filter(|&i| {
                let t = &db.timeline[i];
                let text = format!(
                    "{} {} {} {}",
                    t.backup_set_id,
                    t.backup_type.label(),
                    t.producer,
                    t.files.join(" ")
                );
                matches(&text, filter)
            })
            .collect(),
        DetailTab::Windows => (0..db.windows.len())
            .filter(|&i| {
                let w = &db.windows[i];
                let text = format!(
                    "{} {} {} {}",
                    w.from.format("%Y-%m-%d %H:%M"),
                    w.to.format("%Y-%m-%d %H:%M"),
                    w.from_lsn,
                    w.to_lsn
                );
                matches(&text, filter)
            })
            .collect(),
    }
}
