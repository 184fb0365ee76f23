//! The header reader on the 102 real lab files and the 6 extra samples, and
//! the facts of ../shared/samples/README.md.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::support::samples;
use chainwatch::headers::{read_paths, BackupHeader};
use chainwatch::model::{BackupType, Lsn};

fn lsn(s: &str) -> Lsn {
    s.parse().unwrap()
}

/// Every header of backups/, read once.
fn lab() -> &'static Vec<BackupHeader> {
    static LAB: OnceLock<Vec<BackupHeader>> = OnceLock::new();
    LAB.get_or_init(|| {
        let results = read_paths(&[samples().join("backups")]).expect("samples present");
        let mut out = Vec::new();
        for r in results {
            match r.result {
                Ok(h) => out.extend(h),
                Err(e) => panic!("{}: {e}", r.path.display()),
            }
        }
        out
    })
}

fn by_file(suffix: &str) -> &'static BackupHeader {
    let hits: Vec<_> = lab().iter().filter(|h| h.file.ends_with(suffix)).collect();
    assert_eq!(hits.len(), 1, "{suffix}");
    hits[0]
}

#[test]
fn every_lab_file_parses_with_both_header_copies_agreeing() {
    let lab = lab();
    assert_eq!(lab.len(), 102);
    for h in lab {
        assert!(h.tail_verified, "{}: {:?}", h.file, h.warnings);
        assert!(h.warnings.is_empty(), "{}: {:?}", h.file, h.warnings);
        assert!(h.backup_finish_date >= h.backup_start_date, "{}", h.file);
        assert!(!h.is_compressed && !h.is_copy_only, "{}", h.file);
        assert_eq!(h.position, 1);
        assert_eq!(h.software_name.as_deref(), Some("Microsoft SQL Server"));
    }
    let versions: BTreeMap<String, usize> = lab.iter().fold(BTreeMap::new(), |mut m, h| {
        *m.entry(h.software_version()).or_default() += 1;
        m
    });
    let expected: BTreeMap<String, usize> = [
        ("10.50.1600", 45),
        ("10.50.4000", 6),
        ("10.50.4042", 43),
        ("13.0.5081", 8),
    ]
    .into_iter()
    .map(|(v, n)| (v.to_string(), n))
    .collect();
    assert_eq!(versions, expected);
    let logs = lab
        .iter()
        .filter(|h| h.backup_type == BackupType::Log)
        .count();
    assert_eq!((logs, lab.len() - logs), (54, 48));
}

#[test]
fn stopat_23_begins_where_sql_server_said() {
    let t23 = by_file("StopAt/StopAt_23.trn");
    assert_eq!(t23.first_lsn, lsn("19000000021500001"));
    let t21 = by_file("StopAt/StopAt_21.trn");
    assert_eq!(t21.last_lsn, t23.first_lsn, "21 → 23 is continuous");
    let mark = lsn("19000000020400004");
    assert!(t21.first_lsn <= mark && mark <= t21.last_lsn);
    assert_eq!(t21.first_lsn, lsn("19000000019300001"));
}

#[test]
fn the_2016_chain_matches_the_documented_example() {
    let full = by_file("restoretimeclean2016/RestoreTimeClean.bak");
    assert_eq!(full.backup_type, BackupType::Full);
    assert_eq!(full.first_lsn, lsn("39000000048800071"));
    assert_eq!(full.last_lsn, lsn("39000000051800001"));
    assert_eq!(full.checkpoint_lsn, lsn("39000000048800071"));
    assert_eq!(full.database_backup_lsn, lsn("39000000035400071"));
    assert_eq!(
        full.server_name.as_deref(),
        Some("WIN-JNMR8KM0U3B\\SQL2016")
    );
    assert_eq!(full.time_zone, Some(4));
    assert_eq!(
        full.backup_start_date.unwrap().to_string(),
        "2019-05-02 21:00:55"
    );
    assert_eq!(
        full.backup_set_uuid.to_string()[..8].to_string(),
        "c6c44151"
    );
    let diff = by_file("restoretimeclean2016/RestoreTimeClean2.bak");
    assert_eq!(diff.backup_type, BackupType::Diff);
    assert_eq!(diff.differential_base_guid, Some(full.backup_set_uuid));
    assert_eq!(diff.differential_base_lsn, Some(full.checkpoint_lsn));
    // Fork point: the 2008 RestoreTimeClean_1.trn's last LSN.
    let t1_2008 = by_file("RestoreTimeClean/RestoreTimeClean_1.trn");
    assert_eq!(full.previous_fork_lsn, Some(t1_2008.last_lsn));
    assert_eq!(full.previous_fork_lsn, Some(lsn("25000000015300001")));
    assert_eq!(full.family_guid, t1_2008.family_guid);
}

