//! `SQLAG01` / `SQLAG02`: availability group `AG_Sales` (backups on the secondary) and a SIMPLE db.

use crate::model::catalog;
use chrono::Duration;
use serde_json::json;

use super::catalog::{credential, emit_databases, emit_managed_config, job, InstanceDefaults};
use super::history::{emit_available, emit_history};
use super::inst::{Clock, Inst, Store, T};
use super::kinds::{Ev, Kind, Model, Prod};
use super::lsn::Activity;
use super::plan::{cadence, daily, mins, new_db, weekly};
use super::rng::Rng;
use super::sim::DbSim;

const MACHINES: [&str; 2] = ["SQLAG01", "SQLAG02"];

/// Returns the primary (SQLAG01) and the secondary (SQLAG02).
pub fn build(now: T) -> (Inst, Inst) {
    let c = Clock { now, offset: 0 };
    let store = Store {
        account: "agstore",
        container: "ag-sales",
        page_blob: false,
    };
    let agent = "NT SERVICE\\SQLSERVERAGENT";
    let version = "15.0.4316.3";
    let mut ag1 = Inst::new(
        "SQLAG01",
        "SQLAG01",
        None,
        version,
        c,
        agent,
        Some(store),
        9_001,
    );
    let mut ag2 = Inst::new(
        "SQLAG02",
        "SQLAG02",
        None,
        version,
        c,
        agent,
        Some(store),
        31_544,
    );
    let mut r = Rng::keyed("AG_Sales");
    let (group, rep1, rep2) = (r.guid(), r.guid(), r.guid());

    let mut portal = portal(&ag2, &group, r.guid());
    let mut ops = ops(&ag1);
    emit_history(&mut ag1, &mut [&mut portal, &mut ops], 0);
    emit_history(&mut ag2, &mut [&mut portal], 1);
    let both = [
        (&mut ag1, &rep1, vec![&portal, &ops]),
        (&mut ag2, &rep2, vec![&portal]),
    ];
    for (n, (inst, rep, dbs)) in both.into_iter().enumerate() {
        emit_available(inst, &[&portal], &MACHINES, Some(n as u8));
        emit_databases(inst, &dbs, Some(rep));
        emit_managed_config(inst, &dbs, None, InstanceDefaults::Off(14));
        credential(
            inst,
            65_536,
            &store.url(),
            "SHARED ACCESS SIGNATURE",
            now - Duration::days(300),
        );
        ag_rows(inst, &group, &rep1, &rep2, &portal);
    }
    let run = ops.backups.last().map(|b| b.start);
    let cmd = "DECLARE @f nvarchar(260) = N'D:\\Backup\\Ops\\Ops_FULL_' + FORMAT(SYSDATETIME(), 'yyyyMMdd_HHmmss') + N'.bak';\r\nBACKUP DATABASE [Ops] TO DISK = @f WITH INIT, COMPRESSION, CHECKSUM, NAME = N'Ops-Full Database Backup';";
    job(
        &mut ag1,
        &r.guid(),
        "Ops - daily full",
        3,
        now - Duration::days(300),
        run,
        &[("Full backup", "TSQL", cmd, "master")],
    );
    (ag1, ag2)
}

/// One AG database: SQLAG01 backed it up briefly (as secondary), then SQLAG02 after the failover.
fn portal(inst: &Inst, group: &str, group_db: String) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(
        inst,
        "Portal",
        6,
        Model::Full,
        Activity::new(1600, 400),
        60_000,
    );
    db.retention = Some(14);
    db.group_db = Some(group_db);
    db.ag_group = Some(group.to_string());
    let managed = Prod::Managed { stripes: 1 };
    let first = c.at(21, 2, 0);
    let failover = first + mins(100);
    let mut evs = vec![Ev::new(first, 30, Kind::CopyFull, managed).on(0)];
    for t in cadence(&mut db.rng, first + mins(20), failover, 22, 7, &[]) {
        evs.push(Ev::new(t, 2, Kind::Log, managed).on(0));
    }
    for t in weekly(failover + mins(50), &[], c.now) {
        evs.push(Ev::new(t, 30, Kind::CopyFull, managed).on(1));
    }
    for t in cadence(&mut db.rng, failover, c.now, 25, 5, &[]) {
        evs.push(Ev::new(t, 2, Kind::Log, managed).on(1));
    }
    db.run(evs);
    db
}

/// A healthy SIMPLE database with daily fulls to disk.
fn ops(inst: &Inst) -> DbSim {
    let mut db = new_db(inst, "Ops", 5, Model::Simple, Activity::new(200, 40), 4_000);
    db.run(daily(inst.clock, 0..=20, (1, 0), 6, Kind::Full, Prod::Disk));
    db
}

fn ag_rows(inst: &mut Inst, group: &str, rep1: &str, rep2: &str, portal: &DbSim) {
    inst.push(
        catalog::AVAILABILITY_GROUPS,
        json!({
            "group_id": group, "name": "AG_Sales", "automated_backup_preference": 2,
            "automated_backup_preference_desc": "SECONDARY", "basic_features": false,
            "is_distributed": false, "cluster_type": 0, "cluster_type_desc": "wsfc",
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
                "secondary_role_allow_connections": 2, "secondary_role_allow_connections_desc": "ALL",
            }),
        );
    }
    let primary = inst.name == MACHINES[0];
    let visible: Vec<&str> = if primary {
        vec![rep1, rep2]
    } else {
        vec![rep2]
    };
    for id in visible {
        let local = (id == rep1) == primary;
        replica_state(inst, portal, group, id, local, id == rep1);
    }
}

/// A healthy, synchronized `sys.dm_hadr_database_replica_states` row.
pub(super) fn replica_state(
    inst: &mut Inst,
    db: &DbSim,
    group: &str,
    replica: &str,
    is_local: bool,
    is_primary: bool,
) {
    inst.push(
        catalog::HADR_REPLICA_STATES,
        json!({
            "database_id": db.id, "group_id": group, "replica_id": replica,
            "group_database_id": db.group_db, "is_local": is_local,
            "is_primary_replica": is_primary, "synchronization_state": 2,
            "synchronization_state_desc": "SYNCHRONIZED", "synchronization_health": 2,
            "synchronization_health_desc": "HEALTHY", "database_state_desc": "ONLINE",
            "is_suspended": false,
        }),
    );
}
