//! The restore wizard's screen: the steps on the left (the current one
//! marked), the current step on the right, the wizard's message below.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::text::sanitize;
use crate::app::wizard::{InputField, Outcome, PointMode, Step, TargetField, Wizard};
use crate::app::App;
use crate::model::zone::{Shown, Zone};
use crate::theme::Theme;
use crate::tsql::{RETIREMENT, WITH_COPY_HELP};

const STEPS: [Step; 11] = [
    Step::Target,
    Step::Point,
    Step::Files,
    Step::Preflight,
    Step::Script,
    Step::Confirm,
    Step::Execute,
    Step::Reauthorize,
    Step::ReauthConfirm,
    Step::Verify,
    Step::Summary,
];

pub fn draw(frame: &mut Frame, body: Rect, app: &App, w: &Wizard) {
    let t = &app.theme;
    frame.render_widget(Clear, body);
    let block = super::bordered_block(t, true)
        .title(format!(
            " Restore wizard: {} on {} → {} as {} ",
            sanitize(&w.database),
            sanitize(&w.source_instance),
            sanitize(&w.target_instance),
            sanitize(w.target_name())
        ))
        .border_style(t.focus);
    let inner = block.inner(body);
    frame.render_widget(block, body);
    let steps_width = if inner.width >= 70 { 24 } else { 0 };
    let [left, right] =
        Layout::horizontal([Constraint::Length(steps_width), Constraint::Min(0)]).areas(inner);
    let [content, message] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(2)]).areas(right);
    if steps_width > 0 {
        frame.render_widget(Paragraph::new(step_list(w, t)), left);
    }
    let lines = wrap(content_lines(app, w, t), usize::from(content.width), t);
    let height = usize::from(content.height);
    let scrolls = matches!(
        w.step,
        Step::Script
            | Step::Preflight
            | Step::Execute
            | Step::Verify
            | Step::Summary
            | Step::Reauthorize
    );
    let scroll = if scrolls {
        w.view.set((lines.len(), height));
        w.scroll.min(lines.len().saturating_sub(height))
    } else {
        w.view.set((0, 0));
        0
    };
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()),
        content,
    );
    if let Some(m) = &w.message {
        frame.render_widget(
            Paragraph::new(Line::styled(sanitize(m).into_owned(), t.warn))
                .wrap(Wrap { trim: true }),
            message,
        );
    }
}

fn step_list(w: &Wizard, t: &Theme) -> Vec<Line<'static>> {
    STEPS
        .iter()
        .filter(|s| {
            w.reauth.is_some()
                || !matches!(s, Step::Reauthorize | Step::ReauthConfirm | Step::Verify)
        })
        .map(|s| {
            let current = *s == w.step;
            let done = *s < w.step;
            let mark = if current {
                t.marker()
            } else if done {
                "✓ "
            } else {
                "  "
            };
            let mark = if t.ascii && done { "+ " } else { mark };
            let style = if current {
                t.selection
            } else if done {
                t.ok
            } else {
                t.muted
            };
            Line::styled(format!("{mark}{}", s.title()), style)
        })
        .collect()
}

fn field_line(label: &str, value: String, selected: bool, t: &Theme) -> Line<'static> {
    let marker = if selected { t.marker() } else { "  " };
    Line::from(vec![
        Span::styled(marker.to_string(), t.focus),
        Span::styled(format!("{label:<18}"), t.muted),
        Span::styled(
            value,
            if selected {
                t.selection
            } else {
                Style::default()
            },
        ),
    ])
}

fn typed(w: &Wizard, field: InputField, value: String) -> String {
    match &w.input {
        Some(i) if i.field == field => format!("{}▏", sanitize(&i.text)),
        _ => value,
    }
}

/// A target time in the zone the console shows, and in the server's own
/// local time (what STOPAT is written in) with the offset in force then.
fn shown_and_server(shown: &Shown<'_>, t: DateTime<Utc>) -> String {
    let server = Shown {
        zone: Zone::Server,
        ..*shown
    };
    match shown.zone {
        Zone::Server => server.seconds(t),
        _ => format!("{} (server local {})", shown.seconds(t), server.seconds(t)),
    }
}

