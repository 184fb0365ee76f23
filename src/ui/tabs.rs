//! The detail view's lower pane: breaks & findings (with the selected one
//! explained), the backups table, and the recoverable windows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, TableState, Wrap};
use ratatui::Frame;

use super::layout::{self, Col};
use super::text::{self, sanitize};
use super::{fitted_table, pane, plain, Text, MARKER_WIDTH};
use crate::analysis::DatabaseReport;
use crate::app::rows::{self, Issue};
use crate::app::view::detail::DetailState;
use crate::app::{App, DetailTab};
use crate::model::zone::Shown;
use crate::theme::Theme;

const ISSUE_COLS: [Col; 3] = [
    Col::new("SEV", 5, 5, 0),
    Col::new("WHAT", 12, 70, 1),
    Col::new("WHEN", 12, 12, 2),
];

/// The findings tab's columns for the titles shown: WHAT needs its longest
/// title (up to the whole line) before WHEN gets any room, so a narrow line
/// drops WHEN instead of cutting WHAT; whatever is left widens WHAT.
fn issue_cols(longest_title: usize, width: u16) -> [Col; 3] {
    let [sev, what, when] = ISSUE_COLS;
    let room = width.saturating_sub(sev.min + 1);
    let need = u16::try_from(longest_title).unwrap_or(u16::MAX);
    [
        sev,
        Col::new(
            what.header,
            need.clamp(what.min, room.max(what.min)),
            u16::MAX,
            what.priority,
        ),
        when,
    ]
}

const BACKUP_COLS: [Col; 9] = [
    Col::new("ID", 4, 8, 0),
    Col::new("TYPE", 4, 7, 1),
    Col::new("FINISH", 17, 17, 2),
    Col::new("FIRST LSN", 9, 25, 5),
    Col::new("LAST LSN", 9, 25, 4),
    Col::new("COPY", 4, 4, 6),
    Col::new("STR", 3, 3, 8),
    Col::new("CHAIN", 5, 5, 3),
    Col::new("PRODUCER", 10, 60, 7),
];

const WINDOW_COLS: [Col; 5] = [
    Col::new("FROM", 17, 17, 0),
    Col::new("TO", 17, 17, 1),
    Col::new("LENGTH", 6, 6, 2),
    Col::new("FROM LSN", 9, 25, 3),
    Col::new("TO LSN", 9, 25, 4),
];

/// `cols` with the columns at `at` as wide as a time in the zone shown
/// (each time carries its zone, so no header says UTC).
fn timed<const N: usize>(mut cols: [Col; N], at: &[usize], width: usize) -> [Col; N] {
    let width = u16::try_from(width).unwrap_or(u16::MAX);
    for &i in at {
        cols[i].min = width;
        cols[i].preferred = width;
    }
    cols
}

fn tab_count(db: &DatabaseReport, tab: DetailTab) -> usize {
    match tab {
        DetailTab::Findings => db.findings.len() + db.breaks.len(),
        DetailTab::Backups => db.timeline.len(),
        DetailTab::Windows => db.windows.len(),
    }
}

/// Tab titles; the current one is bracketed so it shows without colour.
fn title<'a>(db: &DatabaseReport, d: &DetailState, t: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    for tab in DetailTab::ALL {
        let label = format!("{} {} {}", tab.index() + 1, tab.title(), tab_count(db, tab));
        spans.push(match tab == d.tab {
            true => Span::styled(format!("[{label}]"), t.focus.add_modifier(Modifier::BOLD)),
            false => Span::styled(format!(" {label} "), t.muted),
        });
        spans.push(Span::raw(" "));
    }
    if !d.filter.text.is_empty() {
        spans.push(Span::styled(
            format!("/{} ", sanitize(&d.filter.text)),
            t.info,
        ));
    }
    Line::from(spans)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, db: &DatabaseReport, d: &DetailState) {
    let t = &app.theme;
    let inner = pane(frame, area, title(db, d, t), true, area.height >= 6, t);
    if d.rows.is_empty() {
        let msg = match (d.filter.text.is_empty(), d.tab) {
            (false, _) => "nothing matches the filter (Esc clears it)",
            (true, DetailTab::Findings) => "no findings and no breaks",
            (true, DetailTab::Backups) => "no backups in the collected history",
            (true, DetailTab::Windows) => "no recoverable window",
        };
        frame.render_widget(Paragraph::new(msg).style(t.muted), inner);
        return;
    }
    let selected = d.selected[d.tab.index()];
    let width = inner.width.saturating_sub(MARKER_WIDTH);
    // Findings: the list on top, the selected one explained below.
    let split = d.tab == DetailTab::Findings && inner.height >= 6;
    let (list, below) = match split {
        true => {
            let list_height = (d.rows.len() as u16 + 1).min(inner.height / 2);
            let [top, bottom] =
                Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)])
                    .areas(inner);
            (top, Some(bottom))
        }
        false => (inner, None),
    };
    // Only the rows on screen are built: a backups tab can hold thousands.
    let window = rows::visible_window(d.rows.len(), selected, layout::table_body(list.height));
    let shown = &d.rows[window.clone()];
    let zone = app.shown(&db.instance);
    let (long, short) = (
        zone.long(app.report.now).chars().count(),
        zone.short(app.report.now).chars().count(),
    );
    let (findings_cols, backup_cols, window_cols);
    let (cols, rows): (&[Col], Vec<Vec<Text>>) = match d.tab {
        DetailTab::Findings => {
            let rows = issue_rows(db, shown, &zone, t);
            let longest = rows.iter().map(|r| r[1].0.chars().count()).max();
            findings_cols = timed(issue_cols(longest.unwrap_or(0), width), &[2], short);
            (&findings_cols, rows)
        }
        DetailTab::Backups => {
            backup_cols = timed(BACKUP_COLS, &[2], long);
            (&backup_cols, backup_rows(db, shown, &zone, t))
        }
        DetailTab::Windows => {
            window_cols = timed(WINDOW_COLS, &[0, 1], long);
            (&window_cols, window_rows(db, shown, &zone))
        }
    };
    let table = fitted_table(cols, &layout::fit_columns(cols, width), rows, true, t);
    let mut state =
        TableState::default().with_selected(Some(selected.saturating_sub(window.start)));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(bottom) = below {
        if let Some(issue) = d.rows.get(selected).and_then(|&i| rows::issue(db, i)) {
            let p = Paragraph::new(explain(issue, &zone, t)).wrap(Wrap { trim: false });
            frame.render_widget(p, bottom);
        }
    }
}

