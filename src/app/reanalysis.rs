//! The once-a-minute re-analysis (ages, RPO, retention move with the
//! clock), run on its own thread: on a large estate it takes seconds, which
//! the event loop must never wait for.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::state::App;
use crate::analysis::{analyze_estate, EstateReport};
use crate::model::Estate;

/// How often the report is recomputed while the console is open.
const EVERY: Duration = Duration::minutes(1);

/// A re-analysis under way: the estate it reads and where its report lands.
#[derive(Debug, Clone)]
pub struct Reanalysis {
    estate: Arc<Estate>,
    result: Arc<Mutex<Option<EstateReport>>>,
}

impl App {
    /// Takes a finished re-analysis (true when the report changed), and
    /// starts the next one when the clock has moved a minute since the
    /// report was made. A report of an estate replaced meanwhile (a live
    /// refresh, a load) is dropped.
    pub(super) fn reanalyse(&mut self, now: DateTime<Utc>) -> bool {
        let mut applied = false;
        if let Some(r) = &self.reanalysis {
            let done = r.result.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(report) = done {
                if Arc::ptr_eq(&r.estate, &self.estate) {
                    super::dropper::drop_later(std::mem::replace(&mut self.report, report));
                    self.databases.instances = super::rows::instance_rows(&self.report);
                    self.refresh_databases();
                    self.refresh_detail();
                    self.refresh_findings();
                    applied = true;
                }
                self.reanalysis = None;
            }
        }
        let due = (now - self.report.now).abs() >= EVERY;
        if due && self.reanalysis.is_none() && self.loading.is_none() {
            let job = Reanalysis {
                estate: Arc::clone(&self.estate),
                result: Arc::default(),
            };
            let (estate, slot) = (Arc::clone(&job.estate), Arc::clone(&job.result));
            let spawned = std::thread::Builder::new()
                .name("chainwatch-analysis".into())
                .spawn(move || {
                    let report = analyze_estate(&estate, now);
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(report);
                });
            match spawned {
                Ok(_) => self.reanalysis = Some(job),
                Err(e) => tracing::warn!("re-analysis not started: {e}"),
            }
        }
        applied
    }

    /// Whether a re-analysis is running (tests wait for it).
    pub fn reanalysing(&self) -> bool {
        self.reanalysis.is_some()
    }
}
