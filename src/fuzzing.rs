//! Property checks shared by the cargo-fuzz targets (`fuzz/`) and the
//! stable-toolchain corpus test (`tests/analysis/fuzz_corpus.rs`).
//!
//! Each `check_*` function takes arbitrary bytes, runs one parser on them and
//! panics when a property does not hold, so a corpus file that once found a
//! bug keeps failing `cargo test` if the bug comes back, with or without
//! cargo-fuzz. Outside input must never panic the parsers themselves: a
//! panic anywhere below is a finding.

use std::path::Path;

use serde_json::{Map, Value};

use crate::analysis::storage::names::{parse_blob_name, BlobKind, ParsedName};
use crate::config::{Ado, Config};
use crate::model::catalog;
use crate::model::Lsn;
use crate::snapshot::{self, Snapshot};
use crate::tsql::{comment_safe, quote_ident, quote_string};

/// A property check on arbitrary input; panics when a property fails.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name, with the check each one runs.
pub const TARGETS: &[(&str, Check)] = &[
    ("snapshot", check_snapshot),
    ("config", check_config),
    ("blob_names", check_blob_name),
    ("lsn", check_lsn),
    ("tsql_quote", check_tsql_quote),
];

/// The snapshot loader: JSON text, or (input not starting with `{`) a
/// line-based description of one row per catalog table, so the fuzzer
/// reaches the typed row readers without first having to invent JSON.
///
/// Properties: loading never panics; a loaded snapshot survives a write and
/// re-read unchanged; the typed estate has one instance per snapshot
/// instance, unique backup set ids, and a database for every backup's
/// `database_name`; loading twice gives the same estate.
pub fn check_snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = if text.trim_start().starts_with('{') {
        Snapshot::from_json(text)
    } else {
        Snapshot::from_value(rows_document(text))
    };
    let Ok(snap) = parsed else {
        return;
    };
    let rewritten = snap.to_json_pretty();
    let reread = Snapshot::from_json(&rewritten)
        .unwrap_or_else(|e| panic!("a loaded snapshot does not load after writing it: {e}"));
    assert_eq!(reread, snap, "snapshot changed through write and re-read");
    if let Ok(original) = serde_json::from_str::<Value>(text) {
        tables_written_back_exactly(&original, &rewritten);
    }

    let first = snapshot::to_estate(snap.clone(), "fuzz", false);
    let second = snapshot::to_estate(snap.clone(), "fuzz", false);
    match (&first, &second) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "to_estate is not deterministic"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("to_estate succeeded once and failed once on the same snapshot"),
    }
    let Ok(estate) = first else {
        return;
    };
    assert_eq!(estate.instances.len(), snap.instances.len());
    for instance in &estate.instances {
        let mut ids: Vec<i64> = instance.backups.iter().map(|b| b.backup_set_id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate backup_set_id in {}", instance.name);
        for b in &instance.backups {
            assert!(
                instance.database(&b.database_name).is_some(),
                "backup {} names database {:?} that the instance does not list",
                b.backup_set_id,
                b.database_name
            );
            for lsn in [b.first_lsn, b.last_lsn, b.checkpoint_lsn]
                .into_iter()
                .flatten()
            {
                assert_eq!(Lsn::new(lsn.value()), Some(lsn), "LSN out of range");
            }
        }
    }
}

/// Every table of every instance is written back as the JSON it was read
/// from: same rows, same keys, same values (numbers to the digit).
fn tables_written_back_exactly(original: &Value, rewritten: &str) {
    let rewritten: Value = serde_json::from_str(rewritten).expect("written JSON parses");
    let instances = |v: &Value| v["instances"].as_array().cloned().unwrap_or_default();
    for (before, after) in instances(original).iter().zip(&instances(&rewritten)) {
        let tables = |v: &Value| v.get("tables").cloned().unwrap_or(Value::Null);
        match tables(before) {
            // Absent or null: no tables; written back as an empty object.
            Value::Null => {}
            t => assert_eq!(t, tables(after), "tables changed through write and re-read"),
        }
    }
}

/// Builds a one-instance snapshot from lines `T.column=VALUE`, where `T`
/// picks the table (`b` backupset, `f` backupmediafamily, `m` backupmediaset,
/// `d` databases, `r` recovery status, `g` Managed Backup config, `s` server
/// info, `c` collected_at) and VALUE is JSON when it parses, else a string.
pub fn rows_document(text: &str) -> Value {
    let tables = [
        ('b', catalog::BACKUPSET),
        ('f', catalog::BACKUPMEDIAFAMILY),
        ('m', catalog::BACKUPMEDIASET),
        ('d', catalog::DATABASES),
        ('r', catalog::RECOVERY_STATUS),
        ('g', catalog::MB_DB_CONFIG),
    ];
    let mut rows: Map<String, Value> = Map::new();
    let mut server = Map::new();
    let mut collected_at = Value::Null;
    for line in text.lines() {
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::from(raw));
        let mut chars = key.chars();
        let (Some(t), Some('.')) = (chars.next(), chars.next()) else {
            continue;
        };
        let column = chars.as_str().to_string();
        match t {
            's' => {
                server.insert(column, value);
            }
            'c' => collected_at = value,
            _ => {
                if let Some((_, table)) = tables.iter().find(|(c, _)| *c == t) {
                    let row = rows
                        .entry(table.to_string())
                        .or_insert_with(|| Value::Array(vec![Value::Object(Map::new())]));
                    if let Some(Value::Object(r)) = row.get_mut(0) {
                        r.insert(column, value);
                    }
                }
            }
        }
    }
    serde_json::json!({
        "format": snapshot::FORMAT,
        "collected_at": collected_at,
        "instances": [{ "name": "FUZZ", "server": server, "tables": rows }],
    })
}

