//! How each catalog table is kept: history that accumulates (msdb purges
//! never delete from the archive) or state that the latest collection
//! replaces, and the natural key that makes a row the same row again.

use crate::model::catalog;
use crate::model::{Cell, RowRef};

/// How rows of one table live in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// msdb history: every row ever seen is kept, by its natural key.
    History(&'static [&'static str]),
    /// Current state with a natural key: rows absent from the latest
    /// collection are kept but no longer exported.
    State(&'static [&'static str]),
    /// Current state without a known key: the latest collection replaces it.
    Replaced,
}

/// msdb history tables and their natural keys (the backupset's is special).
const HISTORY: &[(&str, &[&str])] = &[
    (catalog::BACKUPSET, &["backup_set_id"]),
    (
        catalog::BACKUPMEDIAFAMILY,
        &["media_set_id", "family_sequence_number", "mirror"],
    ),
    (catalog::BACKUPMEDIASET, &["media_set_id"]),
    (catalog::BACKUPFILE, &["backup_set_id", "file_number"]),
    (catalog::RESTOREHISTORY, &["restore_history_id"]),
    (
        catalog::LOGMARKHISTORY,
        &["database_name", "lsn", "mark_name"],
    ),
    (catalog::MAINTPLAN_LOG, &["task_detail_id"]),
];

/// State tables whose rows have a documented key.
const STATE: &[(&str, &[&str])] = &[
    (catalog::DATABASES, &["name"]),
    (catalog::MB_DB_CONFIG, &["db_name"]),
    (catalog::SA_DB_CONFIG, &["db_name"]),
    (catalog::SYSJOBS, &["job_id"]),
    (catalog::SYSJOBSTEPS, &["job_id", "step_id"]),
    (catalog::SERVER_CREDENTIALS, &["name"]),
];

pub fn kind(table_name: &str) -> Kind {
    if let Some((_, k)) = HISTORY.iter().find(|(t, _)| *t == table_name) {
        return Kind::History(k);
    }
    if let Some((_, k)) = STATE.iter().find(|(t, _)| *t == table_name) {
        return Kind::State(k);
    }
    Kind::Replaced
}

/// The row's natural key as text, or `None` when a key column is missing
/// (such a row is keyed by its whole content instead).
///
/// A backup set is the same backup wherever it is seen: keyed by
/// `backup_set_uuid`, falling back to the instance's `backup_set_id`.
pub fn natural_key(table_name: &str, columns: &[&str], row: &RowRef<'_>) -> Option<String> {
    if table_name == catalog::BACKUPSET {
        if let Some(uuid) = row.get("backup_set_uuid").and_then(guid_text) {
            return Some(format!("u:{uuid}"));
        }
    }
    let mut key = String::from("k");
    for c in columns {
        key.push(':');
        key.push_str(&cell_key(row.get(c)?)?);
    }
    Some(key)
}

/// A GUID in one spelling (FOR JSON writes them uppercase).
fn guid_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Guid(g) => Some(g.hyphenated().to_string()),
        other => {
            let text = other.as_text()?;
            let g = uuid::Uuid::parse_str(text.trim()).ok()?;
            Some(g.hyphenated().to_string())
        }
    }
}

/// A key part: integers and digit strings alike (an LSN may be either).
fn cell_key(cell: &Cell) -> Option<String> {
    Some(match cell {
        Cell::Int(i) => i.to_string(),
        Cell::Digits(d) => d.get().to_string(),
        Cell::Guid(g) => g.hyphenated().to_string(),
        Cell::Bool(b) => u8::from(*b).to_string(),
        Cell::Text(t) => {
            // Escape the separator so ("a:b", "c") and ("a", "b:c") differ.
            format!("'{}", t.replace('\\', "\\\\").replace(':', "\\:"))
        }
        Cell::Number(n) => n.to_string(),
        Cell::Absent | Cell::Null | Cell::Json(_) => return None,
    })
}

/// The key of a row without a natural key: its exact JSON text.
pub fn content_key(row_json: &str) -> String {
    format!("c:{row_json}")
}

/// The `backup_set_id` of a backupset row (for reads past the stored one).
pub fn backup_set_id(table_name: &str, row: &RowRef<'_>) -> Option<i64> {
    if table_name != catalog::BACKUPSET {
        return None;
    }
    match row.get("backup_set_id")? {
        Cell::Int(i) => Some(*i),
        Cell::Digits(d) => i64::try_from(d.get()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Table;
    use serde_json::json;

    fn key_of(table_name: &str, row: serde_json::Value) -> Option<String> {
        let t: Table = serde_json::from_value(json!([row])).unwrap();
        let cols = match kind(table_name) {
            Kind::History(k) | Kind::State(k) => k,
            Kind::Replaced => &[][..],
        };
        natural_key(table_name, cols, &t.row(0).unwrap())
    }

    #[test]
    fn a_backup_set_is_keyed_by_its_uuid_in_any_spelling() {
        let lower = key_of(
            catalog::BACKUPSET,
            json!({"backup_set_id": 7, "backup_set_uuid": "6f1c4a2e-0b7d-4c1e-9a51-3d2f8e7b6c10"}),
        );
        let upper = key_of(
            catalog::BACKUPSET,
            json!({"backup_set_id": 9, "backup_set_uuid": "6F1C4A2E-0B7D-4C1E-9A51-3D2F8E7B6C10"}),
        );
        assert_eq!(lower, upper);
        assert_eq!(
            key_of(catalog::BACKUPSET, json!({"backup_set_id": 7})),
            Some("k:7".into())
        );
        assert_eq!(
            key_of(catalog::BACKUPSET, json!({"backup_set_id": "7"})),
            Some("k:7".into())
        );
    }

    #[test]
    fn media_families_differ_by_mirror_and_text_keys_cannot_collide() {
        let a = key_of(
            catalog::BACKUPMEDIAFAMILY,
            json!({"media_set_id": 5, "family_sequence_number": 1, "mirror": 0}),
        );
        let b = key_of(
            catalog::BACKUPMEDIAFAMILY,
            json!({"media_set_id": 5, "family_sequence_number": 1, "mirror": 1}),
        );
        assert_ne!(a, b);
        assert_eq!(
            key_of(catalog::BACKUPMEDIAFAMILY, json!({"media_set_id": 5})),
            None
        );
        let x = key_of(
            catalog::LOGMARKHISTORY,
            json!({"database_name": "a:b", "lsn": 1, "mark_name": "c"}),
        );
        let y = key_of(
            catalog::LOGMARKHISTORY,
            json!({"database_name": "a", "lsn": 1, "mark_name": "b:c"}),
        );
        assert_ne!(x, y);
    }

    #[test]
    fn kinds() {
        assert!(matches!(kind(catalog::BACKUPSET), Kind::History(_)));
        assert!(matches!(kind(catalog::DATABASES), Kind::State(_)));
        assert_eq!(kind(catalog::HADR_REPLICA_STATES), Kind::Replaced);
    }
}
