//! State of each view, one module per `ui/` file: plain data the `impl App`
//! files change and `ui` draws. Nothing here knows `App`, so the state can be
//! held by it without the modules importing each other in a circle.

pub mod databases;
pub mod detail;
pub mod findings;
pub mod on_demand;
pub mod storage;

use crate::analysis::RestorePlan;

/// The full-screen views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Databases,
    Detail,
    /// Blobs of one backup container (see `app::storage`).
    Storage,
    /// Findings of one instance or of all, worst first (see `app::findings_view`).
    Findings,
}

/// Panes of the databases view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Instances,
    Databases,
}

/// A `/` filter: its text and whether it is being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

/// A modal box over the view.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Backup sets that prove a finding or break (looked up in the timeline).
    Evidence {
        title: String,
        ids: Vec<i64>,
        scroll: usize,
        /// The finding behind it: explanation, remedy, catalog rows, T-SQL.
        finding: Option<Box<crate::analysis::Finding>>,
    },
    /// The restore plan to the latest point, or why it could not be made.
    Plan {
        title: String,
        plan: Result<Box<RestorePlan>, String>,
        scroll: usize,
    },
}

impl Popup {
    /// The evidence popup of one finding: its text, rows and backup sets.
    pub fn of_finding(f: &crate::analysis::Finding) -> Popup {
        Popup::Evidence {
            title: format!("{} {}", f.severity.label(), f.title),
            ids: f.evidence.clone(),
            scroll: 0,
            finding: Some(Box::new(f.clone())),
        }
    }
}
