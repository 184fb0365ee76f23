//! Headers against msdb history for the same physical files.

use std::path::PathBuf;

use chainwatch::headers::{cross_check, read_paths, to_snapshot, BackupHeader, Mismatch};

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/backups")
}

fn headers(rel: &str) -> Vec<BackupHeader> {
    read_paths(&[samples().join(rel)])
        .unwrap()
        .into_iter()
        .flat_map(|r| r.result.unwrap())
        .collect()
}

fn named<'a>(hs: &'a [BackupHeader], suffix: &str) -> &'a BackupHeader {
    hs.iter().find(|h| h.file.ends_with(suffix)).unwrap()
}

#[test]
fn overwritten_other_database_and_other_set_are_told_apart() {
    // msdb: the history of the StopAt folder, as the files were then.
    let stopat = headers("sql2008-backups/StopAt");
    let results = read_paths(&[samples().join("sql2008-backups/StopAt")]).unwrap();
    let estate = to_snapshot(&results, chrono::Utc::now())
        .to_estate()
        .unwrap();

    // Every file still holds what msdb says.
    for c in cross_check(&stopat, &estate) {
        assert!(c.verdict.is_ok(), "{c:?}");
        assert_eq!(c.matched_by, Some("path"));
    }

    // StopAt_1.trn now holds StopAt_23's contents: a later log, same database.
    let mut later = named(&stopat, "StopAt_23.trn").clone();
    later.file = named(&stopat, "StopAt_1.trn").file.clone();
    // The same file seen from another machine: only the file name matches.
    let mut elsewhere = named(&stopat, "StopAt_2.trn").clone();
    elsewhere.file = "/mnt/copy/StopAt_2.trn".into();
    // StopAt_21.trn now holds StopAt.bak's older full.
    let mut older = named(&stopat, "StopAt.bak").clone();
    older.file = named(&stopat, "StopAt_21.trn").file.clone();
    // StopAt.bak now holds a backup of another database.
    let mut other_db = headers("restoretimeclean2016")[0].clone();
    other_db.file = named(&stopat, "StopAt.bak").file.clone();
    // A file msdb never recorded.
    let unknown = headers("DoubleDiffing")[0].clone();

    let checks = cross_check(&[later, elsewhere, older, other_db, unknown], &estate);
    assert!(
        matches!(checks[0].verdict, Mismatch::Overwritten { .. }),
        "{:?}",
        checks[0]
    );
    assert!(checks[1].verdict.is_ok());
    assert_eq!(checks[1].matched_by, Some("file name"));
    assert!(
        matches!(checks[2].verdict, Mismatch::OtherSet { .. }),
        "{:?}",
        checks[2]
    );
    match &checks[3].verdict {
        Mismatch::OtherDatabase {
            msdb_database,
            file_database,
            ..
        } => {
            assert_eq!(msdb_database, "StopAt");
            assert_eq!(file_database, "RestoreTimeClean");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(checks[4].verdict, Mismatch::NotInHistory);
    for c in &checks {
        assert!(!c.verdict.describe().is_empty());
    }
}

#[test]
fn lone_stripes_are_reported_and_not_restorable() {
    let results =
        read_paths(&[samples().join("sql2008-backups/RestoreTimeStripe/Stripe1")]).unwrap();
    let files = to_snapshot(&results, chrono::Utc::now());
    assert_eq!(files.incomplete.len(), 8);
    let estate = files.to_estate().unwrap();
    let inst = &estate.instances[0];
    assert!(inst.backups.iter().all(|b| b.is_damaged));
    assert_eq!(inst.row_problems.len(), 8);
    assert!(
        inst.row_problems[0].contains("family [2] of 2"),
        "{}",
        inst.row_problems[0]
    );
    // Both stripe folders together: every set complete, one step per set with 2 files.
    let results = read_paths(&[samples().join("sql2008-backups/RestoreTimeStripe")]).unwrap();
    let files = to_snapshot(&results, chrono::Utc::now());
    assert!(files.incomplete.is_empty());
    let estate = files.to_estate().unwrap();
    assert_eq!(estate.instances[0].backups.len(), 8);
    assert!(estate.instances[0]
        .backups
        .iter()
        .all(|b| b.families.len() == 2 && !b.is_damaged));
}
