//! The README screenshots: the demo estate at a fixed instant, driven by
//! keys and rendered to SVG (PNG conversion is left to `rsvg-convert`).

use chrono::{TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use super::svg::buffer_to_svg;
use crate::app::App;
use crate::theme::{Environment, Theme};

/// The instant every screenshot shows, so pictures only change with the code.
pub fn fixed_now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
        .single()
        .expect("valid date")
}

/// One picture: a name, a size, the keys pressed before it is taken, and
/// the theme (the file stem is `<name>-<theme>`).
struct Shot {
    name: &'static str,
    width: u16,
    height: u16,
    keys: &'static str,
    theme: &'static str,
    /// ASCII borders and markers.
    ascii: bool,
}

const fn shot(name: &'static str, width: u16, height: u16, keys: &'static str) -> Shot {
    Shot {
        name,
        width,
        height,
        keys,
        theme: "default",
        ascii: false,
    }
}

const fn themed(base: Shot, theme: &'static str) -> Shot {
    Shot { theme, ..base }
}

/// The main views, each in the default theme.
const VIEWS: &[Shot] = &[
    shot("databases", 120, 30, ""),
    shot("detail", 120, 40, "/Telemetry\n\n"),
    shot("evidence", 120, 40, "/Telemetry\n\n\n"),
    shot("plan", 120, 40, "/Orders\n\np"),
    shot("help", 100, 34, "?"),
    shot("palette", 100, 24, ":tele"),
    shot("small", 40, 10, ""),
    // The restore wizard on a Stretch-enabled database: REPLACE chosen
    // (tail-log backup and single user), target point, pre-flight checks,
    // and the script preview.
    shot("wizard-replace", 120, 34, "/Archive\n\nRjl"),
    shot("wizard-point", 120, 34, "/Archive\n\nR\n"),
    shot("wizard-preflight", 120, 34, "/Archive\n\nRjl\n\n\n"),
    shot("wizard-script", 120, 34, "/Archive\n\nR\n\n\n\n"),
    // An instance tagged as production gets a red header and a label.
    shot("production", 120, 30, "/PROD\n\n"),
    Shot {
        ascii: true,
        ..shot("ascii", 100, 24, "")
    },
];

/// The views shown once per theme besides the default.
const THEMED: &[Shot] = &[
    themed(shot("databases", 120, 30, ""), "dark"),
    themed(shot("detail", 120, 40, "/Telemetry\n\n"), "dark"),
    themed(shot("databases", 120, 30, ""), "light"),
    themed(shot("detail", 120, 40, "/Telemetry\n\n"), "light"),
    themed(shot("databases", 120, 30, ""), "high-contrast"),
    themed(shot("detail", 120, 40, "/Telemetry\n\n"), "high-contrast"),
    themed(shot("databases", 120, 30, ""), "none"),
    themed(shot("detail", 120, 40, "/Telemetry\n\n"), "none"),
];

fn key(c: char) -> KeyEvent {
    match c {
        '\n' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
    }
}

/// Names of every screenshot (`databases-default`, `detail-dark`, ...).
pub fn names() -> Vec<String> {
    VIEWS
        .iter()
        .chain(THEMED)
        .map(|s| format!("{}-{}", s.name, s.theme))
        .collect()
}

/// Renders every screenshot as `(file stem, svg)`, e.g. `databases-default`.
pub fn render_all() -> anyhow::Result<Vec<(String, String)>> {
    let estate = crate::sources::demo_estate(fixed_now())?;
    let mut out = Vec::new();
    for shot in VIEWS.iter().chain(THEMED) {
        // What the keys start is carried out before the picture is taken.
        let mut app = crate::app::Headless::new(App::new(estate.clone(), fixed_now()));
        // Pictures never depend on the machine: no user themes, no NO_COLOR.
        app.config_dir = None;
        app.no_color = false;
        app.theme = Theme::builtin(shot.theme)
            .ok_or_else(|| anyhow::anyhow!("no built-in theme {}", shot.theme))?;
        app.theme.ascii = shot.ascii;
        if shot.name == "production" {
            app.set_environment("SQL16\\PROD", Environment::Production);
        }
        for c in shot.keys.chars() {
            if let Some(action) = app.handle_key(key(c)) {
                app.update(action);
                app.settle();
            }
        }
        let mut terminal = Terminal::new(TestBackend::new(shot.width, shot.height))?;
        terminal.draw(|f| super::draw(f, &app))?;
        out.push((
            format!("{}-{}", shot.name, shot.theme),
            buffer_to_svg(terminal.backend().buffer()),
        ));
    }
    Ok(out)
}
