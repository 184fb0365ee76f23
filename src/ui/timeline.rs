//! The chain timeline: one lane per backup kind, a lane of recoverable
//! windows and a lane of breaks, on a time axis from the horizon start to
//! now, painted cell by cell into the buffer.

use chrono::{DateTime, Duration, Timelike, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;

use crate::analysis::{BreakReason, DatabaseReport};
use crate::model::zone::{Shown, Zone};
use crate::model::BackupType;
use crate::theme::Theme;

/// Width of the lane labels on the left.
const LABEL_WIDTH: u16 = 6;
const LANES: [&str; 6] = ["full", "diff", "log", "recov", "branch", "break"];
/// Lane indices.
const RECOV: usize = 3;
const BRANCH: usize = 4;
const BREAK: usize = 5;
/// Rows without the legend: the lanes, the axis and the time labels.
pub const CORE_HEIGHT: u16 = LANES.len() as u16 + 2;

/// The axis line's glyph, or its `--ascii` stand-in.
fn axis_glyph(g: &'static str, ascii: bool) -> &'static str {
    match (g, ascii) {
        ("├" | "┤" | "┼", true) => "+",
        ("─", true) => "-",
        (g, _) => g,
    }
}

/// A legend entry: what one glyph means.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Mark {
    Backup,
    CopyOnly,
    Log,
    LogSpan,
    OutsideChain,
    BulkLogged,
    CopyOnlyLog,
    Recoverable,
    Partly,
    NeedsTool,
    NotRecoverable,
    Abandoned,
    Break,
    Fork,
    OtherProducer,
    HistoryMissing,
    Evidence,
    Selected,
}

impl Mark {
    const ALL: [Mark; 18] = [
        Mark::Backup,
        Mark::CopyOnly,
        Mark::Log,
        Mark::LogSpan,
        Mark::OutsideChain,
        Mark::BulkLogged,
        Mark::CopyOnlyLog,
        Mark::Recoverable,
        Mark::Partly,
        Mark::NeedsTool,
        Mark::NotRecoverable,
        Mark::Abandoned,
        Mark::Break,
        Mark::Fork,
        Mark::OtherProducer,
        Mark::HistoryMissing,
        Mark::Evidence,
        Mark::Selected,
    ];

    /// The glyph, in Unicode and under `--ascii` (each ASCII glyph means
    /// one thing within its lane).
    fn glyph(self, ascii: bool) -> &'static str {
        let (unicode, plain) = match self {
            Mark::Backup | Mark::Recoverable => ("█", "#"),
            Mark::CopyOnly => ("▯", "o"),
            Mark::Log => ("│", "|"),
            Mark::LogSpan => ("─", "-"),
            Mark::OutsideChain => ("!", "!"),
            Mark::BulkLogged => ("b", "b"),
            Mark::CopyOnlyLog => ("c", "c"),
            Mark::Partly | Mark::Abandoned => ("▒", "="),
            Mark::NeedsTool => ("▓", "%"),
            Mark::NotRecoverable => ("░", "."),
            Mark::Break => ("✖", "x"),
            Mark::Fork => ("⑂", "Y"),
            Mark::OtherProducer => ("◇", "*"),
            Mark::HistoryMissing => ("?", "?"),
            Mark::Evidence => ("△", "^"),
            Mark::Selected => ("▲", "T"),
        };
        if ascii {
            plain
        } else {
            unicode
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mark::Backup => "full/diff",
            Mark::CopyOnly => "copy-only/unusable",
            Mark::Log => "log",
            Mark::LogSpan => "log chain",
            Mark::OutsideChain => "log outside chain",
            Mark::BulkLogged => "bulk-logged",
            Mark::CopyOnlyLog => "copy-only log",
            Mark::Recoverable => "recoverable",
            Mark::Partly => "partly",
            Mark::NeedsTool => "needs a tool",
            Mark::NotRecoverable => "not recoverable",
            Mark::Abandoned => "abandoned branch",
            Mark::Break => "break",
            Mark::Fork => "fork",
            Mark::OtherProducer => "other producer",
            Mark::HistoryMissing => "history missing",
            Mark::Evidence => "evidence (reversed)",
            Mark::Selected => "selected row",
        }
    }

    fn style(self, t: &Theme) -> Style {
        match self {
            Mark::Backup => t.full,
            Mark::CopyOnly | Mark::CopyOnlyLog | Mark::Abandoned => t.copy_only,
            Mark::Log => t.log,
            Mark::LogSpan | Mark::NotRecoverable | Mark::HistoryMissing => t.muted,
            Mark::OutsideChain | Mark::BulkLogged | Mark::NeedsTool | Mark::OtherProducer => t.warn,
            Mark::Recoverable | Mark::Partly => t.window,
            Mark::Break | Mark::Fork => t.brk,
            Mark::Evidence | Mark::Selected => t.focus,
        }
    }
}

