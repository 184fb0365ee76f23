//! What the console can be asked to do. Keys become actions through the
//! keymap; the event loop adds ticks and resizes; `App::update` applies them.

use chrono::{DateTime, Utc};

use super::state::DetailTab;

/// One request to change the console's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Show or hide the key help overlay.
    ToggleHelp,
    /// Close the open popup or overlay.
    Close,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Next / previous pane (databases view) or tab (detail view).
    FocusNext,
    FocusPrev,
    /// Move focus to the pane on the left / right.
    FocusLeft,
    FocusRight,
    /// Open the selected item.
    Open,
    /// Go back to the previous view.
    Back,
    /// Clear the filter if there is one, otherwise go back.
    Cancel,
    /// Start typing a filter for the current list.
    FilterStart,
    /// A character typed into the filter.
    FilterInput(char),
    FilterBackspace,
    /// Stop typing and keep the filter.
    FilterAccept,
    /// Stop typing and drop the filter.
    FilterClear,
    /// Show one tab of the detail view.
    SelectTab(DetailTab),
    /// Show the restore plan to the latest recoverable point.
    ShowPlan,
    /// The clock moved on (the report is recomputed at most once a minute).
    Tick(DateTime<Utc>),
    /// The terminal changed size.
    Resize,
}
