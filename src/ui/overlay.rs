//! Boxes drawn over the view: the evidence and plan popups, and the help
//! overlay generated from the keymap.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::layout;
use super::text::sanitize;
use crate::analysis::{DatabaseReport, Finding, RestorePlan};
use crate::app::palette;
use crate::app::{App, Palette, Popup, View};
use crate::model::zone::Shown;
use crate::model::Lsn;
use crate::theme::Theme;

/// Clears a centred box, draws its frame, and returns the inside.
fn frame_box(frame: &mut Frame, body: Rect, max_width: u16, title: String, t: &Theme) -> Rect {
    let area = layout::centered(
        body,
        body.width.saturating_sub(4).min(max_width),
        body.height,
    );
    frame.render_widget(Clear, area);
    let block = super::bordered_block(t, true)
        .title(format!(" {} ", sanitize(&title)))
        .border_style(t.focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// Lines grouped in items; `scroll` counts items, so it maps to the first line of one.
fn render_items(frame: &mut Frame, area: Rect, items: Vec<Vec<Line<'static>>>, scroll: usize) {
    let skip: usize = items.iter().take(scroll).map(Vec::len).sum();
    let lines: Vec<Line> = items.into_iter().flatten().skip(skip).collect();
    frame.render_widget(Paragraph::new(lines), area);
}

pub fn popup(frame: &mut Frame, body: Rect, app: &App, popup: &Popup) {
    let t = &app.theme;
    match popup {
        Popup::Evidence {
            title,
            ids,
            scroll,
            finding,
        } => {
            // In the detail view the box stays under the timeline, whose
            // highlighted evidence it explains.
            let area = match app.view {
                crate::app::View::Detail => super::detail::lower_area(body, app).unwrap_or(body),
                _ => body,
            };
            let inner = frame_box(frame, area, 110, format!("Evidence: {title}"), t);
            let mut items = finding
                .as_deref()
                .map(|f| finding_items(f, inner.width, t))
                .unwrap_or_default();
            if let Some(db) = app.evidence_database() {
                let shown = app.shown(&db.instance);
                items.extend(
                    ids.iter()
                        .map(|&id| evidence_item(db, id, inner.width, &shown, t)),
                );
            }
            render_items(frame, inner, items, *scroll);
        }
        Popup::Plan {
            title,
            plan,
            scroll,
        } => {
            let inner = frame_box(frame, body, 110, title.clone(), t);
            let items = match plan {
                Ok(plan) => {
                    let shown = match app.detail_database() {
                        Some(db) => app.shown(&db.instance),
                        None => app.shown_here(),
                    };
                    plan_items(plan, inner.width, &shown, t)
                }
                Err(e) => vec![vec![Line::styled(sanitize(e).into_owned(), t.crit)]],
            };
            render_items(frame, inner, items, *scroll);
        }
    }
}

/// Words of `text` in lines of at most `width` columns.
fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let len = line.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

/// What a finding says beyond its backup sets: the explanation and remedy,
/// each catalog row behind it, and the T-SQL (one scroll item each).
fn finding_items(f: &Finding, width: u16, t: &Theme) -> Vec<Vec<Line<'static>>> {
    let w = usize::from(width).max(20);
    let mut head: Vec<Line<'static>> = word_wrap(&sanitize(&f.explanation), w)
        .into_iter()
        .map(Line::raw)
        .collect();
    head.push(Line::raw(""));
    for (i, l) in word_wrap(&sanitize(&f.remedy), w.saturating_sub(7))
        .into_iter()
        .enumerate()
    {
        let label = if i == 0 { "Remedy " } else { "       " };
        head.push(Line::from(vec![Span::styled(label, t.ok), Span::raw(l)]));
    }
    head.push(Line::raw(""));
    let mut items = vec![head];
    for r in &f.rows {
        let mut lines = vec![Line::styled(
            format!(
                "{}{}",
                sanitize(&r.table),
                r.row.map(|n| format!(" row {n}")).unwrap_or_default()
            ),
            t.focus.add_modifier(Modifier::BOLD),
        )];
        lines.extend(
            word_wrap(&sanitize(&r.text), w.saturating_sub(3))
                .into_iter()
                .map(|l| Line::raw(format!("   {l}"))),
        );
        items.push(lines);
    }
    if let Some(sql) = &f.sql {
        let mut lines = vec![Line::styled("T-SQL", t.focus.add_modifier(Modifier::BOLD))];
        lines.extend(
            sql.lines()
                .map(|l| Line::raw(format!("   {}", sanitize(l)))),
        );
        lines.push(Line::raw(""));
        items.push(lines);
    }
    items
}

/// Long text (file paths, URLs) cut into lines of `width` after an indent.
fn wrapped(label: &'static str, value: &str, width: u16, t: &Theme) -> Vec<Line<'static>> {
    let room = usize::from(width).saturating_sub(3 + label.len()).max(8);
    let chars: Vec<char> = sanitize(value).chars().collect();
    chars
        .chunks(room)
        .enumerate()
        .map(|(i, chunk)| {
            let head = if i == 0 { label } else { "" };
            Line::from(vec![
                Span::raw("   "),
                Span::styled(format!("{head:<w$}", w = label.len()), t.muted),
                Span::raw(chunk.iter().collect::<String>()),
            ])
        })
        .collect()
}

fn lsn(l: Option<Lsn>) -> String {
    l.map(|l| l.to_string()).unwrap_or_else(|| "?".into())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// One evidence row, looked up in the database's timeline by id.
fn evidence_item(
    db: &DatabaseReport,
    id: i64,
    width: u16,
    shown: &Shown<'_>,
    t: &Theme,
) -> Vec<Line<'static>> {
    let when = |x: Option<chrono::DateTime<chrono::Utc>>| shown.seconds_or_none(x);
    let bold = t.focus.add_modifier(Modifier::BOLD);
    let Some(b) = db.timeline.iter().find(|x| x.backup_set_id == id) else {
        return vec![
            Line::from(vec![
                Span::styled(format!("#{id}"), bold),
                Span::styled("  not in this database's history", t.muted),
            ]),
            Line::raw(""),
        ];
    };
    let chain = if b.in_chain {
        "in chain"
    } else {
        "outside the chain"
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("#{id}  {}", b.backup_type.label()), bold),
            Span::raw(format!("  {chain}  finished {}", when(b.finish))),
            Span::styled(format!("  from {}", sanitize(&b.source_instance)), t.muted),
        ]),
        Line::raw(format!(
            "   LSN {} → {}   copy-only {}   bulk-logged {}   stripes {}",
            lsn(b.first_lsn),
            lsn(b.last_lsn),
            yes_no(b.is_copy_only),
            yes_no(b.has_bulk_logged_data),
            b.stripes
        )),
    ];
    lines.extend(wrapped("producer ", &b.producer, width, t));
    for f in &b.files {
        lines.extend(wrapped("file ", f, width, t));
    }
    lines.push(Line::raw(""));
    lines
}

