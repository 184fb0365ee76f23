//! The findings view: one line per finding, worst first, only the rows
//! that fit are built (an estate can have thousands of findings).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::{cell, sanitize, severity_style};
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
    let width = usize::from(inner.width);
    let marker = t.marker().chars().count();
    let rest = width.saturating_sub(marker + 5);
    let inst_w = (rest / 5).clamp(6, 18);
    let db_w = (rest / 5).clamp(6, 18);
    let title_w = rest.saturating_sub(inst_w + db_w + 2);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{:marker$}{:<5}{} {} {}",
                "",
                "SEV",
                cell("INSTANCE", inst_w),
                cell("DATABASE", db_w),
                cell("FINDING", title_w)
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
                    format!("{:<5}", f.severity.label()),
                    severity_style(t, Some(f.severity)),
                ),
                Span::styled(
                    format!(
                        "{} {} {}",
                        cell(&sanitize(&f.instance), inst_w),
                        cell(
                            &sanitize(f.database.as_deref().unwrap_or("(instance)")),
                            db_w
                        ),
                        cell(&sanitize(&f.title), title_w)
                    ),
                    row_style,
                ),
            ]))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}
