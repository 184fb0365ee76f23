//! `chainwatch serve`: the console's collector (`app::live`, same schedule,
//! same code) feeding an exporter. Each finished round is judged on the
//! collector's thread, rendered once (exposition, status page) on a thread
//! of its own and swapped in whole; requests only clone an `Arc`.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::answers::{Answers, InstanceRun};
use super::prometheus::{self, ServeStats};
use super::serve_storage::Lister;
use super::storage::{self, Listed};
use crate::app::live::{self, LiveSource, Refresh};
use crate::config::InstanceConfig;
use crate::model::policy::glob_match;

/// One rendered collection.
#[derive(Debug)]
pub struct Served {
    /// The exposition without the few lines that change per scrape.
    metrics: String,
    pub page: String,
    pub rounds: u64,
    pub round_took: Duration,
    pub finished: Instant,
    pub instances: usize,
    pub status: u8,
}

impl Served {
    /// The exposition with the collection's age as of this request.
    pub fn metrics_now(&self) -> String {
        let stats = ServeStats {
            rounds: self.rounds,
            last_round_seconds: self.round_took.as_secs_f64(),
            served_age_seconds: self.finished.elapsed().as_secs_f64(),
        };
        let mut out = self.metrics.clone();
        out.push_str(&prometheus::render_serve_stats(&stats));
        out
    }

    pub fn health_line(&self) -> String {
        format!(
            "ok: {} instance(s), collection round {} finished {:.0} s ago (took {:.1} s), estate status {}\n",
            self.instances,
            self.rounds,
            self.finished.elapsed().as_secs_f64(),
            self.round_took.as_secs_f64(),
            self.status
        )
    }
}

/// What requests read: the newest complete collection.
#[derive(Debug, Default)]
pub struct Shared {
    slot: RwLock<Option<Arc<Served>>>,
    instances: usize,
    stopped: std::sync::atomic::AtomicBool,
}

impl Shared {
    pub fn new(instances: usize) -> Shared {
        Shared {
            slot: RwLock::new(None),
            instances,
            stopped: Default::default(),
        }
    }

    /// Stops the collector after its current round (benchmarks, embedding).
    pub fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn current(&self) -> Option<Arc<Served>> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn instances(&self) -> usize {
        self.instances
    }

    fn publish(&self, served: Served) {
        let old = self
            .slot
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .replace(Arc::new(served));
        // The previous collection is freed here, outside the lock.
        drop(old);
    }
}

/// Which instances an exporter collects: `--shard I/N` (1-based) by a
/// stable hash of the name, or `--instances GLOB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Shard { index: u32, of: u32 },
    Glob(String),
}

impl Selection {
    /// `"2/3"` → the second of three shards.
    pub fn parse_shard(text: &str) -> Result<Selection, String> {
        let bad = || format!("--shard {text:?}: expected I/N with 1 <= I <= N, e.g. 1/3");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (i, n): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Selection::Shard { index: i, of: n })
    }

    pub fn keeps(&self, name: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Shard { index, of } => shard_of(name, *of) == *index,
            Selection::Glob(g) => glob_match(g, name),
        }
    }
}

/// The shard (1..=n) of an instance: FNV-1a of its lower-case name, so the
/// split depends on names only, never on the config's order.
pub fn shard_of(name: &str, n: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.to_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % u64::from(n.max(1))) as u32 + 1
}

pub fn select(instances: &[InstanceConfig], selection: &Selection) -> Vec<InstanceConfig> {
    instances
        .iter()
        .filter(|i| selection.keeps(&i.name))
        .cloned()
        .collect()
}

/// Renders one refresh into what requests serve, with the containers of
/// the last complete listing (`listed`) judged against its estate.
pub fn render(refresh: &Refresh, rounds: u64, listed: Option<&[Listed]>) -> Served {
    let report = &refresh.loaded.report;
    let runs: Vec<InstanceRun> = refresh
        .health
        .iter()
        .map(|(name, h)| InstanceRun {
            name: name.clone(),
            ok: h.status.collected(),
            status: h.label(),
            elapsed: h.elapsed,
            collected_at: h.collected_at,
        })
        .collect();
    let status = report.exit_code().clamp(0, 3) as u8;
    let estate = &refresh.loaded.estate;
    let containers = listed
        .map(|l| {
            storage::judge(l, estate, report.now)
                .iter()
                .map(|j| j.answer())
                .collect()
        })
        .unwrap_or_default();
    let answers = Answers::of(estate, report, status, &runs, containers);
    Served {
        metrics: prometheus::render(&answers),
        page: super::html::status_page(&answers),
        rounds,
        round_took: refresh.took,
        finished: Instant::now(),
        instances: answers.instances.len(),
        status,
    }
}

/// Starts the collector and the thread that renders each of its rounds
/// into `shared`. Returns when the collector could not start.
pub fn start(source: LiveSource, shared: Arc<Shared>) -> std::io::Result<()> {
    let configs: Vec<InstanceConfig> = source.instances.iter().map(|(i, _)| i.clone()).collect();
    let lister = Lister::spawn(&configs)?;
    let (mut rx, _wake) = live::spawn(source)?;
    std::thread::Builder::new()
        .name("chainwatch-render".into())
        .spawn(move || {
            let _keep = _wake;
            let mut rounds = 0u64;
            while let Some(refresh) = rx.blocking_recv() {
                if shared.is_stopped() {
                    // Dropping the receiver ends the collector's wait at once.
                    break;
                }
                rounds += 1;
                let started = Instant::now();
                if let Some(l) = &lister {
                    l.round(rounds);
                }
                let listed = lister.as_ref().and_then(Lister::latest);
                let served = render(&refresh, rounds, listed.as_deref().map(Vec::as_slice));
                tracing::info!(
                    "serve: round {rounds} collected in {:.1} s, rendered in {} ms",
                    refresh.took.as_secs_f64(),
                    started.elapsed().as_millis()
                );
                shared.publish(served);
                // The refresh (two estates' worth at most) is dropped here, off every request.
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_name_once_and_stably() {
        let names: Vec<String> = (0..300).map(|i| format!("SQL{i:03}\\PROD")).collect();
        let mut sizes = [0usize; 3];
        for n in &names {
            let s = shard_of(n, 3);
            assert!((1..=3).contains(&s));
            assert_eq!(s, shard_of(&n.to_ascii_lowercase(), 3));
            sizes[(s - 1) as usize] += 1;
        }
        assert!(sizes.iter().all(|s| (70..=130).contains(s)), "{sizes:?}");
        assert_eq!(
            Selection::parse_shard("2/3"),
            Ok(Selection::Shard { index: 2, of: 3 })
        );
        for bad in ["0/3", "4/3", "1/0", "x", "1/", "/2"] {
            assert!(Selection::parse_shard(bad).is_err(), "{bad}");
        }
        assert!(Selection::Glob("sql0*".into()).keeps("SQL001\\PROD"));
    }
}
