//! History vs storage on the demo estate, through the in-memory blob source.

use crate::support::blob_fixture as fixture;

use chainwatch::analysis::storage::{cross_check, retention_windows};
use chainwatch::analysis::Severity;
use chainwatch::blob::{list_all, MemoryBlobSource};

fn source(blobs: &[(String, Vec<u8>)]) -> MemoryBlobSource {
    let mut src = MemoryBlobSource::new();
    for (n, b) in blobs {
        src.insert(n, b.clone(), None);
    }
    src
}

#[tokio::test]
async fn the_untouched_demo_container_has_no_findings() {
    let fx = fixture::demo();
    let listing = list_all(&source(&fx.blobs), None, Some(500)).await.unwrap();
    assert_eq!(listing.len(), fx.blobs.len());
    let began = std::time::Instant::now();
    let check = cross_check(fixture::CONTAINER, &fx.history, &listing, fx.now);
    let took = began.elapsed();
    let windows_began = std::time::Instant::now();
    let _ = retention_windows(&fx.estate, &check, fx.now);
    eprintln!(
        "cross_check of {} blobs against {} history files: {took:?}; retention windows: {:?}",
        listing.len(),
        fx.history.files.len(),
        windows_began.elapsed()
    );
    assert_eq!(fixture::shape(&check.findings), vec![]);
    let windows = retention_windows(&fx.estate, &check, fx.now);
    assert!(windows
        .iter()
        .any(|w| w.database == "Sales" && w.retention_days == 14));
}

#[tokio::test]
async fn every_storage_finding_from_one_scenario() {
    let sc = fixture::scenario();
    let src = source(&sc.blobs);
    let listing = list_all(&src, None, Some(97)).await.unwrap();
    assert_eq!(listing.len(), sc.blobs.len());
    let check = cross_check(fixture::CONTAINER, &sc.fx.history, &listing, sc.fx.now);
    assert_eq!(
        fixture::shape(&check.findings),
        fixture::sorted(sc.expected.clone())
    );
    let missing = check
        .findings
        .iter()
        .find(|f| f.id == "storage.missing_needed")
        .unwrap();
    assert!(missing.rows.iter().any(|r| r.text.contains(&sc.deleted[0])));
    assert!(!missing.evidence.is_empty());
    // The Orders window is now shorter than promised, because of the missing file.
    let windows = retention_windows(&sc.fx.estate, &check, sc.fx.now);
    let orders = windows.iter().find(|w| w.database == "Orders").unwrap();
    assert!(orders.is_short(), "{orders:#?}");
    assert!(
        orders
            .reasons
            .iter()
            .any(|r| r.contains("missing file") && r.contains(&sc.deleted[0])),
        "{:?}",
        orders.reasons
    );
    assert!(check
        .findings
        .iter()
        .all(|f| f.severity != Severity::Critical || !f.remedy.is_empty()));
}

#[tokio::test]
async fn paging_and_prefix() {
    let fx = fixture::demo();
    let src = source(&fx.blobs);
    let sales = list_all(&src, Some("Sales_"), Some(3)).await.unwrap();
    assert!(!sales.is_empty());
    assert!(sales.iter().all(|e| e.name.starts_with("Sales_")));
    assert_eq!(
        sales.len(),
        fx.blobs
            .iter()
            .filter(|(n, _)| n.starts_with("Sales_"))
            .count()
    );
}