/// The plan summary, then one item per RESTORE step.
fn plan_items(
    plan: &RestorePlan,
    width: u16,
    shown: &Shown<'_>,
    t: &Theme,
) -> Vec<Vec<Line<'static>>> {
    let when = |x: Option<chrono::DateTime<chrono::Utc>>| shown.seconds_or_none(x);
    let (verdict, style) = match plan.recoverable {
        true => ("recoverable", t.ok),
        false => ("NOT recoverable", t.crit),
    };
    let mut head = vec![
        Line::from(vec![
            Span::styled(verdict, style.add_modifier(Modifier::BOLD)),
            Span::raw(format!(" — {}", sanitize(&plan.reason))),
        ]),
        Line::raw(format!(
            "recovery point {}   LSN {}",
            when(plan.recovery_point),
            lsn(plan.recovery_lsn)
        )),
    ];
    if !plan.recoverable {
        head.push(Line::raw(format!(
            "nearest recoverable before {}   after {}",
            when(plan.nearest_before),
            when(plan.nearest_after)
        )));
    }
    head.push(Line::raw(""));
    let mut items = vec![head];
    for (n, s) in plan.steps.iter().enumerate() {
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{}. {} #{}", n + 1, s.kind, s.backup_set_id),
                t.focus.add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "  finished {}  LSN {} → {}{}",
                when(s.finish),
                lsn(s.first_lsn),
                lsn(s.last_lsn),
                if s.is_copy_only { "  copy-only" } else { "" }
            )),
        ])];
        if let Some(stop) = s.stop_at {
            lines.push(Line::raw(format!("   STOPAT {}", when(Some(stop)))));
        }
        for f in &s.files {
            lines.extend(wrapped("file ", f, width, t));
        }
        items.push(lines);
    }
    items
}

