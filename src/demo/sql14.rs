//! `SQL14\LEGACY`: SQL Server 2014 with smart_admin Managed Backup to page blobs, and its conflicts.

use crate::model::catalog;
use chrono::Duration;
use serde_json::json;

use super::catalog::{credential, emit_databases, emit_managed_config, job, InstanceDefaults};
use super::history::{emit_available, emit_history};
use super::inst::{Clock, Inst, Store, T};
use super::kinds::{Ev, Kind, Model, Prod};
use super::lsn::Activity;
use super::media::maint_plan_stem;
use super::plan::{daily, managed, mins, new_db, Plan};
use super::rng::Rng;
use super::sim::DbSim;

pub const NAME: &str = "SQL14\\LEGACY";
const CREDENTIAL: &str = "legacystore_cred";

pub fn build(now: T) -> Inst {
    let c = Clock { now, offset: -300 };
    let store = Store {
        account: "legacystore",
        container: "sql14-legacy",
        page_blob: true,
    };
    let agent = "CONTOSO\\svc_sqlagent";
    let mut inst = Inst::new(
        NAME,
        "SQL14",
        Some("LEGACY"),
        "12.0.6024.0",
        c,
        agent,
        Some(store),
        20_117,
    );

    let mut accounts = managed(
        &inst,
        "Accounts",
        5,
        Activity::new(900, 120),
        52_000,
        &Plan::new(c.at(21, 23, 30), 25, now),
    );
    accounts.retention = Some(30);
    let mut dbs = [
        accounts,
        hr(&inst),
        payroll(&inst),
        finance(&inst),
        claims(&inst),
    ];
    {
        let mut refs: Vec<&mut DbSim> = dbs.iter_mut().collect();
        emit_history(&mut inst, &mut refs, 0);
    }
    let refs: Vec<&DbSim> = dbs.iter().collect();
    emit_available(&mut inst, &refs, &[], None);
    emit_databases(&mut inst, &refs, None);
    emit_managed_config(
        &mut inst,
        &refs,
        Some(CREDENTIAL),
        InstanceDefaults::Off(30),
    );
    credential(
        &mut inst,
        65_536,
        CREDENTIAL,
        "legacystore",
        now - Duration::days(700),
    );
    maint_plan(&mut inst, &dbs[1], "HR Nightly");
    maint_plan(&mut inst, &dbs[2], "Payroll CopyOnly");
    inst
}

/// Managed Backup plus a maintenance plan writing regular (non-copy-only) fulls to disk.
fn hr(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(inst, "HR", 6, Model::Full, Activity::new(500, 60), 9_000);
    db.retention = Some(14);
    let mut evs = Plan::new(c.at(20, 22, 0), 15, c.now).events(&mut db);
    evs.extend(daily(c, 0..=20, (1, 0), 6, Kind::Full, Prod::MaintPlan));
    db.run(evs);
    db
}

/// Managed Backup plus a maintenance plan whose fulls are COPY_ONLY.
fn payroll(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(
        inst,
        "Payroll",
        7,
        Model::Full,
        Activity::new(400, 50),
        7_000,
    );
    db.retention = Some(21);
    let mut evs = Plan::new(c.at(21, 21, 15), 12, c.now).events(&mut db);
    evs.extend(daily(c, 0..=20, (2, 0), 5, Kind::CopyFull, Prod::MaintPlan));
    db.run(evs);
    db
}

/// Managed Backup plus DPM: nightly VSS fulls and hourly DPM log backups for two days.
fn finance(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(
        inst,
        "Finance",
        8,
        Model::Full,
        Activity::new(1300, 200),
        41_000,
    );
    db.retention = Some(14);
    let mut evs = Plan::new(c.at(19, 23, 45), 20, c.now).events(&mut db);
    let managed: Vec<T> = evs
        .iter()
        .filter(|e| e.kind == Kind::Log)
        .map(|e| e.start)
        .collect();
    evs.extend(daily(c, 0..=20, (0, 30), 2, Kind::Full, Prod::Vss));
    for h in 0..48 {
        let t = c.now - Duration::hours(48 - h);
        let t = t - mins(i64::from(chrono::Timelike::minute(&t))) + mins(15);
        if t < c.now && managed.iter().all(|m| (*m - t).num_minutes().abs() > 10) {
            evs.push(Ev::new(t, 2, Kind::Log, Prod::DpmLog));
        }
    }
    db.run(evs);
    db
}

