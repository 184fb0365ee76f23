//! Execution progress: which batch runs, the server's messages, STATS
//! percentages, elapsed time and an ETA.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sqlserver::exec::ExecEvent;
use crate::tsql::Script;

/// One finished (or failed) batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRun {
    pub index: usize,
    pub label: String,
    pub result: String,
    pub elapsed_ms: u64,
    pub messages: usize,
}

/// Where execution stands. `next` is the first batch that has not
/// completed; it survives a restart, so a resumed restore continues there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecProgress {
    pub next: usize,
    pub running: bool,
    pub cancel_requested: bool,
    /// STATS percentage of the running batch.
    pub percent: u8,
    pub current_started: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub runs: Vec<BatchRun>,
    /// Every server message, in order, prefixed with the batch label.
    pub log: Vec<String>,
    /// The error that stopped execution, with the batch it stopped at.
    pub failed: Option<String>,
    pub messages_in_batch: usize,
    /// The console's clock while running (for the elapsed time of the
    /// running batch).
    #[serde(default)]
    pub clock: Option<DateTime<Utc>>,
}

impl ExecProgress {
    pub fn begin(&mut self, next: usize, now: DateTime<Utc>) {
        self.next = self.next.max(next);
        self.running = true;
        self.failed = None;
        self.started.get_or_insert(now);
    }

    /// Applies one executor event; `labels` names the script's batches.
    pub fn apply(&mut self, ev: &ExecEvent, labels: &[String]) {
        // Messages outside any batch (the verify queries) carry usize::MAX.
        let label = |i: usize| match labels.get(i) {
            Some(l) => l.clone(),
            None if i == usize::MAX => "verify".to_string(),
            None => format!("batch {}", i.saturating_add(1)),
        };
        match ev {
            ExecEvent::Connected { at } => {
                self.started.get_or_insert(*at);
            }
            ExecEvent::Started { batch, at } => {
                self.percent = 0;
                self.messages_in_batch = 0;
                self.current_started = Some(*at);
                self.log.push(format!("{}: started", label(*batch)));
            }
            ExecEvent::Message { batch, text } => {
                self.messages_in_batch += 1;
                if let Some(p) = crate::sqlserver::exec::stats_percent(text) {
                    self.percent = p;
                }
                self.log.push(format!("{}: {text}", label(*batch)));
            }
            ExecEvent::Done { batch, elapsed_ms } => {
                self.runs.push(BatchRun {
                    index: *batch,
                    label: label(*batch),
                    result: "ok".into(),
                    elapsed_ms: *elapsed_ms,
                    messages: self.messages_in_batch,
                });
                self.next = batch + 1;
                self.percent = 100;
                self.current_started = None;
            }
            ExecEvent::Failed {
                batch,
                error,
                elapsed_ms,
            } => {
                self.runs.push(BatchRun {
                    index: *batch,
                    label: label(*batch),
                    result: format!("failed: {error}"),
                    elapsed_ms: *elapsed_ms,
                    messages: self.messages_in_batch,
                });
                self.log.push(format!("{}: ERROR {error}", label(*batch)));
                self.failed = Some(format!("{} failed: {error}", label(*batch)));
                self.running = false;
                self.current_started = None;
            }
            ExecEvent::ConnectFailed { error } => {
                self.log.push(format!("connect: {error}"));
                self.failed = Some(format!("cannot connect: {error}"));
                self.running = false;
            }
            ExecEvent::Cancelled { next } => {
                self.log.push(format!("cancelled before {}", label(*next)));
                self.running = false;
                self.cancel_requested = false;
            }
            ExecEvent::Rows { .. } => {}
            ExecEvent::Finished => {
                self.running = false;
            }
        }
    }

    /// Milliseconds spent so far: finished batches plus the running one.
    pub fn elapsed_ms(&self) -> u64 {
        let done: u64 = self.runs.iter().map(|r| r.elapsed_ms).sum();
        let running = match (self.running, self.current_started, self.clock) {
            (true, Some(start), Some(now)) => (now - start).num_milliseconds().max(0) as u64,
            _ => 0,
        };
        done + running
    }

    /// Estimated time left for `remaining` batches, from the average so far.
    pub fn eta_ms(&self, remaining: usize) -> Option<u64> {
        let ok: Vec<u64> = self
            .runs
            .iter()
            .filter(|r| r.result == "ok")
            .map(|r| r.elapsed_ms)
            .collect();
        if ok.is_empty() {
            return None;
        }
        let avg = ok.iter().sum::<u64>() / ok.len() as u64;
        let current = avg * (100 - u64::from(self.percent.min(100))) / 100;
        Some(avg * remaining.saturating_sub(1) as u64 + current)
    }
}

/// The measured restore time of a run: the batches that had the database
/// down (single user to recovery), and the checks before and after apart.
pub fn measured(script: &Script, elapsed: &[(usize, u64)]) -> String {
    let mut down = 0u64;
    let mut other = 0u64;
    for (i, ms) in elapsed {
        match script.batches.get(*i) {
            Some(b) if b.kind.takes_database_down() => down += ms,
            _ => other += ms,
        }
    }
    format!(
        "measured restore time (the RTO this restore achieved): {:.1} s from the first step that took the database down to recovery{}",
        down as f64 / 1000.0,
        if other > 0 {
            format!("; verification and checks {:.1} s more", other as f64 / 1000.0)
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsql::{Batch, BatchKind};

    #[test]
    fn restore_time_counts_only_the_steps_with_the_database_down() {
        let b = |kind| Batch {
            kind,
            label: String::new(),
            comments: Vec::new(),
            sql: String::new(),
            runnable: true,
        };
        let script = Script {
            header: Vec::new(),
            batches: vec![
                b(BatchKind::Verify),
                b(BatchKind::SingleUser),
                b(BatchKind::TailLog),
                b(BatchKind::RestoreData),
                b(BatchKind::Recovery),
                b(BatchKind::CheckDb),
            ],
        };
        let line = measured(
            &script,
            &[
                (0, 4000),
                (1, 100),
                (2, 900),
                (3, 10_000),
                (4, 1000),
                (5, 7000),
            ],
        );
        assert!(line.contains("12.0 s from the first step"), "{line}");
        assert!(line.contains("checks 11.0 s more"), "{line}");
    }

    #[test]
    fn a_message_outside_every_batch_is_the_verify_step_not_an_overflow() {
        let mut p = ExecProgress::default();
        p.apply(
            &ExecEvent::Message {
                batch: usize::MAX,
                text: "RDA_TABLES: Invalid object name".into(),
            },
            &["full #1".to_string()],
        );
        assert_eq!(
            p.log.last().unwrap(),
            "verify: RDA_TABLES: Invalid object name"
        );
        p.apply(
            &ExecEvent::Message {
                batch: 3,
                text: "x".into(),
            },
            &[],
        );
        assert_eq!(p.log.last().unwrap(), "batch 4: x");
    }
}
