//! The detail view of one database: its tabs and what each shows.

use super::Filter;

/// Lines the help overlay adds over the detail view: a title, one line per
/// timeline glyph (`ui::timeline::glyph_legend`, which a test holds to
/// this) and a blank line.
pub const HELP_GLYPH_LINES: usize = 18 + 2;

/// Tabs of the detail view's lower pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailTab {
    Findings,
    Backups,
    Windows,
}

impl DetailTab {
    pub const ALL: [DetailTab; 3] = [DetailTab::Findings, DetailTab::Backups, DetailTab::Windows];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Findings => "Breaks & findings",
            DetailTab::Backups => "Backups",
            DetailTab::Windows => "Windows",
        }
    }

    pub(crate) fn step(self, forward: bool) -> DetailTab {
        let n = Self::ALL.len();
        let i = if forward {
            self.index() + 1
        } else {
            self.index() + n - 1
        };
        Self::ALL[i % n]
    }
}

/// State of the detail view of one database.
#[derive(Debug, Clone)]
pub struct DetailState {
    /// Index into `report.databases`.
    pub db: usize,
    pub tab: DetailTab,
    /// Rows of the current tab after the filter (see `rows::detail_rows`).
    pub rows: Vec<usize>,
    /// Selection per tab, as an index into `rows`.
    pub selected: [usize; 3],
    pub filter: Filter,
}
