//! `SQL16\PROD` scenarios with more moving parts: log shipping, SIMPLE switch, restore fork, Ola.

use crate::model::catalog;
use chrono::{Datelike, Duration, Timelike, Weekday};
use serde_json::json;

use super::catalog::job;
use super::inst::{Inst, T};
use super::kinds::{Ev, Kind, Model, Prod, OLA};
use super::lsn::Activity;
use super::media::media;
use super::plan::{cadence, mins, new_db, Plan};
use super::rng::Rng;
use super::sim::DbSim;

/// Managed Backup plus log shipping every 30 minutes for the last two days.
pub fn inventory(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let plan = Plan::new(c.at(19, 23, 0), 20, c.now);
    let mut db = new_db(
        inst,
        "Inventory",
        7,
        Model::Full,
        Activity::new(1200, 200),
        30_000,
    );
    db.retention = Some(14);
    let mut evs = plan.events(&mut db);
    let managed: Vec<T> = evs
        .iter()
        .filter(|e| e.kind == Kind::Log)
        .map(|e| e.start)
        .collect();
    let mut t = c.now - Duration::hours(48);
    t -= mins(i64::from(t.minute() % 30));
    while t < c.now {
        let start = t + mins(db.rng.range(0, 1));
        if managed
            .iter()
            .all(|m| (*m - start).num_minutes().abs() > 10)
        {
            evs.push(Ev::new(start, 2, Kind::Log, Prod::LogShip));
        }
        t += mins(30);
    }
    db.run(evs);
    db
}

/// FULL → SIMPLE about 8 days ago, back to FULL two days later: a new chain after an LSN gap.
pub fn staging(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let to_simple = c.at(8, 10, 5);
    let back = c.at(6, 9, 30);
    let new_full = c.at(6, 9, 42);
    let mut plan = Plan::new(c.at(21, 20, 0), 25, c.now);
    plan.forced = vec![new_full];
    let mut db = new_db(
        inst,
        "Staging",
        8,
        Model::Full,
        Activity::new(1000, 300),
        12_000,
    );
    db.retention = Some(14);
    db.switch_model(to_simple, Model::Simple);
    db.switch_model(back, Model::Full);
    let mut evs = plan.events(&mut db);
    evs.retain(|e| e.kind != Kind::Log || e.start < to_simple || e.start >= new_full + mins(45));
    db.run(evs);
    db
}

/// Restored over itself to a point in time about 4 days ago: new database GUID and fork.
pub fn crm(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let stop_at = c.at(4, 9, 35);
    let restore_start = c.at(4, 11, 20);
    let restore_done = c.at(4, 11, 52);
    let mut db = new_db(
        inst,
        "CRM",
        9,
        Model::Full,
        Activity::new(1100, 150),
        28_000,
    );
    db.retention = Some(14);
    let mut before = Plan::new(c.at(19, 23, 0), 25, restore_start);
    before.pins = vec![c.at(4, 10, 0), c.at(4, 10, 55)];
    let evs = before.events(&mut db);
    db.run(evs);
    db.restore_pitr(stop_at, restore_start, restore_done);
    let mut after = Plan::new(restore_done + mins(62), 25, c.now);
    after.log_from = restore_done;
    after.pins = vec![restore_done + mins(18)];
    let evs = after.events(&mut db);
    db.run(evs);
    db
}

/// Ola Hallengren jobs: weekly full (Sunday), daily differential, log every 30 minutes, to a share.
pub fn reporting(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = new_db(
        inst,
        "Reporting",
        12,
        Model::Full,
        Activity::new(600, 100),
        80_000,
    );
    let sunday = |d: i64| c.local(c.at(d, 0, 15)).weekday() == Weekday::Sun;
    let first = (14..=20)
        .rev()
        .find(|d| sunday(*d))
        .expect("a Sunday two to three weeks ago");
    let mut evs = Vec::new();
    for d in (0..=first).rev() {
        let t = c.at(d, 0, 15);
        if sunday(d) {
            evs.push(Ev::new(t, 35, Kind::Full, OLA));
        } else {
            evs.push(Ev::new(t, 8, Kind::Diff, OLA));
        }
    }
    let from = c.at(first, 0, 15);
    let mut rng = Rng::keyed("SQL16/Reporting/log");
    for t in cadence(&mut rng, from + mins(15), c.now, 30, 0, &[]) {
        let start = t + mins(rng.range(0, 1));
        evs.push(Ev::new(start, 2, Kind::Log, OLA));
    }
    db.run(evs);
    db
}

