//! Which rows each list shows: sorting, per-instance selection and the `/`
//! filter. Pure functions over the report, so they are easy to test.

use crate::analysis::{Break, DatabaseReport, EstateReport, Finding, Severity};

use super::view::detail::DetailTab;

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

/// How the databases table is ordered (`o` cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Worst severity first, then the largest RPO (the default).
    #[default]
    Severity,
    /// Largest RPO first (no recoverable point at all first of all).
    Rpo,
    /// Oldest last log backup first.
    LastLog,
    /// Instance, then name.
    Name,
}

impl SortKey {
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Severity => SortKey::Rpo,
            SortKey::Rpo => SortKey::LastLog,
            SortKey::LastLog => SortKey::Name,
            SortKey::Name => SortKey::Severity,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Severity => "worst first",
            SortKey::Rpo => "by RPO",
            SortKey::LastLog => "by last log",
            SortKey::Name => "by name",
        }
    }
}

/// Indices into `report.databases`, sorted by instance then name, limited to
/// one instance when given, filtered over instance + name + state.
pub fn database_rows(report: &EstateReport, instance: Option<&str>, filter: &str) -> Vec<usize> {
    sorted_database_rows(report, instance, filter, SortKey::Name)
}

/// [`database_rows`] in the order `key` asks for (ties: instance, name).
pub fn sorted_database_rows(
    report: &EstateReport,
    instance: Option<&str>,
    filter: &str,
    key: SortKey,
) -> Vec<usize> {
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
        let r = &d.recoverability;
        // No recoverable point sorts as the largest RPO.
        let rpo = std::cmp::Reverse(r.rpo_seconds.unwrap_or(i64::MAX));
        let first = match key {
            SortKey::Severity => (std::cmp::Reverse(r.severity), rpo, None),
            SortKey::Rpo => (std::cmp::Reverse(None), rpo, None),
            SortKey::LastLog => (
                std::cmp::Reverse(None),
                std::cmp::Reverse(0),
                Some(r.last_log.map(|t| t.timestamp()).unwrap_or(i64::MIN)),
            ),
            SortKey::Name => (std::cmp::Reverse(None), std::cmp::Reverse(0), None),
        };
        (
            first,
            d.instance.to_lowercase(),
            d.database.name.to_lowercase(),
            d.database.name.clone(),
        )
    });
    rows
}

/// Display widths (after `sanitize`) of the widest database and instance
/// names among some rows. The databases table sizes its columns from every
/// row so they stay put while scrolling; this is computed when the rows
/// change, not on every frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowWidths {
    pub name: usize,
    pub instance: usize,
}

/// The widths of `rows` (indices into `report.databases`).
pub fn row_widths(report: &EstateReport, rows: &[usize]) -> RowWidths {
    let width = |s: &str| crate::text::sanitize(s).chars().count();
    rows.iter()
        .filter_map(|&i| report.databases.get(i))
        .fold(RowWidths::default(), |w, d| RowWidths {
            name: w.name.max(width(&d.database.name)),
            instance: w.instance.max(width(&d.instance)),
        })
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

    /// The instant the detail view's WHEN column shows. A break: where it
    /// starts (else where it ends). A finding: the finish (else the start)
    /// of the first backup set of its evidence that the database's timeline
    /// holds: the set the rule names first, the one the finding is about
    /// (the full outside the schedule, the log before a gap). None for a
    /// finding that rests on no backup set (a job, a plan, a config row).
    pub fn when(&self, db: &DatabaseReport) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Issue::Finding(f) => f.evidence.iter().find_map(|id| {
                db.timeline
                    .iter()
                    .find(|t| t.backup_set_id == *id)
                    .and_then(|t| t.finish.or(t.start))
            }),
            Issue::Break(b) => b.from_time.or(b.to_time),
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

/// The rows of a table with `height` body lines that are on screen when
/// `selected` must be visible: the first page until the selection passes
/// its bottom line, then the selection on the bottom line. This is where
/// ratatui's `Table` puts them when drawn from offset 0, so building only
/// these rows (selection re-based on `start`) draws the same frame as
/// building them all, at a cost that does not grow with the list.
pub fn visible_window(len: usize, selected: usize, height: usize) -> std::ops::Range<usize> {
    if len == 0 || height == 0 {
        return 0..0;
    }
    let selected = selected.min(len - 1);
    let start = selected.saturating_sub(height - 1);
    start..(start + height).min(len)
}

#[cfg(test)]
mod tests {
    use super::visible_window;
    use ratatui::buffer::Buffer;
    use ratatui::layout::{Constraint, Rect};
    use ratatui::widgets::{HighlightSpacing, Row, StatefulWidget, Table, TableState};

    /// A table of `rows` (labelled by their index) with a header, drawn
    /// into `height` lines with `selected` highlighted.
    fn draw(rows: std::ops::Range<usize>, selected: usize, height: u16) -> Buffer {
        let area = Rect::new(0, 0, 12, height);
        let mut buf = Buffer::empty(area);
        let table = Table::new(
            rows.map(|i| Row::new([format!("row {i}")])),
            [Constraint::Length(10)],
        )
        .header(Row::new(["HEAD"]))
        .highlight_symbol("> ")
        .highlight_spacing(HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(Some(selected));
        StatefulWidget::render(table, area, &mut buf, &mut state);
        buf
    }

    #[test]
    fn window_draws_the_same_frame_as_the_whole_list() {
        for len in 1..30 {
            for height in 1..12u16 {
                for selected in 0..len {
                    let body = usize::from(height - 1);
                    let w = visible_window(len, selected, body);
                    assert!(
                        w.contains(&selected) || body == 0,
                        "{len} {height} {selected}"
                    );
                    let whole = draw(0..len, selected, height);
                    let part = draw(w.clone(), selected - w.start.min(selected), height);
                    assert_eq!(whole, part, "len {len} height {height} selected {selected}");
                }
            }
        }
    }

    #[test]
    fn window_is_bounded_by_the_height() {
        assert_eq!(visible_window(0, 0, 10), 0..0);
        assert_eq!(visible_window(10_000, 0, 0), 0..0);
        assert_eq!(visible_window(10_000, 0, 40), 0..40);
        assert_eq!(visible_window(10_000, 39, 40), 0..40);
        assert_eq!(visible_window(10_000, 40, 40), 1..41);
        assert_eq!(visible_window(10_000, 9_999, 40), 9_960..10_000);
        assert_eq!(visible_window(5, 99, 40), 0..5);
    }
}
