//! The databases view: instances on the left, their databases on the right.

use super::{Filter, Pane};
use crate::app::rows::{self, InstanceRow};

/// State of the databases view.
#[derive(Debug, Clone)]
pub struct DatabasesState {
    pub focus: Pane,
    /// 0 = all instances, n = `instances[n - 1]`.
    pub instance: usize,
    pub instances: Vec<InstanceRow>,
    /// Indices into `report.databases`, in display order.
    pub rows: Vec<usize>,
    /// Index into `rows`.
    pub selected: usize,
    pub filter: Filter,
    /// Name widths over all of `rows`, kept with them (see `rows::row_widths`).
    pub widths: rows::RowWidths,
    /// The table's order (worst first unless the operator cycles it).
    pub sort: rows::SortKey,
}
