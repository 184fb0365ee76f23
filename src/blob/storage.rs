//! Lists a container and judges it against an estate
//! ([`analysis::storage`](crate::analysis::storage) does the judging).

use chrono::{DateTime, Utc};

use super::{list_all, BlobError, BlobSource};
use crate::analysis::storage::{check_listing, history_files, CheckedContainer, ListingOrigin};
use crate::model::Estate;

/// Lists the whole container and judges it against `estate`.
pub async fn check_container<S: BlobSource + Sync>(
    source: &S,
    history_key: &str,
    estate: &Estate,
    now: DateTime<Utc>,
) -> Result<CheckedContainer, BlobError> {
    let listing = list_all(source, None, None).await?;
    let history = history_files(estate, now);
    Ok(check_listing(
        history_key,
        estate,
        &history,
        &listing,
        ListingOrigin::Storage,
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::storage::{history_listing, instance_containers};

    #[test]
    fn demo_history_listing_is_labelled_and_checks_clean_for_its_files() {
        let now: DateTime<Utc> = "2026-11-24T06:00:00Z".parse().unwrap();
        let estate = crate::sources::demo_estate(now).unwrap();
        let history = history_files(&estate, now);
        let containers = instance_containers(&history, "SQL16\\PROD");
        assert_eq!(
            containers.first().map(String::as_str),
            Some("prodstore/sql16-prod")
        );
        let listing = history_listing(&estate, &history, &containers[0], now);
        assert!(!listing.is_empty());
        let c = check_listing(
            &containers[0],
            &estate,
            &history,
            &listing,
            ListingOrigin::History,
            now,
        );
        assert_eq!(c.origin.label(), "from history, not storage");
        // History cannot contradict itself: nothing it names is "unknown".
        assert!(c.findings.iter().all(|f| f.id != "storage.unknown_file"));
        assert!(!c.retention.is_empty());
    }
}
