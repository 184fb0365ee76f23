//! The detail view of one database: a header of facts, the chain
//! timeline, and the tabbed lower pane.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::layout::{self, DetailLayout};
use super::tabs;
use super::text::{self, sanitize, span};
use super::timeline::{self, Timeline};
use crate::analysis::DatabaseReport;
use crate::app::rows::{self, Issue};
use crate::app::view::detail::DetailState;
use crate::app::{App, DetailTab};
use crate::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let (Some(db), Some(d)) = (app.detail_database(), app.detail.as_ref()) else {
        return;
    };
    let t = &app.theme;
    let legend = timeline::legend_height(area.width.saturating_sub(2), db, app.report.now);
    // The retention bar, when a container listing has this database's window.
    let retention = app.storage.window_for(&db.instance, &db.database.name);
    let bar_height = retention_height(retention.is_some(), area.height);
    let lay: DetailLayout = layout::detail_layout(area.height - bar_height, legend);
    let [head, bar, line, bottom] = Layout::vertical([
        Constraint::Length(lay.header),
        Constraint::Length(bar_height),
        Constraint::Length(lay.timeline_height(timeline::CORE_HEIGHT)),
        Constraint::Min(0),
    ])
    .areas(area);
    let lines = header_lines(app, db, lay.header, head.width);
    frame.render_widget(Paragraph::new(lines), head);
    if let Some((w, origin)) = retention.filter(|_| bar_height > 0) {
        frame.render_widget(
            Paragraph::new(retention_lines(
                t,
                &app.shown(&db.instance),
                w,
                origin,
                bar_height,
                bar.width,
            )),
            bar,
        );
    }

    let inner = if lay.timeline_border {
        let block = super::bordered_block(t, false)
            .title(" Chain timeline ")
            .border_style(t.muted);
        let inner = block.inner(line);
        frame.render_widget(block, line);
        inner
    } else {
        line
    };
    let highlight = evidence_ids(app, db, d);
    let widget = Timeline {
        db,
        now: app.report.now,
        theme: t,
        legend: lay.legend,
        marker: selected_time(db, d),
        highlight: &highlight,
        shown: app.shown(&db.instance),
    };
    frame.render_widget(widget, inner);
    if lay.bottom {
        tabs::draw(frame, bottom, app, db, d);
    }
}

