//! `SQL19\OPS` databases whose backups are late, missing or unusable: the jobs stopped for
//! one kind of backup, a log chain with a hole, a full whose history was purged, a stripe's
//! media row lost, a switch to SIMPLE, a dropped database.

use chrono::Duration;

use super::inst::{Inst, T};
use super::kinds::{Ev, Kind, Model, Prod, OLA};
use super::lsn::Activity;
use super::plan::{daily, mins};
use super::sim::DbSim;
use super::sql19::{first_log, fulls, logs, ola_db, HISTORY_DAYS};
use crate::model::catalog;

/// The log job hung about ten hours ago; the weekly fulls still run.
pub fn timecards(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Timecards", 5, Activity::new(600, 80), 12_000);
    let mut evs = fulls(c, &[HISTORY_DAYS, 3], 12, OLA);
    let hung = c.now - Duration::hours(10) - mins(20);
    evs.extend(logs(&mut db, first_log(c), hung));
    db.run(evs);
    db
}

/// Weekly fulls and nightly differentials; the differential job stopped after the last full.
pub fn invoices(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Invoices", 6, Activity::new(900, 120), 18_000);
    let mut evs = fulls(c, &[HISTORY_DAYS, 3], 20, OLA);
    evs.extend(daily(c, 4..=HISTORY_DAYS - 1, (0, 5), 6, Kind::Diff, OLA));
    evs.extend(logs(&mut db, first_log(c), c.now));
    db.run(evs);
    db
}

/// The full job fails (the share is full) since the night after the oldest full kept.
pub fn shipping(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Shipping", 7, Activity::new(700, 90), 9_000);
    let mut evs = fulls(c, &[HISTORY_DAYS], 10, OLA);
    evs.extend(logs(&mut db, first_log(c), c.now));
    db.run(evs);
    db
}

/// Weekly fulls striped over four files (`@NumberOfFiles = 4`).
pub fn analytics(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Analytics", 8, Activity::new(1200, 300), 900_000);
    let mut evs = fulls(c, &[HISTORY_DAYS, 3], 100, Prod::Ola { stripes: 4 });
    evs.extend(logs(&mut db, first_log(c), c.now));
    db.run(evs);
    db
}

/// The `backupmediafamily` row of stripe 3 of Analytics' newest full is gone.
pub fn lose_a_stripe(inst: &mut Inst, dbs: &[DbSim]) {
    let newest = dbs
        .iter()
        .filter(|d| d.name == "Analytics")
        .flat_map(|d| d.backups.iter())
        .filter(|b| b.kind == Kind::Full)
        .max_by_key(|b| b.start)
        .map(|b| b.id);
    inst.table(catalog::BACKUPMEDIAFAMILY).retain(|f| {
        f["media_set_id"].as_i64() != newest || f["family_sequence_number"].as_i64() != Some(3)
    });
}

/// Two log backups of yesterday are missing from msdb: no full has been taken since.
pub fn tickets(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Tickets", 9, Activity::new(800, 100), 14_000);
    let mut evs = fulls(c, &[HISTORY_DAYS, 3], 15, OLA);
    evs.extend(logs(&mut db, first_log(c), c.now));
    db.run(evs);
    db.purge_logs(c.at(1, 6, 0), c.at(1, 14, 0));
    db
}

/// Monthly fulls: the last one is older than the ten days msdb keeps, its logs are not.
pub fn documents(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Documents", 10, Activity::new(300, 40), 40_000);
    let full = c.at(HISTORY_DAYS + 2, 22, 0);
    let mut evs = vec![Ev::new(full, 40, Kind::Full, OLA)];
    evs.extend(logs(&mut db, full + mins(60), c.now));
    db.run(evs);
    db
}

/// FULL recovery and nightly fulls, but left out of the log job.
pub fn imports(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Imports", 11, Activity::new(500, 60), 6_000);
    db.cat.log_reuse = "LOG_BACKUP";
    db.run(daily(c, 0..=HISTORY_DAYS, (3, 0), 10, Kind::Full, OLA));
    db
}

/// Nightly fulls; switched to SIMPLE for a bulk load five days ago, back to FULL that night.
pub fn loader(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Loader", 12, Activity::new(1000, 200), 8_000);
    let (to_simple, back) = (c.at(5, 20, 0), c.at(5, 23, 30));
    let next_full = c.at(4, 0, 5);
    db.switch_model(to_simple, Model::Simple);
    db.switch_model(back, Model::Full);
    let mut evs = daily(c, 0..=HISTORY_DAYS, (0, 5), 8, Kind::Full, OLA);
    // No log backup runs in SIMPLE, nor after the switch back until a full restarts the chain.
    let lost = |t: T| t >= to_simple && t < next_full + mins(15);
    evs.extend(
        logs(&mut db, first_log(c), c.now)
            .into_iter()
            .filter(|e| !lost(e.start)),
    );
    db.run(evs);
    db
}

/// Dropped four days ago (a retired application): only its history remains.
pub fn kanban(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let drop = c.at(4, 17, 0);
    let mut db = ola_db(inst, "Kanban", 13, Activity::new(200, 30), 5_000);
    let mut evs = fulls(c, &[HISTORY_DAYS], 8, OLA);
    evs.extend(logs(&mut db, first_log(c), drop));
    db.run(evs);
    db.dropped = Some(drop);
    db
}