#[test]
fn ola_names_match_database_type_and_start_time() {
    let mut checked = 0;
    for h in lab() {
        if !h.file.contains("sql2008-backups/") {
            continue;
        }
        let name = h.file.rsplit('/').next().unwrap();
        let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
        let parts: Vec<&str> = stem.split('_').collect();
        if parts.len() < 5 || parts[0] != "SQL2008" {
            continue;
        }
        let n = parts.len();
        let (kind, date, time) = (parts[n - 3], parts[n - 2], parts[n - 1]);
        let db = parts[1..n - 3].join("_");
        assert_eq!(h.database_name, db, "{}", h.file);
        let expected_type = match kind {
            "FULL" => BackupType::Full,
            "DIFF" => BackupType::Diff,
            "LOG" => BackupType::Log,
            other => panic!("{other}"),
        };
        assert_eq!(h.backup_type, expected_type, "{}", h.file);
        let named = chrono::NaiveDateTime::parse_from_str(&format!("{date}{time}"), "%Y%m%d%H%M%S")
            .unwrap();
        let delta = (h.backup_start_date.unwrap() - named).num_seconds().abs();
        assert!(delta <= 2, "{}: {delta} s", h.file);
        checked += 1;
    }
    assert_eq!(checked, 32);
}

/// One header per backup set (stripes merged).
fn sets() -> Vec<&'static BackupHeader> {
    let mut seen = BTreeSet::new();
    lab()
        .iter()
        .filter(|h| seen.insert(h.backup_set_uuid))
        .collect()
}

#[test]
fn logs_link_and_point_at_a_full() {
    let sets = sets();
    let fulls: Vec<_> = sets
        .iter()
        .filter(|h| h.backup_type == BackupType::Full)
        .collect();
    let mut by_db: BTreeMap<(String, String, uuid::Uuid), Vec<&BackupHeader>> = BTreeMap::new();
    for h in sets.iter().filter(|h| h.backup_type == BackupType::Log) {
        by_db
            .entry((
                h.server_name.clone().unwrap_or_default(),
                h.database_name.clone(),
                h.family_guid,
            ))
            .or_default()
            .push(h);
    }
    let (mut links, mut breaks) = (0, Vec::new());
    for logs in by_db.values_mut() {
        logs.sort_by_key(|h| (h.first_lsn, h.last_lsn));
        for w in logs.windows(2) {
            if w[0].last_lsn == w[1].first_lsn {
                links += 1;
            } else {
                breaks.push((w[0].file.clone(), w[1].file.clone()));
            }
        }
    }
    assert_eq!(links, 36, "log links");
    assert!(breaks.is_empty(), "{breaks:?}");
    // Logs whose full is in the sample must name its checkpoint LSN.
    let mut matched = 0;
    for h in sets.iter().filter(|h| h.backup_type == BackupType::Log) {
        if fulls.iter().any(|f| {
            f.database_guid == h.database_guid && f.checkpoint_lsn == h.database_backup_lsn
        }) {
            matched += 1;
        }
    }
    let logs = sets
        .iter()
        .filter(|h| h.backup_type == BackupType::Log)
        .count();
    // 48 log sets (8 striped); 2 have their full missing from the sample.
    assert_eq!((matched, logs), (46, 48));
    for h in sets.iter() {
        if h.backup_type != BackupType::Log {
            assert!(h.checkpoint_lsn <= h.last_lsn, "{}", h.file);
        }
    }
}

#[test]
fn differentials_are_based_on_their_full() {
    let sets = sets();
    let (mut ok, mut missing) = (0, 0);
    for d in sets.iter().filter(|h| h.backup_type == BackupType::Diff) {
        let guid = d.differential_base_guid.expect("a base GUID");
        match sets.iter().find(|f| f.backup_set_uuid == guid) {
            Some(full) => {
                assert_eq!(full.backup_type, BackupType::Full, "{}", d.file);
                assert_eq!(
                    d.differential_base_lsn,
                    Some(full.checkpoint_lsn),
                    "{}",
                    d.file
                );
                ok += 1;
            }
            None => missing += 1,
        }
    }
    assert_eq!((ok, missing), (21, 2));
    // Both DoubleDiffing differentials rest on the one full.
    let full = by_file("DoubleDiffing/difftest-full.bak");
    for d in [
        "DoubleDiffing/difftest-diff1.bak",
        "DoubleDiffing/difftest-diff2.bak",
    ] {
        assert_eq!(
            by_file(d).differential_base_guid,
            Some(full.backup_set_uuid)
        );
    }
}

