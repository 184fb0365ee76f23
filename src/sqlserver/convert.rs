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
use compact_str::CompactString;
use serde_json::{Map, Number, Value};
use tiberius::{Column, ColumnData, FromSql, Row};

use crate::model::{Cell, Digits, Table};

/// Is this an LSN column (`numeric(25,0)` in the catalog)?
pub fn is_lsn_column(name: &str) -> bool {
    let n = name.as_bytes();
    n.len() >= 4 && n[n.len() - 4..].eq_ignore_ascii_case(b"_lsn") || n.eq_ignore_ascii_case(b"lsn")
}

/// A scale-0 numeric, or a number's text, as a JSON number cell (text when
/// it is not a valid JSON number).
fn number(digits: &str) -> Cell {
    serde_json::from_str::<Number>(digits)
        .map(|n| Cell::number(&n))
        .unwrap_or_else(|_| Cell::text(digits))
}

/// Formats a datetime the way the snapshot stores it
/// (`%Y-%m-%dT%H:%M:%S%.3f`, written by hand: this runs once per cell).
pub fn format_datetime(t: NaiveDateTime) -> String {
    let mut out = [0; 23];
    match write_datetime(t, &mut out) {
        Some(s) => s.to_owned(),
        None => format_datetime_any_year(t),
    }
}

/// The snapshot form of `t` in `out`; `None` outside years 0–9999.
fn write_datetime(t: NaiveDateTime, out: &mut [u8; 23]) -> Option<&str> {
    use chrono::{Datelike, Timelike};
    let ms = t.nanosecond() / 1_000_000 % 1000;
    let Ok(year @ 0..=9999) = u32::try_from(t.year()) else {
        return None;
    };
    *out = *b"0000-00-00T00:00:00.000";
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
    std::str::from_utf8(out).ok()
}

/// Outside SQL Server's range; `{:04}` then writes a sign or more digits.
fn format_datetime_any_year(t: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000_000 % 1000,
    )
}

