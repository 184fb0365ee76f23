//! Catalog rows: databases, recovery status, mirroring, Managed Backup settings, credentials, jobs.

use crate::model::catalog;
use serde_json::{json, Value};

use super::inst::{Inst, T};
use super::kinds::Model;
use super::rng::Rng;
use super::sim::DbSim;

/// `sys.databases`, `sys.database_recovery_status` and `sys.database_mirroring` for live databases.
pub fn emit_databases(inst: &mut Inst, sims: &[&DbSim], replica_id: Option<&str>) {
    let c = inst.clock;
    for db in sims.iter().filter(|d| d.dropped.is_none()) {
        let (model, model_desc) = db.model_now().catalog();
        let (state, state_desc) = state_of(db);
        let mut row = json!({
            "name": db.name,
            "database_id": db.id,
            "create_date": c.dt(db.branch().created),
            "compatibility_level": db.compat,
            "is_read_only": db.cat.snapshot_of.is_some(),
            "is_in_standby": false,
            "source_database_id": db.cat.snapshot_of,
            "state": state,
            "state_desc": state_desc,
            "recovery_model": model,
            "recovery_model_desc": model_desc,
            "log_reuse_wait_desc": db.cat.log_reuse,
            "is_encrypted": false,
            "replica_id": db.group_db.as_ref().and(replica_id),
            "group_database_id": db.group_db,
        });
        if inst.major() >= 13 {
            row["is_remote_data_archive_enabled"] = Value::Bool(db.cat.stretch);
        }
        inst.push(catalog::DATABASES, row);

        let br = db.branch();
        let parent = br.parent.as_ref();
        let live_chain = db.model_now() != Model::Simple
            && state < 2
            && !db.cat.restoring
            && db.cat.snapshot_of.is_none();
        // A database that cannot be opened (OFFLINE, SUSPECT, ...) shows no recovery facts.
        let open = state < 2;
        let status = json!({
            "database_id": db.id,
            "database_guid": open.then_some(&br.database_guid),
            "family_guid": open.then_some(&db.family_guid),
            "last_log_backup_lsn": inst.lsn_opt(db.next_log_lsn().filter(|_| live_chain)),
            "recovery_fork_guid": open.then_some(&br.fork_guid),
            "first_recovery_fork_guid": open.then(|| parent.map_or(br.fork_guid.clone(), |p| p.0.clone())),
            "fork_point_lsn": inst.lsn_opt(parent.map(|p| p.1).filter(|_| open)),
        });
        inst.push(catalog::RECOVERY_STATUS, status);
        mirroring_row(inst, db);
    }
}

/// `sys.databases.state` and `state_desc`.
fn state_of(db: &DbSim) -> (u8, &'static str) {
    if db.cat.restoring {
        return (1, "RESTORING");
    }
    match db.cat.state {
        Some(desc) => {
            let code = match desc {
                "RECOVERING" => 2,
                "RECOVERY_PENDING" => 3,
                "SUSPECT" => 4,
                "EMERGENCY" => 5,
                "OFFLINE" => 6,
                _ => 0,
            };
            (code, desc)
        }
        None => (0, "ONLINE"),
    }
}

fn mirroring_row(inst: &mut Inst, db: &DbSim) {
    let mut row = json!({
        "database_id": db.id,
        "mirroring_guid": null,
        "mirroring_state": null,
        "mirroring_state_desc": null,
        "mirroring_role": null,
        "mirroring_role_desc": null,
        "mirroring_role_sequence": null,
        "mirroring_safety_level": null,
        "mirroring_safety_level_desc": null,
        "mirroring_partner_name": null,
        "mirroring_partner_instance": null,
        "mirroring_witness_name": null,
        "mirroring_witness_state": null,
        "mirroring_witness_state_desc": null,
        "mirroring_failover_lsn": null,
        "mirroring_connection_timeout": null,
        "mirroring_redo_queue": null,
        "mirroring_end_of_log_lsn": null,
        "mirroring_replication_lsn": null,
    });
    if db.cat.mirror {
        let mut r = Rng::keyed(&format!("mirror/{}", db.name));
        let lsn = db.chain_end().unwrap_or(0);
        row = json!({
            "database_id": db.id,
            "mirroring_guid": r.guid(),
            "mirroring_state": 4,
            "mirroring_state_desc": "SYNCHRONIZED",
            "mirroring_role": 2,
            "mirroring_role_desc": "MIRROR",
            "mirroring_role_sequence": 2,
            "mirroring_safety_level": 2,
            "mirroring_safety_level_desc": "FULL",
            "mirroring_partner_name": "TCP://SQL14B.contoso.com:5022",
            "mirroring_partner_instance": "SQL14B\\LEGACY",
            "mirroring_witness_name": "",
            "mirroring_witness_state": 0,
            "mirroring_witness_state_desc": "UNKNOWN",
            "mirroring_failover_lsn": inst.lsn(lsn),
            "mirroring_connection_timeout": 10,
            "mirroring_redo_queue": null,
            "mirroring_end_of_log_lsn": inst.lsn(lsn),
            "mirroring_replication_lsn": inst.lsn(lsn),
        });
    }
    inst.push(catalog::MIRRORING, row);
}