/// Every glyph of the timeline and what it means, as the help overlay
/// lists them (the timeline's own legend shows the ones it drew).
pub fn glyph_legend(ascii: bool) -> Vec<(&'static str, &'static str)> {
    Mark::ALL
        .iter()
        .map(|m| (m.glyph(ascii), m.label()))
        .collect()
}

/// Legend items packed into lines of `width` columns: (x offset, mark).
fn pack_legend(width: u16, marks: &[Mark], ascii: bool) -> Vec<Vec<(u16, Mark)>> {
    let mut lines: Vec<Vec<(u16, Mark)>> = vec![Vec::new()];
    let mut x = 0u16;
    for &m in marks {
        let w = (m.glyph(ascii).chars().count() + 1 + m.label().chars().count()) as u16;
        if x > 0 && x + w > width {
            lines.push(Vec::new());
            x = 0;
        }
        if w <= width {
            if let Some(line) = lines.last_mut() {
                line.push((x, m));
            }
            x += w + 2;
        }
    }
    lines
}

/// Legend lines this database's timeline needs at this width (the
/// glyphs it draws, and the two selection marks).
pub fn legend_height(width: u16, db: &DatabaseReport, now: DateTime<Utc>) -> u16 {
    let theme = Theme::default();
    let timeline = Timeline {
        db,
        now,
        theme: &theme,
        legend: 0,
        marker: None,
        highlight: &[],
        shown: Shown::UTC,
    };
    let plot = width.saturating_sub(LABEL_WIDTH);
    let axis = timeline.axis(plot);
    let marks = drawn_marks(&timeline.lanes(&axis));
    pack_legend(plot, &marks, false).len() as u16
}

/// Maps times onto the columns of the plot.
struct Axis {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    width: u16,
}

impl Axis {
    fn seconds(&self) -> i128 {
        i128::from((self.end - self.start).num_seconds().max(1))
    }

    /// The column holding `t`; times after the end land in the last column.
    fn column(&self, t: DateTime<Utc>) -> Option<u16> {
        if t < self.start || self.width == 0 {
            return None;
        }
        let off = i128::from((t - self.start).num_seconds());
        let col = off * i128::from(self.width) / self.seconds();
        Some(col.min(i128::from(self.width) - 1) as u16)
    }

    /// The time span column `c` stands for.
    fn span(&self, c: u16) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |c: u16| {
            let secs = self.seconds() * i128::from(c) / i128::from(self.width);
            self.start + Duration::seconds(secs as i64)
        };
        (at(c), at(c + 1))
    }
}

/// The timeline of one database.
pub struct Timeline<'a> {
    pub db: &'a DatabaseReport,
    pub now: DateTime<Utc>,
    pub theme: &'a Theme,
    /// Legend lines to draw under the time labels.
    pub legend: u16,
    /// A time to point at on the axis (the selected row).
    pub marker: Option<DateTime<Utc>>,
    /// Backup sets to pick out (the evidence of the selected finding or
    /// break): drawn reversed over anything else in their column, and
    /// pointed at on the axis.
    pub highlight: &'a [i64],
    /// The zone the axis is labelled in.
    pub shown: Shown<'a>,
}