/// A `datetime` value as SQL Server shows it: its 1/300 s ticks rounded to
/// the nearest millisecond (…59.997, where truncating gives …59.996).
pub fn datetime_of(v: tiberius::time::DateTime) -> Option<NaiveDateTime> {
    let base = chrono::NaiveDate::from_ymd_opt(1900, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let ms = (i64::from(v.seconds_fragments()) * 10 + 1) / 3;
    base.checked_add_signed(chrono::Duration::days(i64::from(v.days())))?
        .checked_add_signed(chrono::Duration::milliseconds(ms))
}

fn datetime_cell(t: NaiveDateTime) -> Cell {
    let mut out = [0; 23];
    match write_datetime(t, &mut out) {
        // 23 bytes: kept inline, no allocation.
        Some(s) => Cell::Text(CompactString::new(s)),
        None => Cell::text(format_datetime_any_year(t)),
    }
}

/// One cell of column `column` (`lsn`: [`is_lsn_column`] of its name).
/// `Err` names what is wrong (a type the column cannot have).
fn cell(column: &str, lsn: bool, data: ColumnData<'static>) -> Result<Cell, String> {
    let kind = type_name(&data);
    let v = match data {
        ColumnData::U8(v) => v.map(|v| Cell::Int(i64::from(v))),
        ColumnData::I16(v) => v.map(|v| Cell::Int(i64::from(v))),
        ColumnData::I32(v) => v.map(|v| Cell::Int(i64::from(v))),
        ColumnData::I64(v) => v.map(Cell::Int),
        ColumnData::F32(v) => {
            v.and_then(|v| Number::from_f64(f64::from(v)).map(|n| Cell::number(&n)))
        }
        ColumnData::F64(v) => v.and_then(|v| Number::from_f64(v).map(|n| Cell::number(&n))),
        ColumnData::Bit(v) => v.map(Cell::Bool),
        ColumnData::String(v) => v.map(Cell::text),
        ColumnData::Guid(v) => v.map(Cell::Guid),
        ColumnData::Binary(v) => v.as_ref().map(|b| {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            Cell::text(format!("0x{hex}"))
        }),
        ColumnData::Numeric(v) => v.map(|n| {
            if n.scale() == 0 {
                match (i64::try_from(n.value()), u128::try_from(n.value())) {
                    (_, Ok(d)) if lsn => Cell::Digits(Digits::new(d)),
                    (_, Err(_)) if lsn => Cell::text(n.value().to_string()),
                    (Ok(v), _) => Cell::Int(v),
                    _ => number(&n.value().to_string()),
                }
            } else {
                number(&n.to_string())
            }
        }),
        ColumnData::Xml(v) => v.as_ref().map(|x| Cell::text(x.to_string())),
        ColumnData::DateTime(v) => v.and_then(datetime_of).map(datetime_cell),
        ColumnData::SmallDateTime(_) | ColumnData::DateTime2(_) | ColumnData::Date(_) => {
            NaiveDateTime::from_sql(&data)
                .map_err(|e| format!("column {column}: {e}"))?
                .map(datetime_cell)
        }
        ColumnData::DateTimeOffset(_) => chrono::DateTime::<chrono::FixedOffset>::from_sql(&data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Cell::text(t.to_rfc3339())),
        ColumnData::Time(_) => chrono::NaiveTime::from_sql(&data)
            .map_err(|e| format!("column {column}: {e}"))?
            .map(|t| Cell::text(t.to_string())),
    };
    let v = v.unwrap_or(Cell::Null);
    if lsn {
        let ok = match &v {
            Cell::Null | Cell::Digits(_) => true,
            Cell::Int(i) => *i >= 0,
            c => c
                .as_text()
                .or_else(|| c.number_text())
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())),
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
    let mut table = Table::default();
    Rows::default().convert(&mut table, row)?;
    Ok(table.row(0).map(|r| r.to_map()).unwrap_or_default())
}

/// Converts the rows of one query into a table, result set by result set.
#[derive(Default)]
pub struct Rows {
    columns: Option<Columns>,
    /// One row's cells, reused from row to row.
    cells: Vec<Cell>,
}

/// What depends only on a result set's columns.
struct Columns {
    result_index: usize,
    names: Vec<String>,
    lsn: Vec<bool>,
    /// Each column's position in the table (a repeated name shares one: the
    /// last value wins, as a JSON object keeps the last of repeated keys).
    positions: Vec<usize>,
}

impl Columns {
    fn new(result_index: usize, columns: &[Column], table: &mut Table) -> Columns {
        let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
        let lsn = names.iter().map(|n| is_lsn_column(n)).collect();
        let positions = names.iter().map(|n| table.add_column(n)).collect();
        Columns {
            result_index,
            names,
            lsn,
            positions,
        }
    }
}

impl Rows {
    /// Appends one row to `table`. Cells are converted in column order, so
    /// an `Err` names the first bad column (and nothing is appended).
    pub fn convert(&mut self, table: &mut Table, row: Row) -> Result<(), String> {
        let index = row.result_index();
        if self
            .columns
            .as_ref()
            .is_none_or(|c| c.result_index != index)
        {
            self.columns = Some(Columns::new(index, row.columns(), table));
        }
        let cols = self.columns.as_ref().expect("set above");
        let cells = &mut self.cells;
        cells.clear();
        cells.resize(table.columns().len(), Cell::Absent);
        for (((name, &lsn), &at), data) in cols
            .names
            .iter()
            .zip(&cols.lsn)
            .zip(&cols.positions)
            .zip(row)
        {
            cells[at] = cell(name, lsn, data)?;
        }
        table.push_drained(cells);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiberius::numeric::Numeric;
    use tiberius::time::{Date, DateTime, DateTime2, DateTimeOffset, SmallDateTime, Time};
    use tiberius::xml::XmlData;
    use tiberius::ColumnType;

    /// The conversion as it was before it was made fast (one map insert per
    /// cell, names lowercased per cell, cells copied): the new one must
    /// produce exactly what this produces, values, key order and errors.
    mod reference {
        use super::super::type_name;
        use super::format_datetime_reference;
        use chrono::NaiveDateTime;
        use serde_json::{Map, Number, Value};
        use tiberius::{ColumnData, FromSql};

        fn number(digits: &str) -> Value {
            serde_json::from_str::<Number>(digits)
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(digits.to_string()))
        }

        fn is_lsn_column(name: &str) -> bool {
            let n = name.to_ascii_lowercase();
            n.ends_with("_lsn") || n == "lsn"
        }

        fn cell(column: &str, data: &ColumnData<'static>) -> Result<Value, String> {
            let lsn = is_lsn_column(column);
            let v = match data {
                ColumnData::U8(v) => v.map(|v| Value::from(u64::from(v))),
                ColumnData::I16(v) => v.map(|v| Value::from(i64::from(v))),
                ColumnData::I32(v) => v.map(|v| Value::from(i64::from(v))),
                ColumnData::I64(v) => v.map(Value::from),
                ColumnData::F32(v) => {
                    v.and_then(|v| Number::from_f64(f64::from(v)).map(Value::Number))
                }
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
                ColumnData::DateTime(v) => v
                    .and_then(super::datetime_of)
                    .map(|t| Value::String(format_datetime_reference(t))),
                ColumnData::SmallDateTime(_) | ColumnData::DateTime2(_) | ColumnData::Date(_) => {
                    NaiveDateTime::from_sql(data)
                        .map_err(|e| format!("column {column}: {e}"))?
                        .map(|t| Value::String(format_datetime_reference(t)))
                }
                ColumnData::DateTimeOffset(_) => {
                    chrono::DateTime::<chrono::FixedOffset>::from_sql(data)
                        .map_err(|e| format!("column {column}: {e}"))?
                        .map(|t| Value::String(t.to_rfc3339()))
                }
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

        pub fn row(row: &tiberius::Row) -> Result<Map<String, Value>, String> {
            let mut out = Map::new();
            for (col, data) in row.cells() {
                out.insert(col.name().to_string(), cell(col.name(), data)?);
            }
            Ok(out)
        }
    }

    /// `format_datetime` through `format!`, as it was before the fast path
    /// (now the fallback for years outside 0–9999).
    fn format_datetime_reference(t: chrono::NaiveDateTime) -> String {
        super::format_datetime_any_year(t)
    }

    fn build(cells: &[(&str, ColumnData<'static>)], result_index: usize) -> Row {
        cells
            .iter()
            .fold(Row::builder(), |b, (name, data)| {
                b.column(*name, ColumnType::Null, data.clone())
            })
            .result_index(result_index)
            .build()
    }

    fn numeric(v: i128, scale: u8) -> ColumnData<'static> {
        ColumnData::Numeric(Some(Numeric::new_with_scale(v, scale)))
    }

    fn string(s: &str) -> ColumnData<'static> {
        ColumnData::String(Some(s.to_string().into()))
    }

    /// A backupset row the way the TDS test server serves it, in query order.
    fn backupset() -> Vec<(&'static str, ColumnData<'static>)> {
        let guid = tiberius::Uuid::parse_str("A3C1E2F4-0B5D-4E6F-8A9B-0C1D2E3F4A5B").unwrap();
        vec![
            (
                "backup_finish_date",
                ColumnData::DateTime(Some(DateTime::new(46_710, 10_799_999))),
            ),
            ("backup_set_id", ColumnData::I32(Some(1_234_567))),
            ("backup_set_uuid", ColumnData::Guid(Some(guid))),
            ("backup_size", numeric(987_654_321_012, 0)),
            (
                "backup_start_date",
                ColumnData::DateTime(Some(DateTime::new(-53_690, 1))),
            ),
            ("begins_log_chain", ColumnData::Bit(Some(true))),
            (
                "checkpoint_lsn",
                numeric(34_000_000_123_400_001_000_000_001, 0),
            ),
            (
                "compressed_backup_size",
                numeric(i128::from(i64::MAX) + 1, 0),
            ),
            ("database_backup_lsn", numeric(0, 0)),
            ("database_creation_date", ColumnData::DateTime(None)),
            ("database_guid", ColumnData::Guid(None)),
            ("database_name", string("Sales — Ünïcode")),
            ("description", ColumnData::String(None)),
            ("differential_base_lsn", ColumnData::Numeric(None)),
            ("first_lsn", numeric(18_446_744_073_709_551_616, 0)),
            ("is_copy_only", ColumnData::Bit(Some(false))),
            ("Last_LSN", numeric(99_999_999_999_999_999_999_999_999, 0)),
            (
                "media_set_id",
                ColumnData::I64(Some(-9_223_372_036_854_775_808)),
            ),
            ("position", ColumnData::I16(Some(-3))),
            ("software_major_version", ColumnData::U8(Some(255))),
            ("time_zone", ColumnData::I16(None)),
            ("type", string("L")),
            ("user_name", string("")),
        ]
    }

    /// Every kind of cell tiberius can hand over, NULL and not.
    fn every_type() -> Vec<(&'static str, ColumnData<'static>)> {
        vec![
            ("zeta", ColumnData::F32(Some(1.5))),
            ("alpha", ColumnData::F64(Some(-0.1))),
            ("nan", ColumnData::F64(Some(f64::NAN))),
            ("f_null", ColumnData::F32(None)),
            ("bin", ColumnData::Binary(Some(vec![0, 0xAB, 0xFF].into()))),
            ("bin_null", ColumnData::Binary(None)),
            ("scaled", numeric(-123_456, 3)),
            ("small_scaled", numeric(5, 4)),
            ("negative_big", numeric(-(i128::from(i64::MAX)) - 10, 0)),
            (
                "xml",
                ColumnData::Xml(Some(std::borrow::Cow::Owned(XmlData::new("<a/>")))),
            ),
            ("xml_null", ColumnData::Xml(None)),
            (
                "small",
                ColumnData::SmallDateTime(Some(SmallDateTime::new(45_000, 1439))),
            ),
            (
                "dt2",
                ColumnData::DateTime2(Some(DateTime2::new(
                    Date::new(738_000),
                    Time::new(863_999_999_999, 7),
                ))),
            ),
            (
                "dt2_year1",
                ColumnData::DateTime2(Some(DateTime2::new(Date::new(0), Time::new(5, 1)))),
            ),
            (
                "dto",
                ColumnData::DateTimeOffset(Some(DateTimeOffset::new(
                    DateTime2::new(Date::new(738_000), Time::new(1_234_567, 7)),
                    -330,
                ))),
            ),
            ("time", ColumnData::Time(Some(Time::new(863_999_999, 5)))),
            ("time_null", ColumnData::Time(None)),
            ("lsn", ColumnData::I64(Some(42))),
            ("int_lsn", ColumnData::U8(Some(7))),
            ("str_lsn", string("00123")),
            ("null_lsn", ColumnData::String(None)),
            ("", string("empty name")),
            ("Ärger", ColumnData::I32(Some(1))),
            ("Zulu", ColumnData::I32(Some(2))),
        ]
    }

    fn assert_same(cells: &[(&str, ColumnData<'static>)]) {
        let expected = reference::row(&build(cells, 0));
        let got = row(build(cells, 0));
        assert_eq!(got, expected);
        if let (Ok(got), Ok(expected)) = (&got, &expected) {
            // Same text too: key order, number digits.
            assert_eq!(
                serde_json::to_string(got).unwrap(),
                serde_json::to_string(expected).unwrap()
            );
        }
    }

    #[test]
    fn rows_convert_exactly_as_before() {
        assert_same(&backupset());
        assert_same(&every_type());
        assert_same(&[]);
        let json = serde_json::to_value(row(build(&backupset(), 0)).unwrap()).unwrap();
        assert_eq!(json["Last_LSN"], "99999999999999999999999999");
        assert_eq!(json["first_lsn"], "18446744073709551616");
        assert_eq!(json["database_backup_lsn"], "0");
        assert_eq!(
            json["compressed_backup_size"].to_string(),
            "9223372036854775808"
        );
        assert_eq!(json["backup_finish_date"], "2027-11-21T09:59:59.997");
        assert_eq!(json["backup_start_date"], "1753-01-01T00:00:00.003");
        assert_eq!(
            json["backup_set_uuid"],
            "a3c1e2f4-0b5d-4e6f-8a9b-0c1d2e3f4a5b"
        );
        assert_eq!(json["description"], Value::Null);
    }

    #[test]
    fn repeated_names_keep_the_last_value_as_before() {
        assert_same(&[
            ("b", ColumnData::I32(Some(1))),
            ("a", ColumnData::I32(Some(2))),
            ("b", ColumnData::I32(Some(3))),
            ("a", ColumnData::I32(None)),
            ("c", string("x")),
            ("b", string("last")),
        ]);
    }

    #[test]
    fn wrong_types_name_the_first_bad_column_as_before() {
        let bad = [
            ("ok", ColumnData::I32(Some(1))),
            ("first_lsn", string("12x")),
            ("last_lsn", numeric(-1, 0)),
        ];
        assert_same(&bad);
        // tiberius cannot read a `date` as a date and time: an error, as before.
        assert_same(&[("date", ColumnData::Date(Some(Date::new(3_652_058))))]);
        assert_eq!(
            row(build(&bad, 0)).unwrap_err(),
            "column first_lsn is a string that is not digits, expected numeric(25,0)"
        );
        for data in [
            numeric(-5, 0),
            numeric(15, 1),
            string(""),
            ColumnData::F64(Some(1.0)),
            ColumnData::Bit(Some(true)),
            ColumnData::Guid(Some(tiberius::Uuid::nil())),
            ColumnData::DateTime(Some(DateTime::new(0, 0))),
            ColumnData::I16(Some(-1)),
        ] {
            assert_same(&[("x_LSN", data.clone())]);
            assert!(row(build(&[("x_LSN", data)], 0)).is_err());
        }
    }

    #[test]
    fn each_result_set_uses_its_own_columns() {
        let mut rows = Rows::default();
        let sets = [
            (0, backupset()),
            (0, backupset()),
            (1, every_type()),
            (2, backupset()),
            (3, vec![("only", ColumnData::Bit(None))]),
        ];
        let mut table = Table::default();
        for (k, (index, cells)) in sets.iter().enumerate() {
            let expected = reference::row(&build(cells, *index)).unwrap();
            rows.convert(&mut table, build(cells, *index)).unwrap();
            assert_eq!(table.row(k).unwrap().to_map(), expected);
        }
        // An error appends nothing and leaves the converter usable for the next row.
        assert!(rows
            .convert(&mut table, build(&[("lsn", string("no"))], 4))
            .is_err());
        assert_eq!(table.len(), sets.len());
        let cells = [("lsn", string("1"))];
        rows.convert(&mut table, build(&cells, 4)).unwrap();
        assert_eq!(
            table.row(sets.len()).unwrap().to_map(),
            reference::row(&build(&cells, 4)).unwrap()
        );
    }

    #[test]
    fn lsn_columns_are_named_lsn_or_end_in_lsn_in_any_case() {
        for name in ["lsn", "LSN", "last_lsn", "First_LSN", "x_Lsn", "_lsn"] {
            assert!(is_lsn_column(name), "{name}");
        }
        for name in ["", "sn", "lsn_x", "lsns", "last_lsn ", "firstlsn", "ls"] {
            assert!(!is_lsn_column(name), "{name}");
        }
    }

    #[test]
    fn datetimes_format_as_before() {
        use chrono::NaiveDate;
        let mut times = vec![];
        for (y, mo, d) in [
            (1, 1, 1),
            (1753, 1, 1),
            (1999, 12, 31),
            (2026, 11, 22),
            (9999, 12, 31),
        ] {
            let day = NaiveDate::from_ymd_opt(y, mo, d).unwrap();
            for (h, mi, s, ns) in [
                (0, 0, 0, 0),
                (23, 59, 59, 997_000_000),
                (9, 5, 7, 3_999_999),
            ] {
                times.push(day.and_hms_nano_opt(h, mi, s, ns).unwrap());
            }
        }
        // A leap second, and years outside SQL Server's range.
        times.push(
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
                .unwrap(),
        );
        for y in [-1, 0, 10_000, 262_000] {
            times.push(
                NaiveDate::from_ymd_opt(y, 2, 3)
                    .unwrap()
                    .and_hms_opt(4, 5, 6)
                    .unwrap(),
            );
        }
        for t in times {
            assert_eq!(format_datetime(t), format_datetime_reference(t), "{t:?}");
        }
        let t = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_milli_opt(3, 4, 5, 67)
            .unwrap();
        assert_eq!(format_datetime(t), "2026-01-02T03:04:05.067");
        assert_eq!(
            format_datetime(t),
            t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
        );
    }

    /// SQL Server shows datetime ticks (1/300 s) rounded to .000/.003/.007;
    /// tiberius' own conversion truncates them (…59.996).
    #[test]
    fn datetime_ticks_round_like_sql_server() {
        let shown = |days, ticks| format_datetime(datetime_of(DateTime::new(days, ticks)).unwrap());
        assert_eq!(shown(46_710, 10_799_999), "2027-11-21T09:59:59.997");
        assert_eq!(shown(0, 1), "1900-01-01T00:00:00.003");
        assert_eq!(shown(0, 2), "1900-01-01T00:00:00.007");
        assert_eq!(shown(0, 300), "1900-01-01T00:00:01.000");
        assert_eq!(shown(0, 25_919_999), "1900-01-01T23:59:59.997");
    }
}
