//! The one-line bars: the header (product, source, DEMO marker, times)
//! and the key bar generated from the keymap.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::sanitize;
use crate::app::{App, View};

/// Keeps spans, in priority order, while they fit; returns them in display order.
fn fit_spans<'a>(items: Vec<(u8, Span<'a>)>, width: u16) -> Vec<Span<'a>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].0, i));
    let mut keep = vec![false; items.len()];
    let mut used = 0usize;
    for i in order {
        let w = items[i].1.width();
        if used + w <= usize::from(width) {
            used += w;
            keep[i] = true;
        }
    }
    items
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|((_, s), _)| s)
        .collect()
}

/// `chainwatch │ DEMO ESTATE │ source … │ collected … │ now …`.
pub fn header(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let estate = &app.estate;
    let crumb = match (app.view, app.detail_database()) {
        (View::Detail, Some(db)) => format!(
            " {} › {} ",
            sanitize(&db.instance),
            sanitize(&db.database.name)
        ),
        (View::Storage, _) => " storage ".to_string(),
        (View::Findings, _) => " findings ".to_string(),
        _ => " databases ".to_string(),
    };
    let env = app.current_environment();
    let mut header = env.map(|e| t.environment(e)).unwrap_or(t.header);
    if let Some(accent) = app.current_accent() {
        header = header.bg(accent);
    }
    let mut items = vec![(0, Span::styled(" chainwatch ", header))];
    if let Some(e) = env {
        items.push((1, Span::styled(format!(" {} ", e.label()), header)));
    }
    if estate.is_demo {
        items.push((1, Span::styled(" DEMO ESTATE ", t.demo_marker)));
    }
    items.push((2, Span::styled(crumb.clone(), header)));
    items.push((
        4,
        Span::styled(
            match estate.collected_at {
                // How old the data is is what a glance needs; the detail
                // views and `check` carry the instant.
                Some(at) => format!(
                    " collected {} ago ",
                    crate::text::age(app.report.now, Some(at))
                ),
                None => " collected — ".to_string(),
            },
            header,
        ),
    ));
    // After how old the data is: `now` (longer with a zone's name) goes first.
    items.push((
        5,
        Span::styled(
            match app.zone {
                crate::model::zone::Zone::Utc => {
                    format!(" now {} ", app.shown_here().long(app.report.now))
                }
                zone => format!(
                    " now {} {} ",
                    app.shown_here().long(app.report.now),
                    zone.label()
                ),
            },
            header,
        ),
    ));
    let mut spans = fit_spans(items, area.width);
    // The source is cut to the room left rather than dropped, and never
    // pushes out when the data was collected.
    let used: usize = spans.iter().map(Span::width).sum();
    let room = usize::from(area.width).saturating_sub(used);
    let source = format!(" source: {} ", sanitize(&estate.source));
    let whole = source.chars().count();
    if room >= whole.min(20) {
        let after_crumb = spans
            .iter()
            .position(|s| s.content == crumb.as_str())
            .map_or(spans.len(), |i| i + 1);
        spans.insert(
            after_crumb,
            Span::styled(super::text::cell(&source, room.min(whole)), header),
        );
    }
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line).style(header), area);
}

/// The key bar, or the filter prompt while a filter is typed.
pub fn key_bar(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let keys = t.focus.add_modifier(Modifier::BOLD);
    let filter = app.filter();
    let mut spans: Vec<Span> = Vec::new();
    if let Some(status) = &app.status {
        spans.push(Span::styled(format!("{} ", sanitize(status)), t.info));
        spans.push(Span::styled(if t.ascii { "| " } else { "│ " }, t.muted));
    }
    if let Some(p) = &app.palette {
        spans.push(Span::styled(":", keys));
        spans.push(Span::raw(sanitize(&p.input).into_owned()));
        spans.push(Span::styled(if t.ascii { "_" } else { "▏" }, keys));
        spans.push(Span::raw("  "));
    } else if filter.editing {
        spans.push(Span::styled("/", keys));
        spans.push(Span::raw(sanitize(&filter.text).into_owned()));
        spans.push(Span::styled(if t.ascii { "_" } else { "▏" }, keys));
        spans.push(Span::raw("  "));
    } else if !filter.text.is_empty() {
        spans.push(Span::styled(
            format!("filter: {} ", sanitize(&filter.text)),
            t.info,
        ));
        spans.push(Span::styled(if t.ascii { "| " } else { "│ " }, t.muted));
    }
    for (key, label) in app.bar_entries() {
        spans.push(Span::styled(key, keys));
        spans.push(Span::styled(format!(" {label}  "), Style::default()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
