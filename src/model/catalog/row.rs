//! Typed access to one catalog row, with errors that name table, row and column.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use uuid::Uuid;

use crate::model::{Cell, Lsn, RowRef};

/// A value in the snapshot that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} row {row}, column {column}: {message}")]
pub struct RowError {
    pub table: String,
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// One row of a catalog table, with its position for error messages.
pub struct Row<'a> {
    pub table: &'a str,
    pub index: usize,
    pub row: RowRef<'a>,
}

impl<'a> Row<'a> {
    fn err(&self, column: &str, message: impl Into<String>) -> RowError {
        RowError {
            table: self.table.to_string(),
            row: self.index,
            column: column.to_string(),
            message: message.into(),
        }
    }

    /// The value, with JSON null and absence both read as `None`.
    fn get(&self, column: &str) -> Option<&'a Cell> {
        self.row.get(column)
    }

    pub fn has(&self, column: &str) -> bool {
        self.get(column).is_some()
    }

    pub fn string(&self, column: &str) -> Result<Option<String>, RowError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        if let Some(t) = cell.as_text().or_else(|| cell.number_text()) {
            return Ok(Some(t.into_owned()));
        }
        match cell {
            Cell::Bool(b) => Ok(Some(b.to_string())),
            other => Err(self.err(column, format!("expected text, found {}", other.kind()))),
        }
    }

    pub fn int(&self, column: &str) -> Result<Option<i64>, RowError> {
        match self.get(column) {
            None => Ok(None),
            Some(Cell::Int(i)) => Ok(Some(*i)),
            Some(Cell::Number(n)) => n
                .parse()
                .map(Some)
                .map_err(|_| self.err(column, format!("{n} is not an integer"))),
            Some(Cell::Bool(b)) => Ok(Some(i64::from(*b))),
            Some(cell) => match cell.as_text() {
                Some(s) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| self.err(column, format!("{s:?} is not an integer"))),
                None => Err(self.err(
                    column,
                    format!("expected an integer, found {}", cell.kind()),
                )),
            },
        }
    }

    pub fn unsigned(&self, column: &str) -> Result<Option<u64>, RowError> {
        match self.int(column)? {
            None => Ok(None),
            Some(v) => u64::try_from(v)
                .map(Some)
                .map_err(|_| self.err(column, format!("{v} is negative"))),
        }
    }

    /// A `bit`: JSON true/false, 0/1, or the strings "0"/"1"/"true"/"false".
    pub fn bit(&self, column: &str) -> Result<Option<bool>, RowError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        if let Cell::Bool(b) = cell {
            return Ok(Some(*b));
        }
        if let Some(n) = cell.number_text() {
            return match &*n {
                "0" => Ok(Some(false)),
                "1" => Ok(Some(true)),
                other => Err(self.err(column, format!("{other} is not a bit"))),
            };
        }
        match cell.as_text() {
            Some(s) => match s.trim().to_ascii_lowercase().as_str() {
                "0" | "false" => Ok(Some(false)),
                "1" | "true" => Ok(Some(true)),
                _ => Err(self.err(column, format!("{s:?} is not a bit"))),
            },
            None => Err(self.err(column, format!("expected a bit, found {}", cell.kind()))),
        }
    }

    pub fn flag(&self, column: &str) -> Result<bool, RowError> {
        Ok(self.bit(column)?.unwrap_or(false))
    }

    /// An LSN from a digit string or a JSON integer, exactly (never via f64).
    pub fn lsn(&self, column: &str) -> Result<Option<Lsn>, RowError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        let exact = match cell {
            Cell::Digits(d) => Lsn::new(d.get()),
            _ => None,
        };
        let lsn = match exact {
            Some(lsn) => lsn,
            None => {
                // With serde_json's arbitrary_precision a number keeps its digits.
                let Some(text) = cell.as_text().or_else(|| cell.number_text()) else {
                    return Err(self.err(column, format!("expected an LSN, found {}", cell.kind())));
                };
                Lsn::parse_decimal(&text).map_err(|e| self.err(column, e.to_string()))?
            }
        };
        // msdb writes 0 for "none" in some LSN columns.
        Ok((lsn != Lsn::ZERO).then_some(lsn))
    }

    pub fn uuid(&self, column: &str) -> Result<Option<Uuid>, RowError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        if let Cell::Guid(g) = cell {
            return Ok(Some(*g));
        }
        match cell.as_text() {
            Some(s) => {
                let trimmed = s.trim().trim_start_matches('{').trim_end_matches('}');
                if trimmed.is_empty() {
                    return Ok(None);
                }
                Uuid::parse_str(trimmed)
                    .map(Some)
                    .map_err(|_| self.err(column, format!("{s:?} is not a GUID")))
            }
            None => Err(self.err(column, format!("expected a GUID, found {}", cell.kind()))),
        }
    }

    /// A `datetime` as written (server local time, no offset). A value that
    /// carries `Z` or an offset is returned as its UTC instant instead.
    pub fn datetime(&self, column: &str) -> Result<Option<LocalOrUtc>, RowError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        match cell.as_text() {
            Some(s) if !has_time(&s) => Err(self.err(
                column,
                format!("{s:?} has no time of day: a datetime column always has one (not read as midnight)"),
            )),
            Some(s) => parse_datetime(&s)
                .map(Some)
                .ok_or_else(|| self.err(column, format!("{s:?} is not an ISO-8601 date and time"))),
            None => Err(self.err(column, format!("expected a date, found {}", cell.kind()))),
        }
    }
}

