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
    /// Copy the selected row or the evidence to the clipboard (OSC 52).
    Copy,
    /// Open the `:` command palette.
    PaletteOpen,
    /// A character typed into the palette.
    PaletteInput(char),
    PaletteBackspace,
    /// Run the selected palette entry.
    PaletteRun,
    /// Mouse wheel or click: scroll the list under the pointer.
    ScrollUp,
    ScrollDown,
    /// The clock moved on (the report is recomputed at most once a minute).
    Tick(DateTime<Utc>),
    /// The terminal changed size.
    Resize,
}

impl Action {
    /// Actions as the keymap file names them, with their names.
    pub const NAMED: &'static [(&'static str, Action)] = &[
        ("quit", Action::Quit),
        ("toggle_help", Action::ToggleHelp),
        ("close", Action::Close),
        ("up", Action::Up),
        ("down", Action::Down),
        ("page_up", Action::PageUp),
        ("page_down", Action::PageDown),
        ("top", Action::Top),
        ("bottom", Action::Bottom),
        ("focus_next", Action::FocusNext),
        ("focus_prev", Action::FocusPrev),
        ("focus_left", Action::FocusLeft),
        ("focus_right", Action::FocusRight),
        ("open", Action::Open),
        ("back", Action::Back),
        ("cancel", Action::Cancel),
        ("filter_start", Action::FilterStart),
        ("filter_input", Action::FilterInput(' ')),
        ("filter_backspace", Action::FilterBackspace),
        ("filter_accept", Action::FilterAccept),
        ("filter_clear", Action::FilterClear),
        ("tab_findings", Action::SelectTab(DetailTab::Findings)),
        ("tab_backups", Action::SelectTab(DetailTab::Backups)),
        ("tab_windows", Action::SelectTab(DetailTab::Windows)),
        ("show_plan", Action::ShowPlan),
        ("copy", Action::Copy),
        ("palette", Action::PaletteOpen),
        ("palette_input", Action::PaletteInput(' ')),
        ("palette_backspace", Action::PaletteBackspace),
        ("palette_run", Action::PaletteRun),
    ];

    /// The action a keymap file names, if any.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
    }

    /// Whether a typed character replaces the one in this action.
    pub fn takes_text(self) -> bool {
        matches!(self, Action::FilterInput(_) | Action::PaletteInput(_))
    }

    /// This action with the typed character in it.
    pub fn with_char(self, c: char) -> Action {
        match self {
            Action::FilterInput(_) => Action::FilterInput(c),
            Action::PaletteInput(_) => Action::PaletteInput(c),
            other => other,
        }
    }
}
