//! Drawing: turns the app's state into a frame and computes nothing the
//! analysis should. Every string that came from a server goes through
//! `text::sanitize` before it is drawn.

mod ascii;
mod bars;
mod databases;
mod detail;
mod findings;
pub mod layout;
mod overlay;
pub mod retention_bar;
pub mod screenshots;
mod storage;
pub mod svg;
mod tabs;
pub mod text;
/// Themes are data below both `app` and `ui` (`crate::theme`); the old
/// path stays for callers.
pub use crate::theme;
pub mod timeline;
mod wizard;

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Cell, HighlightSpacing, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::app::{App, View};
use layout::Col;
use theme::Theme;

/// Width of the selection marker (`▶ `, or `> ` in ASCII), which shows
/// the selected row without colour.
const MARKER_WIDTH: u16 = 2;

/// Plain ASCII borders for `--ascii`.
const ASCII: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// ASCII borders of a focused pane or a popup.
const ASCII_THICK: border::Set = border::Set {
    top_left: "#",
    top_right: "#",
    bottom_left: "#",
    bottom_right: "#",
    vertical_left: "#",
    vertical_right: "#",
    horizontal_top: "=",
    horizontal_bottom: "=",
};

/// A bordered block in the theme's border glyphs; `thick` for focus and popups.
fn bordered_block<'a>(theme: &Theme, thick: bool) -> Block<'a> {
    let block = Block::bordered();
    match (theme.ascii, thick) {
        (true, true) => block.border_set(ASCII_THICK),
        (true, false) => block.border_set(ASCII),
        (false, true) => block.border_type(BorderType::Thick),
        (false, false) => block.border_type(BorderType::Plain),
    }
}

/// Draws the whole console for the current state.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.is_empty() {
        return;
    }
    if app.theme.base != Style::default() {
        frame.render_widget(Block::new().style(app.theme.base), area);
    }
    if layout::too_small(area) {
        too_small(frame, area, &app.theme);
        if app.theme.ascii {
            ascii::asciify(frame.buffer_mut());
        }
        return;
    }
    let [header, body, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    bars::header(frame, header, app);
    match app.view {
        _ if app.loading.is_some() => databases::loading(frame, body, app),
        View::Detail if app.detail_database().is_some() => detail::draw(frame, body, app),
        View::Storage => storage::draw(frame, body, app),
        View::Findings => findings::draw(frame, body, app),
        _ => databases::draw(frame, body, app),
    }
    if let Some(w) = &app.wizard {
        wizard::draw(frame, body, app, w);
    }
    if let Some(o) = &app.on_demand {
        wizard::draw_on_demand(frame, body, app, o);
    }
    bars::key_bar(frame, bar, app);
    if let Some(popup) = &app.popup {
        overlay::popup(frame, body, app, popup);
    }
    if app.help {
        overlay::help(frame, body, app);
    }
    if let Some(palette) = &app.palette {
        overlay::palette(frame, body, app, palette);
    }
    if app.theme.ascii {
        ascii::asciify(frame.buffer_mut());
    }
}

/// The message shown instead of the views when the terminal is too small.
fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let msg = format!(
        "terminal too small ({}x{}) — need at least {}x{}",
        area.width,
        area.height,
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT
    );
    // Word wrapping may need a line more than the plain division.
    let lines = (msg.chars().count() as u16).div_ceil(area.width) + 1;
    let top = area.height.saturating_sub(lines) / 2;
    let target = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    let p = Paragraph::new(msg)
        .style(theme.warn)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(p, target);
}

/// Draws a pane's frame and returns the area inside it: a border (thick
/// when focused) when there is room, otherwise a single title line.
fn pane(
    frame: &mut Frame,
    area: Rect,
    title: Line<'_>,
    focused: bool,
    bordered: bool,
    theme: &Theme,
) -> Rect {
    let style = if focused { theme.focus } else { theme.muted };
    if bordered {
        let block = bordered_block(theme, focused)
            .title(title)
            .border_style(style);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        return inner;
    }
    if area.height == 0 {
        return area;
    }
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(title).style(style), top);
    rest
}

/// One table cell before fitting: text and style.
type Text = (String, Style);

/// Plain text in the default style.
fn plain(s: impl Into<String>) -> Text {
    (s.into(), Style::default())
}

/// Cuts text to `width` columns, marking the cut with `…`.
fn ellipsis(text: &str, width: u16) -> String {
    let width = usize::from(width);
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// A table of the columns that fit; each row holds one cell per column of
/// `cols`, cut with `…` to the width its column got.
fn fitted_table<'a>(
    cols: &[Col],
    fit: &[(usize, u16)],
    rows: Vec<Vec<Text>>,
    focused: bool,
    theme: &Theme,
) -> Table<'a> {
    let header = Row::new(
        fit.iter()
            .map(|&(i, w)| Cell::from(ellipsis(cols[i].header, w))),
    )
    .style(theme.muted.add_modifier(Modifier::BOLD));
    let body = rows.into_iter().map(|cells| {
        Row::new(fit.iter().map(|&(i, w)| match cells.get(i) {
            Some((text, style)) => Cell::from(ellipsis(text, w)).style(*style),
            None => Cell::from(""),
        }))
    });
    Table::new(body, fit.iter().map(|&(_, w)| Constraint::Length(w)))
        .header(header)
        .column_spacing(1)
        .highlight_symbol(theme.marker())
        .highlight_spacing(HighlightSpacing::Always)
        .row_highlight_style(if focused {
            theme.selection
        } else {
            Style::default()
        })
}
