//! A builder of real-looking backup histories for analysis tests.
//!
//! It simulates a database's log position (23-digit LSNs) and the log
//! backup cursor, so rows obey the same rules msdb rows do.
#![allow(dead_code)]

use chainwatch::model::{BackupSet, BackupType, DeviceType, Lsn, MediaFamily, RecoveryModel};
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

pub const START_LSN: u128 = 17_126_658_000_000_314_200_037;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

pub struct Hist {
    pub rows: Vec<BackupSet>,
    next_id: i64,
    /// Current end of the log.
    pub pos: u128,
    /// Where the next regular log backup starts.
    pub log_cursor: u128,
    pub fork: Uuid,
    pub database_guid: Uuid,
    pub family_guid: Uuid,
    last_full_checkpoint: Option<u128>,
    last_full_uuid: Option<Uuid>,
    uuid_counter: u128,
    pub model: RecoveryModel,
    pub url: String,
    /// A recovery this history has not yet seen a log backup after:
    /// (the fork it left, the fork point).
    pending_fork: Option<(Uuid, u128)>,
}

impl Default for Hist {
    fn default() -> Self {
        Self::new()
    }
}

impl Hist {
    pub fn new() -> Hist {
        Hist {
            rows: Vec::new(),
            next_id: 100,
            pos: START_LSN,
            log_cursor: START_LSN,
            fork: Uuid::from_u128(0xF0),
            database_guid: Uuid::from_u128(0xDB),
            family_guid: Uuid::from_u128(0xFA),
            last_full_checkpoint: None,
            last_full_uuid: None,
            uuid_counter: 0x1000,
            model: RecoveryModel::Full,
            url: "https://acct.blob.core.windows.net/cont".into(),
            pending_fork: None,
        }
    }

    fn uuid(&mut self) -> Uuid {
        self.uuid_counter += 1;
        Uuid::from_u128(self.uuid_counter)
    }

    /// Log activity: the log grows by `n` blocks.
    pub fn activity(&mut self, n: u128) {
        self.pos += n * 100_000 + 7;
    }

    fn base(&mut self, kind: BackupType, start: DateTime<Utc>, finish: DateTime<Utc>) -> BackupSet {
        let id = self.next_id;
        self.next_id += 1;
        let uuid = self.uuid();
        let ext = if kind == BackupType::Log {
            "log"
        } else {
            "bak"
        };
        BackupSet {
            backup_set_id: id,
            backup_set_uuid: Some(uuid),
            media_set_id: Some(id),
            position: Some(1),
            backup_type: kind,
            database_name: "Sales".into(),
            server_name: Some("SQL01".into()),
            machine_name: Some("SQL01".into()),
            first_lsn: None,
            last_lsn: None,
            checkpoint_lsn: None,
            database_backup_lsn: self.last_full_checkpoint.and_then(Lsn::new),
            differential_base_lsn: None,
            differential_base_guid: None,
            first_recovery_fork_guid: Some(self.fork),
            last_recovery_fork_guid: Some(self.fork),
            fork_point_lsn: None,
            database_guid: Some(self.database_guid),
            family_guid: Some(self.family_guid),
            is_copy_only: false,
            is_snapshot: false,
            has_bulk_logged_data: false,
            begins_log_chain: false,
            is_damaged: false,
            has_incomplete_metadata: false,
            recovery_model: Some(self.model),
            time_zone: Some(4),
            start_local: Some(start.naive_utc() + Duration::hours(1)),
            finish_local: Some(finish.naive_utc() + Duration::hours(1)),
            start: Some(start),
            finish: Some(finish),
            user_name: Some("NT SERVICE\\SQLAgent".into()),
            software_major_version: Some(13),
            has_backup_checksums: Some(true),
            name: None,
            description: None,
            backup_size: Some(1 << 20),
            compressed_backup_size: None,
            software_name: Some("Microsoft SQL Server".into()),
            is_encrypted: false,
            families: vec![MediaFamily {
                family_sequence_number: 1,
                device_type: Some(DeviceType::Url),
                physical_device_name: Some(format!("{}/Sales_{id}.{ext}", self.url)),
                logical_device_name: None,
            }],
            media_family_count: Some(1),
            collected_from: "SQL01".into(),
            written_elsewhere: false,
        }
    }

    fn push(&mut self, b: BackupSet) -> i64 {
        let id = b.backup_set_id;
        self.rows.push(b);
        id
    }

    /// A full backup from `start` to `start + minutes`; the log grows meanwhile.
    pub fn full(&mut self, start_min: i64, minutes: i64) -> i64 {
        let mut b = self.base(BackupType::Full, at(start_min), at(start_min + minutes));
        let first = self.pos + 3;
        let checkpoint = first + 200_005;
        self.activity(5);
        b.first_lsn = Lsn::new(first);
        b.checkpoint_lsn = Lsn::new(checkpoint);
        b.last_lsn = Lsn::new(self.pos);
        self.last_full_checkpoint = Some(checkpoint);
        self.last_full_uuid = b.backup_set_uuid;
        self.push(b)
    }

