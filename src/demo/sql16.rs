//! `SQL16\PROD`: SQL Server 2016 with Managed Backup to `prodstore/sql16-prod` and its scenarios.

use crate::model::catalog;
use chrono::Duration;
use serde_json::json;

use super::catalog::{credential, emit_databases, emit_managed_config, InstanceDefaults};
use super::history::{emit_available, emit_history};
use super::inst::{Clock, Inst, Store, T};
use super::kinds::{Ev, Kind, Model, Prod};
use super::lsn::Activity;
use super::plan::{drop_logs_near, log_nearest, managed, mins, new_db, Plan};
use super::sim::DbSim;
use super::sql16_special as special;

pub const NAME: &str = "SQL16\\PROD";

pub fn build(now: T) -> Inst {
    let c = Clock { now, offset: 60 };
    let store = Store {
        account: "prodstore",
        container: "sql16-prod",
        page_blob: false,
    };
    let agent = "NT SERVICE\\SQLAgent$PROD";
    let mut inst = Inst::new(
        NAME,
        "SQL16",
        Some("PROD"),
        "13.0.5026.0",
        c,
        agent,
        Some(store),
        48_211,
    );

    let mut dbs = vec![
        sales(&inst),
        orders(&inst),
        special::inventory(&inst),
        special::staging(&inst),
        special::crm(&inst),
        warehouse(&inst),
        billing(&inst),
        special::reporting(&inst),
        etl(&inst),
        archive(&inst),
        telemetry(&inst),
        old_crm(&inst),
    ];
    {
        let mut refs: Vec<&mut DbSim> = dbs.iter_mut().collect();
        emit_history(&mut inst, &mut refs, 0);
    }
    let refs: Vec<&DbSim> = dbs.iter().collect();
    emit_available(&mut inst, &refs, &[], None);
    emit_databases(&mut inst, &refs, None);
    emit_managed_config(&mut inst, &refs, None, InstanceDefaults::Off(14));
    credential(
        &mut inst,
        65_536,
        &store.url(),
        "SHARED ACCESS SIGNATURE",
        now - Duration::days(212),
    );
    stretch_rows(&mut inst, now);
    mark_rows(&mut inst, &dbs, now);
    special::agent_rows(&mut inst, &dbs);
    inst
}

fn sales(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let act = Activity {
        busy: 1800,
        quiet: 300,
        weekend_idle: Some((1, 5)),
    };
    let mut plan = Plan::new(c.at(21, 21, 30), 30, c.now);
    let fulls = plan.full_times();
    // A log backup that starts while the full of a week ago is still running.
    plan.pins = vec![fulls[2] + mins(12)];
    managed(inst, "Sales", 5, act, 46_000, &plan)
}

fn orders(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let adhoc = c.at(3, 14, 37);
    let mut plan = Plan::new(c.at(20, 22, 15), 25, c.now);
    plan.forced = vec![adhoc + mins(41)];
    let mut db = new_db(
        inst,
        "Orders",
        6,
        Model::Full,
        Activity::new(1500, 250),
        38_000,
    );
    db.retention = Some(14);
    let mut evs = plan.events(&mut db);
    drop_logs_near(&mut evs, &[adhoc], 15);
    evs.push(Ev::new(adhoc, 2, Kind::Log, Prod::AdHocDisk));
    db.run(evs);
    db
}

fn warehouse(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut plan = Plan::new(c.at(20, 19, 0), 180, c.now);
    plan.stripes = 4;
    managed(
        inst,
        "Warehouse",
        10,
        Activity::new(2500, 600),
        1_450_000,
        &plan,
    )
}

fn billing(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let plan = Plan::new(c.at(19, 21, 0), 20, c.now);
    let mut db = new_db(
        inst,
        "Billing",
        11,
        Model::Full,
        Activity::new(900, 150),
        24_000,
    );
    db.retention = Some(14);
    let mut evs = plan.events(&mut db);
    evs.push(Ev::new(c.at(2, 14, 15), 18, Kind::CopyFull, Prod::CopyUrl));
    evs.push(Ev::new(c.at(2, 14, 40), 2, Kind::CopyLog, Prod::CopyUrl));
    db.run(evs);
    db
}

