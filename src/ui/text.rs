//! The console's text helpers: the terminal-free ones from `crate::text`,
//! plus the colours that go with severities and states.

use ratatui::style::Style;

pub use crate::text::*;

use crate::analysis::{ChainState, Severity};
use crate::theme::Theme;

pub fn severity_style(theme: &Theme, s: Option<Severity>) -> Style {
    match s {
        Some(Severity::Critical) => theme.crit,
        Some(Severity::Warning) => theme.warn,
        Some(Severity::Info) => theme.info,
        None => theme.ok,
    }
}

/// STATE is coloured on the same scale as SEV: the database's severity
/// (never below what the state itself implies), so the two columns read
/// as one answer.
pub fn state_style(theme: &Theme, s: ChainState, severity: Option<Severity>) -> Style {
    severity_style(theme, severity.max(s.concern()))
}
