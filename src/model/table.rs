//! Catalog rows in memory: one list of column names per table, one slice of
//! cells per row.
//!
//! A snapshot carries rows as JSON objects, but holding them as
//! `serde_json::Map`s costs a key string and a value allocation per cell
//! (≈11 KB per backupset row, and most of the collect path's time). Here a
//! table shares its column names and a row is one allocation of fixed-size
//! cells; short text stays inline, GUIDs and digit strings (LSNs) are kept
//! as numbers. Serialised, a table is exactly the JSON array of objects it
//! was read from (a key a row did not have stays absent).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};
use uuid::Uuid;

/// One cell. Every variant reads back as the JSON value it came from.
#[derive(Debug, Clone, Default)]
pub enum Cell {
    /// The row has no such key (differs from `null` only when written back).
    #[default]
    Absent,
    Null,
    Bool(bool),
    Int(i64),
    /// A string of decimal digits without leading zeros (LSNs, mostly).
    Digits(Digits),
    /// A string that is a lowercase hyphenated GUID.
    Guid(Uuid),
    Text(CompactString),
    /// Any other JSON number, as its exact text.
    Number(Box<str>),
    /// An array or object (no catalog column has one; kept so nothing is lost).
    Json(Box<Value>),
}

/// A `u128` stored without its 16-byte alignment, so that a [`Cell`] stays
/// 24 bytes (a catalog row is 40-odd cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits([u8; 16]);

impl Digits {
    pub fn new(v: u128) -> Digits {
        Digits(v.to_le_bytes())
    }

    pub fn get(self) -> u128 {
        u128::from_le_bytes(self.0)
    }
}

impl Cell {
    /// Absent and null both read as "no value".
    pub fn is_none(&self) -> bool {
        matches!(self, Cell::Absent | Cell::Null)
    }

    /// A string cell, choosing the compact form that writes back identically.
    pub fn text(s: impl AsRef<str> + Into<String>) -> Cell {
        let r = s.as_ref();
        if let Some(d) = canonical_digits(r) {
            return Cell::Digits(Digits::new(d));
        }
        if let Some(g) = canonical_guid(r) {
            return Cell::Guid(g);
        }
        if r.len() <= std::mem::size_of::<CompactString>() {
            Cell::Text(CompactString::new(r))
        } else {
            Cell::Text(CompactString::from(s.into()))
        }
    }

    /// A JSON number: `Int` when it is a plain `i64`, else its exact text.
    pub fn number(n: &Number) -> Cell {
        let s = n.as_str();
        match s.parse::<i64>() {
            Ok(i) if s != "-0" => Cell::Int(i),
            _ => Cell::Number(s.into()),
        }
    }

    pub fn from_value(v: Value) -> Cell {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(b),
            Value::Number(n) => Cell::number(&n),
            Value::String(s) => Cell::text(s),
            other => Cell::Json(Box::new(other)),
        }
    }

    /// The JSON value (`null` for an absent cell).
    pub fn to_value(&self) -> Value {
        match self {
            Cell::Absent | Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Int(i) => Value::from(*i),
            Cell::Number(n) => n
                .parse::<Number>()
                .map(Value::Number)
                .unwrap_or_else(|_| Value::String(n.to_string())),
            Cell::Json(v) => (**v).clone(),
            Cell::Digits(_) | Cell::Guid(_) | Cell::Text(_) => {
                Value::String(self.as_text().unwrap_or_default().into_owned())
            }
        }
    }

    /// The text of a string cell (digits and GUIDs included).
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Text(s) => Some(Cow::Borrowed(s.as_str())),
            Cell::Digits(d) => Some(Cow::Owned(d.get().to_string())),
            Cell::Guid(g) => Some(Cow::Owned(g.hyphenated().to_string())),
            _ => None,
        }
    }

    /// A JSON number's text (`Int` or `Number`).
    pub fn number_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Int(i) => Some(Cow::Owned(i.to_string())),
            Cell::Number(n) => Some(Cow::Borrowed(n)),
            _ => None,
        }
    }

    /// What kind of JSON value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Absent | Cell::Null => "null",
            Cell::Bool(_) => "a boolean",
            Cell::Int(_) | Cell::Number(_) => "a number",
            Cell::Digits(_) | Cell::Guid(_) | Cell::Text(_) => "a string",
            Cell::Json(v) if v.is_array() => "an array",
            Cell::Json(_) => "an object",
        }
    }
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Absent, Cell::Absent) | (Cell::Null, Cell::Null) => true,
            (Cell::Bool(a), Cell::Bool(b)) => a == b,
            (Cell::Int(a), Cell::Int(b)) => a == b,
            (Cell::Digits(a), Cell::Digits(b)) => a == b,
            (Cell::Guid(a), Cell::Guid(b)) => a == b,
            (Cell::Text(a), Cell::Text(b)) => a == b,
            // Built through `Cell::text` / `Cell::number`, equal values have
            // equal variants; a cell made by hand is compared as JSON.
            _ => !matches!(self, Cell::Absent) && self.to_value() == other.to_value(),
        }
    }
}