const SQLLOGSHIP: &str =
    "\"C:\\Program Files\\Microsoft SQL Server\\130\\Tools\\Binn\\sqllogship.exe\"";

/// Log shipping configuration and the Agent jobs of the log shipping and Ola scenarios.
pub fn agent_rows(inst: &mut Inst, dbs: &[DbSim]) {
    let c = inst.clock;
    let mut r = Rng::keyed("SQL16/jobs");
    let created = c.now - Duration::days(400);
    let inventory = dbs
        .iter()
        .find(|d| d.name == "Inventory")
        .expect("Inventory");
    let last_ls = inventory
        .backups
        .iter()
        .rev()
        .find(|b| b.prod == Prod::LogShip);
    let primary_id = r.guid();
    let job_id = r.guid();
    let last_file = last_ls.map(|b| media(inst, inventory, b).families[0].clone());
    inst.push(
        catalog::LOG_SHIPPING_PRIMARY,
        json!({
            "primary_id": primary_id,
            "primary_database": "Inventory",
            "backup_directory": "\\\\fs01\\logship\\Inventory",
            "backup_share": "\\\\fs01\\logship\\Inventory",
            "backup_retention_period": 4320,
            "backup_job_id": job_id,
            "monitor_server": "SQLMON01",
            "monitor_server_security_mode": true,
            "last_backup_file": last_file,
            "last_backup_date": last_ls.map(|b| c.dt(b.start)),
            "user_specified_monitor": true,
            "backup_compression": 2,
        }),
    );
    let ls_cmd = format!(
        "{SQLLOGSHIP} -Backup {} -server SQL16\\PROD",
        primary_id.to_uppercase()
    );
    let ls_created = c.now - Duration::days(2) - Duration::hours(3);
    job(
        inst,
        &job_id,
        "LSBackup_Inventory",
        6,
        ls_created,
        last_ls.map(|b| b.start),
        &[(
            "Log shipping backup log job step.",
            "CmdExec",
            &ls_cmd,
            "master",
        )],
    );
    let reporting = dbs
        .iter()
        .find(|d| d.name == "Reporting")
        .expect("Reporting");
    for (kind, code) in [
        ("FULL", Kind::Full),
        ("DIFF", Kind::Diff),
        ("LOG", Kind::Log),
    ] {
        let last = reporting
            .backups
            .iter()
            .rev()
            .find(|b| b.kind == code)
            .map(|b| b.start);
        let cmd = format!(
            "EXECUTE [dbo].[DatabaseBackup] @Databases = 'Reporting', @Directory = N'\\\\fs01\\backup', \
             @BackupType = '{kind}', @Verify = 'Y', @CleanupTime = 336, @CheckSum = 'Y', @LogToTable = 'Y'"
        );
        let name = format!("DatabaseBackup - USER_DATABASES - {kind}");
        job(
            inst,
            &r.guid(),
            &name,
            3,
            created,
            last,
            &[(name.as_str(), "TSQL", &cmd, "master")],
        );
    }
    // A DBA scheduled log backups of CRM to disk yesterday; the job has not
    // run yet, so nothing is broken so far: the job-step rule warns first.
    job(
        inst,
        &r.guid(),
        "DBA - CRM log to disk",
        0,
        c.now - Duration::hours(20),
        None,
        &[(
            "log backup",
            "TSQL",
            "BACKUP LOG [CRM] TO DISK = N'E:\\Backup\\CRM\\CRM_log.trn' WITH COMPRESSION, INIT;",
            "master",
        )],
    );
    // A copy for the reporting team: COPY_ONLY, so Managed Backup's chain is untouched.
    job(
        inst,
        &r.guid(),
        "DBA - Billing copy for reporting",
        0,
        created,
        None,
        &[(
            "copy",
            "TSQL",
            "BACKUP DATABASE [Billing] TO DISK = N'\\\\fs01\\copies\\Billing.bak' WITH COPY_ONLY, COMPRESSION, INIT;",
            "master",
        )],
    );
}