#[test]
fn stripe_pairs_share_the_media_set() {
    let mut by_set: BTreeMap<uuid::Uuid, Vec<&BackupHeader>> = BTreeMap::new();
    for h in lab().iter().filter(|h| h.family_count > 1) {
        by_set.entry(h.backup_set_uuid).or_default().push(h);
    }
    assert_eq!(by_set.len(), 8);
    for files in by_set.values() {
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|h| h.family_count == 2));
        let seqs: BTreeSet<u16> = files.iter().map(|h| h.family_sequence_number).collect();
        assert_eq!(seqs, BTreeSet::from([1, 2]));
        assert_eq!(files[0].media_set_guid, files[1].media_set_guid);
        assert_ne!(files[0].media_family_id, files[1].media_family_id);
        let strip = |h: &BackupHeader| {
            let mut h = h.clone();
            h.file.clear();
            h.family_sequence_number = 0;
            h.media_family_id = 0;
            h
        };
        assert_eq!(strip(files[0]), strip(files[1]));
        assert!(files[0].file.contains("RestoreTimeStripe"));
    }
}

#[test]
fn password_backup_sits_on_the_stripe_chain_fork() {
    let p = by_file("backuppassword/passwd.bak");
    let t23 = by_file("Stripe1/RestoreTimeStripe_23.trn");
    assert_eq!(p.family_guid, t23.family_guid);
    assert_eq!(p.previous_fork_lsn, Some(lsn("20000000024300001")));
    assert_eq!(p.previous_fork_lsn, Some(t23.last_lsn));
}

#[test]
fn extra_samples_compressed_copy_only_fork() {
    let results = read_paths(&[samples().join("more")]).unwrap();
    assert_eq!(results.len(), 6);
    let get = |name: &str| -> BackupHeader {
        let r = results
            .iter()
            .find(|r| r.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name}"));
        let h = r.result.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(h.len(), 1);
        assert!(r.cost.bytes <= 2 * 65536, "{name}: {} bytes", r.cost.bytes);
        h[0].clone()
    };
    for (name, db, version, block) in [
        ("compressed/pp3-2022.bak", "PP3", "16.0.1000", 4096),
        ("compressed/lsdb-2019.bak", "LSDB", "15.0.4188", 0),
    ] {
        let h = get(name);
        assert!(h.is_compressed, "{name}");
        assert_eq!(h.database_name, db);
        assert_eq!(h.software_version(), version);
        assert_eq!(h.backup_type, BackupType::Full);
        assert!(h.tail_verified, "{name}");
        assert!(h.first_lsn <= h.checkpoint_lsn && h.checkpoint_lsn <= h.last_lsn);
        if block != 0 {
            assert_eq!(h.block_size, block);
        }
    }
    let c = get("copy-only/zoois-2019-copy-only.bak");
    assert!(c.is_copy_only);
    assert!(!c.is_compressed);
    let full = get("fork/FullBackup.bak");
    let diff = get("fork/DiffBackup.bak");
    assert!(!full.is_copy_only);
    assert_eq!(diff.differential_base_guid, Some(full.backup_set_uuid));
    assert_eq!(diff.differential_base_lsn, Some(full.checkpoint_lsn));
    assert_ne!(
        diff.database_guid, full.database_guid,
        "new BindingID after the restore"
    );
    assert_eq!(diff.previous_fork_lsn, Some(full.last_lsn));
}

#[test]
fn reads_stay_within_two_windows() {
    let results = read_paths(&[samples().join("backups")]).unwrap();
    let bytes: u64 = results.iter().map(|r| r.cost.bytes).sum();
    let reads: u64 = results.iter().map(|r| r.cost.reads).sum();
    for r in &results {
        assert!(r.cost.reads <= 2, "{}", r.path.display());
        assert!(r.cost.bytes <= 2 * 65536, "{}", r.path.display());
    }
    eprintln!("{} files: {bytes} bytes in {reads} reads", results.len());
    assert!(reads <= 204);
    assert!(bytes <= 204 * 65536);
}

#[test]
fn ranged_read_protocol_gives_the_same_headers() {
    use chainwatch::headers::{head_range, more_head_range, parse_windows, tail_range};
    // What a blob reader does with its own ranged GETs.
    for rel in [
        "backups/restoretimeclean2016/RestoreTimeClean.bak",
        "backups/sql2008-backups/dbOrphanUsers/LOG/SQL2008_dbOrphanUsers_LOG_20170518_041837.trn",
        "more/compressed/pp3-2022.bak",
    ] {
        let path = samples().join(rel);
        let bytes = std::fs::read(&path).unwrap();
        let total = bytes.len() as u64;
        let get = |(o, l): (u64, usize)| bytes[o as usize..o as usize + l].to_vec();
        let mut gets = 0;
        let mut head = get(head_range(total));
        gets += 1;
        if let Some(r) = more_head_range(total, &head).unwrap() {
            head.extend(get(r));
            gets += 1;
        }
        let tail = tail_range(total, head.len() as u64).map(|r| {
            gets += 1;
            get(r)
        });
        assert!(gets <= 2, "{rel}");
        let file = path.display().to_string();
        let via_ranges = parse_windows(total, &head, tail.as_deref(), &file).unwrap();
        let (direct, cost) = chainwatch::headers::read_file(&path).unwrap();
        assert_eq!(via_ranges, direct, "{rel}");
        assert_eq!(cost.reads, gets);
    }
}
