//! The value types of the simulation: backup kinds, producers, finished backups, branches.

use super::inst::T;
use super::lsn::Curve;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Full,
    CopyFull,
    Diff,
    Log,
    CopyLog,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Full | Kind::CopyFull => "D",
            Kind::Diff => "I",
            Kind::Log | Kind::CopyLog => "L",
        }
    }
    pub fn copy_only(self) -> bool {
        matches!(self, Kind::CopyFull | Kind::CopyLog)
    }
    pub(super) fn rank(self) -> u8 {
        match self {
            Kind::Full | Kind::CopyFull => 0,
            Kind::Diff => 1,
            Kind::Log => 2,
            Kind::CopyLog => 3,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    Full,
    Bulk,
    Simple,
}

impl Model {
    /// Spelling used by `backupset.recovery_model`.
    pub fn backupset(self) -> &'static str {
        match self {
            Model::Full => "FULL",
            Model::Bulk => "BULK-LOGGED",
            Model::Simple => "SIMPLE",
        }
    }
    /// `sys.databases.recovery_model` and `recovery_model_desc`.
    pub fn catalog(self) -> (u8, &'static str) {
        match self {
            Model::Full => (1, "FULL"),
            Model::Bulk => (2, "BULK_LOGGED"),
            Model::Simple => (3, "SIMPLE"),
        }
    }
}

/// Who wrote a backup and where; `media.rs` turns it into devices and names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prod {
    Managed {
        stripes: u8,
    },
    CopyUrl,
    AdHocDisk,
    LogShip,
    /// Ola Hallengren's `DatabaseBackup` to a share (`@NumberOfFiles` stripes for data backups).
    Ola {
        stripes: u8,
    },
    MaintPlan,
    Vss,
    DpmLog,
    Disk,
    /// An Agent job's `BACKUP LOG … TO URL` (not Managed Backup).
    JobUrl,
    /// Taken on another server; RESTORE copied its header into this msdb.
    Foreign(&'static Origin),
}

/// Ola Hallengren's jobs writing one file per backup.
pub const OLA: Prod = Prod::Ola { stripes: 1 };

/// The server a restored backup was taken on, as its header names it.
#[derive(Debug, PartialEq, Eq)]
pub struct Origin {
    pub server: &'static str,
    pub machine: &'static str,
    /// `ProductVersion` of that server (`software_*_version`).
    pub version: &'static str,
    /// The login that took the backup there.
    pub user: &'static str,
    /// Where the file was restored from (`physical_device_name` of the restore).
    pub folder: &'static str,
}

impl Prod {
    pub fn compressed(self) -> bool {
        matches!(
            self,
            Prod::Managed { .. }
                | Prod::CopyUrl
                | Prod::LogShip
                | Prod::Ola { .. }
                | Prod::Disk
                | Prod::JobUrl
                | Prod::Foreign(_)
        )
    }
}

/// A scheduled backup.
#[derive(Clone, Copy, Debug)]
pub struct Ev {
    pub start: T,
    pub minutes: i64,
    pub kind: Kind,
    pub prod: Prod,
    pub bulk: bool,
    /// Taken WITH CONTINUE_AFTER_ERROR from a damaged database (a tail-log backup).
    pub damaged: bool,
    pub replica: u8,
}

impl Ev {
    pub fn new(start: T, minutes: i64, kind: Kind, prod: Prod) -> Ev {
        Ev {
            start,
            minutes,
            kind,
            prod,
            bulk: false,
            damaged: false,
            replica: 0,
        }
    }
    pub fn on(mut self, replica: u8) -> Ev {
        self.replica = replica;
        self
    }
    pub fn damaged(mut self) -> Ev {
        self.damaged = true;
        self
    }
}

/// One finished backup set (a `backupset` row before ids are assigned).
#[derive(Clone, Debug)]
pub struct Backup {
    pub id: i64,
    pub uuid: String,
    pub kind: Kind,
    pub prod: Prod,
    pub replica: u8,
    pub start: T,
    pub finish: T,
    pub first: u128,
    pub last: u128,
    pub checkpoint: u128,
    pub db_backup_lsn: u128,
    pub diff_base: Option<(u128, String)>,
    pub model: Model,
    pub bulk: bool,
    /// `is_damaged` and `has_incomplete_metadata`.
    pub damaged: bool,
    pub begins_chain: bool,
    pub first_fork: String,
    pub last_fork: String,
    pub fork_point: Option<u128>,
    pub database_guid: String,
    pub created: T,
    pub size: u64,
    pub(super) first_count: u64,
}

/// A line of recovery history; `fork` is set on the branch created by a restore.
#[derive(Clone, Debug)]
pub struct Branch {
    pub from: T,
    pub curve: Curve,
    pub database_guid: String,
    pub fork_guid: String,
    pub created: T,
    pub parent: Option<ForkParent>,
}

/// Where a branch left its parent: (previous fork, fork point LSN, first LSN and count of the
/// first log on the branch).
pub type ForkParent = (String, u128, u128, u64);

/// One `restorehistory` row (backup is an index into `DbSim::backups`).
#[derive(Clone, Debug)]
pub struct RestoreStep {
    pub date: T,
    pub backup: usize,
    pub kind: &'static str,
    pub recovery: bool,
    pub replace: bool,
    pub stop_at: Option<T>,
}

/// Catalog facts beyond backups (`sys.databases`, mirroring, Stretch, Managed Backup switch).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cat {
    /// `state_desc` RESTORING (a mirror, or a restore left WITH NORECOVERY).
    pub restoring: bool,
    /// Another `state_desc` than ONLINE or RESTORING: OFFLINE, SUSPECT, RECOVERY_PENDING, ...
    pub state: Option<&'static str>,
    /// A database snapshot of this `database_id` (`source_database_id`).
    pub snapshot_of: Option<i64>,
    pub stretch: bool,
    /// This instance is the mirror of a mirroring session.
    pub mirror: bool,
    /// Managed Backup configured but switched off.
    pub managed_off: bool,
    pub log_reuse: &'static str,
}

/// A database file as `backupfile` lists it.
#[derive(Clone, Debug)]
pub struct DbFile {
    pub logical: String,
    pub physical: String,
    pub file_type: &'static str,
    pub mb: u64,
}