/// The config loader on TOML text.
///
/// Properties: parsing never panics; a loaded config has named instances
/// with unique names (case-insensitive) and sane defaults; every problem has
/// a message and a line inside the text; and no error message repeats a
/// password written in the file (as `password = "…"` or `Password=` in a
/// connection string).
pub fn check_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.toml");
    let lines = text.lines().count() + 1;
    match Config::parse(text, path) {
        Ok(config) => {
            assert!(config.defaults.parallelism >= 1);
            assert!(config.defaults.connect_timeout_secs >= 1);
            assert!(config.defaults.query_timeout_secs >= 1);
            for (i, a) in config.instances.iter().enumerate() {
                assert!(!a.name.is_empty(), "an instance without a name loaded");
                assert!(!a.host.trim().is_empty() || a.line > 0);
                for b in &config.instances[i + 1..] {
                    assert!(
                        !a.name.eq_ignore_ascii_case(&b.name),
                        "duplicate instance {:?} loaded",
                        a.name
                    );
                }
            }
            let _ = config.warnings();
        }
        Err(err) => {
            assert!(!err.problems.is_empty(), "an error with no problem");
            for (line, _, message) in &err.problems {
                assert!(!message.trim().is_empty(), "a problem without a message");
                assert!(
                    *line <= lines,
                    "problem on line {line} of a {lines}-line file"
                );
            }
            let shown = err.to_string();
            for secret in written_passwords(text) {
                assert!(
                    !shown.contains(&secret),
                    "config error shows the password {secret:?}: {shown}"
                );
            }
        }
    }
}

/// Passwords written in config text that a leak check can look for without
/// false alarms: long enough, appearing once in the text, and no escapes
/// that could make them appear again under another spelling.
fn written_passwords(text: &str) -> Vec<String> {
    if text.contains('\\') {
        return Vec::new();
    }
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for inst in table
        .get("instance")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_table())
    {
        if let Some(p) = inst.get("password").and_then(|v| v.as_str()) {
            found.push(p.to_string());
        }
        if let Some(conn) = inst.get("connection").and_then(|v| v.as_str()) {
            if let Ok(Ado {
                password: Some(p), ..
            }) = Ado::parse(conn)
            {
                found.push(p);
            }
        }
    }
    found.retain(|p| p.chars().count() >= 6 && text.matches(p.as_str()).count() == 1);
    found
}

/// The Managed Backup blob-name parser.
///
/// Properties: parsing never panics; a parsed name, written back in the
/// canonical shape, parses to the same thing; it matches its own database
/// prefix; its set key names its GUID and timestamp; and a time, when read,
/// prints back as the timestamp's digits.
pub fn check_blob_name(data: &[u8]) {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let ParsedName::Managed(m) = parse_blob_name(name) else {
        return;
    };
    assert!(m.matches_database(&m.db_prefix));
    assert!(!m.db_prefix.is_empty() && m.db_prefix.chars().count() <= 40);
    let key = m.set_key();
    assert!(key.contains(&m.database_guid.simple().to_string()));
    assert!(key.contains(&m.timestamp));
    assert!((12..=17).contains(&m.timestamp.len()));
    if let Some(t) = m.time {
        let digits = t.format("%Y%m%d%H%M%S%3f").to_string();
        assert!(
            digits.starts_with(&m.timestamp),
            "time {t} does not match timestamp {}",
            m.timestamp
        );
    }
    let mut canonical = m.db_prefix.clone();
    if let Some(ag) = m.ag_database_guid {
        canonical.push_str(&format!("_{}", ag.simple()));
    }
    canonical.push_str(&format!("_{}_{}", m.database_guid.simple(), m.timestamp));
    if let Some(s) = m.stripe {
        canonical.push_str(&format!("_{s}"));
    }
    canonical.push_str(match m.kind {
        BlobKind::Full => ".bak",
        BlobKind::Log => ".log",
    });
    assert_eq!(
        parse_blob_name(&canonical),
        ParsedName::Managed(m.clone()),
        "{canonical:?} (written back from {name:?}) parses differently"
    );
}

