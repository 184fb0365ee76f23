//! The once-a-minute re-analysis (ages, RPO, retention move with the
//! clock), run off the event loop: on a large estate it takes seconds, which
//! the event loop must never wait for. A tick returns the work as a
//! [`Task::Reanalyse`]; its report comes back as [`super::effect::Msg::Reanalysed`].

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::effect::{Effect, Task};
use super::state::App;
use crate::analysis::EstateReport;
use crate::model::Estate;

/// How often the report is recomputed while the console is open.
const EVERY: Duration = Duration::minutes(1);

impl App {
    /// Starts a re-analysis when the clock has moved a minute since the
    /// report was made and none is under way.
    pub(super) fn reanalyse(&mut self, now: DateTime<Utc>) {
        let due = (now - self.report.now).abs() >= EVERY;
        if due && self.reanalysis.is_none() && self.loading.is_none() {
            self.reanalysis = Some(Arc::clone(&self.estate));
            self.effects.push(Effect::Spawn(Task::Reanalyse {
                estate: Arc::clone(&self.estate),
                now,
            }));
        }
    }

    /// Takes a finished re-analysis. A report of an estate replaced
    /// meanwhile (a live refresh, a load) is dropped.
    pub(super) fn reanalysed(&mut self, estate: Arc<Estate>, report: Box<EstateReport>) {
        let current = self
            .reanalysis
            .as_ref()
            .is_some_and(|e| Arc::ptr_eq(e, &estate));
        if current {
            self.reanalysis = None;
        }
        if current && Arc::ptr_eq(&estate, &self.estate) {
            super::dropper::drop_later(std::mem::replace(&mut self.report, *report));
            self.databases.instances = super::rows::instance_rows(&self.report);
            self.refresh_databases();
            self.refresh_detail();
            self.refresh_findings();
        } else {
            self.dirty = false;
            super::dropper::drop_later(report);
        }
    }

    /// Whether a re-analysis is running (tests wait for it).
    pub fn reanalysing(&self) -> bool {
        self.reanalysis.is_some()
    }
}
