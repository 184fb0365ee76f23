//! Backup storage judged against history: which blobs history needs or
//! claims, which it does not know, and what Managed Backup's retention
//! promise leaves recoverable. Pure: the listing comes in as data, `now`
//! is an argument; `blob` fetches the listing.

mod container;
mod crosscheck;
mod history;
pub mod names;
mod retention;

pub use container::{
    check_listing, history_listing, instance_containers, retention_finding, CheckedContainer,
    ListingOrigin,
};
pub use crosscheck::{cross_check, names_blob, ContainerCheck, StorageFile, RETENTION_GRACE_HOURS};
pub use history::{blob_of_url, history_files, HistoryFile, ManagedDb, StorageHistory};
pub use names::{parse_blob_name, BlobKind, ManagedName, ParsedName};
pub use retention::{retention_windows, Expiry, FileTick, RetentionWindow};