fn issue_rows(db: &DatabaseReport, rows: &[usize], zone: &Shown<'_>, t: &Theme) -> Vec<Vec<Text>> {
    rows.iter()
        .filter_map(|&i| rows::issue(db, i))
        .map(|issue| {
            let style = match issue {
                Issue::Finding(f) => text::severity_style(t, Some(f.severity)),
                Issue::Break(_) => t.brk,
            };
            vec![
                (issue.label().into(), style),
                plain(sanitize(&issue.title())),
                plain(issue.when(db).map_or(text::NONE.into(), |t| zone.short(t))),
            ]
        })
        .collect()
}

/// Explanation, evidence and remedy of the selected finding or break.
fn explain(issue: Issue<'_>, zone: &Shown<'_>, t: &Theme) -> Vec<Line<'static>> {
    let label = |s: &'static str| Span::styled(s, t.muted);
    let ids = issue
        .evidence()
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut lines = Vec::new();
    match issue {
        Issue::Finding(f) => {
            lines.push(Line::from(sanitize(&f.explanation).into_owned()));
            if !f.remedy.is_empty() {
                lines.push(Line::from(vec![
                    label("remedy: "),
                    Span::raw(sanitize(&f.remedy).into_owned()),
                ]));
            }
        }
        Issue::Break(b) => {
            lines.push(Line::from(sanitize(&b.detail).into_owned()));
            let lsn = |l: Option<crate::model::Lsn>| l.map(|l| l.to_string()).unwrap_or("?".into());
            lines.push(Line::from(vec![
                label("LSN "),
                Span::raw(format!("{} → {}", lsn(b.from_lsn), lsn(b.to_lsn))),
                label("   time "),
                Span::raw(format!(
                    "{} → {}",
                    zone.seconds_or_none(b.from_time),
                    zone.seconds_or_none(b.to_time)
                )),
            ]));
        }
    }
    if !ids.is_empty() {
        lines.push(Line::from(vec![
            label("evidence: backup sets "),
            Span::raw(ids),
            label("  (Enter shows them)"),
        ]));
    }
    lines
}

fn backup_rows(db: &DatabaseReport, rows: &[usize], zone: &Shown<'_>, t: &Theme) -> Vec<Vec<Text>> {
    let lsn = |l: Option<crate::model::Lsn>| l.map(|l| l.to_string()).unwrap_or_default();
    rows.iter()
        .filter_map(|&i| db.timeline.get(i))
        .map(|b| {
            let style = match b.backup_type {
                crate::model::BackupType::Full => t.full,
                crate::model::BackupType::Log => t.log,
                _ => t.diff,
            };
            let chain = match b.in_chain {
                true => plain("in"),
                false => ("out".into(), t.warn),
            };
            vec![
                plain(b.backup_set_id.to_string()),
                (b.backup_type.label().into(), style),
                plain(b.finish.map(|t| zone.long(t)).unwrap_or_default()),
                plain(lsn(b.first_lsn)),
                plain(lsn(b.last_lsn)),
                (if b.is_copy_only { "copy" } else { "" }.into(), t.copy_only),
                plain(b.stripes.to_string()),
                chain,
                plain(sanitize(&b.producer)),
            ]
        })
        .collect()
}

fn window_rows(db: &DatabaseReport, rows: &[usize], zone: &Shown<'_>) -> Vec<Vec<Text>> {
    rows.iter()
        .filter_map(|&i| db.windows.get(i))
        .map(|w| {
            vec![
                plain(zone.long(w.from)),
                plain(zone.long(w.to)),
                plain(text::span((w.to - w.from).num_seconds())),
                plain(w.from_lsn.to_string()),
                plain(w.to_lsn.to_string()),
            ]
        })
        .collect()
}
