//! The retention bar, as cells: promised window, recoverable intervals, files
//! as ticks, now. Pure layout; the console maps each [`Cell`] to a theme style.
//!
//! ```text
//! promised 14 d  [!!!!====|===|====|=====|====B==|===|=>]  now
//! ```
//!
//! (`!` lost, `=` recoverable, `|` log, `B` full, `>` now)

use chrono::{DateTime, Utc};

use crate::analysis::storage::{BlobKind, RetentionWindow};

/// What one column of the bar shows (the strongest fact wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    /// Inside the promise but not recoverable.
    Lost,
    /// Recoverable.
    Recoverable,
    /// A log file lands in this column.
    LogTick,
    /// A full backup lands in this column.
    FullTick,
    /// The last column: now.
    Now,
}

impl Cell {
    /// ASCII rendering (also the `--ascii` console fallback).
    pub fn ascii(self) -> char {
        match self {
            Cell::Lost => '!',
            Cell::Recoverable => '=',
            Cell::LogTick => '|',
            Cell::FullTick => 'B',
            Cell::Now => '>',
        }
    }
}

/// `width` columns from `promised_from` (left) to `now` (right).
pub fn retention_bar(w: &RetentionWindow, width: usize) -> Vec<Cell> {
    if width == 0 {
        return Vec::new();
    }
    let span = (w.now - w.promised_from).num_seconds().max(1);
    let col = |t: DateTime<Utc>| -> Option<usize> {
        let s = (t - w.promised_from).num_seconds();
        if s < 0 || t > w.now {
            return None;
        }
        Some((((s as i128) * width as i128 / span as i128) as usize).min(width - 1))
    };
    let mut cells = vec![Cell::Lost; width];
    for (i, cell) in cells.iter_mut().enumerate() {
        // Column i covers [start, end); it is recoverable when its middle is.
        let mid = w.promised_from
            + chrono::Duration::seconds(((2 * i as i64 + 1) * span) / (2 * width as i64));
        if w.recoverable.iter().any(|r| r.from <= mid && mid <= r.to) {
            *cell = Cell::Recoverable;
        }
    }
    for f in &w.files {
        let Some(c) = f.time.and_then(col) else {
            continue;
        };
        let tick = match f.kind {
            Some(BlobKind::Full) => Cell::FullTick,
            _ => Cell::LogTick,
        };
        cells[c] = cells[c].max(tick);
    }
    cells[width - 1] = Cell::Now;
    cells
}

/// The bar as text.
pub fn ascii_bar(w: &RetentionWindow, width: usize) -> String {
    retention_bar(w, width)
        .into_iter()
        .map(Cell::ascii)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::storage::FileTick;
    use crate::analysis::Window;
    use crate::model::Lsn;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn promise_recoverable_ticks_and_now() {
        let w = RetentionWindow {
            instance: "I".into(),
            database: "D".into(),
            retention_days: 10,
            now: t("2026-11-11T00:00:00Z"),
            promised_from: t("2026-11-01T00:00:00Z"),
            recoverable: vec![Window {
                fork: None,
                from: t("2026-11-03T00:00:00Z"),
                to: t("2026-11-10T23:00:00Z"),
                from_lsn: Lsn::new(1).unwrap(),
                to_lsn: Lsn::new(2).unwrap(),
                abandoned: false,
                needs: None,
            }],
            recoverable_from: Some(t("2026-11-03T00:00:00Z")),
            latest_recoverable: Some(t("2026-11-10T23:00:00Z")),
            shortfall_minutes: 2 * 24 * 60,
            reasons: vec![],
            only_bulk_logged: false,
            files: vec![
                FileTick {
                    name: "f".into(),
                    kind: Some(BlobKind::Full),
                    time: Some(t("2026-11-03T00:00:00Z")),
                    expires: None,
                },
                FileTick {
                    name: "l".into(),
                    kind: Some(BlobKind::Log),
                    time: Some(t("2026-11-06T12:00:00Z")),
                    expires: None,
                },
                FileTick {
                    name: "old".into(),
                    kind: Some(BlobKind::Log),
                    time: Some(t("2026-10-01T00:00:00Z")),
                    expires: None,
                },
            ],
            next_expiring: vec![],
        };
        assert_eq!(ascii_bar(&w, 10), "!!B==|===>");
        assert_eq!(ascii_bar(&w, 1), ">");
        assert!(ascii_bar(&w, 0).is_empty());
        assert_eq!(ascii_bar(&w, 200).chars().count(), 200);
    }
}
