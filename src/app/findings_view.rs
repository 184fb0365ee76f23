//! The findings view: every finding of one instance (or of all), the
//! instance's own and its databases', worst first. Enter opens the evidence;
//! `o` opens the database the finding is about.

use super::state::App;
use super::view::findings::{FindingRef, FindingsState};
use super::view::{Filter, Popup, View};
use crate::analysis::Finding;

impl App {
    /// The finding a row refers to.
    pub fn finding(&self, r: FindingRef) -> Option<&Finding> {
        match r {
            FindingRef::Instance(i, j) => self.report.instances.get(i)?.findings.get(j),
            FindingRef::Database(d, j) => self.report.databases.get(d)?.findings.get(j),
        }
    }

    /// The selected row of the findings view.
    pub fn selected_finding(&self) -> Option<FindingRef> {
        self.findings.rows.get(self.findings.selected).copied()
    }

    /// Opens the view for the instance picked in the databases view (or all).
    pub(super) fn open_findings(&mut self) {
        self.findings = FindingsState {
            instance: self.selected_instance().map(|i| i.name.clone()),
            ..FindingsState::default()
        };
        self.view = View::Findings;
        self.refresh_findings();
    }

    /// Rebuilds the rows: worst first, then instance, database, title.
    pub(super) fn refresh_findings(&mut self) {
        let scope = self.findings.instance.clone();
        let filter = self.findings.filter.text.to_lowercase();
        let in_scope = |instance: &str| scope.as_deref().is_none_or(|s| s == instance);
        let mut rows = Vec::new();
        for (i, inst) in self.report.instances.iter().enumerate() {
            if in_scope(&inst.instance) {
                rows.extend((0..inst.findings.len()).map(|j| FindingRef::Instance(i, j)));
            }
        }
        for (d, db) in self.report.databases.iter().enumerate() {
            if in_scope(&db.instance) {
                rows.extend((0..db.findings.len()).map(|j| FindingRef::Database(d, j)));
            }
        }
        let matches = |f: &Finding| {
            filter.split_whitespace().all(|w| {
                format!(
                    "{} {} {} {} {}",
                    f.severity.label(),
                    f.instance,
                    f.database.as_deref().unwrap_or(""),
                    f.title,
                    f.id
                )
                .to_lowercase()
                .contains(w)
            })
        };
        rows.retain(|r| self.finding(*r).is_some_and(matches));
        rows.sort_by_cached_key(|r| {
            let f = self.finding(*r).expect("kept rows exist");
            (
                std::cmp::Reverse(f.severity),
                f.instance.clone(),
                f.database.clone(),
                f.title.clone(),
            )
        });
        self.findings.rows = rows;
        self.findings.selected = self
            .findings
            .selected
            .min(self.findings.rows.len().saturating_sub(1));
    }

    pub(super) fn findings_action(&mut self, action: super::Action) {
        use super::Action;
        let s = &mut self.findings;
        match action {
            a if a.is_navigation() => s.selected = action.moved(s.selected, s.rows.len()),
            Action::Open => self.popup = self.finding_popup(),
            Action::OpenDatabase => {
                if let Some(FindingRef::Database(d, _)) = self.selected_finding() {
                    self.open_detail(d);
                }
            }
            Action::Cancel if !s.filter.text.is_empty() => {
                s.filter = Filter::default();
                self.refresh_findings();
            }
            Action::Cancel | Action::Back => self.view = View::Databases,
            _ => self.dirty = false,
        }
    }

    /// The evidence popup of the selected finding.
    fn finding_popup(&self) -> Option<Popup> {
        let f = self.finding(self.selected_finding()?)?;
        Some(Popup::of_finding(f))
    }

    /// The database whose timeline the evidence popup looks backup sets up in.
    pub fn evidence_database(&self) -> Option<&crate::analysis::DatabaseReport> {
        match (self.view, self.selected_finding()) {
            (View::Findings, Some(FindingRef::Database(d, _))) => self.report.databases.get(d),
            (View::Findings, _) => None,
            // A storage finding's backup sets are in the database it names.
            (View::Storage, _) => match &self.popup {
                Some(Popup::Evidence {
                    finding: Some(f), ..
                }) => {
                    let name = f.database.as_deref()?;
                    self.report
                        .databases
                        .iter()
                        .find(|d| d.instance == f.instance && d.database.name == name)
                }
                _ => None,
            },
            _ => self.detail_database(),
        }
    }

    /// The selected finding as tab-separated text (for `y`).
    pub(super) fn findings_copy_text(&self) -> Option<String> {
        let f = self.finding(self.selected_finding()?)?;
        Some(format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            f.severity.label(),
            f.instance,
            f.database.as_deref().unwrap_or("(instance)"),
            f.title,
            f.explanation,
            f.remedy
        ))
    }
}

/// Counts by severity of the rows shown, worst first (for the title).
pub fn severity_counts(app: &App) -> [usize; 3] {
    let mut n = [0; 3];
    for r in &app.findings.rows {
        if let Some(f) = app.finding(*r) {
            n[2 - f.severity as usize] += 1;
        }
    }
    n
}
