//! One demo instance: its clock (UTC offset), server facts and the catalog tables being filled.

use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Map, Value};

use super::lsn::lsn_json;
use crate::model::catalog;
use crate::model::Tables;
use crate::snapshot::SnapshotInstance;

pub type T = NaiveDateTime;

/// Turns the generator's UTC times into the server's local wall time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// `now`, floored to the minute, UTC.
    pub now: T,
    pub offset: i32,
}

impl Clock {
    pub fn local(&self, t: T) -> T {
        t + Duration::minutes(i64::from(self.offset))
    }

    /// Local wall time `hh:mm` on the local date `days_ago` days before today, as UTC.
    pub fn at(&self, days_ago: i64, hh: u32, mm: u32) -> T {
        let date = self.local(self.now).date() - Duration::days(days_ago);
        let local = date.and_hms_opt(hh, mm, 0).expect("valid wall time");
        local - Duration::minutes(i64::from(self.offset))
    }

    /// `datetime` column text: local time, no offset, milliseconds.
    pub fn fmt(&self, t: T) -> String {
        self.local(t).format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }

    pub fn dt(&self, t: T) -> Value {
        Value::String(self.fmt(t))
    }

    /// `backupset.time_zone`: the offset in 15-minute steps.
    pub fn tz_steps(&self) -> i32 {
        self.offset / 15
    }
}

/// Where Managed Backup writes on this instance.
#[derive(Clone, Copy, Debug)]
pub struct Store {
    pub account: &'static str,
    pub container: &'static str,
    pub page_blob: bool,
}

impl Store {
    pub fn url(&self) -> String {
        format!(
            "https://{}.blob.core.windows.net/{}",
            self.account, self.container
        )
    }
}

/// Server facts plus the tables collected so far.
pub struct Inst {
    pub name: &'static str,
    pub machine: &'static str,
    pub instance_name: Option<&'static str>,
    pub version: &'static str,
    pub edition: &'static str,
    pub clock: Clock,
    /// LSNs as bare JSON integers (the 2014 instance) instead of strings.
    pub bare: bool,
    pub agent_user: &'static str,
    pub store: Option<Store>,
    /// Managed Backup schema: `managed_backup` (2016+) or `smart_admin` (2014).
    pub schema: &'static str,
    /// First `backup_set_id` / `media_set_id` handed out.
    pub first_id: i64,
    tables: Vec<(String, Vec<Value>)>,
}

const COMMON_TABLES: &[&str] = &[
    catalog::DATABASES,
    catalog::RECOVERY_STATUS,
    catalog::MIRRORING,
    catalog::SERVER_CREDENTIALS,
    catalog::VOLUME_STATS,
    catalog::SCOPED_CREDENTIALS,
    catalog::BACKUPSET,
    catalog::BACKUPMEDIASET,
    catalog::BACKUPMEDIAFAMILY,
    catalog::BACKUPFILE,
    catalog::RESTOREHISTORY,
    catalog::LOGMARKHISTORY,
    catalog::LOG_SHIPPING_PRIMARY,
    catalog::SYSJOBS,
    catalog::SYSJOBSTEPS,
    catalog::MAINTPLAN_PLANS,
    catalog::MAINTPLAN_SUBPLANS,
    catalog::MAINTPLAN_LOG,
    catalog::MAINTPLAN_LOGDETAIL,
];

/// The major, minor and build numbers of a `ProductVersion`.
pub fn software(version: &str) -> (u32, u32, u32) {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = it.next().unwrap_or(0);
    let minor = it.next().unwrap_or(0);
    (major, minor, it.next().unwrap_or(0))
}

impl Inst {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        machine: &'static str,
        instance_name: Option<&'static str>,
        version: &'static str,
        clock: Clock,
        agent_user: &'static str,
        store: Option<Store>,
        first_id: i64,
    ) -> Inst {
        let major = software(version).0;
        let mut inst = Inst {
            name,
            machine,
            instance_name,
            version,
            edition: "Enterprise Edition (64-bit)",
            clock,
            bare: major == 12,
            agent_user,
            store,
            schema: if major == 12 {
                "smart_admin"
            } else {
                "managed_backup"
            },
            first_id,
            tables: Vec::new(),
        };
        for t in COMMON_TABLES {
            inst.table(t);
        }
        if major >= 13 {
            inst.table(catalog::RDA_DATABASES);
            inst.table(catalog::RDA_TABLES);
        }
        inst
    }

    pub fn major(&self) -> u32 {
        software(self.version).0
    }

    /// `software_major_version`, `software_minor_version`, `software_build_version`.
    pub fn software(&self) -> (u32, u32, u32) {
        software(self.version)
    }

    /// The rows of a table, created (empty) on first use.
    pub fn table(&mut self, name: &str) -> &mut Vec<Value> {
        let i = match self.tables.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                self.tables.push((name.to_string(), Vec::new()));
                self.tables.len() - 1
            }
        };
        &mut self.tables[i].1
    }

    pub fn push(&mut self, table: &str, row: Value) {
        self.table(table).push(row);
    }

    /// Name of a Managed Backup object in this version's schema.
    pub fn mb(&self, object: &str) -> String {
        format!("msdb.{}.{object}", self.schema)
    }

    pub fn lsn(&self, v: u128) -> Value {
        lsn_json(v, self.bare)
    }

    pub fn lsn_opt(&self, v: Option<u128>) -> Value {
        v.map_or(Value::Null, |v| self.lsn(v))
    }

    /// The server facts as a snapshot's `server` object carries them.
    fn server_json(&self) -> Value {
        json!({
            "server_name": self.name,
            "machine_name": self.machine,
            "instance_name": self.instance_name,
            "product_version": self.version,
            "edition": self.edition,
            "utc_offset_minutes": self.clock.offset,
        })
    }

    /// The instance as the snapshot loader would read `into_json`'s
    /// output: server facts typed, table rows moved rather than re-read.
    pub fn into_snapshot(self) -> SnapshotInstance {
        let server = self.server_json();
        let mut tables = Tables::new();
        for (name, rows) in self.tables {
            let rows = rows
                .into_iter()
                .filter_map(|row| match row {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .collect();
            tables.insert(name, rows);
        }
        SnapshotInstance {
            name: self.name.to_string(),
            server: serde_json::from_value(server).unwrap_or_default(),
            tables,
            missing: Map::new(),
            extra: Map::new(),
        }
    }

    pub fn into_json(self) -> Value {
        let server = self.server_json();
        let mut tables = Map::new();
        for (name, rows) in self.tables {
            tables.insert(name, Value::Array(rows));
        }
        // Built by hand: `json!` would serialize (deep-copy) every table row.
        let mut doc = Map::new();
        doc.insert("name".into(), self.name.into());
        doc.insert("server".into(), server);
        doc.insert("tables".into(), Value::Object(tables));
        Value::Object(doc)
    }
}
