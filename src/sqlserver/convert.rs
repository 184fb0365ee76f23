//! Turns tiberius cells into snapshot JSON values, exactly.
//!
//! `numeric(p,0)` is read through `Numeric::value()` (an `i128`), never
//! through a float: LSN columns become digit strings, other whole numbers
//! JSON integers (serde_json keeps every digit with `arbitrary_precision`).
//! `datetime` is written as SQL Server writes it in FOR JSON: local time, no
//! offset, milliseconds.
//!
//! This runs once per cell of every history row (200,000 backupset rows are
//! 8 million cells), so [`Rows`] works out what depends only on the columns
//! once per result set, and cells are taken by value so strings move into
//! the JSON instead of being copied.

use chrono::NaiveDateTime;
use serde_json::{Map, Number, Value};
use tiberius::{Column, ColumnData, FromSql, Row};

/// Is this an LSN column (`numeric(25,0)` in the catalog)?
pub fn is_lsn_column(name: &str) -> bool {
    let n = name.as_bytes();
    n.len() >= 4 && n[n.len() - 4..].eq_ignore_ascii_case(b"_lsn") || n.eq_ignore_ascii_case(b"lsn")
}

fn number(digits: &str) -> Value {
    serde_json::from_str::<Number>(digits)
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(digits.to_string()))
}

/// Formats a datetime the way the snapshot stores it
/// (`%Y-%m-%dT%H:%M:%S%.3f`, written by hand: this runs once per cell).
pub fn format_datetime(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let ms = t.nanosecond() / 1_000_000 % 1000;
    let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
        // Outside SQL Server's range; `{:04}` then writes a sign or more digits.
        return format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        );
    };
    let mut out = *b"0000-00-00T00:00:00.000";
    let fields = [
        (0, 4, year),
        (5, 2, t.month()),
        (8, 2, t.day()),
        (11, 2, t.hour()),
        (14, 2, t.minute()),
        (17, 2, t.second()),
        (20, 3, ms),
    ];
    for (at, width, mut v) in fields {
        for b in out[at..at + width].iter_mut().rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    std::str::from_utf8(&out).expect("ASCII digits").to_owned()
}

/// One cell of column `column` (`lsn`: [`is_lsn_column`] of its name).
/// `Err` names what is wrong (a type the column cannot have).
fn cell(column: &str, lsn: bool, data: ColumnData<'static>) -> Result<Value, String> {
    let kind = type_name(&data);
    let v = match data {
        ColumnData::U8(v) => v.map(|v| Value::from(u64::from(v))),
        ColumnData::I16(v) => v.map(|v| Value::from(i64::from(v))),
        ColumnData::I32(v) => v.map(|v| Value::from(i64::from(v))),
        ColumnData::I64(v) => v.map(Value::from),
        ColumnData::F32(v) => v.and_then(|v| Number::from_f64(f64::from(v)).map(Value::Number)),
        ColumnData::F64(v) => v.and_then(|v| Number::from_f64(v).map(Value::Number)),
        ColumnData::Bit(v) => v.map(Value::Bool),
        ColumnData::String(v) => v.map(|s| Value::String(s.into_owned())),
        ColumnData::Guid(v) => v.map(|g| {
            let mut buf = uuid::Uuid::encode_buffer();
            Value::String(g.hyphenated().encode_lower(&mut buf).to_owned())
        }),
        ColumnData::Binary(v) => v.as_ref().map(|b| {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            Value::String(format!("0x{hex}"))
        }),
        ColumnData::Numeric(v) => v.map(|n| {
            if n.scale() == 0 {
                match i64::try_from(n.value()) {
                    Ok(v) if !lsn => Value::from(v),
                    _ if lsn => Value::String(n.value().to_string()),
                    _ => number(&n.value().to_string()),
                }
            } else {
                number(&n.to_string())
            }
        }),
        ColumnData::Xml(v) => v.as_ref().map(|x| Value::String(x.to_string())),
        ColumnData::DateTime(_)
        | ColumnData::SmallDateTime(_)
        | ColumnData::DateTime2(_)
        | ColumnData::Date(_) => NaiveDateTime::from_sql(&data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(format_datetime(t))),
        ColumnData::DateTimeOffset(_) => chrono::DateTime::<chrono::FixedOffset>::from_sql(&data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(t.to_rfc3339())),
        ColumnData::Time(_) => chrono::NaiveTime::from_sql(&data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(t.to_string())),
    };
    let v = v.unwrap_or(Value::Null);
    if lsn {
        let ok = match &v {
            Value::Null => true,
            Value::String(s) => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            Value::Number(n) => n.as_str().bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        };
        if !ok {
            return Err(format!("column {column} is {kind}, expected numeric(25,0)"));
        }
    }
    Ok(v)
}

