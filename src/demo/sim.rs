//! Per-database backup simulation: turns scheduled backups into rows that obey the LSN rules.

use chrono::Duration;

use super::inst::{Clock, T};
use super::kinds::{Backup, Branch, Cat, DbFile, Ev, Kind, Model, RestoreStep};
use super::lsn::{Activity, Curve, Layout};
use super::rng::Rng;

const MIB: u64 = 1_048_576;

pub struct DbSim {
    pub name: String,
    pub id: i64,
    pub family_guid: String,
    pub group_db: Option<String>,
    /// Availability group id, for AG databases.
    pub ag_group: Option<String>,
    pub clock: Clock,
    pub layout: Layout,
    pub rng: Rng,
    pub act: Activity,
    pub branches: Vec<Branch>,
    pub models: Vec<(T, Model)>,
    pub backups: Vec<Backup>,
    pub restores: Vec<RestoreStep>,
    pub files: Vec<DbFile>,
    pub data_mb: u64,
    pub compat: u8,
    /// Managed Backup retention in days, when the database is managed.
    pub retention: Option<i64>,
    pub dropped: Option<T>,
    pub cat: Cat,
    chain: Option<(u128, u64)>,
    chain_branch: usize,
    last_log_start: Option<T>,
    last_log_finish: Option<T>,
    seed_backup_lsn: u128,
}

impl DbSim {
    pub fn new(key: &str, clock: Clock, name: &str, id: i64, model: Model, act: Activity) -> DbSim {
        let mut rng = Rng::keyed(&format!("{key}/{name}"));
        let layout = Layout {
            vlf0: rng.range(1_200_000, 48_000_000) as u64,
        };
        let base = rng.range(2_000_000, 9_000_000) as u64;
        let seed = layout.lsn(base - rng.range(100_000, 900_000) as u64);
        let start = clock.now - Duration::days(23);
        let curve = Curve::new(
            &mut rng,
            start,
            clock.now + Duration::days(1),
            base,
            &act,
            clock.offset,
        );
        let created = clock.now
            - Duration::days(rng.range(400, 2500))
            - Duration::minutes(rng.range(0, 1439));
        let branch = Branch {
            from: start,
            curve,
            database_guid: rng.guid(),
            fork_guid: rng.guid(),
            created,
            parent: None,
        };
        let family_guid = rng.guid();
        DbSim {
            name: name.to_string(),
            id,
            family_guid,
            group_db: None,
            ag_group: None,
            clock,
            layout,
            rng,
            act,
            branches: vec![branch],
            models: vec![(start, model)],
            backups: Vec::new(),
            restores: Vec::new(),
            files: Vec::new(),
            data_mb: 10_240,
            compat: 130,
            retention: None,
            dropped: None,
            cat: Cat {
                log_reuse: "NOTHING",
                ..Cat::default()
            },
            chain: None,
            chain_branch: 0,
            last_log_start: None,
            last_log_finish: None,
            seed_backup_lsn: seed,
        }
    }

    pub fn branch(&self) -> &Branch {
        self.branches.last().expect("a branch")
    }

    pub fn model_at(&self, t: T) -> Model {
        self.models
            .iter()
            .rev()
            .find(|(from, _)| *from <= t)
            .map_or(self.models[0].1, |m| m.1)
    }

    pub fn model_now(&self) -> Model {
        self.models.last().expect("a model").1
    }

    pub fn switch_model(&mut self, at: T, m: Model) {
        self.models.push((at, m));
    }

    /// `last_log_backup_lsn`: where the next regular log backup starts.
    pub fn chain_end(&self) -> Option<u128> {
        self.chain.map(|c| c.0)
    }

    /// `sys.database_recovery_status.last_log_backup_lsn`: the end of the newest regular log,
    /// else where the chain begins (the first full's first LSN) before any log was taken.
    pub fn next_log_lsn(&self) -> Option<u128> {
        self.chain_end().or_else(|| {
            self.backups
                .iter()
                .find(|b| b.kind == Kind::Full && b.model != Model::Simple)
                .map(|b| b.first)
        })
    }

    pub(super) fn branch_at(&self, t: T) -> usize {
        self.branches.iter().rposition(|b| b.from <= t).unwrap_or(0)
    }

    pub(super) fn count(&self, b: usize, t: T) -> u64 {
        self.branches[b].curve.count_at(t)
    }

    fn full_ckpt_before(&self, t: T, by_finish: bool) -> Option<&Backup> {
        self.backups.iter().rev().find(|b| {
            b.kind == Kind::Full
                && if by_finish {
                    b.finish <= t
                } else {
                    b.start < t
                }
        })
    }

    /// When a SIMPLE period lies between `from` and `to`, the time FULL logging came back.
    fn simple_gap(&self, from: Option<T>, to: T) -> Option<T> {
        for (i, (at, m)) in self.models.iter().enumerate() {
            if *m != Model::Simple {
                continue;
            }
            let back = self.models.get(i + 1).map(|x| x.0)?;
            if back <= to && from.is_none_or(|f| back > f) && *at < to {
                return Some(back);
            }
        }
        None
    }

    /// Applies scheduled backups in start order (call repeatedly, in time order).
    pub fn run(&mut self, mut evs: Vec<Ev>) {
        evs.sort_by_key(|e| (e.start, e.kind.rank()));
        for e in evs {
            self.apply(e);
        }
    }

