//! The console's application layer: state, actions, the keymap and the
//! event loop. It turns keys into actions and actions into state; `ui`
//! draws that state.

// Plain data: these modules never import `state` (so `App` can hold them).
pub mod action;
pub mod background;
mod dropper;
pub mod effect;
pub mod keymap;
pub mod live;
pub mod loading;
pub mod palette;
pub mod rows;
pub mod storage_task;
pub mod view;
pub mod wizard;

// `App` and the files that add its behaviour, one concern each.
pub mod copy;
pub mod findings_view;
pub mod headless;
mod incoming;
pub mod on_demand;
mod reanalysis;
pub mod state;
pub mod storage;
pub mod update;
mod wizard_app;

pub use action::Action;
pub use effect::{Effect, Msg};
pub use headless::Headless;
pub use palette::Palette;
pub use state::App;
pub use view::detail::DetailTab;
pub use view::{Pane, Popup, View};

/// How the binary starts the console.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// Analyse as of this instant instead of the wall clock (tests, replays).
    pub now_override: Option<chrono::DateTime<chrono::Utc>>,
    /// Theme name (`--theme`); default `default`.
    pub theme: Option<String>,
    /// Drop colours (`--no-color`; NO_COLOR in the environment does the same).
    pub no_color: bool,
    /// ASCII borders and markers (`--ascii`).
    pub ascii: bool,
    /// Capture the mouse for wheel scrolling (`--mouse`).
    pub mouse: bool,
    /// How `y` copies (`--clipboard`).
    pub clipboard: ClipboardMode,
    /// The zone times are shown in at start (`--time`; `z` cycles).
    pub zone: crate::model::zone::Zone,
    /// The config the estate came from (writes permissions and connections
    /// for the restore wizard); None for the demo, a snapshot or files.
    pub config: Option<crate::config::Config>,
}

/// How `y` copies text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipboardMode {
    /// OSC 52 unless the terminal is known not to take it (TERM=dumb/linux).
    #[default]
    Auto,
    /// Always OSC 52.
    Osc52,
    /// Never copy.
    Off,
}

impl ClipboardMode {
    pub fn parse(text: &str) -> Option<ClipboardMode> {
        Some(match text {
            "auto" => ClipboardMode::Auto,
            "osc52" => ClipboardMode::Osc52,
            "off" => ClipboardMode::Off,
            _ => return None,
        })
    }
}
