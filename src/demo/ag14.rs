//! `SQL14AG1` / `SQL14AG2`: an on-premises SQL Server 2014 availability group `AG_Ledger` with
//! smart_admin Managed Backup on both replicas, and a standalone database left in SIMPLE.
//!
//! The group prefers backups on the secondary (`automated_backup_preference` 2, SECONDARY), so
//! `sys.fn_hadr_backup_is_preferred_replica` answers 1 on SQL14AG2 only; its Managed Backup takes
//! the copy-only fulls and regular log backups a secondary can take. An Agent job on the primary
//! SQL14AG1 also takes regular log backups to the same storage account every 15 minutes without
//! asking that function (the preference is not enforced: each backup job must check it). The two
//! replicas were configured with different retention (30 vs 15 days). SQL14AG1 also has
//! smart_admin's instance defaults on, which enrol every new database.

use crate::model::catalog;
use chrono::Duration;
use serde_json::json;

use super::catalog::{credential, emit_databases, emit_managed_config, job, InstanceDefaults};
use super::history::{emit_available, emit_history};
use super::inst::{Clock, Inst, Store, T};
use super::kinds::{DbFile, Ev, Kind, Model, Prod};
use super::lsn::Activity;
use super::plan::{cadence, mins, new_db, weekly, Plan};
use super::rng::Rng;
use super::sim::DbSim;

pub const PRIMARY: &str = "SQL14AG1";
pub const SECONDARY: &str = "SQL14AG2";
const MACHINES: [&str; 2] = [PRIMARY, SECONDARY];
const GROUP: &str = "AG_Ledger";
const CREDENTIAL: &str = "ledgerstore_cred";
/// Where the primary's log job writes (same storage account as Managed Backup).
pub const JOB_CONTAINER: &str = "ledger-logs";

pub fn build(now: T) -> (Inst, Inst) {
    let c = Clock { now, offset: -300 };
    let store = Store {
        account: "ledgerstore",
        container: "sql14ag",
        page_blob: true,
    };
    let agent = "CONTOSO\\svc_sqlagent";
    let version = "12.0.6024.0";
    let mut ag1 = Inst::new(
        PRIMARY,
        PRIMARY,
        None,
        version,
        c,
        agent,
        Some(store),
        61_302,
    );
    let mut ag2 = Inst::new(
        SECONDARY,
        SECONDARY,
        None,
        version,
        c,
        agent,
        Some(store),
        17_885,
    );
    let mut r = Rng::keyed(GROUP);
    let (group, rep1, rep2) = (r.guid(), r.guid(), r.guid());

    // The job was added this morning.
    let job_from = c.at(0, 0, 0) + mins(20);
    let mut ledger = ledger(&ag1, &group, r.guid(), job_from);
    let mut intranet = intranet(&ag1);
    emit_history(&mut ag1, &mut [&mut ledger, &mut intranet], 0);
    emit_history(&mut ag2, &mut [&mut ledger], 1);

    // SQL14AG1: retention 30 for Ledger, instance defaults on.
    emit_available(&mut ag1, &[&ledger, &intranet], &MACHINES, Some(0));
    emit_databases(&mut ag1, &[&ledger, &intranet], Some(&rep1));
    emit_managed_config(
        &mut ag1,
        &[&ledger, &intranet],
        Some(CREDENTIAL),
        InstanceDefaults::On(30),
    );
    // SQL14AG2: the same database configured with retention 15.
    ledger.retention = Some(15);
    emit_available(&mut ag2, &[&ledger], &MACHINES, Some(1));
    emit_databases(&mut ag2, &[&ledger], Some(&rep2));
    emit_managed_config(
        &mut ag2,
        &[&ledger],
        Some(CREDENTIAL),
        InstanceDefaults::Off(15),
    );
    for inst in [&mut ag1, &mut ag2] {
        credential(
            inst,
            65_536,
            CREDENTIAL,
            "ledgerstore",
            now - Duration::days(610),
        );
        ag_rows(inst, &group, &rep1, &rep2, &ledger);
    }
    let run = ledger
        .backups
        .iter()
        .filter(|b| b.prod == Prod::JobUrl)
        .map(|b| b.start)
        .max();
    let cmd = format!(
        "DECLARE @u nvarchar(400) = N'https://ledgerstore.blob.core.windows.net/{JOB_CONTAINER}/Ledger_LOG_' + CONVERT(nvarchar(8), GETDATE(), 112) + N'_' + REPLACE(CONVERT(nvarchar(8), GETDATE(), 108), N':', N'') + N'.trn';\r\nBACKUP LOG [Ledger] TO URL = @u WITH CREDENTIAL = N'{CREDENTIAL}', COMPRESSION, CHECKSUM, NAME = N'Ledger-Transaction Log Backup';"
    );
    job(
        &mut ag1,
        &r.guid(),
        "Ledger - log backup to URL",
        3,
        job_from - mins(15),
        run,
        &[("Log backup", "TSQL", &cmd, "master")],
    );
    (ag1, ag2)
}

