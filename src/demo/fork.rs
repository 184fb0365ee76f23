//! Events that rewrite a database's history: a point-in-time restore over itself, lost logs.

use chrono::Duration;

use super::inst::T;
use super::kinds::{Branch, Kind, RestoreStep};
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
        let curve = Curve::new(
            &mut self.rng,
            restore_done,
            self.clock.now + Duration::days(1),
            fp_count + 40,
            &self.act,
            self.clock.offset,
        );
        let branch = Branch {
            from: restore_done,
            curve,
            database_guid: self.rng.guid(),
            fork_guid: self.rng.guid(),
            created: restore_done,
            parent: Some((fork, fp, k_first, k_count)),
        };
        self.branches.push(branch);
    }

    /// Forgets regular log backups started in `[from, to)` (lost files and purged history).
    pub fn purge_logs(&mut self, from: T, to: T) {
        self.backups
            .retain(|b| !(b.kind == Kind::Log && b.start >= from && b.start < to));
    }
}