/// The mirror of a mirroring session: backups only from before the failover ~20 days ago.
fn claims(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let failover = c.at(20, 8, 0);
    let mut db = new_db(
        inst,
        "Claims",
        9,
        Model::Full,
        Activity::new(700, 90),
        16_000,
    );
    db.retention = Some(30);
    db.cat.mirror = true;
    db.cat.restoring = true;
    let evs = Plan::new(c.at(21, 1, 0), 20, failover).events(&mut db);
    db.run(evs);
    db
}

/// Maintenance plan catalog rows, its Agent job, and one log entry per backup it took.
fn maint_plan(inst: &mut Inst, db: &DbSim, plan: &str) {
    let c = inst.clock;
    let mut r = Rng::keyed(&format!("maintplan/{plan}"));
    let (plan_id, subplan_id, job_id) = (r.guid(), r.guid(), r.guid());
    let created = c.now - Duration::days(540);
    inst.push(
        catalog::MAINTPLAN_PLANS,
        json!({
            "name": plan, "id": plan_id, "description": "", "create_date": c.dt(created),
            "owner": "CONTOSO\\dba_maria", "version_major": 1, "version_minor": 0,
            "version_build": 44, "version_comments": "", "from_msx": false, "has_targets": false,
        }),
    );
    inst.push(
        catalog::MAINTPLAN_SUBPLANS,
        json!({
            "subplan_id": subplan_id, "subplan_name": "Subplan_1",
            "subplan_description": "Nightly full backup", "plan_id": plan_id, "job_id": job_id,
            "msx_job_id": null, "schedule_id": r.range(10, 90), "msx_plan": false,
        }),
    );
    let runs: Vec<_> = db
        .backups
        .iter()
        .filter(|b| b.prod == Prod::MaintPlan)
        .collect();
    let cmd = format!(
        "/Server \"$(ESCAPE_NONE(SRVR))\" /SQL \"Maintenance Plans\\{plan}\" /set \"\\Package\\Subplan_1.Disable;false\""
    );
    let job_name = format!("{plan}.Subplan_1");
    job(
        inst,
        &job_id,
        &job_name,
        3,
        created,
        runs.last().map(|b| b.start),
        &[("Subplan_1", "SSIS", &cmd, "master")],
    );
    for b in runs {
        let stem = maint_plan_stem(inst, &db.name, b);
        let copy = if b.kind.copy_only() {
            "COPY_ONLY, "
        } else {
            ""
        };
        let command = format!(
            "BACKUP DATABASE [{}] TO DISK = N'E:\\MP\\{stem}.bak' WITH {copy}NOINIT, NAME = N'{stem}', SKIP, REWIND, NOUNLOAD, STATS = 10",
            db.name
        );
        let task = r.guid();
        let (start, end) = (c.dt(b.start - mins(1)), c.dt(b.finish));
        inst.push(
            catalog::MAINTPLAN_LOG,
            json!({
                "task_detail_id": task, "plan_id": plan_id, "subplan_id": subplan_id,
                "start_time": start, "end_time": end, "succeeded": true, "logged_remotely": false,
                "source_server_name": NAME, "plan_name": plan, "subplan_name": "Subplan_1",
            }),
        );
        inst.push(
            catalog::MAINTPLAN_LOGDETAIL,
            json!({
                "task_detail_id": task, "line1": "Back Up Database (Full)",
                "line2": format!("Databases: {}", db.name), "line3": "Type: Full",
                "line4": "Append existing", "line5": format!("Task start: {}", c.fmt(b.start)),
                "server_name": NAME, "start_time": c.dt(b.start), "end_time": end,
                "error_number": 0, "error_message": "", "command": command, "succeeded": true,
            }),
        );
    }
}
