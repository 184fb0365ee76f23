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
    Ola,
    MaintPlan,
    Vss,
    DpmLog,
    Disk,
    /// An Agent job's `BACKUP LOG … TO URL` (not Managed Backup).
    JobUrl,
}

impl Prod {
    pub fn compressed(self) -> bool {
        matches!(
            self,
            Prod::Managed { .. }
                | Prod::CopyUrl
                | Prod::LogShip
                | Prod::Ola
                | Prod::Disk
                | Prod::JobUrl
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
            replica: 0,
        }
    }
    pub fn on(mut self, replica: u8) -> Ev {
        self.replica = replica;
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
    /// (previous fork, fork point LSN, first LSN and count of the first log on this branch)
    pub parent: Option<(String, u128, u128, u64)>,
}

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
    /// `state_desc` RESTORING (a mirror).
    pub restoring: bool,
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
