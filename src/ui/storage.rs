//! The storage view: one backup container's blobs, each with the database
//! and kind its name says, its time, size and cross-check status. Draws
//! only what the app holds: listings arrive in the background.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::{cell, sanitize, utc_opt};
use crate::analysis::storage::ListingOrigin;
use crate::app::rows;
use crate::app::view::storage::{file_kind, file_status, Listing};
use crate::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let s = &app.storage;
    let bordered = area.height >= 8 && area.width >= 40;
    let block = super::bordered_block(t, true);
    let Some(c) = s.current() else {
        let msg = if s.planning {
            "finding backup containers in the background…"
        } else {
            "no backup container: configure container_url on an instance, or no history names a URL backup"
        };
        let inner = if bordered {
            let b = block.title(" Storage ");
            let inner = b.inner(area);
            frame.render_widget(b, area);
            inner
        } else {
            area
        };
        frame.render_widget(Paragraph::new(msg).style(t.muted), inner);
        return;
    };
    let mut title = vec![Span::raw(format!(
        " Storage {}/{}: {} › {} ",
        s.current + 1,
        s.containers.len(),
        sanitize(&c.instance),
        sanitize(&c.display)
    ))];
    if !s.filter.text.is_empty() {
        title.push(Span::styled(
            format!("/{} ", sanitize(&s.filter.text)),
            t.info,
        ));
    }
    let inner = if bordered {
        let b = block.title(Line::from(title.clone()));
        let inner = b.inner(area);
        frame.render_widget(b, area);
        inner
    } else {
        area
    };
    let [head, body] = Layout::vertical([
        Constraint::Length(if bordered { 1 } else { 2 }),
        Constraint::Min(0),
    ])
    .areas(inner);
    let mut head_lines = Vec::new();
    if !bordered {
        head_lines.push(Line::from(title));
    }
    let checked = match &c.listing {
        Listing::Loading => {
            head_lines.push(Line::from(Span::styled(
                "listing the container in the background…",
                t.info,
            )));
            frame.render_widget(Paragraph::new(head_lines), head);
            return;
        }
        Listing::Failed(reason) => {
            head_lines.push(Line::from(vec![
                Span::styled("UNKNOWN ", t.warn.add_modifier(Modifier::BOLD)),
                Span::raw(format!("not listed: {}", sanitize(reason))),
            ]));
            frame.render_widget(Paragraph::new(head_lines), head);
            return;
        }
        Listing::Loaded(checked) => checked,
    };
    let total: u64 = checked.check.files.iter().map(|f| f.entry.size).sum();
    let origin_style = match checked.origin {
        ListingOrigin::Storage => t.ok,
        ListingOrigin::History => t.warn.add_modifier(Modifier::BOLD),
    };
    head_lines.push(Line::from(vec![
        Span::styled(format!("{}  ", checked.origin.label()), origin_style),
        Span::raw(format!(
            "{} blobs, {}  {} finding(s)",
            checked.check.files.len(),
            crate::text::size(total),
            checked.findings.len()
        )),
        Span::styled(format!("  (history names it {})", c.history_key), t.muted),
    ]));
    frame.render_widget(Paragraph::new(head_lines), head);

    if s.rows.is_empty() {
        let msg = match s.filter.text.is_empty() {
            true => "the container is empty",
            false => "no blob matches the filter (Esc clears it)",
        };
        frame.render_widget(Paragraph::new(msg).style(t.muted), body);
        return;
    }
    let now = app.report.now;
    let files = s.files();
    let width = usize::from(body.width);
    // Fixed columns right of the name; the name takes what is left.
    let (db_w, kind_w, time_w, size_w, status_w) = (16, 5, 17, 10, 14);
    let fixed = db_w + kind_w + time_w + size_w + status_w + 5;
    let name_w = width.saturating_sub(fixed).max(12);
    let header = format!(
        "{} {} {} {} {:>size_w$} {}",
        cell("blob", name_w),
        cell("database", db_w),
        cell("kind", kind_w),
        cell("time", time_w),
        "size",
        "status"
    );
    let mut lines = vec![Line::from(Span::styled(header, t.muted))];
    let visible = usize::from(body.height.saturating_sub(1));
    let window = rows::visible_window(s.rows.len(), s.selected, visible);
    for (pos, &i) in s
        .rows
        .iter()
        .enumerate()
        .skip(window.start)
        .take(window.len())
    {
        let Some(f) = files.get(i) else { continue };
        let status = file_status(f, now);
        let status_style = match status {
            "unknown" | "past retention" => t.warn,
            _ => Style::default(),
        };
        let line_style = if pos == s.selected {
            t.selection
        } else {
            Style::default()
        };
        lines.push(
            Line::from(vec![
                Span::raw(format!(
                    "{} {} {} {} {:>size_w$} ",
                    cell(&sanitize(&f.entry.name), name_w),
                    cell(&sanitize(f.database.as_deref().unwrap_or("—")), db_w),
                    cell(file_kind(f), kind_w),
                    cell(&utc_opt(f.time), time_w),
                    crate::text::size(f.entry.size),
                )),
                Span::styled(cell(status, status_w), status_style),
            ])
            .style(line_style),
        );
    }
    frame.render_widget(Paragraph::new(lines), body);
}