impl From<Value> for Cell {
    fn from(v: Value) -> Cell {
        Cell::from_value(v)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::text(v)
    }
}

impl From<bool> for Cell {
    fn from(v: bool) -> Cell {
        Cell::Bool(v)
    }
}

/// Digits without a leading zero (or "0"), small enough for a u128.
fn canonical_digits(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 38 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 1 && b[0] == b'0' {
        return None;
    }
    s.parse().ok()
}

/// A GUID written lowercase with hyphens, the way it is written back.
fn canonical_guid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let shape = b.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
    });
    if !shape {
        return None;
    }
    Uuid::parse_str(s).ok()
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Absent | Cell::Null => s.serialize_unit(),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Digits(d) => s.serialize_str(itoa_u128(d.get(), &mut [0; 40])),
            Cell::Guid(g) => {
                s.serialize_str(g.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
            }
            Cell::Text(t) => s.serialize_str(t),
            Cell::Number(_) | Cell::Json(_) => self.to_value().serialize(s),
        }
    }
}

/// Writes `v` in decimal into the end of `buf`.
fn itoa_u128(mut v: u128, buf: &mut [u8; 40]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or("0")
}

/// A table's column names, shared by its rows, with a name → position index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    names: Vec<Box<str>>,
    positions: HashMap<Box<str>, usize>,
}

impl Columns {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    fn position_or_add(&mut self, name: &str) -> usize {
        if let Some(p) = self.position(name) {
            return p;
        }
        self.names.push(name.into());
        self.positions.insert(name.into(), self.names.len() - 1);
        self.names.len() - 1
    }
}

/// The rows of one catalog table. Cloning shares the rows (a live refresh
/// keeps the previous collection while the estate built from it is shown).
#[derive(Debug, Clone, Default)]
pub struct Table {
    columns: Arc<Columns>,
    /// A row may be shorter than the columns (keys added later): the missing
    /// tail is absent.
    rows: Vec<Arc<[Cell]>>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    columns: &'a Columns,
    cells: &'a [Cell],
}

impl<'a> RowRef<'a> {
    /// The cell of a column; `None` when absent or null.
    pub fn get(&self, column: &str) -> Option<&'a Cell> {
        let cell = self.cells.get(self.columns.position(column)?)?;
        (!cell.is_none()).then_some(cell)
    }

    /// The row's keys and cells, in column order, absent keys left out.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Cell)> + 'a {
        self.columns
            .names
            .iter()
            .zip(self.cells)
            .filter(|(_, c)| !matches!(c, Cell::Absent))
            .map(|(n, c)| (&**n, c))
    }

    /// The row as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(n, c)| (n.to_string(), c.to_value()))
            .collect()
    }

    fn same(&self, other: &RowRef<'_>) -> bool {
        self.iter().count() == other.iter().count()
            && self.iter().all(|(n, c)| {
                other
                    .cells
                    .get(other.columns.position(n).unwrap_or(usize::MAX))
                    == Some(c)
            })
    }
}

