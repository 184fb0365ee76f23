//! The README screenshots: the demo estate at a fixed instant, driven by
//! keys and rendered to SVG (PNG conversion is left to `rsvg-convert`).

use chrono::{TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use super::svg::buffer_to_svg;
use super::theme::Theme;
use crate::app::App;

/// The instant every screenshot shows, so pictures only change with the code.
pub fn fixed_now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
        .single()
        .expect("valid date")
}

/// One picture: a name, a size and the keys pressed before it is taken.
struct Shot {
    name: &'static str,
    width: u16,
    height: u16,
    keys: &'static str,
}

const SHOTS: &[Shot] = &[
    Shot {
        name: "databases",
        width: 120,
        height: 30,
        keys: "",
    },
    Shot {
        name: "detail",
        width: 120,
        height: 40,
        keys: "/Telemetry\n\n",
    },
    Shot {
        name: "evidence",
        width: 120,
        height: 40,
        keys: "/Orders\n\n\n",
    },
    Shot {
        name: "help",
        width: 100,
        height: 34,
        keys: "?",
    },
    Shot {
        name: "small",
        width: 40,
        height: 10,
        keys: "",
    },
];

fn key(c: char) -> KeyEvent {
    match c {
        '\n' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
    }
}

/// Renders every screenshot as `(file stem, svg)`, e.g. `databases-default`.
pub fn render_all() -> anyhow::Result<Vec<(String, String)>> {
    let estate = crate::sources::demo_estate(fixed_now())?;
    let mut out = Vec::new();
    for shot in SHOTS {
        let mut app = App::new(estate.clone(), fixed_now());
        app.theme = Theme::default_theme();
        for c in shot.keys.chars() {
            if let Some(action) = app.handle_key(key(c)) {
                app.update(action);
            }
        }
        let mut terminal = Terminal::new(TestBackend::new(shot.width, shot.height))?;
        terminal.draw(|f| super::draw(f, &app))?;
        out.push((
            format!("{}-default", shot.name),
            buffer_to_svg(terminal.backend().buffer()),
        ));
    }
    Ok(out)
}
