//! The console's application layer: state, actions, the keymap and the
//! event loop. It turns keys into actions and actions into state; `ui`
//! draws that state.

pub mod action;
pub mod keymap;
pub mod rows;
mod run;
pub mod state;
mod update;

pub use action::Action;
pub use run::run;
pub use state::{App, DetailTab, Pane, Popup, View};

/// How the binary starts the console.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// Analyse as of this instant instead of the wall clock (tests, replays).
    pub now_override: Option<chrono::DateTime<chrono::Utc>>,
}