impl Serialize for RowRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (n, c) in self.iter() {
            map.serialize_entry(n, c)?;
        }
        map.end()
    }
}

impl Table {
    pub fn from_maps<I: IntoIterator<Item = Map<String, Value>>>(maps: I) -> Table {
        let mut t = Table::default();
        for m in maps {
            t.push_map(m);
        }
        t
    }

    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, index: usize) -> Option<RowRef<'_>> {
        self.rows.get(index).map(|cells| RowRef {
            columns: &self.columns,
            cells,
        })
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = RowRef<'_>> + '_ {
        let columns = &*self.columns;
        self.rows.iter().map(move |cells| RowRef { columns, cells })
    }

    /// Appends a row of cells in this table's column order.
    pub fn push_cells(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells.into());
    }

    /// Appends a row of cells in this table's column order, taking them from
    /// a buffer the caller reuses (one allocation per row).
    pub fn push_drained(&mut self, cells: &mut Vec<Cell>) {
        self.rows.push(cells.drain(..).collect());
    }

    /// Appends a row given as a JSON object (new keys become new columns).
    pub fn push_map(&mut self, map: Map<String, Value>) {
        let mut cells: Vec<Cell> = vec![Cell::Absent; self.columns.len()];
        for (k, v) in map {
            let p = self.add_column(&k);
            if p >= cells.len() {
                cells.resize(p + 1, Cell::Absent);
            }
            cells[p] = Cell::from_value(v);
        }
        self.push_cells(cells);
    }

    /// The position of a column, added when new.
    pub fn add_column(&mut self, name: &str) -> usize {
        match self.columns.position(name) {
            Some(p) => p,
            None => Arc::make_mut(&mut self.columns).position_or_add(name),
        }
    }

    /// Sets one cell (adding the column when it is new).
    pub fn set(&mut self, row: usize, column: &str, value: impl Into<Cell>) {
        if row >= self.rows.len() {
            return;
        }
        let p = self.add_column(column);
        let mut cells = self.rows[row].to_vec();
        if p >= cells.len() {
            cells.resize(p + 1, Cell::Absent);
        }
        cells[p] = value.into();
        self.rows[row] = cells.into();
    }

    /// Keeps the rows `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(RowRef<'_>) -> bool) {
        let columns = Arc::clone(&self.columns);
        self.rows.retain(|cells| {
            keep(RowRef {
                columns: &columns,
                cells,
            })
        });
    }

    /// Appends the rows of `other` (its columns mapped onto ours).
    pub fn append(&mut self, other: &Table) {
        if Arc::ptr_eq(&self.columns, &other.columns) || *self.columns == *other.columns {
            self.rows.extend(other.rows.iter().cloned());
            return;
        }
        let map: Vec<usize> = other.columns.names().map(|n| self.add_column(n)).collect();
        for row in &other.rows {
            let mut cells = vec![Cell::Absent; self.columns.len()];
            for (c, &p) in row.iter().zip(&map) {
                cells[p] = c.clone();
            }
            self.push_cells(cells);
        }
    }

    /// Every row as a JSON object.
    pub fn to_maps(&self) -> Vec<Map<String, Value>> {
        self.rows().map(|r| r.to_map()).collect()
    }
}

impl PartialEq for Table {
    /// Same rows in the same order, whatever the column order.
    fn eq(&self, other: &Table) -> bool {
        self.len() == other.len() && self.rows().zip(other.rows()).all(|(a, b)| a.same(&b))
    }
}

