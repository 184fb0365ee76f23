//! Turns tiberius cells into snapshot JSON values, exactly.
//!
//! `numeric(p,0)` is read through `Numeric::value()` (an `i128`), never
//! through a float: LSN columns become digit strings, other whole numbers
//! JSON integers (serde_json keeps every digit with `arbitrary_precision`).
//! `datetime` is written as SQL Server writes it in FOR JSON: local time, no
//! offset, milliseconds.

use chrono::NaiveDateTime;
use serde_json::{Map, Number, Value};
use tiberius::{ColumnData, FromSql};

/// Is this an LSN column (`numeric(25,0)` in the catalog)?
pub fn is_lsn_column(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with("_lsn") || n == "lsn"
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
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000_000 % 1000
    )
}

/// One cell. `Err` names what is wrong (a type the column cannot have).
pub fn cell(column: &str, data: &ColumnData<'static>) -> Result<Value, String> {
    let lsn = is_lsn_column(column);
    let v = match data {
        ColumnData::U8(v) => v.map(|v| Value::from(u64::from(v))),
        ColumnData::I16(v) => v.map(|v| Value::from(i64::from(v))),
        ColumnData::I32(v) => v.map(|v| Value::from(i64::from(v))),
        ColumnData::I64(v) => v.map(Value::from),
        ColumnData::F32(v) => v.and_then(|v| Number::from_f64(f64::from(v)).map(Value::Number)),
        ColumnData::F64(v) => v.and_then(|v| Number::from_f64(v).map(Value::Number)),
        ColumnData::Bit(v) => v.map(Value::Bool),
        ColumnData::String(v) => v.as_ref().map(|s| Value::String(s.to_string())),
        ColumnData::Guid(v) => v.map(|g| Value::String(g.to_string())),
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
        | ColumnData::Date(_) => NaiveDateTime::from_sql(data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(format_datetime(t))),
        ColumnData::DateTimeOffset(_) => chrono::DateTime::<chrono::FixedOffset>::from_sql(data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(t.to_rfc3339())),
        ColumnData::Time(_) => chrono::NaiveTime::from_sql(data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Value::String(t.to_string())),
    };
    let v = v.unwrap_or(Value::Null);
    if lsn {
        let ok = match &v {
            Value::Null => true,
            Value::String(s) => !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
            Value::Number(n) => n.to_string().bytes().all(|b| b.is_ascii_digit()),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "column {column} is {}, expected numeric(25,0)",
                type_name(data)
            ));
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

/// One row as a JSON object with the query's column names.
pub fn row(row: tiberius::Row) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (col, data) in row.cells() {
        out.insert(col.name().to_string(), cell(col.name(), data)?);
    }
    Ok(out)
}
