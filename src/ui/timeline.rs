//! The chain timeline: one lane per backup kind, a lane of recoverable
//! windows and a lane of breaks, on a time axis from the horizon start to
//! now, painted cell by cell into the buffer.

use chrono::{DateTime, Duration, Timelike, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Widget;

use super::text::{utc, utc_short};
use crate::analysis::{BreakReason, DatabaseReport};
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

/// A glyph and its style, as painted in one lane cell.
type Glyph = (&'static str, Style);

/// The `--ascii` stand-in for a timeline glyph (terminals and fonts
/// without box drawing or geometric shapes).
pub fn ascii_glyph(g: &'static str) -> &'static str {
    match g {
        "█" => "#",
        "▯" => "o",
        "│" => "|",
        "▒" => "=",
        "░" => ".",
        "✖" => "x",
        "⑂" => "Y",
        "◇" => "*",
        "◆" => "@",
        "▓" => "%",
        "△" | "▲" => "^",
        "├" | "┤" | "┼" => "+",
        "─" => "-",
        other => other,
    }
}

/// Glyphs and what they mean, in legend order.
fn legend_items(theme: &Theme) -> [(&'static str, &'static str, Style); 14] {
    [
        ("█", "backup", theme.full),
        ("│", "log", theme.log),
        ("█", "recoverable", theme.window),
        ("▒", "partly", theme.window),
        ("▓", "needs a tool", theme.warn),
        ("▒", "abandoned branch", theme.copy_only),
        ("░", "not recoverable", theme.muted),
        ("✖", "break", theme.brk),
        ("⑂", "fork", theme.brk),
        ("▯", "copy-only/unusable", theme.copy_only),
        ("!", "log outside chain", theme.warn),
        ("b", "bulk-logged", theme.warn),
        ("c", "copy-only log", theme.copy_only),
        ("◇", "other producer", theme.warn),
    ]
}

/// Legend items packed into lines of `width` columns: (x offset, item index).
fn pack_legend(width: u16, theme: &Theme) -> Vec<Vec<(u16, usize)>> {
    let mut lines: Vec<Vec<(u16, usize)>> = vec![Vec::new()];
    let mut x = 0u16;
    for (i, (glyph, label, _)) in legend_items(theme).iter().enumerate() {
        let w = (glyph.chars().count() + 1 + label.chars().count()) as u16;
        if x > 0 && x + w > width {
            lines.push(Vec::new());
            x = 0;
        }
        if w <= width {
            if let Some(line) = lines.last_mut() {
                line.push((x, i));
            }
            x += w + 2;
        }
    }
    lines
}

/// Legend lines needed at this width.
pub fn legend_height(width: u16) -> u16 {
    pack_legend(width.saturating_sub(LABEL_WIDTH), &Theme::default()).len() as u16
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

    /// The glyph of each lane cell, the most telling one winning a column.
    fn lanes(&self, axis: &Axis) -> Vec<Vec<Option<Glyph>>> {
        let t = self.theme;
        let w = usize::from(axis.width);
        // Each cell keeps the glyph with the highest rank drawn into it.
        let mut cells: Vec<Vec<Option<(Glyph, u8)>>> = vec![vec![None; w]; LANES.len()];
        let ascii = t.ascii;
        let mut put = |lane: usize, col: Option<u16>, glyph: &'static str, style, rank: u8| {
            let glyph = if ascii { ascii_glyph(glyph) } else { glyph };
            if let Some(c) = col {
                let cell = &mut cells[lane][usize::from(c)];
                if cell.is_none_or(|(_, r)| r < rank) {
                    *cell = Some(((glyph, style), rank));
                }
            }
        };
        for item in &self.db.timeline {
            let col = item.finish.or(item.start).and_then(|x| axis.column(x));
            match item.backup_type {
                BackupType::Full | BackupType::Partial | BackupType::File => {
                    match item.in_chain && !item.is_copy_only {
                        true => put(0, col, "█", t.full, 2),
                        false => put(0, col, "▯", t.copy_only, 1),
                    }
                }
                BackupType::Diff | BackupType::PartialDiff | BackupType::FileDiff => {
                    match item.in_chain && !item.is_copy_only {
                        true => put(1, col, "█", t.diff, 2),
                        false => put(1, col, "▯", t.copy_only, 1),
                    }
                }
                BackupType::Log if item.is_copy_only => put(2, col, "c", t.copy_only, 1),
                BackupType::Log if !item.in_chain => put(2, col, "!", t.warn, 4),
                BackupType::Log if item.has_bulk_logged_data => put(2, col, "b", t.warn, 3),
                BackupType::Log => put(2, col, "│", t.log, 2),
            }
        }
        for item in self
            .db
            .timeline
            .iter()
            .filter(|i| self.highlight.contains(&i.backup_set_id))
        {
            let col = item.finish.or(item.start).and_then(|x| axis.column(x));
            let lane = match item.backup_type {
                BackupType::Full | BackupType::Partial | BackupType::File => 0,
                BackupType::Diff | BackupType::PartialDiff | BackupType::FileDiff => 1,
                BackupType::Log => 2,
            };
            put(lane, col, "◆", t.focus.add_modifier(Modifier::REVERSED), 9);
        }
        for b in &self.db.breaks {
            let col = b.from_time.or(b.to_time).and_then(|x| axis.column(x));
            match b.reason {
                BreakReason::Gap | BreakReason::SimpleSwitch => put(BREAK, col, "✖", t.brk, 4),
                BreakReason::NewFork => put(BREAK, col, "⑂", t.brk, 3),
                BreakReason::OtherProducer => put(BREAK, col, "◇", t.warn, 2),
                BreakReason::HistoryMissing => put(BREAK, col, "?", t.muted, 1),
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
            let col = at.and_then(|x| axis.column(x));
            put(BRANCH, col, "⑂", t.brk, 3);
        }
        let native: Vec<&crate::analysis::Window> =
            self.db.windows.iter().filter(|w| w.is_native()).collect();
        let tool: Vec<&crate::analysis::Window> =
            self.db.windows.iter().filter(|w| !w.is_native()).collect();
        let abandoned: Vec<&crate::analysis::Window> = self.db.abandoned_windows.iter().collect();
        for c in 0..axis.width {
            let (from, to) = axis.span(c);
            match coverage(&native, from, to) {
                Coverage::Full => put(RECOV, Some(c), "█", t.window, 4),
                Coverage::Part => put(RECOV, Some(c), "▒", t.window, 3),
                Coverage::None => match coverage(&tool, from, to) {
                    Coverage::None => put(RECOV, Some(c), "░", t.muted, 1),
                    _ => put(RECOV, Some(c), "▓", t.warn, 2),
                },
            }
            if coverage(&abandoned, from, to) != Coverage::None {
                put(BRANCH, Some(c), "▒", t.copy_only, 2);
            }
        }
        cells
            .into_iter()
            .map(|lane| lane.into_iter().map(|c| c.map(|(g, _)| g)).collect())
            .collect()
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
        for (row, lane) in self.lanes(&axis).iter().enumerate() {
            let y = area.y + row as u16;
            if y >= bottom {
                return;
            }
            buf.set_string(area.x, y, LANES[row], t.muted);
            for (c, cell) in lane.iter().enumerate() {
                if let Some((glyph, style)) = cell {
                    buf.set_string(x0 + c as u16, y, *glyph, *style);
                }
            }
        }
        // The axis: day ticks when days are at least four columns apart.
        let y = area.y + LANES.len() as u16;
        if y >= bottom {
            return;
        }
        let days = (axis.end - axis.start).num_days().max(1);
        let ticks = i64::from(axis.width) / days >= 4;
        for c in 0..axis.width {
            let (from, to) = axis.span(c);
            let last = to - Duration::seconds(1);
            let midnight = last.date_naive() != from.date_naive()
                || (from.hour(), from.minute(), from.second()) == (0, 0, 0);
            let glyph = match c {
                0 => "├",
                c if c + 1 == axis.width => "┤",
                _ if ticks && midnight => "┼",
                _ => "─",
            };
            let glyph = if t.ascii { ascii_glyph(glyph) } else { glyph };
            buf.set_string(x0 + c, y, glyph, t.muted);
        }
        for item in self
            .db
            .timeline
            .iter()
            .filter(|i| self.highlight.contains(&i.backup_set_id))
        {
            if let Some(c) = item.finish.or(item.start).and_then(|x| axis.column(x)) {
                let g = if t.ascii { "^" } else { "△" };
                buf.set_string(x0 + c, y, g, t.focus);
            }
        }
        if let Some(c) = self.marker.and_then(|m| axis.column(m)) {
            let g = if t.ascii { "^" } else { "▲" };
            buf.set_string(x0 + c, y, g, t.focus);
        }
        buf.set_string(area.x, y, "UTC", t.muted);
        // Time labels at both ends.
        let y = y + 1;
        if y >= bottom {
            return;
        }
        let (left, right) = if axis.width >= 36 {
            (utc(axis.start), utc(axis.end))
        } else {
            (utc_short(axis.start), utc_short(axis.end))
        };
        let right_x = x0 + axis.width.saturating_sub(right.chars().count() as u16);
        if left.chars().count() as u16 + 1 < right_x - x0 {
            buf.set_string(x0, y, &left, t.muted);
        }
        buf.set_stringn(right_x, y, &right, usize::from(axis.width), t.muted);
        // Legend.
        let items = legend_items(t);
        for (line_no, line) in pack_legend(axis.width, t).iter().enumerate() {
            let y = y + 1 + line_no as u16;
            if line_no as u16 >= self.legend || y >= bottom {
                break;
            }
            for &(x, i) in line {
                let (glyph, label, style) = items[i];
                let glyph = if t.ascii { ascii_glyph(glyph) } else { glyph };
                buf.set_string(x0 + x, y, glyph, style);
                buf.set_string(x0 + x + 2, y, label, Style::default());
            }
        }
    }
}