impl FromIterator<Map<String, Value>> for Table {
    fn from_iter<I: IntoIterator<Item = Map<String, Value>>>(iter: I) -> Table {
        Table::from_maps(iter)
    }
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for r in self.rows() {
            seq.serialize_element(&r)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Table, D::Error> {
        d.deserialize_seq(TableVisitor)
    }
}

struct TableVisitor;

impl<'de> Visitor<'de> for TableVisitor {
    type Value = Table;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Table, A::Error> {
        let mut table = Table::default();
        while let Some(cells) = seq.next_element_seed(RowSeed(&mut table))? {
            table.push_cells(cells);
        }
        Ok(table)
    }
}

/// A row may leave out this many columns before its last key...
const SPARSE_SLACK: usize = 64;
/// ...plus this many per key it has.
const SPARSE_FACTOR: usize = 16;

/// Reads one row object straight into cells (no intermediate map).
struct RowSeed<'t>(&'t mut Table);

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Vec<Cell>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Cell>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Vec<Cell>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Cell>, A::Error> {
        let table = self.0;
        let mut cells = Vec::new();
        let mut present = 0usize;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: Cell = map.next_value()?;
            let p = table.add_column(key.as_str());
            if p >= cells.len() {
                cells.resize(p + 1, Cell::Absent);
            }
            if matches!(cells[p], Cell::Absent) {
                present += 1;
            }
            cells[p] = value;
        }
        // A row is as long as its last column. Rows that each name a few new
        // keys would make that quadratic (a 1 MB file asking for gigabytes);
        // catalog rows name most of their table's columns, so refuse rows
        // that are mostly gaps.
        if cells.len() > SPARSE_SLACK + SPARSE_FACTOR * present {
            return Err(serde::de::Error::custom(format!(
                "a row with {present} keys spread over {} columns: too sparse for a catalog table",
                cells.len()
            )));
        }
        Ok(cells)
    }
}

