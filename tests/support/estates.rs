//! Snapshot estates for `check --format json`, built the way msdb fills:
//! one log position per database (23-digit LSNs) that activity advances,
//! a log backup cursor, fulls whose checkpoint becomes the base of later
//! logs and differentials, recovery forks on restore, local-time dates.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

/// The estates' "now": the tests' fixed one.
pub use super::now;

pub fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

pub fn ago_min(m: i64) -> DateTime<Utc> {
    now() - Duration::minutes(m)
}

pub fn ago_days(d: i64) -> DateTime<Utc> {
    now() - Duration::days(d)
}

fn guid(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

/// One instance: server facts and catalog tables.
pub struct Server {
    pub name: String,
    pub offset: i32,
    pub tables: Map<String, Value>,
    next_id: i64,
    next_db: i64,
}

/// One database's log and backup state.
pub struct Db {
    pub name: String,
    pub id: i64,
    pub server: String,
    pub pos: u128,
    pub cursor: u128,
    pub fork: String,
    pub db_guid: String,
    pub family: String,
    /// The fork the next log backup starts on, and the fork point, after a
    /// restore to a point (`restore_to_point`).
    pub pending_fork: Option<(String, u128)>,
    pub full_ckpt: Option<u128>,
    pub full_uuid: Option<String>,
    pub model: &'static str,
    seq: u128,
}

impl Server {
    pub fn new(name: &str, offset: i32) -> Server {
        let mut tables = Map::new();
        for t in [
            "sys.databases",
            "sys.database_recovery_status",
            "sys.database_mirroring",
            "msdb.dbo.backupset",
            "msdb.dbo.backupmediafamily",
            "msdb.dbo.restorehistory",
            "msdb.dbo.log_shipping_primary_databases",
        ] {
            tables.insert(t.into(), json!([]));
        }
        Server {
            name: name.into(),
            offset,
            tables,
            next_id: 1000,
            next_db: 5,
        }
    }

    pub fn push(&mut self, table: &str, row: Value) {
        self.tables
            .entry(table.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(row);
    }

    pub fn local(&self, t: DateTime<Utc>) -> Value {
        let l = t.naive_utc() + Duration::minutes(i64::from(self.offset));
        Value::String(l.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
    }

    /// A database row (ONLINE, FULL unless changed with `set`), and its log state.
    pub fn database(&mut self, name: &str, model: &'static str, created: DateTime<Utc>) -> Db {
        let id = if matches!(name, "master" | "tempdb" | "model" | "msdb") {
            match name {
                "master" => 1,
                "tempdb" => 2,
                "model" => 3,
                _ => 4,
            }
        } else {
            self.next_db += 1;
            self.next_db
        };
        let seed = (id as u128) << 16 | (self.name.len() as u128) << 8;
        let row = json!({
            "name": name, "database_id": id, "create_date": self.local(created),
            "state": 0, "state_desc": "ONLINE", "recovery_model_desc": model,
            "is_read_only": false, "is_in_standby": false, "source_database_id": null,
            "log_reuse_wait_desc": "NOTHING", "group_database_id": null,
        });
        self.push("sys.databases", row);
        let base = 17_126_658_000_000_314_200_037u128 + (id as u128) * 1_000_000_000_000_000;
        Db {
            name: name.into(),
            id,
            server: self.name.clone(),
            pos: base,
            cursor: base,
            fork: guid(seed | 0xF),
            db_guid: guid(seed | 0xD),
            family: guid(seed | 0xA),
            pending_fork: None,
            full_ckpt: None,
            full_uuid: None,
            model,
            seq: seed << 32,
        }
    }

    /// Changes columns of a database's sys.databases row.
    pub fn set(&mut self, name: &str, values: Value) {
        let rows = self.tables["sys.databases"].as_array_mut().unwrap();
        let row = rows
            .iter_mut()
            .find(|r| r["name"] == name)
            .expect("database row");
        for (k, v) in values.as_object().unwrap() {
            row[k] = v.clone();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn backup_row(
        &mut self,
        db: &mut Db,
        kind: &str,
        start: DateTime<Utc>,
        minutes: i64,
        first: u128,
        last: u128,
        extra: Value,
        file: &str,
    ) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        db.seq += 1;
        let finish = start + Duration::minutes(minutes);
        let mut row = json!({
            "backup_set_id": id, "backup_set_uuid": guid(db.seq), "media_set_id": id,
            "position": 1, "type": kind, "database_name": db.name,
            "server_name": self.name, "machine_name": self.name.split('\\').next().unwrap(),
            "first_lsn": first.to_string(), "last_lsn": last.to_string(),
            "database_backup_lsn": db.full_ckpt.map(|c| c.to_string()),
            "first_recovery_fork_guid": db.fork, "last_recovery_fork_guid": db.fork,
            "database_guid": db.db_guid, "family_guid": db.family,
            "is_copy_only": false, "recovery_model": db.model.replace('_', "-"),
            "time_zone": self.offset / 15,
            "backup_start_date": self.local(start), "backup_finish_date": self.local(finish),
            "user_name": "NT SERVICE\\SQLSERVERAGENT", "backup_size": 1048576,
        });
        for (k, v) in extra.as_object().unwrap() {
            row[k] = v.clone();
        }
        self.push("msdb.dbo.backupset", row);
        self.push(
            "msdb.dbo.backupmediafamily",
            json!({
                "media_set_id": id, "family_sequence_number": 1, "mirror": 0, "device_type": 2,
                "physical_device_name": format!("\\\\fs01\\backup\\{}\\{}_{id}.{file}", db.name, db.name),
            }),
        );
        id
    }

    /// A full backup at `t` (the checkpoint is where the log was).
    pub fn full(&mut self, db: &mut Db, t: DateTime<Utc>) -> i64 {
        db.pos += 500_000;
        let first = db.pos;
        db.pos += 300_007;
        let last = db.pos;
        let ckpt = first;
        let id = self.backup_row(
            db,
            "D",
            t,
            20,
            first,
            last,
            json!({ "checkpoint_lsn": ckpt.to_string() }),
            "bak",
        );
        db.full_ckpt = Some(ckpt);
        db.full_uuid = Some(self.uuid_of(id));
        if db.model == "SIMPLE" {
            db.cursor = last;
        }
        id
    }

    /// A copy-only full: a restore start that changes no base.
    pub fn copy_full(&mut self, db: &mut Db, t: DateTime<Utc>) -> i64 {
        db.pos += 500_000;
        let first = db.pos;
        db.pos += 300_007;
        let last = db.pos;
        let base = db.full_ckpt;
        let id = self.backup_row(
            db,
            "D",
            t,
            20,
            first,
            last,
            json!({ "checkpoint_lsn": first.to_string(), "is_copy_only": true }),
            "bak",
        );
        if base.is_none() {
            db.full_ckpt = Some(first);
            db.full_uuid = Some(self.uuid_of(id));
        }
        id
    }

    pub fn diff(&mut self, db: &mut Db, t: DateTime<Utc>) -> i64 {
        db.pos += 200_000;
        let first = db.pos;
        db.pos += 100_003;
        let last = db.pos;
        let base = json!({
            "checkpoint_lsn": first.to_string(),
            "differential_base_lsn": db.full_ckpt.map(|c| c.to_string()),
            "differential_base_guid": db.full_uuid,
        });
        self.backup_row(db, "I", t, 5, first, last, base, "dif")
    }

    /// A log backup at `t` covering the log since the previous one; the
    /// first after a restore to a point spans the fork point.
    pub fn log(&mut self, db: &mut Db, t: DateTime<Utc>) -> i64 {
        db.pos += 100_000 + 7;
        let (first, last) = (db.cursor, db.pos);
        db.cursor = last;
        let extra = match db.pending_fork.take() {
            Some((old, point)) => json!({
                "first_recovery_fork_guid": old, "fork_point_lsn": point.to_string(),
            }),
            None => json!({}),
        };
        self.backup_row(db, "L", t, 1, first, last, extra, "trn")
    }

    /// Log records backed up somewhere history does not show (a gap).
    pub fn lose_log(&mut self, db: &mut Db) {
        db.pos += 100_000 + 11;
        db.cursor = db.pos;
    }

    /// The database restored over itself to a point `offset` LSNs into log
    /// `id` and recovered there: a new recovery fork starts at that point,
    /// and the next log backup begins where the restored log began.
    pub fn restore_to_point(&mut self, db: &mut Db, id: i64, offset: u128, at: DateTime<Utc>) {
        let row = self.row(id).clone();
        let first: u128 = row["first_lsn"].as_str().unwrap().parse().unwrap();
        let last: u128 = row["last_lsn"].as_str().unwrap().parse().unwrap();
        let point = first + offset;
        assert!(point < last, "the point is inside the log");
        let old = db.fork.clone();
        db.fork = guid(uuid::Uuid::parse_str(&old).unwrap().as_u128() + 1);
        db.pos = point;
        db.cursor = first;
        db.pending_fork = Some((old, point));
        self.restored(id, &db.name.clone(), at, "L", true);
    }

    /// A tail-log backup WITH NO_TRUNCATE after a failure: copy-only, from
    /// the log cursor to the end of the log.
    pub fn tail_log(&mut self, db: &mut Db, t: DateTime<Utc>) -> i64 {
        db.pos += 50_000 + 3;
        let (first, last) = (db.cursor, db.pos);
        db.cursor = last;
        let extra = json!({ "is_copy_only": true, "has_incomplete_metadata": false });
        self.backup_row(db, "L", t, 1, first, last, extra, "trn")
    }

    /// Stripes backup set `id` over `families` files, of which only those
    /// in `present` are in backupmediafamily (1-based family numbers).
    pub fn stripe(&mut self, id: i64, families: i64, present: &[i64]) {
        let media = self.tables["msdb.dbo.backupmediafamily"]
            .as_array_mut()
            .unwrap();
        let pos = media.iter().position(|m| m["media_set_id"] == id).unwrap();
        let one = media.remove(pos);
        for n in present {
            let mut m = one.clone();
            m["family_sequence_number"] = json!(n);
            let name = m["physical_device_name"].as_str().unwrap().to_string();
            m["physical_device_name"] = json!(name.replace(".bak", &format!("_{n}.bak")));
            media.push(m);
        }
        self.push(
            "msdb.dbo.backupmediaset",
            json!({ "media_set_id": id, "media_family_count": families, "software_name": "Microsoft SQL Server" }),
        );
    }

    /// Makes backup set `id` a VSS snapshot taken through a virtual device by `tool`.
    pub fn vss(&mut self, id: i64, tool: &str) {
        let row = self.row_mut(id);
        row["is_snapshot"] = json!(true);
        let media = self.tables["msdb.dbo.backupmediafamily"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|m| m["media_set_id"] == id)
            .unwrap();
        media["device_type"] = json!(7);
        media["physical_device_name"] = json!(format!("{{{id:08X}-VSS}}"));
        self.push(
            "msdb.dbo.backupmediaset",
            json!({ "media_set_id": id, "media_family_count": 1, "software_name": tool }),
        );
    }

    /// The backupset row of `id`.
    pub fn row(&self, id: i64) -> &Value {
        self.tables["msdb.dbo.backupset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["backup_set_id"] == id)
            .unwrap()
    }

    pub fn row_mut(&mut self, id: i64) -> &mut Value {
        self.tables["msdb.dbo.backupset"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r["backup_set_id"] == id)
            .unwrap()
    }

    fn uuid_of(&self, id: i64) -> String {
        self.tables["msdb.dbo.backupset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["backup_set_id"] == id)
            .unwrap()["backup_set_uuid"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Backups on a schedule: fulls every `full_every` (from `from`),
    /// diffs every `diff_every` between them, logs every `log_every`.
    pub fn schedule(
        &mut self,
        db: &mut Db,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        full_every: Duration,
        diff_every: Option<Duration>,
        log_every: Option<Duration>,
    ) {
        let mut events: Vec<(DateTime<Utc>, u8)> = Vec::new();
        let mut t = from;
        while t < until {
            events.push((t, 0));
            t += full_every;
        }
        if let Some(d) = diff_every {
            let mut t = from + d;
            while t < until {
                if !events
                    .iter()
                    .any(|(e, k)| *k == 0 && (*e - t).num_minutes().abs() < 60)
                {
                    events.push((t, 1));
                }
                t += d;
            }
        }
        if let Some(l) = log_every {
            let mut t = from + l;
            while t < until {
                events.push((t, 2));
                t += l;
            }
        }
        events.sort();
        for (t, k) in events {
            match k {
                0 => self.full(db, t),
                1 => self.diff(db, t),
                _ => self.log(db, t),
            };
        }
    }

    /// A restorehistory row for backup set `id` into `destination`.
    pub fn restored(
        &mut self,
        id: i64,
        destination: &str,
        at: DateTime<Utc>,
        kind: &str,
        recovery: bool,
    ) {
        let n = self.tables["msdb.dbo.restorehistory"]
            .as_array()
            .unwrap()
            .len() as i64
            + 1;
        let at = self.local(at);
        self.push(
            "msdb.dbo.restorehistory",
            json!({
                "restore_history_id": n, "destination_database_name": destination,
                "backup_set_id": id, "restore_type": kind, "recovery": recovery,
                "replace": true, "restore_date": at, "user_name": "CONTOSO\\dba",
            }),
        );
    }

    /// Copies a backupset row (and its media) from another server's msdb, as RESTORE records it.
    pub fn record_restore_of(
        &mut self,
        other: &Server,
        id: i64,
        destination: &str,
        at: DateTime<Utc>,
        recovery: bool,
    ) -> i64 {
        let src = other.tables["msdb.dbo.backupset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["backup_set_id"] == id)
            .unwrap()
            .clone();
        let media = other.tables["msdb.dbo.backupmediafamily"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["media_set_id"] == id)
            .unwrap()
            .clone();
        self.next_id += 1;
        let mine = self.next_id;
        let mut row = src.clone();
        row["backup_set_id"] = json!(mine);
        row["media_set_id"] = json!(mine);
        let mut m = media;
        m["media_set_id"] = json!(mine);
        let kind = match src["type"].as_str().unwrap() {
            "D" => "D",
            "I" => "I",
            _ => "L",
        };
        self.push("msdb.dbo.backupset", row);
        self.push("msdb.dbo.backupmediafamily", m);
        self.restored(mine, destination, at, kind, recovery);
        mine
    }

    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "server": {
                "server_name": self.name, "machine_name": self.name.split('\\').next().unwrap(),
                "product_version": "16.0.4135.4", "edition": "Enterprise Edition (64-bit)",
                "utc_offset_minutes": self.offset,
            },
            "tables": self.tables,
        })
    }
}

/// Writes the servers as a snapshot file in a temporary folder.
pub fn write(servers: &[&Server]) -> PathBuf {
    let doc = json!({
        "format": "chainwatch.snapshot.v1",
        "collected_at": now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "instances": servers.iter().map(|s| s.json()).collect::<Vec<_>>(),
    });
    let dir = std::env::temp_dir().join(format!("cw-quiet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path: PathBuf = dir.join(format!("estate-{n}.json"));
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

/// Writes the snapshot and runs `chainwatch check --format json` on it.
pub fn check(servers: &[&Server]) -> (i32, Value) {
    let path = write(servers);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"))
        .args(["check", "--snapshot"])
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .expect("run chainwatch");
    if std::env::var_os("CW_KEEP_ESTATE").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, v)
}

/// The `databases` entry of one database.
pub fn db<'a>(v: &'a Value, instance: &str, name: &str) -> &'a Value {
    v["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["instance"] == instance && d["database"] == name)
        .unwrap_or_else(|| panic!("{instance} {name} not in {}", v["databases"]))
}

/// The findings of one database.
pub fn findings<'a>(v: &'a Value, instance: &str, name: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["instance"] == instance && f["database"] == name)
        .collect()
}

pub fn has(v: &Value, instance: &str, name: &str, id: &str) -> Option<String> {
    findings(v, instance, name)
        .into_iter()
        .find(|f| f["id"] == id)
        .map(|f| f["severity"].as_str().unwrap().to_string())
}

/// Worst severity of a database: none, info, warning or critical.
pub fn worst(v: &Value, instance: &str, name: &str) -> String {
    db(v, instance, name)["worst"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

/// Asserts a database is OK or INFO, showing its findings when not.
pub fn quiet(v: &Value, instance: &str, name: &str) {
    let w = worst(v, instance, name);
    assert!(
        w == "none" || w == "info",
        "{instance} {name} is {w}: {:#?}",
        findings(v, instance, name)
    );
}
