//! The chainwatch.snapshot.v1 loader: exact LSNs, time zones, absent tables, errors.

use chainwatch::model::{BackupType, DeviceType, Lsn};
use chainwatch::snapshot::{to_estate, Snapshot, SnapshotError};
use chrono::{TimeZone, Utc};

fn doc(backupset_rows: &str, extra_tables: &str) -> String {
    format!(
        r#"{{
  "format": "chainwatch.snapshot.v1",
  "collected_at": "2026-11-22T10:00:00Z",
  "instances": [{{
    "name": "SQL01\\PROD",
    "server": {{ "server_name": "SQL01\\PROD", "product_version": "13.0.5026.0", "utc_offset_minutes": 60 }},
    "tables": {{
      "msdb.dbo.backupset": [{backupset_rows}],
      "msdb.dbo.backupmediafamily": [
        {{ "media_set_id": 7, "family_sequence_number": 1, "device_type": 9, "physical_device_name": "https://a.blob.core.windows.net/c/x_1.bak", "mirror": 0 }},
        {{ "media_set_id": 7, "family_sequence_number": 2, "device_type": 9, "physical_device_name": "https://a.blob.core.windows.net/c/x_2.bak", "mirror": 0 }},
        {{ "media_set_id": 7, "family_sequence_number": 1, "device_type": 2, "physical_device_name": "E:\\mirror\\x.bak", "mirror": 1 }}
      ]{extra_tables}
    }}
  }}]
}}"#
    )
}

const ROW: &str = r#"{ "backup_set_id": 1, "media_set_id": 7, "type": "D", "database_name": "Sales",
  "first_lsn": 9999999999999999999999999, "last_lsn": "17126658000000314200037",
  "checkpoint_lsn": "17126658000000314200030", "time_zone": 4,
  "backup_start_date": "2026-11-20T03:00:00", "backup_finish_date": "2026-11-20T03:15:00.500",
  "is_copy_only": 0, "recovery_model": "BULK-LOGGED", "some_future_column": [1, 2] }"#;