/// Default-instance file paths of a 2014 server.
fn default_instance_files(db: &mut DbSim) {
    let name = db.name.clone();
    let mb = db.data_mb;
    db.files = vec![
        DbFile {
            logical: name.clone(),
            physical: format!("E:\\MSSQL12.MSSQLSERVER\\MSSQL\\DATA\\{name}.mdf"),
            file_type: "D",
            mb: mb * 13 / 10,
        },
        DbFile {
            logical: format!("{name}_log"),
            physical: format!("F:\\MSSQL12.MSSQLSERVER\\MSSQL\\Log\\{name}_log.ldf"),
            file_type: "L",
            mb: (mb / 8).max(64),
        },
    ];
}

/// The availability database: Managed Backup on the preferred secondary (copy-only fulls, logs);
/// since this morning also a log job on the primary, every 15 minutes.
fn ledger(inst: &Inst, group: &str, group_db: String, job_from: T) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(
        inst,
        "Ledger",
        5,
        Model::Full,
        Activity::new(1100, 180),
        28_000,
    );
    default_instance_files(&mut db);
    db.retention = Some(30);
    db.group_db = Some(group_db);
    db.ag_group = Some(group.to_string());
    let managed = Prod::Managed { stripes: 1 };
    let mut evs = Vec::new();
    // A secondary can take only COPY_ONLY fulls (and regular log backups).
    for t in weekly(c.at(21, 22, 30), &[], c.now) {
        evs.push(Ev::new(t, 25, Kind::CopyFull, managed).on(1));
    }
    let jobs = cadence(&mut db.rng, job_from, c.now, 15, 0, &[]);
    let managed_logs = cadence(&mut db.rng, c.at(21, 23, 0), c.now, 120, 6, &[]);
    for t in managed_logs {
        if jobs.iter().all(|j| (*j - t).num_minutes().abs() > 5) {
            evs.push(Ev::new(t, 2, Kind::Log, managed).on(1));
        }
    }
    for t in jobs {
        evs.push(Ev::new(t, 2, Kind::Log, Prod::JobUrl).on(0));
    }
    db.run(evs);
    db
}

/// A smart_admin database switched to SIMPLE ~5 days ago: 2014 Managed Backup supports FULL and
/// BULK_LOGGED only, so its backups stopped there while retention keeps running.
fn intranet(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let switch = c.at(5, 16, 40);
    let mut db = new_db(
        inst,
        "Intranet",
        6,
        Model::Full,
        Activity::new(300, 60),
        6_000,
    );
    default_instance_files(&mut db);
    db.retention = Some(30);
    let evs = Plan::new(c.at(20, 23, 15), 10, switch - mins(5)).events(&mut db);
    db.run(evs);
    db.switch_model(switch, Model::Simple);
    db
}

fn ag_rows(inst: &mut Inst, group: &str, rep1: &str, rep2: &str, ledger: &DbSim) {
    // 2014 has no basic_features, is_distributed or cluster_type columns.
    inst.push(
        catalog::AVAILABILITY_GROUPS,
        json!({
            "group_id": group, "name": GROUP, "automated_backup_preference": 2,
            "automated_backup_preference_desc": "SECONDARY",
        }),
    );
    for (id, server) in [(rep1, MACHINES[0]), (rep2, MACHINES[1])] {
        inst.push(
            catalog::AVAILABILITY_REPLICAS,
            json!({
                "replica_id": id, "group_id": group, "replica_server_name": server,
                "endpoint_url": format!("TCP://{server}.contoso.com:5022"),
                "availability_mode": 1, "availability_mode_desc": "SYNCHRONOUS_COMMIT",
                "failover_mode": 0, "failover_mode_desc": "AUTOMATIC", "backup_priority": 50,
                "secondary_role_allow_connections": 1,
                "secondary_role_allow_connections_desc": "READ_ONLY",
            }),
        );
    }
    // Only the local row, as the collector reads it (`WHERE s.is_local = 1`).
    let primary = inst.name == MACHINES[0];
    let local = if primary { rep1 } else { rep2 };
    super::ag::replica_state(inst, ledger, group, local, true, local == rep1);
}
