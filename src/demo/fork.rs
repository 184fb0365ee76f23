//! Events that rewrite a database's history: restores (to a point over itself, or of a full
//! from another server), lost logs and purged history.

use chrono::Duration;

use super::inst::T;
use super::kinds::{Backup, Branch, ForkParent, Kind, RestoreStep};
use super::lsn::Curve;
use super::sim::DbSim;

impl DbSim {
    /// Restores the database over itself to `stop_at` (full + logs), starting a new recovery fork.
    pub fn restore_pitr(&mut self, stop_at: T, restore_start: T, restore_done: T) {
        let b = self.branch_at(stop_at);
        let fp_count = self.count(b, stop_at);
        let fp = self.layout.lsn(fp_count);
        let fork = self.branches[b].fork_guid.clone();
        let full = self
            .backups
            .iter()
            .rposition(|x| x.kind == Kind::Full && x.finish <= stop_at)
            .expect("a full before the stop point");
        let full_last = self.backups[full].last;
        let logs: Vec<usize> = (0..self.backups.len())
            .filter(|&i| {
                let x = &self.backups[i];
                x.kind == Kind::Log && x.last_fork == fork && x.last > full_last && x.first < fp
            })
            .collect();
        let stop_log = *logs.last().expect("a log spanning the stop point");
        let (k_first, k_count) = (
            self.backups[stop_log].first,
            self.backups[stop_log].first_count,
        );
        assert!(
            k_first < fp && fp < self.backups[stop_log].last,
            "stop point inside the last log"
        );
        let mut date = restore_start + Duration::minutes(12);
        self.restores.push(RestoreStep {
            date,
            backup: full,
            kind: "D",
            recovery: false,
            replace: true,
            stop_at: None,
        });
        for (n, &i) in logs.iter().enumerate() {
            let last = n + 1 == logs.len();
            date = if last {
                restore_done
            } else {
                date + Duration::minutes(1)
            };
            self.restores.push(RestoreStep {
                date,
                backup: i,
                kind: "L",
                recovery: last,
                replace: false,
                stop_at: last.then_some(stop_at),
            });
        }
        self.start_branch(
            restore_done,
            fp_count + 40,
            None,
            Some((fork, fp, k_first, k_count)),
        );
    }

    /// Restores data backup `full` (taken here or on another server) as this database at
    /// `done`. WITH RECOVERY it starts a new recovery fork at the backup's end, and the first
    /// log taken afterwards spans it; WITH NORECOVERY the database stays RESTORING on the
    /// backup's fork. Either way RESTORE gives it a new `database_guid`.
    pub fn restore_full(&mut self, full: usize, done: T, recovery: bool) {
        let b = &self.backups[full];
        let branch = self.branch_at(b.start);
        let end_count = self.count(branch, b.finish);
        let parent: ForkParent = (b.last_fork.clone(), b.last, b.first, b.first_count);
        let same_fork = (!recovery).then(|| b.last_fork.clone());
        self.restores.push(RestoreStep {
            date: done,
            backup: full,
            kind: "D",
            recovery,
            replace: false,
            stop_at: None,
        });
        self.start_branch(done, end_count + 40, same_fork, recovery.then_some(parent));
    }

    /// A new line of history from `from`: a new `database_guid`, on recovery fork `fork`, or
    /// on a new one (branching off `parent`) when None.
    fn start_branch(
        &mut self,
        from: T,
        base_count: u64,
        fork: Option<String>,
        parent: Option<ForkParent>,
    ) {
        let curve = Curve::new(
            &mut self.rng,
            from,
            self.clock.now + Duration::days(1),
            base_count,
            &self.act,
            self.clock.offset,
        );
        let database_guid = self.rng.guid();
        let fork_guid = fork.unwrap_or_else(|| self.rng.guid());
        self.branches.push(Branch {
            from,
            curve,
            database_guid,
            fork_guid,
            created: from,
            parent,
        });
    }

    /// Forgets regular log backups started in `[from, to)` (lost files and purged history).
    pub fn purge_logs(&mut self, from: T, to: T) {
        self.forget(|b| b.kind == Kind::Log && b.start >= from && b.start < to);
    }

    /// `sp_delete_backuphistory @oldest_date = before`: forgets every backup finished before it.
    pub fn purge_before(&mut self, before: T) {
        self.forget(|b| b.finish < before);
    }

    /// Drops the backups `gone` says, and the restore steps of those backups.
    fn forget(&mut self, gone: impl Fn(&Backup) -> bool) {
        let mut index = Vec::with_capacity(self.backups.len());
        let mut kept = 0;
        for b in &self.backups {
            index.push((!gone(b)).then_some(kept));
            kept += usize::from(!gone(b));
        }
        self.backups.retain(|b| !gone(b));
        self.restores.retain_mut(|r| match index[r.backup] {
            Some(i) => {
                r.backup = i;
                true
            }
            None => false,
        });
    }
}
