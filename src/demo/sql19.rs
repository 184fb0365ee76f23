//! `SQL19\OPS`: SQL Server 2019 without Managed Backup. Ola Hallengren's jobs write to
//! `\\fs01\backup` (weekly fulls at 00:05, a log every 4 hours), and a nightly
//! `sp_delete_backuphistory` keeps ten days of msdb history. One database per problem: late
//! or missing backups, broken chains, incomplete media, and databases in states where no
//! backup can run (see `scenarios.rs`).

use chrono::Duration;

use super::catalog::{emit_databases, emit_managed_config, job, InstanceDefaults};
use super::history::{emit_available, emit_history};
use super::inst::{Clock, Inst, T};
use super::kinds::{Ev, Kind, Model, Prod, OLA};
use super::lsn::Activity;
use super::plan::{log_job, new_db};
use super::rng::Rng;
use super::sim::DbSim;
use super::sql19_chains as chains;
use super::sql19_states as states;

pub const NAME: &str = "SQL19\\OPS";
/// Days of history the nightly cleanup keeps.
pub(super) const HISTORY_DAYS: i64 = 10;

pub fn build(now: T) -> Inst {
    let c = Clock { now, offset: 120 };
    let mut inst = Inst::new(
        NAME,
        "SQL19",
        Some("OPS"),
        "15.0.4375.4",
        c,
        "NT SERVICE\\SQLAgent$OPS",
        None,
        72_418,
    );
    let mut dbs = vec![
        chains::timecards(&inst),
        chains::invoices(&inst),
        chains::shipping(&inst),
        chains::analytics(&inst),
        chains::tickets(&inst),
        chains::documents(&inst),
        chains::imports(&inst),
        chains::loader(&inst),
        chains::kanban(&inst),
        states::dispatch(&inst),
        states::helpdesk(&inst),
        states::sandbox(&inst),
        states::hiring(&inst),
        states::warranty(&inst),
        states::inv_snap(&inst),
        states::budget(&inst),
        states::erp(&inst),
    ];
    for db in &mut dbs {
        db.purge_before(cutoff(c));
    }
    {
        let mut refs: Vec<&mut DbSim> = dbs.iter_mut().collect();
        emit_history(&mut inst, &mut refs, 0);
    }
    chains::lose_a_stripe(&mut inst, &dbs);
    let refs: Vec<&DbSim> = dbs.iter().collect();
    emit_available(&mut inst, &refs, &[], None);
    emit_databases(&mut inst, &refs, None);
    // Never configured; dropped databases and snapshots are not listed.
    let listed: Vec<&DbSim> = refs
        .iter()
        .copied()
        .filter(|d| d.dropped.is_none() && d.cat.snapshot_of.is_none())
        .collect();
    emit_managed_config(&mut inst, &listed, None, InstanceDefaults::Never);
    agent_rows(&mut inst, &dbs);
    inst
}

/// When the nightly cleanup last ran (00:00 local), minus the days it keeps: every row that
/// finished before this is gone from msdb.
pub(super) fn cutoff(c: Clock) -> T {
    c.at(HISTORY_DAYS, 0, 0)
}

/// A database in FULL recovery laid out like the others on this instance.
pub(super) fn ola_db(inst: &Inst, name: &str, id: i64, act: Activity, data_mb: u64) -> DbSim {
    new_db(inst, name, id, Model::Full, act, data_mb)
}

/// The weekly full job (00:05 local) on the local days `days_ago` before today.
pub(super) fn fulls(c: Clock, days_ago: &[i64], minutes: i64, prod: Prod) -> Vec<Ev> {
    days_ago
        .iter()
        .map(|d| Ev::new(c.at(*d, 0, 5), minutes, Kind::Full, prod))
        .collect()
}

/// The log job: one backup about every 4 hours from `from` until `until`.
pub(super) fn logs(db: &mut DbSim, from: T, until: T) -> Vec<Ev> {
    log_job(db, from, until, 240, 3, OLA)
}

/// The first log after the oldest full the cleanup kept (its full runs at 00:05).
pub(super) fn first_log(c: Clock) -> T {
    c.at(HISTORY_DAYS, 0, 35)
}

/// Ola's jobs (one `DatabaseBackup` step each) and the history cleanup.
fn agent_rows(inst: &mut Inst, dbs: &[DbSim]) {
    let c = inst.clock;
    let mut r = Rng::keyed("SQL19/jobs");
    let created = c.now - Duration::days(500);
    let last = |code: &str, db: Option<&str>| -> Option<T> {
        dbs.iter()
            .filter(|d| db.is_none_or(|n| d.name == n))
            .flat_map(|d| d.backups.iter())
            .filter(|b| matches!(b.prod, Prod::Ola { .. }) && b.kind.code() == code)
            .map(|b| b.start)
            .max()
    };
    let ola = |dbs: &str, kind: &str, extra: &str| {
        format!(
            "EXECUTE [dbo].[DatabaseBackup] @Databases = '{dbs}', @Directory = N'\\\\fs01\\backup', \
             @BackupType = '{kind}', @Verify = 'Y', @CheckSum = 'Y', @Compress = 'Y', @LogToTable = 'Y'{extra}"
        )
    };
    let jobs = [
        (
            "DatabaseBackup - USER_DATABASES - FULL",
            ola("USER_DATABASES, -Analytics", "FULL", ""),
            last("D", None),
        ),
        (
            "DatabaseBackup - Analytics - FULL",
            ola("Analytics", "FULL", ", @NumberOfFiles = 4"),
            last("D", Some("Analytics")),
        ),
        (
            "DatabaseBackup - USER_DATABASES - DIFF",
            ola("USER_DATABASES", "DIFF", ""),
            last("I", None),
        ),
        (
            // Imports was left out while it was in SIMPLE recovery.
            "DatabaseBackup - USER_DATABASES - LOG",
            ola("USER_DATABASES, -Imports", "LOG", ""),
            last("L", None),
        ),
    ];
    for (name, cmd, run) in jobs {
        job(
            inst,
            &r.guid(),
            name,
            3,
            created,
            run,
            &[(name, "TSQL", &cmd, "master")],
        );
    }
    let cleanup = format!(
        "DECLARE @CleanupDate datetime = DATEADD(DAY, -{HISTORY_DAYS}, GETDATE());\r\nEXECUTE msdb.dbo.sp_delete_backuphistory @oldest_date = @CleanupDate;"
    );
    job(
        inst,
        &r.guid(),
        "sp_delete_backuphistory",
        3,
        created,
        Some(c.at(0, 0, 0)),
        &[("sp_delete_backuphistory", "TSQL", &cleanup, "msdb")],
    );
}