/// The help overlay: the bindings in force under it, from the keymap.
pub fn help(frame: &mut Frame, body: Rect, app: &App) {
    let t = &app.theme;
    let sections = app.help_sections();
    let width = sections
        .iter()
        .flat_map(|(_, e)| e.iter().map(|e| e.keys.chars().count()))
        .max()
        .unwrap_or(0);
    // As wide as its longest line (keys, gap, description, borders), up to
    // the terminal; what is still too long wraps instead of being cut.
    let longest = sections
        .iter()
        .flat_map(|(_, e)| e.iter().map(|e| e.description.chars().count()))
        .max()
        .unwrap_or(0);
    let wanted = u16::try_from(width + longest + 6).unwrap_or(u16::MAX);
    let inner = frame_box(frame, body, wanted, "Help — ? or Esc closes".into(), t);
    let mut lines: Vec<Line> = Vec::new();
    for (ctx, entries) in sections {
        lines.push(Line::styled(
            ctx.title(),
            t.focus.add_modifier(Modifier::BOLD),
        ));
        for e in entries {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<width$}  ", e.keys), t.focus),
                Span::raw(e.description),
            ]));
        }
        lines.push(Line::raw(""));
    }
    if app.view == View::Detail {
        lines.extend(glyph_lines(t));
    }
    let skip = app.help_scroll.min(lines.len().saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines.split_off(skip)).wrap(Wrap { trim: false }),
        inner,
    );
}

/// What every glyph of the chain timeline means (its own legend shows
/// only the ones it drew).
fn glyph_lines(t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        "Timeline glyphs",
        t.focus.add_modifier(Modifier::BOLD),
    )];
    for (glyph, label) in super::timeline::glyph_legend(t.ascii) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {glyph}  "), t.focus),
            Span::raw(label),
        ]));
    }
    lines.push(Line::raw(""));
    lines
}

/// The `:` command palette: the input, then the matches, the chosen one marked.
pub fn palette(frame: &mut Frame, body: Rect, app: &App, p: &Palette) {
    let t = &app.theme;
    let matches = palette::matching(app.palette_offer(), &p.input);
    let rows = body.height.saturating_sub(3).max(1);
    let height = (matches.len() as u16 + 3)
        .clamp(4, body.height.max(4))
        .min(body.height);
    let width = body.width.saturating_sub(4).min(72);
    let area = Rect {
        x: body.x + (body.width.saturating_sub(width)) / 2,
        y: body.y,
        width,
        height,
    }
    .intersection(body);
    frame.render_widget(Clear, area);
    let block = super::bordered_block(t, true)
        .title(format!(" Command — {} match(es) ", matches.len()))
        .border_style(t.focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cursor = if t.ascii { "_" } else { "▏" };
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.focus.add_modifier(Modifier::BOLD)),
        Span::raw(sanitize(&p.input).into_owned()),
        Span::styled(cursor, t.focus),
    ])];
    let visible = usize::from(rows.min(inner.height.saturating_sub(1)));
    let first = p.selected.saturating_sub(visible.saturating_sub(1));
    for (i, e) in matches.iter().enumerate().skip(first).take(visible) {
        if i == p.selected {
            lines.push(Line::styled(
                format!("{}{}", t.marker(), e.label),
                t.selection,
            ));
        } else {
            lines.push(Line::raw(format!("  {}", e.label)));
        }
    }
    if matches.is_empty() {
        lines.push(Line::styled(
            "  no match (theme NAME loads a user theme)",
            t.muted,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