fn etl(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let plan = Plan::new(c.at(21, 23, 10), 15, c.now);
    let mut db = new_db(
        inst,
        "ETL",
        13,
        Model::Bulk,
        Activity::new(2200, 800),
        15_000,
    );
    db.retention = Some(14);
    let mut evs = plan.events(&mut db);
    if let Some(i) = log_nearest(&evs, c.now - Duration::days(1)) {
        evs[i].bulk = true;
    }
    db.run(evs);
    db
}

fn archive(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let plan = Plan::new(c.at(20, 20, 40), 35, c.now);
    let mut db = managed(inst, "Archive", 14, Activity::new(400, 80), 220_000, &plan);
    db.cat.stretch = true;
    db
}

fn telemetry(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut plan = Plan::new(c.at(21, 21, 0), 40, c.now);
    plan.forced = vec![c.at(5, 1, 30)];
    let mut db = managed(
        inst,
        "Telemetry",
        15,
        Activity::new(3000, 2000),
        90_000,
        &plan,
    );
    db.purge_logs(c.at(6, 2, 0), c.at(6, 7, 0));
    db.cat.log_reuse = "LOG_BACKUP";
    db
}

fn old_crm(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let drop = c.at(5, 16, 20);
    let plan = Plan::new(c.at(21, 22, 45), 15, drop);
    let mut db = new_db(
        inst,
        "OldCRM",
        16,
        Model::Full,
        Activity::new(300, 40),
        8_000,
    );
    db.retention = Some(14);
    let evs = plan.events(&mut db);
    db.run(evs);
    db.dropped = Some(drop);
    db
}

/// `msdb.dbo.logmarkhistory`: a marked transaction (BEGIN TRAN … WITH MARK)
/// in Orders about 30 hours ago, inside a log backup, so the restore wizard
/// can offer STOPATMARK.
fn mark_rows(inst: &mut Inst, dbs: &[DbSim], now: T) {
    let Some(orders) = dbs.iter().find(|d| d.name == "Orders") else {
        return;
    };
    let target = now - Duration::hours(30);
    let Some(log) = orders
        .backups
        .iter()
        .filter(|b| b.kind == Kind::Log && b.last > b.first && b.start >= target)
        .min_by_key(|b| b.start)
    else {
        return;
    };
    let c = inst.clock;
    inst.push(
        catalog::LOGMARKHISTORY,
        json!({
            "database_name": "Orders",
            "mark_name": "PriceListUpdate",
            "description": "price list 2027 loaded",
            "user_name": "CONTOSO\\app_pricing",
            "lsn": (log.first + (log.last - log.first) / 2).to_string(),
            "mark_time": c.dt(log.start - Duration::minutes(10)),
        }),
    );
}

fn stretch_rows(inst: &mut Inst, now: T) {
    let c = inst.clock;
    let created = now - Duration::days(340);
    inst.push(
        catalog::RDA_DATABASES,
        json!({ "remote_database_id": 65_536, "remote_database_name": "RDAArchive1A2B",
                "data_source_id": 65_536, "database_name": "Archive" }),
    );
    for (object_id, table, predicate) in [
        (1_013_578_649, "OrderHistory", None),
        (
            1_045_578_763,
            "InvoiceLines",
            Some("([dbo].[fn_stretch_before_2024]([InvoiceDate]))"),
        ),
    ] {
        inst.push(
            catalog::RDA_TABLES,
            json!({
                "object_id": object_id,
                "remote_database_id": 65_536,
                "remote_table_name": format!("dbo_{table}_{object_id}_A2B4C6D8"),
                "filter_predicate": predicate,
                "migration_direction": 1,
                "migration_direction_desc": "OUTBOUND",
                "is_migration_paused": false,
                "is_reconciled": true,
                "database_name": "Archive",
            }),
        );
    }
    inst.push(
        catalog::SCOPED_CREDENTIALS,
        json!({
            "name": "StretchCred",
            "credential_id": 65_536,
            "principal_id": 1,
            "credential_identity": "stretch_admin",
            "create_date": c.dt(created),
            "modify_date": c.dt(created),
            "target_type": null,
            "target_id": null,
            "database_name": "Archive",
        }),
    );
}