impl Timeline<'_> {
    fn axis(&self, width: u16) -> Axis {
        let start = self.db.health.horizon_start;
        let start = if start < self.now {
            start
        } else {
            self.now - Duration::days(14)
        };
        Axis {
            start,
            end: self.now,
            width,
        }
    }

    /// The mark of each lane cell, the most telling one winning a column;
    /// `reversed` when it is a highlighted backup.
    fn lanes(&self, axis: &Axis) -> Vec<Vec<Option<Cell>>> {
        let w = usize::from(axis.width);
        // Each cell keeps the mark with the highest rank drawn into it.
        let mut cells: Vec<Vec<Option<(Cell, u8)>>> = vec![vec![None; w]; LANES.len()];
        let mut put = |lane: usize, col: Option<u16>, mark: Mark, rank: u8| {
            if let Some(c) = col {
                let cell = &mut cells[lane][usize::from(c)];
                if cell.is_none_or(|(_, r)| r < rank) {
                    let reversed = rank >= HIGHLIGHT;
                    *cell = Some((Cell { mark, reversed }, rank));
                }
            }
        };
        let column = |item: &crate::analysis::TimelineItem| {
            item.finish.or(item.start).and_then(|x| axis.column(x))
        };
        // Columns between two chained logs, where no log ended, are covered
        // by the later log: drawn as the chain going on, so a column only
        // reads as empty where logs are truly missing (wide terminals).
        let mut logs: Vec<&crate::analysis::TimelineItem> = self
            .db
            .timeline
            .iter()
            .filter(|i| i.backup_type == BackupType::Log && i.in_chain && !i.is_copy_only)
            .collect();
        logs.sort_by_key(|i| (i.last_lsn, i.backup_set_id));
        for pair in logs.windows(2) {
            let chained = pair[0].last_lsn.is_some() && pair[0].last_lsn == pair[1].first_lsn;
            if let (true, Some(a), Some(b)) = (chained, column(pair[0]), column(pair[1])) {
                for c in a.saturating_add(1)..b {
                    put(2, Some(c), Mark::LogSpan, 0);
                }
            }
        }
        for item in &self.db.timeline {
            let (lane, mark, rank) = backup_mark(item);
            let rank = match self.highlight.contains(&item.backup_set_id) {
                true => HIGHLIGHT + rank,
                false => rank,
            };
            put(lane, column(item), mark, rank);
        }
        for b in &self.db.breaks {
            let col = b.from_time.or(b.to_time).and_then(|x| axis.column(x));
            match b.reason {
                BreakReason::Gap | BreakReason::SimpleSwitch => put(BREAK, col, Mark::Break, 4),
                BreakReason::NewFork => put(BREAK, col, Mark::Fork, 3),
                BreakReason::OtherProducer => put(BREAK, col, Mark::OtherProducer, 2),
                BreakReason::HistoryMissing => put(BREAK, col, Mark::HistoryMissing, 1),
            }
        }
        // Fork points: where the current path leaves an older fork.
        for f in &self.db.fork_points {
            let at = self
                .db
                .timeline
                .iter()
                .find(|i| i.backup_set_id == f.spanning_backup_set_id)
                .and_then(|i| i.finish.or(i.start));
            put(BRANCH, at.and_then(|x| axis.column(x)), Mark::Fork, 3);
        }
        let native: Vec<&crate::analysis::Window> =
            self.db.windows.iter().filter(|w| w.is_native()).collect();
        let tool: Vec<&crate::analysis::Window> =
            self.db.windows.iter().filter(|w| !w.is_native()).collect();
        let abandoned: Vec<&crate::analysis::Window> = self.db.abandoned_windows.iter().collect();
        for c in 0..axis.width {
            let (from, to) = axis.span(c);
            match coverage(&native, from, to) {
                Coverage::Full => put(RECOV, Some(c), Mark::Recoverable, 4),
                Coverage::Part => put(RECOV, Some(c), Mark::Partly, 3),
                Coverage::None => match coverage(&tool, from, to) {
                    Coverage::None => put(RECOV, Some(c), Mark::NotRecoverable, 1),
                    _ => put(RECOV, Some(c), Mark::NeedsTool, 2),
                },
            }
            if coverage(&abandoned, from, to) != Coverage::None {
                put(BRANCH, Some(c), Mark::Abandoned, 2);
            }
        }
        cells
            .into_iter()
            .map(|lane| lane.into_iter().map(|c| c.map(|(cell, _)| cell)).collect())
            .collect()
    }
}

/// The marks drawn in these lanes, in legend order, with the two selection
/// marks (there is nearly always a selected row).
fn drawn_marks(lanes: &[Vec<Option<Cell>>]) -> Vec<Mark> {
    let mut marks: Vec<Mark> = lanes
        .iter()
        .flatten()
        .flatten()
        .map(|c| c.mark)
        .chain([Mark::Evidence, Mark::Selected])
        .collect();
    marks.sort();
    marks.dedup();
    marks
}

/// Ranks at or above this are highlighted evidence: they win their column
/// with their own glyph, reversed, so the kind of backup stays readable.
const HIGHLIGHT: u8 = 10;

/// One painted lane cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cell {
    mark: Mark,
    reversed: bool,
}

/// The lane, mark and rank (the most telling wins a shared column) of a backup.
fn backup_mark(item: &crate::analysis::TimelineItem) -> (usize, Mark, u8) {
    let usable = item.in_chain && !item.is_copy_only;
    match item.backup_type {
        BackupType::Full | BackupType::Partial | BackupType::File => match usable {
            true => (0, Mark::Backup, 2),
            false => (0, Mark::CopyOnly, 1),
        },
        BackupType::Diff | BackupType::PartialDiff | BackupType::FileDiff => match usable {
            true => (1, Mark::Backup, 2),
            false => (1, Mark::CopyOnly, 1),
        },
        BackupType::Log if item.is_copy_only => (2, Mark::CopyOnlyLog, 1),
        BackupType::Log if !item.in_chain => (2, Mark::OutsideChain, 4),
        BackupType::Log if item.has_bulk_logged_data => (2, Mark::BulkLogged, 3),
        BackupType::Log => (2, Mark::Log, 2),
    }
}