fn content_lines(app: &App, w: &Wizard, t: &Theme) -> Vec<Line<'static>> {
    let heading = |s: String| Line::styled(s, t.header.add_modifier(Modifier::BOLD));
    let mut out = vec![heading(w.step.title().to_string()), Line::raw("")];
    match w.step {
        Step::Target => {
            let on_off = |b: bool| if b { "on" } else { "off" }.to_string();
            for (i, f) in w.target_fields().into_iter().enumerate() {
                let selected = w.field == i;
                let (label, value) = match f {
                    TargetField::Instance => {
                        ("target instance", sanitize(&w.target_instance).into_owned())
                    }
                    TargetField::RestoreAs => (
                        "restore as",
                        if w.replace() {
                            "same name: OVERWRITE it (REPLACE)".into()
                        } else {
                            "a new database".into()
                        },
                    ),
                    TargetField::NewName => (
                        "new name",
                        typed(
                            w,
                            InputField::NewName,
                            sanitize(w.new_name.as_deref().unwrap_or_default()).into_owned(),
                        ),
                    ),
                    TargetField::TailLog => (
                        "tail-log backup",
                        format!(
                            "{}{}",
                            on_off(w.tail_log),
                            w.existing
                                .as_ref()
                                .map(|e| if w.tail_log {
                                    format!(" (keeps {})", e.keeps)
                                } else {
                                    format!(" — {} would be lost", e.keeps)
                                })
                                .unwrap_or_default()
                        ),
                    ),
                    TargetField::VerifyFirst => (
                        "verify backups",
                        format!(
                            "{} (RESTORE VERIFYONLY WITH CHECKSUM first)",
                            on_off(w.verify_first)
                        ),
                    ),
                    TargetField::CheckDb => (
                        "DBCC CHECKDB",
                        format!("{} (after the recovery)", on_off(w.checkdb)),
                    ),
                };
                let line = field_line(label, value, selected, t);
                let warn = (f == TargetField::RestoreAs && w.replace())
                    || (f == TargetField::TailLog && !w.tail_log);
                out.push(if warn { line.style(t.warn) } else { line });
            }
            if let Some(e) = w.existing.as_ref().filter(|_| w.replace()) {
                out.push(Line::raw(""));
                out.push(Line::styled(
                    sanitize(&format!(
                        "{} exists on {} ({}, {}): REPLACE overwrites it.",
                        e.name, w.target_instance, e.state, e.model
                    ))
                    .into_owned(),
                    t.warn,
                ));
                if w.single_user() {
                    out.push(Line::styled(
                        "First SINGLE_USER WITH ROLLBACK IMMEDIATE: its sessions are disconnected.",
                        t.warn,
                    ));
                }
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                "←/→ change · e edit the name · Enter next",
                t.muted,
            ));
        }
        Step::Point => {
            out.push(field_line(
                "restore to",
                w.point_mode.label().into(),
                w.field == 0,
                t,
            ));
            let shown = app.shown(&w.source_instance);
            match w.point_mode {
                PointMode::Latest => out.push(field_line(
                    "",
                    "the most recent recoverable point".into(),
                    false,
                    t,
                )),
                PointMode::Time => out.push(field_line(
                    "time",
                    w.point_time
                        .map(|p| shown_and_server(&shown, p))
                        .unwrap_or_else(|| "no recoverable window".into()),
                    w.field == 1,
                    t,
                )),
                PointMode::Mark => out.push(field_line(
                    "mark",
                    match w.chosen_mark() {
                        Ok(m) => format!(
                            "{} at {} (server local), LSN {}{}",
                            sanitize(&m.name),
                            m.time_local.as_deref().unwrap_or("?"),
                            m.lsn,
                            m.description
                                .as_deref()
                                .map(|d| format!(" — {}", sanitize(d)))
                                .unwrap_or_default()
                        ),
                        Err(e) => e,
                    },
                    w.field == 1,
                    t,
                )),
                PointMode::Lsn => out.push(field_line(
                    "LSN",
                    typed(
                        w,
                        InputField::Lsn,
                        if w.lsn_text.is_empty() {
                            "(e to type)".into()
                        } else {
                            w.lsn_text.clone()
                        },
                    ),
                    w.field == 1,
                    t,
                )),
            }
            out.push(Line::raw(""));
            out.push(Line::styled("Recoverable windows (the cursor stops only inside them; a bulk-logged log only at its end):", t.muted));
            for &(from, to) in w.recoverable.iter().rev().take(6) {
                let inside = w.point_mode == PointMode::Time
                    && w.point_time.is_some_and(|p| from <= p && p <= to);
                out.push(Line::styled(
                    format!(
                        "  {}{} → {}",
                        if inside { "● " } else { "  " },
                        shown.seconds(from),
                        shown.seconds(to)
                    ),
                    if inside { t.ok } else { t.window },
                ));
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                "Backups used (STOPAT in server local time and UTC):",
                t.muted,
            ));
            out.extend(abridged(&w.plan_lines, 8));
            out.push(Line::raw(""));
            out.push(Line::styled(
                "h/l ±5 min · H/L ±6 h · Enter plans the restore",
                t.muted,
            ));
        }
        Step::Files => {
            out.push(Line::styled("Backups used:", t.muted));
            out.extend(abridged(&w.plan_lines, 6));
            out.push(Line::raw(""));
            if let Some(n) = &w.files_note {
                out.push(Line::styled(sanitize(n).into_owned(), t.warn));
            }
            for (i, m) in w.moves.iter().enumerate() {
                out.push(field_line(
                    &format!("{} {}", m.file_type, sanitize(&m.logical)),
                    typed(
                        w,
                        InputField::MovePath(i),
                        sanitize(&m.physical).into_owned(),
                    ),
                    w.field == i,
                    t,
                ));
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                "j/k choose · e edit the physical path · Enter runs the pre-flight checks",
                t.muted,
            ));
        }
        Step::Preflight => {
            for c in &w.checks {
                let style = match c.outcome {
                    Outcome::Pass => t.ok,
                    Outcome::Fail => t.crit,
                    Outcome::Unknown => t.info,
                    Outcome::Warn => t.warn,
                };
                out.push(Line::from(vec![
                    Span::styled(
                        format!("{} ", c.outcome.label()),
                        style.add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(c.name.clone()),
                ]));
                out.push(Line::styled(
                    format!("     {}", sanitize(&c.reason)),
                    t.muted,
                ));
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                if w.can_execute() {
                    "Every check passed or cannot be known here: Enter shows the script."
                } else {
                    "A check failed: the script can be previewed, copied and saved, not run."
                },
                t.muted,
            ));
        }
        Step::Script => {
            out.push(Line::styled(
                "y copy (OSC 52) · s save · Enter confirm and run · j/k PgUp/PgDn g/G scroll",
                t.muted,
            ));
            out.extend(w.script.text().lines().map(|l| {
                let style = if l.starts_with("--") {
                    t.muted
                } else {
                    Style::default()
                };
                Line::styled(sanitize(l).into_owned(), style)
            }));
        }
        Step::Confirm | Step::ReauthConfirm => {
            let what = if w.step == Step::Confirm {
                format!(
                    "run {} restore step(s)",
                    w.restore_len().saturating_sub(w.exec.next)
                )
            } else {
                "run sys.sp_rda_reauthorize_db".to_string()
            };
            out.push(Line::raw(format!(
                "This will {what} on {} for database {}.",
                sanitize(&w.target_instance),
                sanitize(w.target_name())
            )));
            out.push(Line::raw(
                "Type the database name exactly and press Enter (Esc: nothing runs).",
            ));
            out.push(Line::raw(""));
            out.push(field_line(
                "database name",
                typed(w, InputField::Confirm, String::new()),
                true,
                t,
            ));
        }
        Step::Execute | Step::Verify => exec_lines(w, t, &mut out),
        Step::Reauthorize => {
            let r = w
                .reauth
                .clone()
                .unwrap_or_else(|| crate::tsql::Reauthorize::for_credentials(Vec::new()));
            for line in RETIREMENT {
                out.push(Line::styled(line.to_string(), t.warn));
            }
            out.push(Line::raw(""));
            out.push(field_line(
                "credential",
                r.credential
                    .clone()
                    .map(|c| sanitize(&c).into_owned())
                    .unwrap_or_else(|| format!("none chosen ({} known)", r.candidates.len())),
                w.field == 0,
                t,
            ));
            out.push(field_line(
                "@with_copy",
                u8::from(r.with_copy).to_string(),
                w.field == 1,
                t,
            ));
            out.push(Line::raw(""));
            for h in WITH_COPY_HELP {
                out.push(Line::styled(h.to_string(), t.muted));
            }
            out.push(Line::styled("If the remote database was restored under another name or region, run sys.sp_rda_deauthorize_db first.", t.muted));
        }
        Step::Summary => {
            out.extend(
                w.summary_markdown()
                    .lines()
                    .map(|l| Line::raw(sanitize(l).into_owned())),
            );
            out.push(Line::styled("m export as Markdown · Enter close", t.muted));
        }
    }
    out
}

