//! Writes simulated backups into msdb history tables and Managed Backup's blob list.

use crate::model::catalog;
use chrono::Duration;
use serde_json::{json, Value};

use super::inst::{software, Inst};
use super::kinds::{Kind, Prod};
use super::media::media;
use super::rng::Rng;
use super::sim::DbSim;

/// Emits `backupset`, `backupmediaset`, `backupmediafamily`, `backupfile` and `restorehistory`
/// for the backups of `replica`, numbering them by start time.
pub fn emit_history(inst: &mut Inst, sims: &mut [&mut DbSim], replica: u8) {
    let mut order: Vec<(chrono::NaiveDateTime, usize, usize)> = Vec::new();
    for (si, sim) in sims.iter().enumerate() {
        for (bi, b) in sim.backups.iter().enumerate() {
            if b.replica == replica {
                order.push((b.start, si, bi));
            }
        }
    }
    order.sort();
    for (k, &(_, si, bi)) in order.iter().enumerate() {
        sims[si].backups[bi].id = inst.first_id + k as i64;
    }
    for &(_, si, bi) in &order {
        backup_rows(inst, sims[si], bi);
    }
    let mut restore_id = 1;
    for sim in sims.iter() {
        for step in &sim.restores {
            let b = &sim.backups[step.backup];
            let row = json!({
                "restore_history_id": restore_id,
                "restore_date": inst.clock.dt(step.date),
                "destination_database_name": sim.name,
                "user_name": "CONTOSO\\dba_maria",
                "backup_set_id": b.id,
                "restore_type": step.kind,
                "replace": step.replace,
                "recovery": step.recovery,
                "restart": false,
                "stop_at": step.stop_at.map(|t| inst.clock.dt(t)),
                "device_count": 1,
                "stop_at_mark_name": null,
                "stop_before": false,
            });
            inst.push(catalog::RESTOREHISTORY, row);
            restore_id += 1;
        }
    }
}

fn backup_rows(inst: &mut Inst, sim: &DbSim, bi: usize) {
    let b = &sim.backups[bi];
    let m = media(inst, sim, b);
    // RESTORE copies a foreign backup's header: its server, machine and version.
    let (server, machine, (major, minor, build)) = match b.prod {
        Prod::Foreign(o) => (o.server, o.machine, software(o.version)),
        _ => (inst.name, inst.machine, inst.software()),
    };
    let c = inst.clock;
    let compressed = b.prod.compressed();
    let mut r = Rng::keyed(&format!("media/{}", b.uuid));
    let compressed_size = if compressed {
        b.size / 100 * r.range(24, 38) as u64
    } else {
        b.size
    };
    let row = json!({
        "backup_set_id": b.id,
        "backup_set_uuid": b.uuid,
        "media_set_id": b.id,
        "position": 1,
        "name": m.name,
        "description": null,
        "user_name": m.user,
        "server_name": server,
        "machine_name": machine,
        "software_major_version": major,
        "software_minor_version": minor,
        "software_build_version": build,
        "time_zone": c.tz_steps(),
        "type": b.kind.code(),
        "first_lsn": inst.lsn(b.first),
        "last_lsn": inst.lsn(b.last),
        "checkpoint_lsn": inst.lsn(b.checkpoint),
        "database_backup_lsn": inst.lsn(b.db_backup_lsn),
        "differential_base_lsn": inst.lsn_opt(b.diff_base.as_ref().map(|d| d.0)),
        "differential_base_guid": b.diff_base.as_ref().map(|d| d.1.clone()),
        "database_creation_date": c.dt(b.created),
        "backup_start_date": c.dt(b.start),
        "backup_finish_date": c.dt(b.finish),
        "database_name": sim.name,
    });
    let tail = json!({
        "recovery_model": b.model.backupset(),
        "has_bulk_logged_data": b.bulk,
        "has_backup_checksums": b.prod != Prod::Vss,
        "is_snapshot": b.prod == Prod::Vss,
        "is_copy_only": b.kind.copy_only(),
        "begins_log_chain": b.begins_chain,
        "is_damaged": b.damaged,
        "has_incomplete_metadata": b.damaged,
        "is_force_offline": false,
        "first_recovery_fork_guid": b.first_fork,
        "last_recovery_fork_guid": b.last_fork,
        "fork_point_lsn": inst.lsn_opt(b.fork_point),
        "database_guid": b.database_guid,
        "family_guid": sim.family_guid,
        "backup_size": b.size,
        "compressed_backup_size": compressed_size,
        "key_algorithm": null,
        "encryptor_type": null,
    });
    let mut row = row;
    if let (Value::Object(head), Value::Object(tail)) = (&mut row, tail) {
        head.extend(tail);
    }
    inst.push(catalog::BACKUPSET, row);
    let set = json!({
        "media_set_id": b.id,
        "media_uuid": r.guid(),
        "media_family_count": m.families.len(),
        "name": m.set_name,
        "software_name": m.software,
        "software_vendor_id": 4608,
        "is_compressed": compressed,
        "is_encrypted": false,
        "mirror_count": 1,
    });
    inst.push(catalog::BACKUPMEDIASET, set);
    for (i, path) in m.families.iter().enumerate() {
        let fam = json!({
            "media_set_id": b.id,
            "family_sequence_number": i + 1,
            "media_family_id": r.guid(),
            "logical_device_name": null,
            "physical_device_name": path,
            "device_type": m.device_type,
            "physical_block_size": m.block,
            "mirror": 0,
        });
        inst.push(catalog::BACKUPMEDIAFAMILY, fam);
    }
    if matches!(b.kind, Kind::Full | Kind::CopyFull) {
        for (n, f) in sim.files.iter().enumerate() {
            let bytes = f.mb * 1_048_576;
            let file = json!({
                "backup_set_id": b.id,
                "file_number": n + 1,
                "file_type": f.file_type,
                "logical_name": f.logical,
                "physical_name": f.physical,
                "filegroup_name": if f.file_type == "D" { Some("PRIMARY") } else { None },
                "file_size": bytes,
                "backup_size": if f.file_type == "D" { bytes / 10 * 7 } else { 0 },
                "state_desc": "ONLINE",
                "is_present": true,
            });
            inst.push(catalog::BACKUPFILE, file);
        }
    }
}