/// `label value  ` with the label muted: one chunk of a header line.
fn pair(t: &Theme, label: &'static str, value: String, style: Style) -> Vec<Span<'static>> {
    vec![
        Span::styled(label, t.muted),
        Span::styled(value, style),
        Span::raw("  "),
    ]
}

/// Keeps whole chunks, in order, while they fit in `width`.
fn fit(chunks: Vec<Vec<Span<'static>>>, width: u16) -> Line<'static> {
    let mut used = 0usize;
    let mut spans = Vec::new();
    for chunk in chunks {
        let w: usize = chunk.iter().map(Span::width).sum();
        if used + w <= usize::from(width) + 2 {
            used += w;
            spans.extend(chunk);
        }
    }
    Line::from(spans)
}

/// Up to three lines of facts, the most important first, each cut to
/// whole facts that fit the width.
fn header_lines(app: &App, db: &DatabaseReport, count: u16, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let h = &db.health;
    let d = &db.database;
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let name = vec![Span::styled(
        format!("{} › {}  ", sanitize(&db.instance), sanitize(&d.name)),
        bold,
    )];
    let state = vec![Span::styled(
        format!("{}  ", h.state.label()),
        text::state_style(t, h.state, db.recoverability.severity),
    )];
    let rpo = h
        .rpo_now_seconds
        .map(span)
        .unwrap_or_else(|| text::NONE.into());
    if count <= 1 {
        return vec![fit(vec![name, state, pair(t, "RPO ", rpo, bold)], width)];
    }
    let mb_collected = text::managed_backup_collected(app.estate.instance(&db.instance));
    let mut first = vec![
        name,
        vec![Span::raw(format!("{}  ", text::recovery_label(d)))],
        state,
    ];
    if let Some(s) = d.state_desc.as_deref().filter(|s| *s != "ONLINE") {
        first.push(vec![Span::styled(format!("{}  ", sanitize(s)), t.warn)]);
    }
    let mb = text::managed_backup_label(d, mb_collected);
    first.push(pair(t, "Managed Backup ", mb, Style::default()));
    first.push(pair(
        t,
        "Stretch ",
        text::stretch_label(d).into(),
        Style::default(),
    ));
    first.push(pair(
        t,
        "role ",
        text::role_label(d).into(),
        Style::default(),
    ));

    let shown = app.shown(&db.instance);
    let latest = h
        .latest_recoverable
        .map_or_else(|| text::NONE.into(), |t| shown.long(t));
    let mut second = vec![
        pair(t, "RPO now ", rpo, bold),
        pair(t, "latest recoverable ", latest, Style::default()),
    ];
    if let Some(u) = h.worst_uncovered {
        let to = match u.to >= app.report.now {
            true => "now".to_string(),
            false => shown.short(u.to),
        };
        let len = span(u.length().num_seconds());
        second.push(pair(t, "worst gap ", len, Style::default()));
        second.push(vec![Span::styled(
            format!("{} → {to}  ", shown.short(u.from)),
            t.muted,
        )]);
    }

    let now = app.report.now;
    let mut third = vec![
        pair(
            t,
            "last full ",
            text::age(now, h.last_full),
            Style::default(),
        ),
        pair(t, "diff ", text::age(now, h.last_diff), Style::default()),
        pair(t, "log ", text::age(now, h.last_log), Style::default()),
        pair(
            t,
            "expected: ",
            sanitize(&h.expectation.summary).into_owned(),
            Style::default(),
        ),
    ];
    if db.history_sources.len() > 1 {
        let sources: Vec<String> = db
            .history_sources
            .iter()
            .map(|s| sanitize(s).into_owned())
            .collect();
        third.push(pair(t, "history merged from ", sources.join(", "), t.info));
    }
    [first, second, third]
        .into_iter()
        .take(usize::from(count))
        .map(|chunks| fit(chunks, width))
        .collect()
}

/// The retention bar: promised window (left edge) to now (right edge),
/// recoverable stretches, files as ticks; with two lines, a caption first.
fn retention_lines(
    t: &Theme,
    shown: &crate::model::zone::Shown<'_>,
    w: &crate::analysis::storage::RetentionWindow,
    origin: crate::analysis::storage::ListingOrigin,
    height: u16,
    width: u16,
) -> Vec<Line<'static>> {
    use super::retention_bar::{retention_bar, Cell};
    let label = format!("retention {}d ", w.retention_days);
    // "[" before the cells, "] now" after them.
    let columns = usize::from(width).saturating_sub(label.chars().count() + 6);
    let cells = retention_bar(w, columns);
    // The same bar without ticks: a tick takes the colour of what is under it,
    // so dense logs do not hide whether their stretch is recoverable.
    let ground = retention_bar(
        &crate::analysis::storage::RetentionWindow {
            files: Vec::new(),
            ..w.clone()
        },
        columns,
    );
    let mut bar = vec![Span::styled(label, t.muted), Span::styled("[", t.muted)];
    for (c, g) in cells.into_iter().zip(ground) {
        let under = match g {
            Cell::Recoverable => t.window,
            _ => t.crit,
        };
        let (glyph, style) = match (c, t.ascii) {
            // The timeline's ASCII words: `.` not recoverable, `#` recoverable
            // (`!` there is a log outside the chain).
            (Cell::Lost, true) => (".", t.crit),
            (Cell::Lost, false) => ("░", t.crit),
            (Cell::Recoverable, true) => ("#", t.window),
            (Cell::Recoverable, false) => ("━", t.window),
            (Cell::LogTick, _) => ("|", under),
            (Cell::FullTick, _) => ("B", under.add_modifier(Modifier::BOLD)),
            (Cell::Now, _) => (">", Style::default().add_modifier(Modifier::BOLD)),
        };
        bar.push(Span::styled(glyph, style));
    }
    bar.push(Span::styled("] now", t.muted));
    let bar = Line::from(bar);
    if height < 2 {
        return vec![bar];
    }
    let mut caption = vec![
        Span::styled("Retention ", Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "{} days promised from {}; recoverable from {}  ",
            w.retention_days,
            shown.short(w.promised_from),
            w.recoverable_from
                .map_or_else(|| text::NONE.into(), |t| shown.long(t))
        )),
    ];
    if w.is_short() {
        caption.push(Span::styled(
            format!("SHORT: {}  ", sanitize(&w.reasons.join("; "))),
            t.warn,
        ));
    }
    caption.push(Span::styled(
        format!("({})", origin.label()),
        match origin {
            crate::analysis::storage::ListingOrigin::Storage => t.muted,
            crate::analysis::storage::ListingOrigin::History => t.warn,
        },
    ));
    // What the bar's glyphs mean, when the line has room for it.
    let (kept, lost) = if t.ascii { ("#", ".") } else { ("━", "░") };
    let legend = [
        (kept, " recoverable  ", t.window),
        (lost, " lost  ", t.crit),
        (
            "B",
            " full  ",
            Style::default().add_modifier(Modifier::BOLD),
        ),
        ("|", " log", Style::default()),
    ];
    let used: usize = caption.iter().map(Span::width).sum();
    let needed: usize = legend
        .iter()
        .map(|(_, word, _)| 1 + word.len())
        .sum::<usize>()
        + 2;
    if used + needed <= usize::from(width) {
        caption.push(Span::raw("  "));
        for (glyph, word, style) in legend {
            caption.push(Span::styled(glyph, style));
            caption.push(Span::styled(word, t.muted));
        }
    }
    vec![Line::from(caption), bar]
}