fn exec_lines(w: &Wizard, t: &Theme, out: &mut Vec<Line<'static>>) {
    let total = if w.step == Step::Execute {
        w.restore_len()
    } else {
        w.script.batches.len()
    };
    let done = w.exec.next.min(total);
    let state = if w.exec.running {
        "running"
    } else if w.exec.failed.is_some() {
        "stopped"
    } else if done >= total {
        "done"
    } else {
        "waiting"
    };
    out.push(Line::raw(format!(
        "{state}: {done} of {total} step(s) complete"
    )));
    let bar_width = 30usize;
    let filled = (usize::from(w.exec.percent.min(100)) * bar_width) / 100;
    let current = w
        .script
        .batches
        .get(w.exec.next)
        .map(|b| b.label.clone())
        .unwrap_or_default();
    if w.exec.running {
        out.push(Line::raw(format!(
            "{} [{}{}] {:>3}%",
            sanitize(&current),
            "#".repeat(filled),
            ".".repeat(bar_width - filled),
            w.exec.percent
        )));
    }
    let elapsed = w.exec.elapsed_ms();
    let eta = w.exec.eta_ms(total.saturating_sub(done));
    out.push(Line::styled(
        format!(
            "elapsed {:.1} s{}",
            elapsed as f64 / 1000.0,
            eta.map(|e| format!(" · ETA {:.0} s", e as f64 / 1000.0))
                .unwrap_or_default()
        ),
        t.muted,
    ));
    if let Some(f) = &w.exec.failed {
        out.push(Line::styled(sanitize(f).into_owned(), t.crit));
    }
    for line in &w.verify {
        out.push(Line::raw(sanitize(line).into_owned()));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Server messages:", t.muted));
    for line in w
        .exec
        .log
        .iter()
        .rev()
        .take(200)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        out.push(Line::raw(sanitize(line).into_owned()));
    }
}