/// The instance-level Managed Backup defaults (`fn_backup_instance_config`), with their retention.
#[derive(Clone, Copy, Debug)]
pub enum InstanceDefaults {
    Off(i64),
    /// On: every new database is enrolled.
    On(i64),
    /// Managed Backup was never configured on the instance.
    Never,
}

/// `fn_backup_db_config` rows (every database, dropped ones flagged) and the instance defaults.
pub fn emit_managed_config(
    inst: &mut Inst,
    sims: &[&DbSim],
    credential: Option<&str>,
    defaults: InstanceDefaults,
) {
    let (defaults_on, default_retention) = match defaults {
        InstanceDefaults::Off(d) => (false, Some(d)),
        InstanceDefaults::On(d) => (true, Some(d)),
        InstanceDefaults::Never => (false, None),
    };
    let url = inst.store.map(|store| {
        if inst.major() == 12 {
            format!("https://{}.blob.core.windows.net/", store.account)
        } else {
            store.url()
        }
    });
    let flag = if inst.major() == 12 {
        "is_smart_backup_enabled"
    } else {
        "is_managed_backup_enabled"
    };
    let table = inst.mb("fn_backup_db_config");
    for db in sims {
        let configured = db.retention.is_some();
        let mut row = json!({
            "db_name": db.name,
            "db_guid": db.branch().database_guid,
            "is_availability_database": db.group_db.is_some(),
            "is_dropped": db.dropped.is_some(),
            "credential_name": credential.filter(|_| configured),
            "retention_days": db.retention,
        });
        row[flag] = json!(i32::from(configured && !db.cat.managed_off));
        row["storage_url"] = json!(url.clone().filter(|_| configured));
        row["encryption_algorithm"] = json!(configured.then_some("NO_ENCRYPTION"));
        row["encryptor_type"] = Value::Null;
        row["encryptor_name"] = Value::Null;
        inst.push(&table, row);
    }
    let table = inst.mb("fn_backup_instance_config");
    // The documented shape spells it is_smart_backup_enabled on every version.
    let row = json!({
        "is_smart_backup_enabled": i32::from(defaults_on),
        "credential_name": credential,
        "retention_days": default_retention,
        "storage_url": url,
        "encryption_algorithm": default_retention.map(|_| "NO_ENCRYPTION"),
        "encryptor_type": null,
        "encryptor_name": null,
    });
    inst.push(&table, row);
    let table = inst.mb("fn_is_master_switch_on");
    inst.push(&table, json!({ "is_master_switch_on": true }));
}

/// A `sys.credentials` row.
pub fn credential(inst: &mut Inst, id: i64, name: &str, identity: &str, created: T) {
    let c = inst.clock;
    let row = json!({
        "credential_id": id,
        "name": name,
        "credential_identity": identity,
        "create_date": c.dt(created),
        "modify_date": c.dt(created),
        "target_type": null,
        "target_id": null,
    });
    inst.push(catalog::SERVER_CREDENTIALS, row);
}

/// `sys.dm_os_volume_stats` rows for the volumes the instance's database
/// files are on (the drive of each `backupfile` path): 4 TiB each with
/// 1.5 TiB free, room for any demo restore.
pub fn volumes(inst: &mut Inst) {
    let mut roots: Vec<String> = inst
        .table(catalog::BACKUPFILE)
        .iter()
        .filter_map(|r| r["physical_name"].as_str())
        .filter_map(|p| p.get(..3).filter(|d| d.ends_with(":\\")))
        .map(str::to_string)
        .collect();
    roots.sort();
    roots.dedup();
    for root in roots {
        let row = json!({
            "volume_mount_point": root,
            "total_bytes": 4u64 << 40,
            "available_bytes": 3u64 << 39,
        });
        inst.push(catalog::VOLUME_STATS, row);
    }
}

/// One Agent job step: (name, subsystem, command, database).
pub type Step<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A `sysjobs` row and its `sysjobsteps`; `last_run` is the latest run of the job.
pub fn job(
    inst: &mut Inst,
    job_id: &str,
    name: &str,
    category: i32,
    created: T,
    last_run: Option<T>,
    steps: &[Step],
) {
    let c = inst.clock;
    let row = json!({
        "job_id": job_id,
        "originating_server_id": 0,
        "name": name,
        "enabled": 1,
        "description": "No description available.",
        "start_step_id": 1,
        "category_id": category,
        "owner_sid": "0x01",
        "date_created": c.dt(created),
        "date_modified": c.dt(created),
        "version_number": 1 + steps.len(),
    });
    inst.push(catalog::SYSJOBS, row);
    let run = last_run.map(|t| c.local(t));
    for (i, (step, subsystem, command, database)) in steps.iter().enumerate() {
        let mut r = Rng::keyed(&format!("step/{job_id}/{i}"));
        let row = json!({
            "job_id": job_id,
            "step_id": i + 1,
            "step_name": step,
            "subsystem": subsystem,
            "command": command,
            "database_name": database,
            "last_run_outcome": if run.is_some() { 1 } else { 5 },
            "last_run_date": run.map_or(0, |t| t.format("%Y%m%d").to_string().parse::<i64>().unwrap_or(0)),
            "last_run_time": run.map_or(0, |t| t.format("%H%M%S").to_string().parse::<i64>().unwrap_or(0)),
            "last_run_duration": 100,
            "output_file_name": null,
            "proxy_id": null,
            "step_uid": r.guid(),
        });
        inst.push(catalog::SYSJOBSTEPS, row);
    }
}
