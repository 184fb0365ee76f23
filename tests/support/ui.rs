//! The console without a terminal: draw the app into a TestBackend and
//! read the screen back as text; feed it keys as the event loop does.
#![allow(dead_code)]

use chainwatch::app::App;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

/// Draws the app and returns the screen as text, one quoted line per row
/// (TestBackend's own Display cannot show a zero-width buffer).
pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| chainwatch::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..w {
            let cell = &buf[(x, y)];
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip.max(unicode_width(cell.symbol())).saturating_sub(1);
        }
        out.push_str(&format!("\"{line}\"\n"));
    }
    out
}

/// Display width of a cell symbol (wide glyphs take two cells).
fn unicode_width(s: &str) -> usize {
    ratatui::text::Span::raw(s).width().max(1)
}

/// Draws the app and returns every cell's symbol, row by row, each row
/// ended by a newline (no quotes, wide glyphs' trailing cells included).
pub fn render_plain(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| chainwatch::ui::draw(f, app)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Feeds keys through the keymap, as the event loop does.
pub fn press(app: &mut chainwatch::app::Headless, keys: &[KeyEvent]) {
    for k in keys {
        if let Some(a) = app.handle_key(*k) {
            app.update(a);
        }
    }
}

pub fn chars(s: &str) -> Vec<KeyEvent> {
    s.chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// The console on the demo estate at the tests' `now`.
pub fn demo() -> chainwatch::app::Headless {
    chainwatch::app::Headless::open(
        chainwatch::sources::demo_estate(super::now()).unwrap(),
        super::now(),
    )
}

/// Opens the detail view of the demo database `name` on `instance`.
pub fn open_detail(app: &mut chainwatch::app::Headless, instance: &str, name: &str) {
    let i = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == instance && d.database.name == name)
        .unwrap_or_else(|| panic!("{instance} {name} is not in the demo"));
    app.run_command(chainwatch::app::palette::Command::Database(i));
}

/// The screen's line that holds `needle`.
pub fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line holds {needle:?}:\n{screen}"))
}