/// Lines longer than `width` continue on the next row after a `↪` mark
/// (URLs, MOVE clauses and check reasons are read whole, never cut).
fn wrap(lines: Vec<Line<'static>>, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let mark = if t.ascii { "> " } else { "↪ " };
    let width = width.max(8);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let base = line.style;
        // Continuations keep the line's own indentation, then the mark.
        let indent = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars())
            .take_while(|c| *c == ' ')
            .count()
            .min(width / 2);
        let lead = format!("{}{mark}", " ".repeat(indent));
        let mut row: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut piece = String::new();
            for c in span.content.chars() {
                let w = if c.is_ascii() {
                    1
                } else {
                    Span::raw(c.to_string()).width()
                };
                if used + w > width {
                    if !piece.is_empty() {
                        row.push(Span::styled(std::mem::take(&mut piece), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut row)).style(base));
                    row.push(Span::styled(lead.clone(), t.muted));
                    used = indent + 2;
                }
                piece.push(c);
                used += w;
            }
            if !piece.is_empty() {
                row.push(Span::styled(piece, span.style));
            }
        }
        if !row.is_empty() {
            out.push(Line::from(row).style(base));
        }
    }
    out
}

/// The first and last lines of a long list, with how many were left out
/// (a plan of 400 logs must not push the step's fields off the screen).
fn abridged(lines: &[String], keep: usize) -> Vec<Line<'static>> {
    let show = |l: &String| Line::raw(format!("  {}", sanitize(l)));
    if lines.len() <= keep {
        return lines.iter().map(show).collect();
    }
    let head = keep / 2;
    let tail = keep - head;
    let mut out: Vec<Line<'static>> = lines[..head].iter().map(show).collect();
    out.push(Line::raw(format!("  … {} more …", lines.len() - keep)));
    out.extend(lines[lines.len() - tail..].iter().map(show));
    out
}

/// The "back up now" box: the statement, the typed name, the outcome.
pub fn draw_on_demand(
    frame: &mut Frame,
    body: Rect,
    app: &App,
    o: &crate::app::view::on_demand::OnDemand,
) {
    use crate::app::view::on_demand::OnDemandState;
    let t = &app.theme;
    let area = super::layout::centered(
        body,
        body.width.saturating_sub(4).min(100),
        12.min(body.height),
    );
    frame.render_widget(Clear, area);
    let block = super::bordered_block(t, true)
        .title(format!(
            " Back up now: {} on {} ",
            sanitize(&o.database),
            sanitize(&o.instance)
        ))
        .border_style(t.focus);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![
        Line::styled(sanitize(&o.batch.comments.join(" ")).into_owned(), t.muted),
        Line::raw(sanitize(&o.batch.sql).into_owned()),
        Line::raw(""),
    ];
    match &o.state {
        OnDemandState::Typing => {
            lines.push(Line::raw(
                "Type the database name exactly and press Enter (Esc: nothing runs).",
            ));
            lines.push(field_line(
                "database name",
                format!("{}▏", sanitize(&o.typed)),
                true,
                t,
            ));
        }
        OnDemandState::Running => lines.push(Line::styled("running…", t.info)),
        OnDemandState::Done => lines.push(Line::styled("done", t.ok)),
        OnDemandState::Stopped(why) => lines.push(Line::styled(sanitize(why).into_owned(), t.crit)),
    }
    for l in o
        .log
        .iter()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        lines.push(Line::styled(sanitize(l).into_owned(), t.muted));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
