//! The findings view: one line per finding, worst first, only the rows
//! that fit are built (an estate can have thousands of findings).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::{self, Col};
use super::text::{cell, sanitize, severity_style};
use crate::analysis::Finding;
use crate::app::findings_view::severity_counts;
use crate::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.findings;
    let [c, w, i] = severity_counts(app);
    let scope = s
        .instance
        .as_deref()
        .map_or("all instances".to_string(), |n| sanitize(n).into_owned());
    let mut title = format!(" Findings: {scope} — {c} CRIT, {w} WARN, {i} INFO ");
    if !s.filter.text.is_empty() {
        title.push_str(&format!("/{} ", sanitize(&s.filter.text)));
    }
    let inner = super::pane(frame, area, Line::raw(title), true, area.height >= 6, t);
    let [head, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let marker = t.marker().chars().count();
    let width = inner
        .width
        .saturating_sub(u16::try_from(marker).unwrap_or(u16::MAX));
    let found: Vec<_> = s.rows.iter().filter_map(|r| app.finding(*r)).collect();
    let longest = |text: fn(&Finding) -> &str| {
        found
            .iter()
            .map(|f| sanitize(text(f)).chars().count())
            .max()
            .unwrap_or(0)
    };
    let cols = columns(
        longest(|f| &f.instance),
        longest(|f| f.database.as_deref().unwrap_or(INSTANCE)),
        longest(|f| &f.title),
        s.instance.is_some(),
        width,
    );
    let fit = layout::fit_columns(&cols, width);
    let sev_w = fit
        .iter()
        .find(|(c, _)| *c == SEV)
        .map_or(0, |&(_, w)| usize::from(w));
    // The columns that fit from `from` on, one space apart.
    let row = |cells: [&str; 4], from: usize| {
        fit.iter()
            .filter(|(i, _)| *i >= from)
            .map(|&(i, w)| cell(cells[i], usize::from(w)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{:marker$}{}",
                "",
                row(["SEV", "INSTANCE", "DATABASE", "FINDING"], SEV)
            ),
            t.muted.add_modifier(Modifier::BOLD),
        )),
        head,
    );
    if s.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(if s.filter.text.is_empty() {
                "no findings"
            } else {
                "no finding matches the filter"
            })
            .style(t.muted),
            list,
        );
        return;
    }
    let height = usize::from(list.height).max(1);
    let first = s.selected.saturating_sub(height - 1);
    let lines: Vec<Line> = s.rows[first..(first + height).min(s.rows.len())]
        .iter()
        .enumerate()
        .filter_map(|(k, r)| {
            let f = app.finding(*r)?;
            let selected = first + k == s.selected;
            let row_style = if selected {
                t.selection
            } else {
                Default::default()
            };
            Some(Line::from(vec![
                Span::styled(
                    if selected {
                        t.marker().to_string()
                    } else {
                        " ".repeat(marker)
                    },
                    t.focus,
                ),
                Span::styled(
                    format!("{} ", cell(f.severity.label(), sev_w)),
                    severity_style(t, Some(f.severity)),
                ),
                Span::styled(
                    row(
                        [
                            "",
                            &sanitize(&f.instance),
                            &sanitize(f.database.as_deref().unwrap_or(INSTANCE)),
                            &sanitize(&f.title),
                        ],
                        SEV + 1,
                    ),
                    row_style,
                ),
            ]))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

/// What the DATABASE column says of an instance's own finding.
const INSTANCE: &str = "(instance)";

const SEV: usize = 0;

/// The view's columns for the rows shown: SEV, INSTANCE, DATABASE as wide
/// as their longest value (capped), FINDING the rest. FINDING is taken
/// before DATABASE and INSTANCE (dropped in that order, instance first,
/// when the title would get too little), so a narrow terminal shows
/// severity and title; INSTANCE is left out when one instance is shown.
fn columns(
    instance: usize,
    database: usize,
    title: usize,
    one_instance: bool,
    width: u16,
) -> [Col; 4] {
    /// Characters of title worth more than the instance and database beside it.
    const TITLE_MIN: u16 = 28;
    let cap = |n: usize, hi: u16| u16::try_from(n).unwrap_or(u16::MAX).clamp(4, hi);
    let title = u16::try_from(title).unwrap_or(u16::MAX);
    let title_min = title.min(TITLE_MIN).min(width.saturating_sub(5)).max(4);
    [
        Col::new("SEV", 4, 4, 0),
        Col::new(
            "INSTANCE",
            cap(instance, 24),
            cap(instance, 24),
            if one_instance { Col::HIDDEN } else { 3 },
        ),
        Col::new("DATABASE", cap(database, 24), cap(database, 24), 2),
        Col::new("FINDING", title_min, title.max(title_min), 1),
    ]
}
