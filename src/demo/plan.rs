//! Schedules (weekly fulls, log cadences) and the common set-up of a simulated database.

use std::ops::RangeInclusive;

use chrono::Duration;

use super::inst::{Clock, Inst, T};
use super::kinds::{DbFile, Ev, Kind, Model, Prod};
use super::lsn::Activity;
use super::rng::Rng;
use super::sim::DbSim;

pub fn mins(m: i64) -> Duration {
    Duration::minutes(m)
}

/// Start times every `every` ± `jitter` minutes after `from` and before `until`;
/// a pin that falls before the next slot takes its place.
pub fn cadence(rng: &mut Rng, from: T, until: T, every: i64, jitter: i64, pins: &[T]) -> Vec<T> {
    let mut out = Vec::new();
    let mut t = from;
    loop {
        let next = t + mins(every + rng.range(-jitter, jitter));
        t = pins
            .iter()
            .copied()
            .filter(|p| *p > t && *p <= next)
            .min()
            .unwrap_or(next);
        if t >= until {
            return out;
        }
        out.push(t);
    }
}

/// Weekly starts from `first`; a forced full restarts the week.
pub fn weekly(first: T, forced: &[T], until: T) -> Vec<T> {
    let mut out = Vec::new();
    let mut t = first;
    while t < until {
        out.push(t);
        let next = t + Duration::days(7);
        t = forced
            .iter()
            .copied()
            .filter(|f| *f > t && *f < next)
            .min()
            .unwrap_or(next);
    }
    out
}

/// One data backup a day at `hh:mm` local, on each of the local days `days_ago` before today
/// (oldest first).
pub fn daily(
    clock: Clock,
    days_ago: RangeInclusive<i64>,
    (hh, mm): (u32, u32),
    minutes: i64,
    kind: Kind,
    prod: Prod,
) -> Vec<Ev> {
    days_ago
        .rev()
        .map(|d| Ev::new(clock.at(d, hh, mm), minutes, kind, prod))
        .collect()
}

/// An Agent job's log backups: one every `every` ± `jitter` minutes in `[from, until)`.
pub fn log_job(db: &mut DbSim, from: T, until: T, every: i64, jitter: i64, prod: Prod) -> Vec<Ev> {
    cadence(&mut db.rng, from, until, every, jitter, &[])
        .into_iter()
        .map(|t| Ev::new(t, 2, Kind::Log, prod))
        .collect()
}

/// A Managed Backup style schedule: weekly fulls plus a log every `log_every` minutes.
#[derive(Clone, Debug)]
pub struct Plan {
    pub first_full: T,
    pub full_min: i64,
    pub forced: Vec<T>,
    pub log_from: T,
    pub log_every: i64,
    pub jitter: i64,
    pub pins: Vec<T>,
    pub until: T,
    pub stripes: u8,
}

impl Plan {
    pub fn new(first_full: T, full_min: i64, until: T) -> Plan {
        Plan {
            first_full,
            full_min,
            forced: Vec::new(),
            log_from: first_full + mins(full_min / 2),
            log_every: 120,
            jitter: 4,
            pins: Vec::new(),
            until,
            stripes: 1,
        }
    }

    pub fn full_times(&self) -> Vec<T> {
        weekly(self.first_full, &self.forced, self.until)
    }

    pub fn events(&self, db: &mut DbSim) -> Vec<Ev> {
        let prod = Prod::Managed {
            stripes: self.stripes,
        };
        let mut evs = Vec::new();
        for t in self.full_times() {
            let d = self.full_min + db.rng.range(-self.full_min / 10, self.full_min / 10);
            evs.push(Ev::new(t, d, Kind::Full, prod));
        }
        for t in cadence(
            &mut db.rng,
            self.log_from,
            self.until,
            self.log_every,
            self.jitter,
            &self.pins,
        ) {
            let d = db.rng.range(2, 3);
            evs.push(Ev::new(t, d, Kind::Log, prod));
        }
        evs
    }
}

/// A database with files laid out the way this instance does it.
pub fn new_db(
    inst: &Inst,
    name: &str,
    id: i64,
    model: Model,
    act: Activity,
    data_mb: u64,
) -> DbSim {
    let mut db = DbSim::new(inst.name, inst.clock, name, id, model, act);
    let (data, log, compat) = match inst.major() {
        12 => (
            "E:\\MSSQL12.LEGACY\\MSSQL\\DATA",
            "F:\\MSSQL12.LEGACY\\MSSQL\\Log",
            120,
        ),
        13 => ("D:\\SQLData", "L:\\SQLLogs", 130),
        _ => ("D:\\Data", "L:\\Log", 150),
    };
    db.compat = compat;
    db.data_mb = data_mb;
    db.files = vec![
        DbFile {
            logical: name.to_string(),
            physical: format!("{data}\\{name}.mdf"),
            file_type: "D",
            mb: data_mb * 13 / 10,
        },
        DbFile {
            logical: format!("{name}_log"),
            physical: format!("{log}\\{name}_log.ldf"),
            file_type: "L",
            mb: (data_mb / 8).max(64),
        },
    ];
    db
}

/// A managed database that only runs its plan: the common healthy case.
pub fn managed(
    inst: &Inst,
    name: &str,
    id: i64,
    act: Activity,
    data_mb: u64,
    plan: &Plan,
) -> DbSim {
    let mut db = new_db(inst, name, id, Model::Full, act, data_mb);
    db.retention = Some(14);
    let evs = plan.events(&mut db);
    db.run(evs);
    db
}

/// Drops log events that start within `m` minutes of any of `times` (to make room for others).
pub fn drop_logs_near(evs: &mut Vec<Ev>, times: &[T], m: i64) {
    evs.retain(|e| {
        e.kind != Kind::Log || times.iter().all(|t| (e.start - *t).num_minutes().abs() > m)
    });
}

/// Index of the log event that starts closest to `t`.
pub fn log_nearest(evs: &[Ev], t: T) -> Option<usize> {
    evs.iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Log)
        .min_by_key(|(_, e)| (e.start - t).num_minutes().abs())
        .map(|(i, _)| i)
}