/// A date read from the snapshot: local (the usual case) or already UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalOrUtc {
    Local(NaiveDateTime),
    Utc(DateTime<Utc>),
}

impl LocalOrUtc {
    /// Converts with an offset in minutes east of UTC. Saturates at
    /// chrono's limits instead of panicking (a hostile offset or date).
    pub fn to_utc(self, offset_minutes: i32) -> DateTime<Utc> {
        match self {
            LocalOrUtc::Utc(t) => t,
            LocalOrUtc::Local(n) => shift(n, -i64::from(offset_minutes)).and_utc(),
        }
    }

    /// The local wall-clock value, converting a UTC value with the offset.
    pub fn to_local(self, offset_minutes: i32) -> NaiveDateTime {
        match self {
            LocalOrUtc::Local(n) => n,
            LocalOrUtc::Utc(t) => shift(t.naive_utc(), i64::from(offset_minutes)),
        }
    }
}

/// `t` moved by `minutes`, clamped to the representable range.
fn shift(t: NaiveDateTime, minutes: i64) -> NaiveDateTime {
    let delta = chrono::Duration::minutes(minutes);
    t.checked_add_signed(delta).unwrap_or(if minutes < 0 {
        NaiveDateTime::MIN
    } else {
        NaiveDateTime::MAX
    })
}

/// Years SQL Server can store (`datetime2`: 0001 to 9999). Outside them a
/// value is not a catalog date, and shifting it by an offset could leave
/// the range chrono can represent.
fn plausible(t: LocalOrUtc) -> Option<LocalOrUtc> {
    let year = match t {
        LocalOrUtc::Local(n) => n.year(),
        LocalOrUtc::Utc(u) => u.year(),
    };
    (1..=9999).contains(&year).then_some(t)
}

/// Whether a date text carries a time of day (`2026-11-20T14:30`, not `2026-11-20`).
fn has_time(text: &str) -> bool {
    let s = text.trim();
    s.len() > 10 && matches!(s.as_bytes().get(10), Some(b'T' | b' '))
}

/// Parses the ISO-8601 shapes SQL Server and hand-written fixtures use,
/// in the years SQL Server can store.
pub fn parse_datetime(text: &str) -> Option<LocalOrUtc> {
    parse_any_year(text).and_then(plausible)
}

fn parse_any_year(text: &str) -> Option<LocalOrUtc> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(LocalOrUtc::Utc(t.with_timezone(&Utc)));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(LocalOrUtc::Local(n));
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(LocalOrUtc::Local);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing the snapshot loader: a local date near chrono's
    /// limit, shifted by the server's UTC offset, panicked on overflow.
    #[test]
    fn far_dates_are_refused_and_shifts_never_panic() {
        assert_eq!(parse_datetime("+262142-12-31T23:59:00"), None);
        assert_eq!(parse_datetime("-0001-01-01T00:00:00"), None);
        assert_eq!(parse_datetime("0000-01-01"), None);
        assert!(parse_datetime("9999-12-31T23:59:59.997").is_some());
        assert!(parse_datetime("0001-01-01").is_some());
        let edge = LocalOrUtc::Local(NaiveDateTime::MAX);
        assert_eq!(edge.to_utc(-600).naive_utc(), NaiveDateTime::MAX);
        let edge = LocalOrUtc::Utc(NaiveDateTime::MIN.and_utc());
        assert_eq!(edge.to_local(-600), NaiveDateTime::MIN);
        // The extreme offsets on the extreme plausible dates stay exact.
        let last = parse_datetime("9999-12-31T23:59:59").unwrap();
        let first = parse_datetime("0001-01-01T00:00:00").unwrap();
        for offset in [i32::MIN, i32::MAX] {
            let shifted = last.to_utc(offset).naive_utc() - first.to_utc(offset).naive_utc();
            assert_eq!(shifted, last.to_local(0) - first.to_local(0));
        }
    }
}
