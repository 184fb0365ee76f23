//! Managed Backup blob-name parser: properties (never panics, round trips).

use chainwatch::analysis::storage::{parse_blob_name, BlobKind, ParsedName};
use proptest::prelude::*;
use uuid::Uuid;

fn name_of(
    db: &str,
    ag: Option<Uuid>,
    guid: Uuid,
    ts: &str,
    stripe: Option<u32>,
    log: bool,
) -> String {
    let prefix: String = db.chars().take(40).collect();
    let ag = ag.map(|g| format!("{}_", g.simple())).unwrap_or_default();
    let stripe = stripe.map(|s| format!("_{s}")).unwrap_or_default();
    format!(
        "{prefix}_{ag}{}_{ts}{stripe}.{}",
        guid.simple(),
        if log { "log" } else { "bak" }
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any text: no panic.
    #[test]
    fn never_panics(s in "\\PC{0,120}") {
        let _ = parse_blob_name(&s);
    }

    /// Near-misses built from the right pieces: no panic either.
    #[test]
    fn never_panics_on_pieces(parts in prop::collection::vec(
        prop_oneof![
            Just("_".to_string()), Just(".bak".to_string()), Just(".log".to_string()),
            "[0-9]{1,18}", "[0-9a-f]{30,34}", "\\PC{0,8}", Just("/".to_string())
        ], 0..10)) {
        let _ = parse_blob_name(&parts.concat());
    }

    /// Database names with underscores, 40+ characters and any script round trip.
    #[test]
    fn round_trips(
        db in "[\\p{L}\\p{N}_ \\-]{1,60}",
        guid in any::<u128>(),
        ag in proptest::option::of(any::<u128>()),
        secs in 0i64..4_000_000_000,
        millis in proptest::option::of(0u32..1000),
        stripe in proptest::option::of(1u32..64),
        log in any::<bool>(),
    ) {
        // A name segment made only of a 32-hex token would read as an AG GUID.
        prop_assume!(!db.split('_').any(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())));
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        let ts = match millis {
            Some(m) => format!("{}{m:03}", t.format("%Y%m%d%H%M%S")),
            None => t.format("%Y%m%d%H%M%S").to_string(),
        };
        let guid = Uuid::from_u128(guid);
        let ag = ag.map(Uuid::from_u128);
        let name = name_of(&db, ag, guid, &ts, stripe, log);
        let parsed = parse_blob_name(&name);
        let m = parsed.managed().unwrap_or_else(|| panic!("{name}"));
        let prefix: String = db.chars().take(40).collect();
        prop_assert_eq!(&m.db_prefix, &prefix);
        prop_assert!(m.matches_database(&db));
        prop_assert_eq!(m.database_guid, guid);
        prop_assert_eq!(m.ag_database_guid, ag);
        prop_assert_eq!(m.stripe, stripe);
        prop_assert_eq!(m.kind, if log { BlobKind::Log } else { BlobKind::Full });
        let want = t + chrono::Duration::milliseconds(i64::from(millis.unwrap_or(0)));
        prop_assert_eq!(m.time, Some(want));
        // Stripes of one backup share the set key.
        if stripe.is_some() {
            let other = parse_blob_name(&name_of(&db, ag, guid, &ts, Some(99), log));
            prop_assert_eq!(other.managed().unwrap().set_key(), m.set_key());
        }
    }

    /// Names longer than 40 characters in the name segment are not Managed Backup's.
    #[test]
    fn long_name_segments_are_other(db in "[a-zA-Z]{41,80}", guid in any::<u128>()) {
        let name = format!("{db}_{}_20261120013000.bak", Uuid::from_u128(guid).simple());
        prop_assert_eq!(parse_blob_name(&name), ParsedName::Other);
    }
}

#[test]
fn demo_names_parse() {
    let now = "2026-11-24T06:00:00Z".parse().unwrap();
    let estate = chainwatch::sources::demo_estate(now).unwrap();
    let history = chainwatch::analysis::storage::history_files(&estate, now);
    let managed = history
        .files
        .iter()
        .filter(|f| f.container.as_deref() == Some("prodstore/sql16-prod"))
        .filter_map(|f| f.blob.as_deref())
        .filter(|b| !b.contains("COPY_ONLY"))
        .collect::<Vec<_>>();
    assert!(managed.len() > 100);
    for b in managed {
        assert!(parse_blob_name(b).managed().is_some(), "{b}");
    }
}