/// A row key, borrowed from the document when it has no escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A cell read straight from JSON: strings, booleans, nulls and integers
/// without an intermediate `Value`; numbers in serde_json's exact form,
/// arrays and objects through `Value`.
impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }

    fn visit_none<E>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
        Ok(Cell::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
        Ok(Cell::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
        Ok(i64::try_from(v).map_or_else(|_| Cell::Number(v.to_string().into()), Cell::Int))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Cell, E> {
        Ok(i64::try_from(v).map_or_else(|_| Cell::Number(v.to_string().into()), Cell::Int))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Cell, E> {
        Ok(i64::try_from(v).map_or_else(|_| Cell::Number(v.to_string().into()), Cell::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
        Ok(Number::from_f64(v).map_or(Cell::Null, |n| Cell::number(&n)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
        Ok(Cell::text(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Cell, E> {
        Ok(Cell::text(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Cell, A::Error> {
        // Also how serde_json hands over a number with arbitrary_precision.
        let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Cell::from_value(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Cell, A::Error> {
        let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Cell::from_value(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) -> Value {
        let t: Table = serde_json::from_value(v).expect("table");
        serde_json::to_value(&t).expect("json")
    }

    #[test]
    fn a_cell_is_three_words() {
        assert_eq!(std::mem::size_of::<Cell>(), 24);
    }

    #[test]
    fn rows_write_back_as_they_were_read() {
        let rows = json!([
            {"a": 1, "b": "x", "lsn": "98000000012300001", "g": "6f1c4a2e-0b7d-4c1e-9a51-3d2f8e7b6c10"},
            {"a": null, "c": [1, 2], "n": 1.5, "big": 123456789012345678901234567u128},
            {"lead": "007", "upper": "6F1C4A2E-0B7D-4C1E-9A51-3D2F8E7B6C10", "neg0": -0, "t": true},
            {}
        ]);
        assert_eq!(round_trip(rows.clone()), rows);
    }

    #[test]
    fn text_documents_read_the_same_as_values() {
        let text = r#"[{"a":1,"b":"x\"y","lsn":"98000000012300001","big":123456789012345678901234567,
            "f":1.50,"neg":-9223372036854775808,"u":18446744073709551615,"o":{"k":[1,{"z":null}]},
            "e\u0041":true,"n":null,"g":"6f1c4a2e-0b7d-4c1e-9a51-3d2f8e7b6c10"}]"#;
        let from_text: Table = serde_json::from_str(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let from_value: Table = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(from_text, from_value);
        assert_eq!(serde_json::to_value(&from_text).unwrap(), value);
        let row = from_text.row(0).unwrap();
        assert_eq!(
            row.get("big").unwrap().number_text().as_deref(),
            Some("123456789012345678901234567")
        );
        assert_eq!(row.get("f").unwrap().number_text().as_deref(), Some("1.50"));
        assert!(row.to_map().contains_key("eA"));
    }

    #[test]
    fn rows_that_are_mostly_gaps_are_refused_not_allocated() {
        // Each row names one new key: memory would grow with the square of
        // the rows.
        let rows: Vec<String> = (0..200).map(|i| format!("{{\"k{i}\": 1}}")).collect();
        let text = format!("[{}]", rows.join(","));
        let err = serde_json::from_str::<Table>(&text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too sparse for a catalog table"), "{err}");
        // Catalog-like rows that leave a few columns out are fine.
        let dense: Vec<String> = (0..200)
            .map(|i| {
                let keys: Vec<String> = (0..40)
                    .filter(|k| (k + i) % 7 != 0)
                    .map(|k| format!("\"c{k}\": {i}"))
                    .collect();
                format!("{{{}}}", keys.join(","))
            })
            .collect();
        let t: Table = serde_json::from_str(&format!("[{}]", dense.join(","))).unwrap();
        assert_eq!((t.len(), t.columns().len()), (200, 40));
    }

    #[test]
    fn compact_forms_are_chosen_only_when_exact() {
        assert_eq!(Cell::text("12345"), Cell::Digits(Digits::new(12345)));
        assert!(matches!(Cell::text("12345"), Cell::Digits(_)));
        assert!(matches!(Cell::text("0"), Cell::Digits(d) if d.get() == 0));
        let max = u128::MAX.to_string();
        assert!(matches!(Cell::text(&*max), Cell::Text(_)));
        let big = "9".repeat(38);
        assert!(matches!(Cell::text(&*big), Cell::Digits(d) if d.get().to_string() == big));
        assert!(matches!(Cell::text("012"), Cell::Text(_)));
        assert!(matches!(Cell::text(""), Cell::Text(_)));
        assert!(matches!(Cell::text("9".repeat(39)), Cell::Text(_)));
        assert!(matches!(
            Cell::text("6f1c4a2e-0b7d-4c1e-9a51-3d2f8e7b6c10"),
            Cell::Guid(_)
        ));
        assert!(matches!(
            Cell::text("{6f1c4a2e-0b7d-4c1e-9a51-3d2f8e7b6c10}"),
            Cell::Text(_)
        ));
        assert_eq!(Cell::text("0042").as_text().as_deref(), Some("0042"));
    }

    #[test]
    fn absent_and_null_differ_only_when_written() {
        let t: Table = serde_json::from_value(json!([{"a": null}, {"b": 2}])).unwrap();
        let first = t.row(0).unwrap();
        assert!(first.get("a").is_none() && first.to_map().contains_key("a"));
        assert!(!first.to_map().contains_key("b"));
        assert_eq!(t.row(1).unwrap().get("b"), Some(&Cell::Int(2)));
        assert_eq!(t.row(1).unwrap().get("zzz"), None);
    }

    #[test]
    fn equality_ignores_column_order() {
        let a: Table = serde_json::from_value(json!([{"a": 1, "b": "x"}])).unwrap();
        let b: Table = serde_json::from_value(json!([{"b": "x", "a": 1}])).unwrap();
        let c: Table = serde_json::from_value(json!([{"b": "x", "a": 2}])).unwrap();
        let d: Table = serde_json::from_value(json!([{"b": "x", "a": 1, "z": null}])).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn set_append_retain() {
        let mut a: Table = serde_json::from_value(json!([{"id": 1}, {"id": 2}])).unwrap();
        a.set(0, "name", "first");
        let b: Table = serde_json::from_value(json!([{"other": true, "id": 3}])).unwrap();
        a.append(&b);
        a.retain(|r| r.get("id") != Some(&Cell::Int(2)));
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!([{"id": 1, "name": "first"}, {"id": 3, "other": true}])
        );
    }
}
