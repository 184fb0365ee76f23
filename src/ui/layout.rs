//! Breakpoints as pure functions of the terminal size: what to show, what
//! to drop, and which table columns fit.

use ratatui::layout::Rect;

/// Smallest terminal the console draws its views in.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The instances pane needs room beside a useful table.
pub fn show_instances_pane(width: u16) -> bool {
    width >= 72
}

/// Width of the instances pane when shown.
pub fn instances_pane_width(width: u16) -> u16 {
    (width / 4).clamp(22, 36)
}

/// Widths for a column of `texts`: (min, preferred), the longest text
/// clamped to [lo, hi] for the preferred width and to `lo_max` for the minimum.
pub fn content_width<'a>(
    texts: impl Iterator<Item = &'a str>,
    lo: u16,
    lo_max: u16,
    hi: u16,
) -> (u16, u16) {
    let longest = texts.map(|t| t.chars().count()).max().unwrap_or(0);
    width_bounds(longest, lo, lo_max, hi)
}

/// `content_width` for a known longest text width.
pub fn width_bounds(longest: usize, lo: u16, lo_max: u16, hi: u16) -> (u16, u16) {
    let longest = u16::try_from(longest).unwrap_or(u16::MAX);
    (
        longest.clamp(lo, lo_max.max(lo)),
        longest.clamp(lo, hi.max(lo)),
    )
}

/// Borders cost two rows; short terminals go without.
pub fn bordered(height: u16) -> bool {
    height >= 12
}

/// A table column: header, the width it needs, the width it would like,
/// and how early it is dropped (0 = kept longest; `HIDDEN` = never shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub header: &'static str,
    pub min: u16,
    pub preferred: u16,
    pub priority: u8,
}

impl Col {
    /// Priority of a column that is not shown at all.
    pub const HIDDEN: u8 = u8::MAX;

    pub const fn new(header: &'static str, min: u16, preferred: u16, priority: u8) -> Col {
        Col {
            header,
            min,
            preferred,
            priority,
        }
    }
}

/// Columns that fit in `width` (1 space between columns), as
/// (index, width) in display order: lower priorities are taken first at
/// their minimum, then leftover space widens them towards `preferred`.
pub fn fit_columns(cols: &[Col], width: u16) -> Vec<(usize, u16)> {
    let mut order: Vec<usize> = (0..cols.len())
        .filter(|&i| cols[i].priority != Col::HIDDEN)
        .collect();
    order.sort_by_key(|&i| (cols[i].priority, i));
    let mut chosen: Vec<usize> = Vec::new();
    let mut used: u16 = 0;
    for i in order.iter().copied() {
        let gap = u16::from(!chosen.is_empty());
        let need = cols[i].min + gap;
        if used + need <= width {
            used += need;
            chosen.push(i);
        }
    }
    let mut widths: Vec<u16> = cols.iter().map(|c| c.min).collect();
    let mut spare = width - used;
    for &i in &chosen {
        let extra = cols[i].preferred.saturating_sub(cols[i].min).min(spare);
        widths[i] += extra;
        spare -= extra;
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| (i, widths[i])).collect()
}

/// Lines for rows in a table drawn `height` lines high: all but the
/// header line (see `app::rows::visible_window`).
pub fn table_body(height: u16) -> usize {
    usize::from(height.saturating_sub(1))
}

/// How the detail view splits its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetailLayout {
    /// Lines of the database header (1..=3).
    pub header: u16,
    /// Whether the timeline gets a border and title.
    pub timeline_border: bool,
    /// Legend lines under the timeline.
    pub legend: u16,
    /// Whether the tabbed lower pane is shown.
    pub bottom: bool,
}

impl DetailLayout {
    /// Rows the timeline block takes.
    pub fn timeline_height(&self, core: u16) -> u16 {
        core + self.legend + if self.timeline_border { 2 } else { 0 }
    }
}

/// The detail layout for a body of `height` rows, given how many legend
/// lines the width needs.
pub fn detail_layout(height: u16, legend_needed: u16) -> DetailLayout {
    match height {
        28.. => DetailLayout {
            header: 3,
            timeline_border: true,
            legend: legend_needed,
            bottom: true,
        },
        20.. => DetailLayout {
            header: 2,
            timeline_border: true,
            legend: legend_needed.min(2),
            bottom: true,
        },
        15.. => DetailLayout {
            header: 1,
            timeline_border: false,
            legend: 0,
            bottom: true,
        },
        _ => DetailLayout {
            header: 1,
            timeline_border: false,
            legend: 0,
            bottom: false,
        },
    }
}

/// A box of at most `w`×`h` centred in `area` (clamped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Col; 4] = [
        Col::new("A", 5, 10, 2),
        Col::new("NAME", 8, 20, 0),
        Col::new("STATE", 10, 10, 1),
        Col::new("X", 4, 4, 3),
    ];

    #[test]
    fn fit_drops_high_priorities_first_and_keeps_display_order() {
        assert_eq!(fit_columns(&COLS, 19), vec![(1, 8), (2, 10)]);
        assert_eq!(fit_columns(&COLS, 26), vec![(0, 5), (1, 9), (2, 10)]);
        assert_eq!(fit_columns(&COLS, 100).len(), 4);
        assert!(fit_columns(&COLS, 0).is_empty());
        let mut hidden = COLS;
        hidden[1].priority = Col::HIDDEN;
        assert!(fit_columns(&hidden, 100).iter().all(|(i, _)| *i != 1));
    }

    #[test]
    fn fitted_columns_never_exceed_the_width() {
        for w in 0..80 {
            let fit = fit_columns(&COLS, w);
            let total: u16 =
                fit.iter().map(|(_, w)| w).sum::<u16>() + fit.len().saturating_sub(1) as u16;
            assert!(total <= w, "width {w}: {fit:?}");
        }
    }

    #[test]
    fn detail_layout_shrinks_with_height() {
        assert!(detail_layout(38, 2).bottom);
        assert_eq!(detail_layout(22, 3).legend, 2);
        assert!(!detail_layout(8, 2).bottom);
        assert!(!detail_layout(14, 2).timeline_border);
    }
}