/// The Lsn parsers, decimal and `vlf:block:slot` hex.
///
/// Properties: parsing never panics; a parsed LSN fits `numeric(25,0)`;
/// decimal display parses back to the same LSN; a hex-form LSN prints back in
/// hex form to the same LSN; and (input as a number) every LSN `Lsn::new`
/// accepts round-trips through its decimal display.
pub fn check_lsn(data: &[u8]) {
    if data.len() >= 16 {
        let mut raw = [0u8; 16];
        raw.copy_from_slice(&data[..16]);
        let value = u128::from_le_bytes(raw);
        match Lsn::new(value) {
            Some(lsn) => {
                assert_eq!(lsn.value(), value);
                assert_eq!(Lsn::parse_decimal(&lsn.to_string()), Ok(lsn));
                assert_eq!(lsn.to_string().parse::<Lsn>(), Ok(lsn));
            }
            None => assert!(value >= 10u128.pow(25)),
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for lsn in [Lsn::parse_decimal(text), Lsn::parse_any(text)]
        .into_iter()
        .flatten()
    {
        assert_eq!(Lsn::new(lsn.value()), Some(lsn), "{text:?} out of range");
        assert_eq!(Lsn::parse_decimal(&lsn.to_string()), Ok(lsn));
    }
    if let Ok(lsn) = Lsn::parse_hex_form(text) {
        let hex = lsn.to_hex_form();
        assert_eq!(Lsn::parse_hex_form(&hex), Ok(lsn), "{text:?} → {hex:?}");
        assert_eq!(Lsn::parse_any(text), Ok(lsn));
        assert_eq!(Lsn::parse_decimal(&lsn.to_string()), Ok(lsn));
    }
}

/// T-SQL quoting.
///
/// Properties: a quoted identifier is one bracketed token that our reader
/// unquotes back to the input; a string literal is one `N'…'` token that
/// unquotes to the input (a NUL as `NCHAR(0)` joined to the pieces); comment text has no control
/// characters (so no line break can end a `--` comment early).
pub fn check_tsql_quote(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match quote_ident(text) {
        Ok(quoted) => {
            assert_eq!(read_bracketed(&quoted).as_deref(), Some(text), "{quoted:?}");
        }
        Err(_) => assert!(
            text.is_empty() || text.contains('\0') || text.chars().count() > 128,
            "{text:?} refused as an identifier"
        ),
    }
    let literal = quote_string(text);
    assert_eq!(
        read_nliteral(&literal).as_deref(),
        Some(text),
        "{literal:?}"
    );
    assert!(!comment_safe(text).chars().any(char::is_control));
}

/// Reads one `[…]` identifier that must span the whole input (`]]` is `]`).
pub fn read_bracketed(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('[')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == ']' {
            match chars.next() {
                Some(']') => out.push(']'),
                // The closing bracket must be the last character.
                None => return Some(out),
                Some(_) => return None,
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// Reads one `N'…'` literal that must span the whole input (`''` is `'`).
pub fn read_nstring(literal: &str) -> Option<String> {
    let inner = literal.strip_prefix("N'")?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\'' {
            match chars.next() {
                Some('\'') => out.push('\''),
                None => return Some(out),
                Some(_) => return None,
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// Reads a string expression as `quote_string` writes it: one `N'…'`, or
/// `(N'…' + NCHAR(0) + N'…')` when the text holds NULs.
pub fn read_nliteral(literal: &str) -> Option<String> {
    let Some(inner) = literal.strip_prefix('(').and_then(|l| l.strip_suffix(')')) else {
        return read_nstring(literal);
    };
    let mut out = String::new();
    let mut rest = inner;
    loop {
        if let Some(after) = rest.strip_prefix("NCHAR(0)") {
            out.push('\0');
            rest = after;
        } else {
            // The literal runs to the quote that is not doubled.
            let body = rest.strip_prefix("N'")?;
            let mut end = None;
            let bytes = body.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    end = Some(i);
                    break;
                }
                i += 1;
            }
            let end = end?;
            out.push_str(&read_nstring(&rest[..end + 3])?);
            rest = &body[end + 1..];
        }
        match rest.strip_prefix(" + ") {
            Some(next) => rest = next,
            None if rest.is_empty() => return Some(out),
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_literals_read_back_exactly() {
        for text in ["a", "O'Brien\0x", "\0", "a\0\0b'", ""] {
            assert_eq!(
                read_nliteral(&quote_string(text)).as_deref(),
                Some(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn readers_refuse_tokens_that_end_early() {
        assert_eq!(read_bracketed("[a]]b]").as_deref(), Some("a]b"));
        assert_eq!(read_bracketed("[a]b]"), None);
        assert_eq!(read_bracketed("[ab"), None);
        assert_eq!(read_nstring("N'it''s'").as_deref(), Some("it's"));
        assert_eq!(read_nstring("N'it's'"), None);
        assert_eq!(read_nstring("'x'"), None);
    }

    #[test]
    fn rows_document_builds_one_row_per_table() {
        let doc = rows_document("b.backup_set_id=1\nb.type=D\ns.utc_offset_minutes=60\nx");
        let snap = Snapshot::from_value(doc).unwrap();
        let rows = &snap.instances[0].tables[catalog::BACKUPSET];
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.row(0).unwrap().to_map()["type"], Value::from("D"));
        assert_eq!(snap.instances[0].server.utc_offset_minutes, Some(60));
    }
}
