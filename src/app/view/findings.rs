//! The findings view: every finding of one instance (or of all), worst first.

use super::Filter;

/// Where a finding of the view lives in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingRef {
    /// `report.instances[i].findings[j]`.
    Instance(usize, usize),
    /// `report.databases[d].findings[j]`.
    Database(usize, usize),
}

/// State of the findings view.
#[derive(Debug, Clone, Default)]
pub struct FindingsState {
    /// The instance shown, or all.
    pub instance: Option<String>,
    pub rows: Vec<FindingRef>,
    pub selected: usize,
    pub filter: Filter,
}