/// Emits Managed Backup's `fn_available_backups`: every managed blob not yet past its expiry
/// (only those written by `replica`, when given: each replica's msdb knows its own files).
///
/// A backup expires `retention` days after the finish of the next managed full (or its own
/// finish when none follows), so the full that covers the window start and its logs survive.
pub fn emit_available(inst: &mut Inst, sims: &[&DbSim], machines: &[&str], replica: Option<u8>) {
    let now = inst.clock.now;
    let table = inst.mb("fn_available_backups");
    inst.table(&table);
    let mut rows: Vec<(String, chrono::NaiveDateTime, Value)> = Vec::new();
    for sim in sims {
        let Some(days) = sim.retention else { continue };
        let managed: Vec<_> = sim
            .backups
            .iter()
            .filter(|b| matches!(b.prod, Prod::Managed { .. }))
            .collect();
        for (i, b) in managed.iter().enumerate() {
            let next_full = managed[i + 1..]
                .iter()
                .find(|x| matches!(x.kind, Kind::Full | Kind::CopyFull));
            let until = next_full.map_or(b.finish, |f| f.finish.max(b.finish));
            let expires = until + Duration::days(days);
            if expires <= now || replica.is_some_and(|r| r != b.replica) {
                continue;
            }
            let m = media(inst, sim, b);
            for path in m.families {
                let row = json!({
                    "Backup_path": path,
                    "backup_type": if b.kind.code() == "L" { "LOG" } else { "DB" },
                    "expiration_date": inst.clock.dt(expires),
                    "database_guid": b.database_guid,
                    "first_lsn": inst.lsn(b.first),
                    "last_lsn": inst.lsn(b.last),
                    "backup_start_date": inst.clock.dt(b.start),
                    "backup_finish_date": inst.clock.dt(b.finish),
                    "machine_name": machines.get(b.replica as usize).copied().unwrap_or(inst.machine),
                    "first_recovery_fork_id": b.first_fork,
                    "last_recovery_fork_id": b.last_fork,
                    "fork_point_lsn": inst.lsn_opt(b.fork_point),
                    "availability_group_guid": sim.ag_group,
                    "database_name": sim.name,
                });
                rows.push((b.database_guid.clone(), b.start, row));
            }
        }
    }
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (_, _, row) in rows {
        inst.push(&table, row);
    }
}
