//! Feeds every committed fuzz corpus file (`fuzz/corpus/<target>/`) through
//! the same property checks the cargo-fuzz targets run, so a corpus input
//! that once found a bug fails `cargo test` on stable if the bug returns.

use std::path::Path;

use chainwatch::fuzzing::TARGETS;

#[test]
fn every_corpus_file_passes_its_target_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut checked = 0;
    for (target, check) in TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for fuzz target {target}");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= TARGETS.len());
}

#[test]
fn every_fuzz_target_has_a_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for (target, _) in TARGETS {
        assert!(
            root.join(format!("{target}.rs")).is_file(),
            "fuzz/fuzz_targets/{target}.rs is missing"
        );
    }
}

/// The seeds must reach the deep code, not stop at the first parse error:
/// otherwise the short CI runs only fuzz error paths.
#[test]
fn seeds_reach_past_the_first_parse() {
    use chainwatch::snapshot::{to_estate, Snapshot};
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let read = |p: &str| std::fs::read_to_string(corpus.join(p)).unwrap();

    let snap = Snapshot::from_json(&read("snapshot/tiny.json")).unwrap();
    let estate = to_estate(snap, "tiny", false).unwrap();
    assert_eq!(estate.instances[0].backups.len(), 2);
    assert!(estate.instances[0].database("Gone").is_some());
    let rows = chainwatch::fuzzing::rows_document(&read("snapshot/rows.txt"));
    let estate = to_estate(Snapshot::from_value(rows).unwrap(), "rows", false).unwrap();
    assert_eq!(estate.instances[0].backups.len(), 1);

    let config = chainwatch::config::Config::parse(&read("config/full.toml"), Path::new("x"));
    assert_eq!(config.unwrap().instances.len(), 2);
    let errors = chainwatch::config::Config::parse(&read("config/errors.toml"), Path::new("x"));
    assert!(errors.unwrap_err().problems.len() >= 5);

    let name = read("blob_names/ag_striped.log");
    let parsed = chainwatch::analysis::storage::parse_blob_name(&name);
    assert_eq!(parsed.managed().unwrap().stripe, Some(12));
}