/// The time of the selected row, to point at on the timeline.
/// The backup sets to pick out on the timeline: those of the open evidence
/// popup, else the evidence of the selected finding or break.
fn evidence_ids(app: &App, db: &DatabaseReport, d: &DetailState) -> Vec<i64> {
    if let Some(crate::app::Popup::Evidence { ids, .. }) = &app.popup {
        return ids.clone();
    }
    if d.tab != DetailTab::Findings {
        return Vec::new();
    }
    d.rows
        .get(d.selected[d.tab.index()])
        .and_then(|&row| rows::issue(db, row))
        .map(|i| i.evidence().to_vec())
        .unwrap_or_default()
}

/// Rows of the retention bar: two when there is room, one when tight, none
/// without a container listing for the database.
fn retention_height(listed: bool, height: u16) -> u16 {
    match (listed, height) {
        (true, 22..) => 2,
        (true, 17..) => 1,
        _ => 0,
    }
}

/// The part of the detail view under the timeline (where the tabs are), so
/// a popup there leaves the timeline and its highlighted evidence visible.
pub fn lower_area(area: Rect, app: &App) -> Option<Rect> {
    let db = app.detail_database()?;
    let legend = timeline::legend_height(area.width.saturating_sub(2), db, app.report.now);
    let bar_height = retention_height(
        app.storage
            .window_for(&db.instance, &db.database.name)
            .is_some(),
        area.height,
    );
    let lay: DetailLayout = layout::detail_layout(area.height - bar_height, legend);
    let top = lay.header + bar_height + lay.timeline_height(timeline::CORE_HEIGHT);
    (lay.bottom && area.height.saturating_sub(top) >= 8).then(|| Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    })
}

fn selected_time(db: &DatabaseReport, d: &DetailState) -> Option<DateTime<Utc>> {
    let row = *d.rows.get(d.selected[d.tab.index()])?;
    let backup_time = |id: i64| {
        db.timeline
            .iter()
            .find(|x| x.backup_set_id == id)
            .and_then(|x| x.finish.or(x.start))
    };
    match d.tab {
        DetailTab::Findings => match rows::issue(db, row)? {
            Issue::Break(b) => b.from_time.or(b.to_time),
            Issue::Finding(f) => f.evidence.iter().filter_map(|&id| backup_time(id)).max(),
        },
        DetailTab::Backups => db.timeline.get(row).and_then(|x| x.finish.or(x.start)),
        DetailTab::Windows => db.windows.get(row).map(|w| w.to),
    }
}
