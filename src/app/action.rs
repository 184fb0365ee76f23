//! What the console can be asked to do. Keys become actions through the
//! keymap; the event loop adds ticks and resizes; `App::update` applies them.

use chrono::{DateTime, Utc};

use super::view::detail::DetailTab;
use super::wizard::Key as WizardKey;

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
    /// Open the storage view (blobs of the instance's backup containers).
    ShowStorage,
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
    /// Open the restore wizard for the database in the detail view.
    WizardOpen,
    /// The findings view of the selected instance (or all).
    ShowFindings,
    /// Order the databases table by the next sort key.
    CycleSort,
    /// Open the database a finding is about.
    OpenDatabase,
    /// Managed Backup's on-demand backup of the detail database (typed confirmation).
    BackupNow,
    /// Offer again the wizard saved in the data dir.
    WizardResume,
    /// A key inside the wizard.
    Wizard(WizardKey),
    /// The clock moved on (the report is recomputed at most once a minute).
    Tick(DateTime<Utc>),
    /// The terminal changed size.
    Resize,
    /// Collect the live instances now instead of at the next scheduled refresh.
    Refresh,
    /// Show times in the next zone: UTC, server local, operator local.
    CycleZone,
}

impl Action {
    /// Actions as the keymap file names them, with their names.
    pub const NAMED: &'static [(&'static str, Action)] = &[
        ("quit", Action::Quit),
        ("refresh", Action::Refresh),
        ("cycle_zone", Action::CycleZone),
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
        ("show_storage", Action::ShowStorage),
        ("copy", Action::Copy),
        ("palette", Action::PaletteOpen),
        ("palette_input", Action::PaletteInput(' ')),
        ("palette_backspace", Action::PaletteBackspace),
        ("palette_run", Action::PaletteRun),
        ("wizard_open", Action::WizardOpen),
        ("wizard_resume", Action::WizardResume),
        ("backup_now", Action::BackupNow),
        ("show_findings", Action::ShowFindings),
        ("cycle_sort", Action::CycleSort),
        ("open_database", Action::OpenDatabase),
        ("wizard_next", Action::Wizard(WizardKey::Next)),
        ("wizard_back", Action::Wizard(WizardKey::Back)),
        ("wizard_cancel", Action::Wizard(WizardKey::Cancel)),
        ("wizard_up", Action::Wizard(WizardKey::Up)),
        ("wizard_down", Action::Wizard(WizardKey::Down)),
        ("wizard_left", Action::Wizard(WizardKey::Left)),
        ("wizard_right", Action::Wizard(WizardKey::Right)),
        ("wizard_coarse_left", Action::Wizard(WizardKey::CoarseLeft)),
        (
            "wizard_coarse_right",
            Action::Wizard(WizardKey::CoarseRight),
        ),
        ("wizard_toggle", Action::Wizard(WizardKey::Toggle)),
        ("wizard_edit", Action::Wizard(WizardKey::Edit)),
        ("wizard_input", Action::Wizard(WizardKey::Char(' '))),
        ("wizard_backspace", Action::Wizard(WizardKey::Backspace)),
        ("wizard_accept", Action::Wizard(WizardKey::Accept)),
        ("wizard_discard", Action::Wizard(WizardKey::Discard)),
        ("wizard_copy", Action::Wizard(WizardKey::Copy)),
        ("wizard_save", Action::Wizard(WizardKey::SaveScript)),
        ("wizard_retry", Action::Wizard(WizardKey::Retry)),
        ("wizard_export", Action::Wizard(WizardKey::ExportSummary)),
        ("wizard_page_up", Action::Wizard(WizardKey::PageUp)),
        ("wizard_page_down", Action::Wizard(WizardKey::PageDown)),
        ("wizard_top", Action::Wizard(WizardKey::Top)),
        ("wizard_bottom", Action::Wizard(WizardKey::Bottom)),
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
        matches!(
            self,
            Action::FilterInput(_) | Action::PaletteInput(_) | Action::Wizard(WizardKey::Char(_))
        )
    }

    /// This action with the typed character in it.
    pub fn with_char(self, c: char) -> Action {
        match self {
            Action::FilterInput(_) => Action::FilterInput(c),
            Action::PaletteInput(_) => Action::PaletteInput(c),
            Action::Wizard(WizardKey::Char(_)) => Action::Wizard(WizardKey::Char(c)),
            other => other,
        }
    }
}

/// Rows moved by PageUp/PageDown.
const PAGE: usize = 10;

impl Action {
    /// Up, down, a page either way, first or last: what [`Action::moved`] moves by.
    pub fn is_navigation(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        )
    }

    /// A selection moved by this navigation action within `len` rows.
    pub fn moved(self, current: usize, len: usize) -> usize {
        let last = len.saturating_sub(1);
        match self {
            Action::Up => current.saturating_sub(1),
            Action::Down => (current + 1).min(last),
            Action::PageUp => current.saturating_sub(PAGE),
            Action::PageDown => (current + PAGE).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => current,
        }
        .min(last)
    }
}
