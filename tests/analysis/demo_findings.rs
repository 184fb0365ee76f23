//! Every finding kind the analysis can produce is shown by `check --demo`
//! at a fixed `--now`, or is named below with the reason it is not.
//!
//! The kinds are read from the source (every `"family.kind"` literal under
//! `src/analysis`), not from a list kept by hand: a new kind fails this test
//! until the demo shows it or it is added to one of the lists with a reason.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// `"a.b"` literals under src/analysis that are not finding ids.
const NOT_IDS: &[&str] = &[
    "readme.txt", // a file name in the storage listing's tests
    "_.log",      // a blob name in a storage test
    "x.log",      // a blob name in a storage test
];

/// Kinds that cannot occur in `check --demo`, by construction.
const CANNOT_OCCUR: &[(&str, &str)] = &[
    // `check --demo` lists no backup container (no --container-url, and the
    // demo has no config with container_url): the storage cross-check never runs.
    ("storage.missing_claimed", "needs a container listing"),
    ("storage.missing_needed", "needs a container listing"),
    ("storage.other_container", "needs a container listing"),
    ("storage.past_retention", "needs a container listing"),
    ("storage.retention_short", "needs a container listing"),
    ("storage.stripe_missing", "needs a container listing"),
    ("storage.unknown_file", "needs a container listing"),
    // The demo carries every catalog table with well-formed values
    // (rules_demo::no_unknown_findings_on_the_demo asserts it).
    ("rules.not_collected", "the demo collects every table"),
    (
        "rules.row_unreadable",
        "the demo's values are all well-formed",
    ),
    (
        "history.bad_row",
        "the demo's backupset rows are all well-formed",
    ),
    (
        "history.weak_keys",
        "the demo's rows carry family and database GUIDs",
    ),
    // Set by a config's ignore / exempt lists; the demo runs without a config.
    ("database.ignored", "needs a config that ignores a database"),
    ("database.exempt", "needs a config that exempts a database"),
    // No RPO threshold is built in (Policy::default has none): only a
    // config's rpo_warn / rpo_crit can be exceeded.
    ("rpo.exceeded", "needs a config with rpo_warn or rpo_crit"),
];

/// Kinds a demo could show but no scenario does yet: a backlog, kept
/// honest by the test (an entry that the demo starts producing fails it).
const NOT_YET_SHOWN: &[(&str, &str)] = &[
    (
        "chain.new_fork",
        "CRM's and Budget's restores are shown as chain.fork_point",
    ),
    (
        "interop.job_full_backup",
        "no job taking non-copy-only fulls of a managed database",
    ),
    (
        "interop.mirroring_mirror_only",
        "Claims' principal is not in the estate",
    ),
    (
        "interop.mirroring_partner_unknown",
        "no principal in the estate",
    ),
    (
        "interop.mirroring_principal_only",
        "no principal in the estate",
    ),
    (
        "managed.log_overdue",
        "no managed database with overdue logs",
    ),
    ("stretch.restored", "Archive was not restored"),
    ("stretch.unreconciled", "Archive's tables are reconciled"),
];

pub(crate) fn source_ids() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for lit in text.split('"').skip(1).step_by(2) {
                    if let Some((family, kind)) = lit.split_once('.') {
                        let word = |s: &str, digits: bool| {
                            !s.is_empty()
                                && s.chars().all(|c| {
                                    c.is_ascii_lowercase()
                                        || c == '_'
                                        || (digits && c.is_ascii_digit())
                                })
                        };
                        if word(family, false) && word(kind, true) {
                            out.insert(lit.to_string());
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/analysis"),
        &mut out,
    );
    out.retain(|id| !NOT_IDS.contains(&id.as_str()));
    out
}

fn demo_ids() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args([
            "check",
            "--demo",
            "--now",
            "2026-11-22T10:00:00Z",
            "--format",
            "json",
        ])
        .env("CHAINWATCH_CONFIG_DIR", "/nonexistent/chainwatch-test")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --demo json: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut ids = BTreeSet::new();
    for f in doc["findings"].as_array().unwrap() {
        ids.insert(f["id"].as_str().unwrap().to_string());
    }
    for i in doc["instances"].as_array().unwrap() {
        for f in i["findings"].as_array().unwrap() {
            ids.insert(f["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn every_finding_kind_is_shown_by_the_demo_or_named_with_a_reason() {
    let source = source_ids();
    assert!(source.len() > 40, "{source:?}");
    let demo = demo_ids();
    let listed: BTreeSet<&str> = CANNOT_OCCUR
        .iter()
        .chain(NOT_YET_SHOWN)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        listed.len(),
        CANNOT_OCCUR.len() + NOT_YET_SHOWN.len(),
        "an id is listed twice"
    );
    let missing: Vec<&String> = source
        .iter()
        .filter(|id| !demo.contains(*id) && !listed.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "finding kinds the demo does not show: {missing:?} (add a scenario, or list them with the reason)"
    );
    for id in &listed {
        assert!(
            source.contains(*id),
            "{id} is listed but no longer in src/analysis"
        );
        assert!(
            !demo.contains(*id),
            "{id} is now shown by the demo: take it off the list"
        );
    }
    for id in &demo {
        assert!(
            source.contains(id),
            "{id} from check --demo not found in the source scan"
        );
    }
}