fn type_name(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::U8(_) => "tinyint",
        ColumnData::I16(_) => "smallint",
        ColumnData::I32(_) => "int",
        ColumnData::I64(_) => "bigint",
        ColumnData::F32(_) => "real",
        ColumnData::F64(_) => "float",
        ColumnData::Bit(_) => "bit",
        ColumnData::String(_) => "a string that is not digits",
        ColumnData::Guid(_) => "uniqueidentifier",
        ColumnData::Binary(_) => "binary",
        ColumnData::Numeric(_) => "numeric with a scale",
        ColumnData::Xml(_) => "xml",
        _ => "a date/time",
    }
}

/// One row as a JSON object with the query's column names (for a few rows;
/// a whole result goes through [`Rows`]).
pub fn row(row: tiberius::Row) -> Result<Map<String, Value>, String> {
    Rows::default().convert(row)
}

/// Converts the rows of one query, result set by result set.
#[derive(Default)]
pub struct Rows {
    columns: Option<Columns>,
    /// One row's values in column order (kept to reuse its allocation).
    values: Vec<Value>,
}

/// What depends only on a result set's columns.
struct Columns {
    result_index: usize,
    names: Vec<String>,
    lsn: Vec<bool>,
    /// Column positions in name order, one per name (the last column of a
    /// repeated name, whose value a map insert would have kept): a row's map
    /// is built from entries already sorted, which the map takes in one pass
    /// instead of a tree search per column.
    by_name: Vec<usize>,
}

impl Columns {
    fn new(result_index: usize, columns: &[Column]) -> Columns {
        let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
        let lsn = names.iter().map(|n| is_lsn_column(n)).collect();
        let mut by_name: Vec<usize> = (0..names.len()).collect();
        // Stable: among equal names the last column ends up last.
        by_name.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut last_of_each = Vec::with_capacity(by_name.len());
        for (k, &i) in by_name.iter().enumerate() {
            if by_name.get(k + 1).is_none_or(|&j| names[j] != names[i]) {
                last_of_each.push(i);
            }
        }
        Columns {
            result_index,
            names,
            lsn,
            by_name: last_of_each,
        }
    }
}

impl Rows {
    /// One row as a JSON object with its columns' names. Cells are converted
    /// in column order, so an `Err` names the first bad column.
    pub fn convert(&mut self, row: Row) -> Result<Map<String, Value>, String> {
        let index = row.result_index();
        if self
            .columns
            .as_ref()
            .is_none_or(|c| c.result_index != index)
        {
            self.columns = Some(Columns::new(index, row.columns()));
        }
        let cols = self.columns.as_ref().expect("set above");
        self.values.clear();
        for ((name, &lsn), data) in cols.names.iter().zip(&cols.lsn).zip(row) {
            self.values.push(cell(name, lsn, data)?);
        }
        let values = &mut self.values;
        Ok(cols
            .by_name
            .iter()
            .filter_map(|&i| Some((cols.names[i].clone(), std::mem::take(values.get_mut(i)?))))
            .collect())
    }
}