#[test]
fn lsns_are_exact_from_bare_integers_and_strings() {
    let snap = Snapshot::from_json(&doc(ROW, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    let b = &estate.instances[0].backups[0];
    assert_eq!(b.first_lsn, Some(Lsn::new(10u128.pow(25) - 1).unwrap()));
    assert_eq!(b.last_lsn.unwrap().to_string(), "17126658000000314200037");
    assert_eq!(b.backup_type, BackupType::Full);
}

#[test]
fn local_time_and_time_zone_give_utc() {
    let snap = Snapshot::from_json(&doc(ROW, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    let b = &estate.instances[0].backups[0];
    // time_zone 4 = +60 minutes: 03:15 local is 02:15 UTC.
    assert_eq!(
        b.finish.unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 15, 0).unwrap() + chrono::Duration::milliseconds(500)
    );
    assert_eq!(
        b.finish_local.unwrap().to_string(),
        "2026-11-20 03:15:00.500"
    );
}

#[test]
fn unknown_time_zone_falls_back_to_the_instance_offset() {
    let row = ROW.replace("\"time_zone\": 4", "\"time_zone\": 127");
    let snap = Snapshot::from_json(&doc(&row, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    assert_eq!(
        estate.instances[0].backups[0].start.unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap()
    );
}

#[test]
fn stripes_are_families_of_mirror_zero() {
    let snap = Snapshot::from_json(&doc(ROW, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    let b = &estate.instances[0].backups[0];
    assert_eq!(b.files().len(), 2, "the mirror copy is not a stripe");
    assert_eq!(b.families[0].device_type, Some(DeviceType::Url));
}

#[test]
fn absent_tables_are_unknown_and_empty_tables_are_none() {
    let snap = Snapshot::from_json(&doc(ROW, r#", "sys.databases": []"#)).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    let inst = &estate.instances[0];
    let missing: Vec<&str> = inst
        .missing_tables
        .iter()
        .map(|m| m.table.as_str())
        .collect();
    assert!(missing.contains(&"sys.database_recovery_status"));
    assert!(!missing.contains(&"sys.databases"));
    assert!(inst.history_collected);
    // Sales is known from history only, and sys.databases (collected) lacks it.
    assert!(!inst.database("Sales").unwrap().exists);
    assert!(inst.database("Sales").unwrap().dropped);
    // Without sys.databases nothing can be called dropped.
    let snap = Snapshot::from_json(&doc(ROW, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    assert!(!estate.instances[0].database("Sales").unwrap().dropped);
}

#[test]
fn duplicated_rows_of_one_set_count_once() {
    let rows = format!("{ROW}, {ROW}");
    let snap = Snapshot::from_json(&doc(&rows, "")).unwrap();
    assert_eq!(
        to_estate(snap, "t", false).unwrap().instances[0]
            .backups
            .len(),
        1
    );
}

#[test]
fn bad_values_name_table_row_and_column() {
    let cases = [
        (
            "\"last_lsn\": \"17126658000000314200037\"",
            "\"last_lsn\": \"1712x\"",
            "last_lsn",
        ),
        (
            "\"last_lsn\": \"17126658000000314200037\"",
            "\"last_lsn\": 1.5e22",
            "last_lsn",
        ),
        (
            "\"last_lsn\": \"17126658000000314200037\"",
            "\"last_lsn\": \"12345678901234567890123456\"",
            "last_lsn",
        ),
        ("\"type\": \"D\"", "\"type\": \"Z\"", "type"),
        (
            "\"backup_finish_date\": \"2026-11-20T03:15:00.500\"",
            "\"backup_finish_date\": \"yesterday\"",
            "backup_finish_date",
        ),
        (
            "\"is_copy_only\": 0",
            "\"is_copy_only\": \"maybe\"",
            "is_copy_only",
        ),
    ];
    for (from, to, column) in cases {
        let rows = format!(
            "{ROW}, {}",
            ROW.replace(from, to)
                .replace("\"backup_set_id\": 1", "\"backup_set_id\": 2")
        );
        let snap = Snapshot::from_json(&doc(&rows, "")).unwrap();
        let err = to_estate(snap, "t", false).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SnapshotError::Row { .. }), "{text}");
        assert!(text.contains("msdb.dbo.backupset row 1"), "{text}");
        assert!(text.contains(&format!("column {column}")), "{text}");
        assert!(text.contains("SQL01\\PROD"), "{text}");
    }
}

#[test]
fn missing_columns_are_history_incomplete_not_errors() {
    let row = r#"{ "backup_set_id": 3, "type": "L", "database_name": "Sales" }"#;
    let snap = Snapshot::from_json(&doc(row, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    let b = &estate.instances[0].backups[0];
    assert_eq!(b.first_lsn, None);
    let row_without_type = r#"{ "backup_set_id": 3, "database_name": "Sales" }"#;
    let snap = Snapshot::from_json(&doc(row_without_type, "")).unwrap();
    let estate = to_estate(snap, "t", false).unwrap();
    assert!(estate.instances[0].backups.is_empty());
    assert!(estate.instances[0].row_problems[0].contains("history incomplete"));
}

#[test]
fn structural_errors_are_reported_not_panics() {
    for text in [
        "",
        "{",
        "[]",
        "{\"format\": \"other\", \"instances\": []}",
        "{\"format\": \"chainwatch.snapshot.v1\"}",
        "{\"format\": \"chainwatch.snapshot.v1\", \"instances\": [{\"name\": 5}]}",
    ] {
        assert!(Snapshot::from_json(text).is_err(), "{text:?}");
    }
}

#[test]
fn round_trips_unknown_fields() {
    let text = doc(ROW, r#", "sys.some_future_view": [{"x": 1}]"#);
    let snap = Snapshot::from_json(&text).unwrap();
    let again = Snapshot::from_json(&snap.to_json_pretty()).unwrap();
    assert_eq!(snap, again);
    assert!(again.instances[0]
        .tables
        .contains_key("sys.some_future_view"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_json_never_panics(text in "\\PC{0,200}") {
        if let Ok(snap) = Snapshot::from_json(&text) {
            let _ = to_estate(snap, "fuzz", false);
        }
    }

    #[test]
    fn arbitrary_cell_values_never_panic(value in proptest::arbitrary::any::<i64>(), s in "\\PC{0,30}", column in proptest::sample::select(vec!["first_lsn", "type", "backup_set_id", "time_zone", "backup_start_date", "is_copy_only", "database_guid", "recovery_model", "media_set_id"])) {
        for cell in [value.to_string(), serde_json::to_string(&s).unwrap(), "true".into(), "null".into(), "[]".into(), "{}".into(), format!("{value}{value}{value}")] {
            // A repeated key replaces the earlier value, so every column can be hit.
            let row = format!(r#"{{ "backup_set_id": 1, "type": "D", "database_name": "x", "{column}": {cell} }}"#);
            if let Ok(snap) = Snapshot::from_json(&doc(&row, "")) {
                let _ = to_estate(snap, "fuzz", false);
            }
        }
    }
}
