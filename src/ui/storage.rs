//! The storage view: one backup container's blobs, each with the database
//! and kind its name says, its time, size and cross-check status. Draws
//! only what the app holds: listings arrive in the background.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::{cell, cell_keep_end, sanitize, severity_label, severity_style, shared_prefix};
use crate::analysis::storage::ListingOrigin;
use crate::analysis::Finding;
use crate::app::rows;
use crate::app::view::storage::{file_kind, file_status, Listing};
use crate::app::App;
use crate::theme::Theme;

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

    // The container's findings, worst first, above its blobs.
    let findings = s.findings();
    let cursor = s.findings_focus.then_some(s.finding);
    let shown = findings_lines(body.height, findings.len(), s.findings_focus);
    let [found, body] =
        Layout::vertical([Constraint::Length(shown), Constraint::Min(0)]).areas(body);
    frame.render_widget(
        Paragraph::new(finding_lines(&findings, cursor, found, t)),
        found,
    );

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
    // Fixed columns right of the name (the database as wide as its longest
    // name, 8 to 16); the name takes what is left.
    let db_w = s
        .rows
        .iter()
        .filter_map(|&i| files.get(i))
        .map(|f| {
            sanitize(f.database.as_deref().unwrap_or("—"))
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0)
        .clamp(8, 16);
    let zone = app.shown(&c.instance);
    let when = |f: &crate::analysis::storage::StorageFile| {
        f.time
            .map_or_else(|| crate::text::NONE.to_string(), |t| zone.long(t))
    };
    let time_w = s
        .rows
        .iter()
        .filter_map(|&i| files.get(i))
        .map(|f| when(f).chars().count())
        .max()
        .unwrap_or(0)
        .max(17);
    let (kind_w, size_w, status_w) = (5, 10, 14);
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
    // How much of the name at `pos` its neighbours in the list share: the
    // part that is cut, so the part that tells them apart is shown.
    let name_at = |pos: usize| {
        s.rows
            .get(pos)
            .and_then(|&i| files.get(i))
            .map(|f| f.entry.name.as_str())
    };
    let shared = |pos: usize| {
        let this = name_at(pos).unwrap_or("");
        let before = pos.checked_sub(1).and_then(name_at);
        [before, name_at(pos + 1)]
            .into_iter()
            .flatten()
            .map(|other| shared_prefix(this, other))
            .max()
            .unwrap_or(0)
    };
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
        let line_style = if pos == s.selected && !s.findings_focus {
            t.selection
        } else {
            Style::default()
        };
        lines.push(
            Line::from(vec![
                Span::raw(format!(
                    "{} {} {} {} {:>size_w$} ",
                    cell_keep_end(&sanitize(&f.entry.name), shared(pos), name_w),
                    cell(&sanitize(f.database.as_deref().unwrap_or("—")), db_w),
                    cell(file_kind(f), kind_w),
                    cell(&when(f), time_w),
                    crate::text::size(f.entry.size),
                )),
                Span::styled(cell(status, status_w), status_style),
            ])
            .style(line_style),
        );
    }
    frame.render_widget(Paragraph::new(lines), body);
}

/// Lines the findings section takes in a body `height` rows high: every
/// finding up to a third of it, two thirds while they have the cursor (at
/// least one line when there are any).
fn findings_lines(height: u16, findings: usize, focused: bool) -> u16 {
    let findings = u16::try_from(findings).unwrap_or(u16::MAX);
    let room = if focused { height * 2 / 3 } else { height / 3 };
    findings.min(room.max(1))
}

/// One line per storage finding, already worst first: severity, database
/// (when the finding names one) and title. Unfocused, the last line says how
/// many more there are when they do not all fit (a single line says it after
/// the first); with the cursor in them (`cursor`), they scroll instead.
fn finding_lines<'a>(
    sorted: &[&Finding],
    cursor: Option<usize>,
    area: Rect,
    t: &Theme,
) -> Vec<Line<'a>> {
    let room = usize::from(area.height);
    let width = usize::from(area.width);
    let db_w = db_width(sorted);
    if let Some(at) = cursor {
        let window = rows::visible_window(sorted.len(), at, room);
        return sorted[window.clone()]
            .iter()
            .zip(window)
            .map(|(f, pos)| {
                let line = finding_line(f, db_w, width, None, t);
                match pos == at {
                    true => line.style(t.selection),
                    false => line,
                }
            })
            .collect();
    }
    let take = match (sorted.len() > room, room) {
        (false, _) => room,
        (true, 0 | 1) => room,
        (true, _) => room - 1,
    };
    let more = sorted.len().saturating_sub(take);
    let mut lines: Vec<Line> = sorted
        .iter()
        .take(take)
        .map(|f| finding_line(f, db_w, width, (take == 1 && more > 0).then_some(more), t))
        .collect();
    if take != 1 && more > 0 {
        lines.push(Line::styled(
            format!("… {more} more finding(s) (F: move through them)"),
            t.muted,
        ));
    }
    lines
}

/// The database column's width: the longest name, at most 16, plus a space.
fn db_width(findings: &[&Finding]) -> usize {
    findings
        .iter()
        .filter_map(|f| f.database.as_deref())
        .map(|d| sanitize(d).chars().count())
        .max()
        .map_or(0, |n| n.min(16) + 1)
}

/// Severity, database and title; `more` findings not shown are counted first.
fn finding_line<'a>(
    f: &Finding,
    db_w: usize,
    width: usize,
    more: Option<usize>,
    t: &Theme,
) -> Line<'a> {
    let db = f.database.as_deref().map(sanitize).unwrap_or_default();
    let title = match more {
        Some(more) => format!("(+{more} more) {}", sanitize(&f.title)),
        None => sanitize(&f.title).into_owned(),
    };
    Line::from(vec![
        Span::styled(
            format!("{:<5}", severity_label(Some(f.severity))),
            severity_style(t, Some(f.severity)),
        ),
        Span::raw(cell(&db, db_w)),
        Span::raw(cell(&title, width.saturating_sub(5 + db_w))),
    ])
}
