//! The databases view: instances on the left, the databases table on the
//! right. Narrow terminals lose the instances pane, then columns.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, TableState};
use ratatui::Frame;

use super::layout::{self, Col};
use super::text::{self, sanitize};
use super::{fitted_table, pane, plain, Text, MARKER_WIDTH};
use crate::app::{rows, App, Pane};

const ALL_INSTANCES: &str = "All instances";

/// Columns of the databases table, sized to the names shown. The instance
/// column is hidden when the table shows one instance only.
fn db_cols(widths: rows::RowWidths, one_instance: bool, time_width: u16) -> [Col; 13] {
    let (name_min, name_pref) = layout::width_bounds(widths.name, 8, 16, 28);
    let (inst_min, inst_pref) = layout::width_bounds(widths.instance, 8, 12, 20);
    let inst_priority = if one_instance { Col::HIDDEN } else { 3 };
    [
        Col::new("INSTANCE", inst_min, inst_pref, inst_priority),
        Col::new("DATABASE", name_min, name_pref, 0),
        Col::new("RECOVERY", 11, 11, 7),
        Col::new("FULL", 6, 6, 5),
        Col::new("DIFF", 6, 6, 6),
        Col::new("LOG", 6, 6, 4),
        Col::new("RPO", 6, 6, 3),
        Col::new("LATEST", time_width, time_width, 10),
        Col::new("ROLE", 6, 9, 11),
        Col::new("STATE", 10, 10, 1),
        Col::new("MANAGED", 7, 7, 8),
        Col::new("STRETCH", 7, 7, 9),
        Col::new("SEV", 4, 4, 2),
    ]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let bordered = layout::bordered(area.height);
    let right = if layout::show_instances_pane(area.width) {
        let mut width = layout::instances_pane_width(area.width);
        if !app.health.is_empty() {
            // Room for "stale since HH:MM" beside the name.
            width = (width + 18).min(area.width / 2);
        }
        let [left, right] =
            Layout::horizontal([Constraint::Length(width), Constraint::Min(0)]).areas(area);
        instances(frame, left, app, bordered);
        right
    } else if app.databases.focus == Pane::Instances {
        // Too narrow for both: the pane the keys move in is the one shown.
        instances(frame, area, app, bordered);
        return;
    } else {
        area
    };
    databases(frame, right, app, bordered);
}

fn instances(frame: &mut Frame, area: Rect, app: &App, bordered: bool) {
    let t = &app.theme;
    let s = &app.databases;
    let focused = s.focus == Pane::Instances;
    let inner = pane(frame, area, Line::from(" Instances "), focused, bordered, t);
    // Column widths come from every name so they do not change while
    // scrolling; only the rows on screen are built.
    let longest = s
        .instances
        .iter()
        .map(|i| sanitize(&i.name).chars().count())
        .fold(ALL_INSTANCES.chars().count(), usize::max);
    let (min, pref) = layout::width_bounds(longest, 8, 13, 24);
    // Live mode adds each instance's collection status, kept before DBS/VER.
    let live = !app.health.is_empty();
    let (dbs, ver, status) = match live {
        true => (3, 4, 2),
        false => (2, 3, Col::HIDDEN),
    };
    let cols = [
        Col::new("INSTANCE", min, pref, 0),
        Col::new("VER", 7, 7, ver),
        Col::new("DBS", 3, 4, dbs),
        Col::new("SEV", 4, 4, 1),
        Col::new("STATUS", 11, 18, status),
    ];
    // Row 0 is "All instances", row n is `instances[n - 1]`.
    let window = rows::visible_window(
        s.instances.len() + 1,
        s.instance,
        layout::table_body(inner.height),
    );
    let mut rows: Vec<Vec<Text>> = Vec::with_capacity(window.len());
    for n in window.clone() {
        let Some(i) = n.checked_sub(1) else {
            let all_worst = s.instances.iter().filter_map(|i| i.worst).max();
            let total: usize = s.instances.iter().map(|i| i.databases).sum();
            rows.push(vec![
                plain(ALL_INSTANCES),
                plain(""),
                plain(total.to_string()),
                (
                    text::severity_label(all_worst).into(),
                    text::severity_style(t, all_worst),
                ),
            ]);
            continue;
        };
        let Some(i) = s.instances.get(i) else { break };
        let sev = match i.history_collected {
            true => (
                text::severity_label(i.worst).into(),
                text::severity_style(t, i.worst),
            ),
            false => ("UNKN".into(), t.muted),
        };
        let status = match app.health.get(&i.name) {
            Some(h) if h.is_stale() => (h.label(), t.warn),
            Some(h) if h.is_problem() => (h.label(), t.crit),
            Some(h) => (h.label(), t.ok),
            None => plain(""),
        };
        rows.push(vec![
            plain(sanitize(&i.name)),
            plain(sanitize(&i.version)),
            plain(i.databases.to_string()),
            sev,
            status,
        ]);
    }
    let fit = layout::fit_columns(&cols, inner.width.saturating_sub(MARKER_WIDTH));
    let table = fitted_table(&cols, &fit, rows, focused, t);
    let selected = s.instance.saturating_sub(window.start);
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, inner, &mut state);
}