    pub fn copy_only_full(&mut self, start_min: i64, minutes: i64) -> i64 {
        let mut b = self.base(BackupType::Full, at(start_min), at(start_min + minutes));
        let first = self.pos + 3;
        self.activity(5);
        b.first_lsn = Lsn::new(first);
        b.checkpoint_lsn = Lsn::new(first + 100_001);
        b.last_lsn = Lsn::new(self.pos);
        b.is_copy_only = true;
        self.push(b)
    }

    pub fn diff(&mut self, start_min: i64, minutes: i64) -> i64 {
        let mut b = self.base(BackupType::Diff, at(start_min), at(start_min + minutes));
        let first = self.pos + 3;
        self.activity(2);
        b.first_lsn = Lsn::new(first);
        b.checkpoint_lsn = Lsn::new(first + 100_000);
        b.last_lsn = Lsn::new(self.pos);
        b.differential_base_lsn = self.last_full_checkpoint.and_then(Lsn::new);
        b.differential_base_guid = self.last_full_uuid;
        self.push(b)
    }

    /// A regular log backup from the cursor to the current end of the log.
    pub fn log(&mut self, start_min: i64, minutes: i64) -> i64 {
        let mut b = self.base(BackupType::Log, at(start_min), at(start_min + minutes));
        b.first_lsn = Lsn::new(self.log_cursor);
        b.last_lsn = Lsn::new(self.pos);
        b.checkpoint_lsn = Lsn::new(self.log_cursor);
        if let Some((old, point)) = self.pending_fork.take() {
            // The first log after the recovery spans the fork point.
            b.first_recovery_fork_guid = Some(old);
            b.fork_point_lsn = Lsn::new(point);
        }
        self.log_cursor = self.pos;
        self.push(b)
    }

    /// Restores the database over itself to LSN `first_lsn + offset` of log
    /// `id` and recovers it there (STOPAT): a new recovery fork starts at
    /// that point. As SQL Server does, the next log backup begins where the
    /// partly restored log began and spans the fork point. Returns the new fork.
    pub fn restore_into_log(&mut self, id: i64, offset: u128) -> Uuid {
        let log = self.row(id).clone();
        let first = log.first_lsn.unwrap().value();
        let point = first + offset;
        assert!(
            point < log.last_lsn.unwrap().value(),
            "point inside the log"
        );
        let old = self.fork;
        self.fork = Uuid::from_u128(old.as_u128() + 1);
        self.database_guid = Uuid::from_u128(self.database_guid.as_u128() + 0x100);
        self.pos = point;
        self.log_cursor = first;
        self.pending_fork = Some((old, point));
        self.fork
    }

    /// A copy-only log from the cursor to the end of the log (a tail-log
    /// backup WITH NO_TRUNCATE after a failure), `minutes` long.
    pub fn tail_log(&mut self, start_min: i64, minutes: i64) -> i64 {
        let mut b = self.base(BackupType::Log, at(start_min), at(start_min + minutes));
        b.first_lsn = Lsn::new(self.log_cursor);
        b.last_lsn = Lsn::new(self.pos);
        b.is_copy_only = true;
        self.push(b)
    }

    /// `n` hourly logs with activity before each, starting at `start_min`.
    pub fn hourly_logs(&mut self, start_min: i64, n: usize) -> Vec<i64> {
        (0..n)
            .map(|i| {
                self.activity(3);
                self.log(start_min + 60 * i as i64, 2)
            })
            .collect()
    }

    pub fn copy_only_log(&mut self, start_min: i64) -> i64 {
        let mut b = self.base(BackupType::Log, at(start_min), at(start_min + 1));
        b.first_lsn = Lsn::new(self.log_cursor);
        b.last_lsn = Lsn::new(self.pos);
        b.is_copy_only = true;
        self.push(b)
    }

    /// Log records backed up somewhere history does not show.
    pub fn lost_log(&mut self) {
        self.activity(4);
        self.log_cursor = self.pos;
    }

    pub fn row_mut(&mut self, id: i64) -> &mut BackupSet {
        self.rows
            .iter_mut()
            .find(|b| b.backup_set_id == id)
            .expect("row")
    }

    pub fn row(&self, id: i64) -> &BackupSet {
        self.rows
            .iter()
            .find(|b| b.backup_set_id == id)
            .expect("row")
    }

    /// Sends row `id` to a disk destination by another user.
    pub fn send_to_disk(&mut self, id: i64, path: &str, user: &str) {
        let row = self.row_mut(id);
        row.families[0].device_type = Some(DeviceType::Disk);
        row.families[0].physical_device_name = Some(path.to_string());
        row.user_name = Some(user.to_string());
    }

    /// Stripes row `id` over `n` files.
    pub fn stripe(&mut self, id: i64, n: u8) {
        let url = self.url.clone();
        let row = self.row_mut(id);
        row.families = (1..=n)
            .map(|k| MediaFamily {
                family_sequence_number: k,
                device_type: Some(DeviceType::Url),
                physical_device_name: Some(format!("{url}/Sales_{id}_{k}.bak")),
                logical_device_name: None,
            })
            .collect();
        row.media_family_count = Some(n);
    }
}