/// How much of a column's span some windows cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coverage {
    Full,
    Part,
    None,
}

fn coverage(
    windows: &[&crate::analysis::Window],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Coverage {
    let touched = windows.iter().any(|w| w.from <= to && w.to >= from);
    if !touched {
        return Coverage::None;
    }
    let covered: i64 = windows
        .iter()
        .map(|w| (w.to.min(to) - w.from.max(from)).num_seconds().max(0))
        .sum();
    if covered >= (to - from).num_seconds() - 1 {
        Coverage::Full
    } else {
        Coverage::Part
    }
}

impl Widget for Timeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.width <= LABEL_WIDTH || area.height == 0 {
            return;
        }
        let t = self.theme;
        let x0 = area.x + LABEL_WIDTH;
        let axis = self.axis(area.width - LABEL_WIDTH);
        let bottom = area.y + area.height;
        // Painted once per frame; the legend lists what these lanes hold.
        let lanes = self.lanes(&axis);
        for (row, lane) in lanes.iter().enumerate() {
            let y = area.y + row as u16;
            if y >= bottom {
                return;
            }
            buf.set_string(area.x, y, LANES[row], t.muted);
            for (c, cell) in lane.iter().enumerate() {
                if let Some(cell) = cell {
                    let style = match (cell.reversed, row, cell.mark) {
                        (true, _, _) => t.focus.add_modifier(Modifier::REVERSED),
                        (false, 1, Mark::Backup) => t.diff,
                        (false, _, mark) => mark.style(t),
                    };
                    buf.set_string(x0 + c as u16, y, cell.mark.glyph(t.ascii), style);
                }
            }
        }
        // The axis: day ticks (midnight in the zone shown) when days are at
        // least four columns apart.
        let y = area.y + LANES.len() as u16;
        if y >= bottom {
            return;
        }
        let days = (axis.end - axis.start).num_days().max(1);
        let ticks = i64::from(axis.width) / days >= 4;
        let local = |u: DateTime<Utc>| {
            u.naive_utc() + Duration::minutes(i64::from(self.shown.offset_at(u).unwrap_or(0)))
        };
        for c in 0..axis.width {
            let (from, to) = axis.span(c);
            let (from, last) = (local(from), local(to - Duration::seconds(1)));
            let midnight = last.date() != from.date()
                || (from.hour(), from.minute(), from.second()) == (0, 0, 0);
            let glyph = match c {
                0 => "├",
                c if c + 1 == axis.width => "┤",
                _ if ticks && midnight => "┼",
                _ => "─",
            };
            buf.set_string(x0 + c, y, axis_glyph(glyph, t.ascii), t.muted);
        }
        for item in self
            .db
            .timeline
            .iter()
            .filter(|i| self.highlight.contains(&i.backup_set_id))
        {
            if let Some(c) = item.finish.or(item.start).and_then(|x| axis.column(x)) {
                buf.set_string(x0 + c, y, Mark::Evidence.glyph(t.ascii), t.focus);
            }
        }
        if let Some(c) = self.marker.and_then(|m| axis.column(m)) {
            buf.set_string(x0 + c, y, Mark::Selected.glyph(t.ascii), t.focus);
        }
        let zone = match self.shown.offset_at(axis.end) {
            None => "UTC",
            Some(_) => match self.shown.zone {
                Zone::Server => "server",
                _ => "local",
            },
        };
        buf.set_string(area.x, y, zone, t.muted);
        // Time labels at both ends, in the zone shown.
        let y = y + 1;
        if y >= bottom {
            return;
        }
        let (left, right) = if axis.width >= 46 {
            (self.shown.long(axis.start), self.shown.long(axis.end))
        } else {
            (self.shown.short(axis.start), self.shown.short(axis.end))
        };
        let right_x = x0 + axis.width.saturating_sub(right.chars().count() as u16);
        if left.chars().count() as u16 + 1 < right_x - x0 {
            buf.set_string(x0, y, &left, t.muted);
        }
        buf.set_stringn(right_x, y, &right, usize::from(axis.width), t.muted);
        // Legend: the glyphs drawn here (all of them are in the `?` help).
        let marks = drawn_marks(&lanes);
        for (line_no, line) in pack_legend(axis.width, &marks, t.ascii).iter().enumerate() {
            let y = y + 1 + line_no as u16;
            if line_no as u16 >= self.legend || y >= bottom {
                break;
            }
            for &(x, m) in line {
                let glyph = m.glyph(t.ascii);
                buf.set_string(x0 + x, y, glyph, m.style(t));
                let at = x0 + x + glyph.chars().count() as u16 + 1;
                buf.set_string(at, y, m.label(), Style::default());
            }
        }
    }
}
