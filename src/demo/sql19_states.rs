//! `SQL19\OPS` databases whose state or life story decides what can be backed up: SUSPECT with
//! a damaged tail-log backup, OFFLINE, just created, never backed up, a database snapshot, and
//! two databases restored from another server's backups (one recovered, one still RESTORING).

use chrono::Duration;

use super::inst::Inst;
use super::kinds::{Ev, Kind, Origin, Prod, OLA};
use super::lsn::Activity;
use super::plan::mins;
use super::sim::DbSim;
use super::sql19::{first_log, fulls, logs, ola_db, HISTORY_DAYS};

/// The old finance server the `Budget` and `ERP` backups come from.
pub static FIN: Origin = Origin {
    server: "SQL12\\FIN",
    machine: "SQL12",
    version: "11.0.7001.0",
    user: "FIN\\svc_sqlbackup",
    folder: "R:\\Migration",
};

/// SUSPECT since three hours ago; a DBA saved the tail of the log with
/// `BACKUP LOG … WITH NO_TRUNCATE` (copy-only, CONTINUE_AFTER_ERROR: `is_damaged` = 1).
pub fn dispatch(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Dispatch", 14, Activity::new(700, 100), 10_000);
    let suspect = c.now - Duration::hours(3);
    let mut evs = fulls(c, &[HISTORY_DAYS, 3], 12, OLA);
    evs.extend(logs(&mut db, first_log(c), suspect));
    evs.push(Ev::new(suspect + mins(55), 2, Kind::CopyLog, Prod::AdHocDisk).damaged());
    db.run(evs);
    db.cat.state = Some("SUSPECT");
    db
}

/// Taken OFFLINE nine days ago (the application was retired); its last backups remain.
pub fn helpdesk(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Helpdesk", 15, Activity::new(300, 40), 4_000);
    let mut evs = fulls(c, &[HISTORY_DAYS], 8, OLA);
    evs.extend(logs(&mut db, first_log(c), c.at(HISTORY_DAYS - 1, 18, 0)));
    db.run(evs);
    db.cat.state = Some("OFFLINE");
    db
}

/// Created five hours ago; tonight's full job will take its first backup.
pub fn sandbox(inst: &Inst) -> DbSim {
    let mut db = ola_db(inst, "Sandbox", 16, Activity::new(100, 10), 2_000);
    db.branches[0].created = inst.clock.now - Duration::hours(5) - mins(12);
    db
}

/// Created this morning; a DBA took its first full two hours ago, no log backup yet.
pub fn hiring(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Hiring", 17, Activity::new(200, 20), 3_000);
    db.branches[0].created = c.now - Duration::hours(7) - mins(40);
    let full = c.now - Duration::hours(2) - mins(10);
    db.run(vec![Ev::new(full, 3, Kind::Full, Prod::AdHocDisk)]);
    db
}

/// In FULL recovery for years and never backed up: in no job's database list.
pub fn warranty(inst: &Inst) -> DbSim {
    ola_db(inst, "Warranty", 18, Activity::new(300, 30), 5_000)
}

/// A database snapshot of Invoices, made yesterday evening for the end-of-day reports.
pub fn inv_snap(inst: &Inst) -> DbSim {
    let mut db = ola_db(inst, "Inv_snap", 19, Activity::new(100, 10), 18_000);
    db.cat.snapshot_of = Some(6);
    db.branches[0].created = inst.clock.at(1, 18, 0);
    db
}

/// Moved from SQL12\FIN six days ago: its full restored WITH RECOVERY (a new database_guid and
/// recovery fork), a full taken here at once, then the usual jobs.
pub fn budget(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "Budget", 20, Activity::new(400, 60), 7_000);
    db.compat = 110;
    db.run(vec![Ev::new(
        c.at(6, 18, 0),
        15,
        Kind::Full,
        Prod::Foreign(&FIN),
    )]);
    let restored = c.at(6, 20, 40);
    db.restore_full(0, restored, true);
    let mut evs = vec![Ev::new(restored + mins(20), 10, Kind::Full, OLA)];
    evs.extend(fulls(c, &[3], 10, OLA));
    evs.extend(logs(&mut db, restored + mins(50), c.now));
    db.run(evs);
    db
}

/// Being moved from SQL12\FIN: its full restored WITH NORECOVERY two hours ago, waiting for
/// the log backups.
pub fn erp(inst: &Inst) -> DbSim {
    let c = inst.clock;
    let mut db = ola_db(inst, "ERP", 21, Activity::new(1500, 200), 60_000);
    db.compat = 110;
    let taken = c.now - Duration::hours(5);
    db.run(vec![Ev::new(taken, 25, Kind::Full, Prod::Foreign(&FIN))]);
    db.restore_full(0, c.now - Duration::hours(2), false);
    db.cat.restoring = true;
    db
}