fn databases(frame: &mut Frame, area: Rect, app: &App, bordered: bool) {
    let t = &app.theme;
    let s = &app.databases;
    let one = app.selected_instance();
    let scope = one
        .map(|i| sanitize(&i.name).into_owned())
        .unwrap_or_else(|| "all instances".into());
    let shown = app
        .report
        .databases
        .iter()
        .filter(|d| one.is_none_or(|i| i.name == d.instance))
        .count();
    let mut title = vec![Span::raw(format!(
        " Databases: {scope} ({}/{shown}, {}) ",
        s.rows.len(),
        s.sort.label()
    ))];
    if !s.filter.text.is_empty() {
        title.push(Span::styled(
            format!("/{} ", sanitize(&s.filter.text)),
            t.info,
        ));
    }
    let focused = s.focus == Pane::Databases;
    let inner = pane(frame, area, Line::from(title), focused, bordered, t);
    if s.rows.is_empty() {
        let msg = match s.filter.text.is_empty() {
            true => "no databases",
            false => "no database matches the filter (Esc clears it)",
        };
        frame.render_widget(Paragraph::new(msg).style(t.muted), inner);
        return;
    }
    let now = app.report.now;
    // Widths from every row (kept with them), so columns stay put while scrolling.
    // As wide as a time in the chosen zone (`11-22 10:00Z`, `11-22 11:00+01`).
    let time_width = app
        .report
        .instances
        .iter()
        .map(|i| app.shown(&i.instance).short(now).chars().count())
        .max()
        .unwrap_or(12) as u16;
    let cols = db_cols(s.widths, one.is_some(), time_width);
    let dbs = &app.report.databases;
    let window = rows::visible_window(s.rows.len(), s.selected, layout::table_body(inner.height));
    let mut rows: Vec<Vec<Text>> = Vec::with_capacity(window.len());
    for &i in &s.rows[window.clone()] {
        let Some(d) = dbs.get(i) else { continue };
        let db = &d.database;
        let worst = d.worst_severity();
        let mb_collected = text::managed_backup_collected(app.estate.instance(&d.instance));
        rows.push(vec![
            plain(sanitize(&d.instance)),
            plain(sanitize(&db.name)),
            plain(text::recovery_label(db)),
            plain(text::age(now, d.health.last_full)),
            plain(text::age(now, d.health.last_diff)),
            plain(text::age(now, d.health.last_log)),
            plain(
                d.recoverability
                    .rpo_seconds
                    .map(text::span)
                    .unwrap_or_else(|| text::NONE.into()),
            ),
            plain(
                d.recoverability
                    .latest_recoverable
                    .map(|t| app.shown(&d.instance).short(t))
                    .unwrap_or_else(|| text::NONE.into()),
            ),
            plain(text::role_short(db)),
            (
                d.health.state.label().into(),
                text::state_style(t, d.health.state, worst),
            ),
            plain(text::managed_backup_label(db, mb_collected)),
            plain(text::stretch_label(db)),
            (
                text::severity_label(worst).into(),
                text::severity_style(t, worst),
            ),
        ]);
    }
    let fit = layout::fit_columns(&cols, inner.width.saturating_sub(MARKER_WIDTH));
    let table = fitted_table(&cols, &fit, rows, focused, t);
    let selected = s.selected.saturating_sub(window.start);
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(table, inner, &mut state);
}

/// The body while the estate is built in the background.
pub fn loading(frame: &mut Frame, area: Rect, app: &App) {
    let Some(what) = &app.loading else { return };
    let target = layout::centered(area, area.width, 1);
    let p = Paragraph::new(format!("loading {}…", sanitize(what)))
        .style(app.theme.info)
        .alignment(ratatui::layout::Alignment::Center);
    frame.render_widget(p, target);
}