    fn apply(&mut self, e: Ev) {
        let mut s = e.start;
        let mut f = s + Duration::minutes(e.minutes.max(2));
        let is_log = matches!(e.kind, Kind::Log | Kind::CopyLog);
        if is_log {
            if let Some(lf) = self.last_log_finish.filter(|lf| s <= *lf) {
                let shift = lf + Duration::minutes(1) - s;
                s += shift;
                f += shift;
            }
            // A log taken while a full runs ends after the full does.
            let running = self.backups.iter().rev().take(8).find(|b| {
                matches!(b.kind, Kind::Full | Kind::CopyFull) && b.start <= s && s < b.finish
            });
            if let Some(full_finish) = running.map(|b| b.finish).filter(|ff| f <= *ff) {
                f = full_finish + Duration::minutes(1 + (s.and_utc().timestamp() / 60 % 2));
            }
        }
        if f > self.clock.now || self.dropped.is_some_and(|d| s >= d) {
            return;
        }
        let b = self.branch_at(s);
        let model = self.model_at(s);
        let (first_fork, last_fork) = (
            self.branches[b].fork_guid.clone(),
            self.branches[b].fork_guid.clone(),
        );
        let mut row = Backup {
            id: 0,
            uuid: self.rng.guid(),
            kind: e.kind,
            prod: e.prod,
            replica: e.replica,
            start: s,
            finish: f,
            first: 0,
            last: 0,
            checkpoint: 0,
            db_backup_lsn: 0,
            diff_base: None,
            model,
            bulk: e.bulk,
            damaged: e.damaged,
            begins_chain: false,
            first_fork,
            last_fork,
            fork_point: None,
            database_guid: self.branches[b].database_guid.clone(),
            created: self.branches[b].created,
            size: 0,
            first_count: 0,
        };
        let (c_first, c_last) = match e.kind {
            Kind::Full | Kind::CopyFull | Kind::Diff => {
                let c0 = self.count(b, s);
                let ck = self.count(b, s + Duration::minutes(1));
                let c1 = self.count(b, f);
                assert!(
                    ck < c1,
                    "{}: no log activity during the data backup at {s}",
                    self.name
                );
                row.checkpoint = self.layout.lsn(ck);
                if e.kind == Kind::Diff {
                    let base = self
                        .full_ckpt_before(s, true)
                        .expect("a differential needs a base full");
                    row.diff_base = Some((base.checkpoint, base.uuid.clone()));
                    row.db_backup_lsn = base.checkpoint;
                } else {
                    row.db_backup_lsn = self.full_ckpt_before(s, false).map_or(0, |x| x.checkpoint);
                }
                (c0, c1)
            }
            Kind::Log | Kind::CopyLog => {
                assert!(
                    model != Model::Simple,
                    "{}: log backup in SIMPLE at {s}",
                    self.name
                );
                row.db_backup_lsn = self
                    .full_ckpt_before(s, true)
                    .map_or(self.seed_backup_lsn, |x| x.checkpoint);
                let c1 = self.count(b, f);
                let c0 = self.log_start(b, s, e.kind == Kind::Log, &mut row);
                let c1 = if e.kind == Kind::CopyLog {
                    self.count(b, s).max(c0)
                } else {
                    c1
                };
                row.checkpoint = self.layout.lsn(c0 + (c1 - c0) / 3);
                (c0, c1)
            }
        };
        if row.first == 0 {
            row.first = self.layout.lsn(c_first);
        }
        row.first_count = c_first;
        row.last = self.layout.lsn(c_last);
        assert!(
            row.first <= row.last,
            "{}: backwards LSNs at {s}",
            self.name
        );
        row.size = self.size_of(e.kind, c_first, c_last, s);
        if e.kind == Kind::Log {
            self.chain = Some((row.last, c_last));
            self.chain_branch = b;
            self.last_log_start = Some(s);
        }
        if is_log {
            self.last_log_finish = Some(f);
        }
        self.backups.push(row);
    }

    /// First LSN (count) of a log; handles forks and chains restarted after SIMPLE.
    fn log_start(&mut self, b: usize, s: T, regular: bool, row: &mut Backup) -> u64 {
        if regular && b != self.chain_branch {
            let (old_fork, fp, first, first_count) =
                self.branches[b].parent.clone().expect("fork parent");
            row.first_fork = old_fork;
            row.fork_point = Some(fp);
            row.first = first;
            return first_count;
        }
        if regular {
            if let Some(back) = self.simple_gap(self.last_log_start, s) {
                let full = self
                    .backups
                    .iter()
                    .find(|x| x.kind == Kind::Full && x.start >= back && x.finish <= s)
                    .expect("a full after switching back from SIMPLE");
                row.begins_chain = true;
                row.first = full.first;
                return full.first_count;
            }
        }
        match self.chain {
            Some((lsn, count)) => {
                row.first = lsn;
                count
            }
            None => {
                let t0 =
                    self.backups.first().map_or(s, |x| x.start.min(s)) - Duration::minutes(120);
                let c = self.count(b, t0);
                if regular {
                    self.chain = Some((self.layout.lsn(c), c));
                }
                c
            }
        }
    }

    fn size_of(&mut self, kind: Kind, c0: u64, c1: u64, s: T) -> u64 {
        let records = (c1 - c0) * 190;
        let days = (s - (self.clock.now - Duration::days(22)))
            .num_days()
            .max(0) as u64;
        let data = self.data_mb * MIB / 1000 * (1000 + days * 2);
        let jitter = self.rng.range(0, 4096) as u64 * 512;
        match kind {
            Kind::Full | Kind::CopyFull => data + records + jitter,
            Kind::Diff => {
                let since = self
                    .full_ckpt_before(s, true)
                    .map_or(1, |f| (s - f.finish).num_days().max(1) as u64);
                data / 100 * (4 + 3 * since.min(7)) + records + jitter
            }
            Kind::Log | Kind::CopyLog => 75_776 + records / 512 * 512,
        }
    }
}
