//! The typed estate: exact LSNs, backup sets, databases and instances.

mod backup;
mod blob;
pub mod catalog;
mod estate;
mod lsn;
pub mod plan;
pub mod policy;
mod table;
pub mod time;
pub mod zone;

pub use backup::{
    container_of_url, BackupSet, BackupType, Destination, DeviceType, MediaFamily, Producer,
    RecoveryModel, Restorability,
};
pub use blob::BlobEntry;
pub use estate::{
    Database, Estate, Instance, ManagedBackupConfig, ManagedBackupSchema, MirroringRole,
    MissingTable, ServerInfo,
};
pub use lsn::{Lsn, LsnError};
pub use table::{Cell, Columns, Digits, RowRef, Table};

/// Raw catalog rows keyed by three-part table name, as in the snapshot.
pub type Tables = std::collections::BTreeMap<String, Table>;
