//! Live refresh of configured instances: a collector thread (its own tokio
//! runtime, so row decoding and the analysis never run on the render
//! path) collects every instance at a fixed interval, keeps the last good
//! snapshot of an instance that fails (shown "stale since HH:MM"), analyses
//! the result and sends it to the event loop, which only swaps it in.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify, Semaphore};

use super::loading::Loaded;
use crate::analysis::analyze_estate;
use crate::config::InstanceConfig;
use crate::snapshot::{to_estate, SnapshotInstance};
use crate::sqlserver::{self, Credential, InstanceResult, Settings, Status};

/// Time between the end of one refresh and the start of the next.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// Every this many refreshes the history is read whole (an incremental one
/// does not see rows msdb deleted since, nor the window moving on).
pub const FULL_EVERY: u32 = 10;

/// How one instance fared, as the instances pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceHealth {
    /// The last attempt's outcome.
    pub status: Status,
    /// When the data shown for it was collected, if ever.
    pub collected_at: Option<DateTime<Utc>>,
    /// How long the last attempt took (retries included).
    pub elapsed: Duration,
}

impl InstanceHealth {
    /// Whether the last attempt failed while older data is still shown.
    pub fn is_stale(&self) -> bool {
        !self.status.collected() && self.collected_at.is_some()
    }

    /// `ok`, `stale since 09:12` (UTC), `unreachable`, `login failed`,
    /// `permission missing`, `TLS error` or `failed`.
    pub fn label(&self) -> String {
        match self.collected_at {
            Some(t) if self.is_stale() => format!("stale since {}", t.format("%H:%M")),
            _ => self.status.label().to_string(),
        }
    }

    /// Whether the label is a problem (for its style).
    pub fn is_problem(&self) -> bool {
        self.status != Status::Ok
    }
}

/// What to watch: instances with their credentials (resolved once, before
/// the terminal is taken, so a prompt works), settings and the interval.
pub struct LiveSource {
    /// Shown as the estate's source, e.g. the config file name.
    pub label: String,
    pub instances: Vec<(InstanceConfig, Result<Credential, String>)>,
    pub settings: Settings,
    pub every: Duration,
    /// Analyse as of this instant instead of the wall clock (`--now`).
    pub now_override: Option<DateTime<Utc>>,
    /// Start from this archive, store every round in it, and show its rows
    /// (msdb purges do not remove them).
    pub archive: Option<std::path::PathBuf>,
    /// The config's per-database policy, applied to every refresh.
    pub policies: Arc<crate::model::policy::PolicyBook>,
}

/// One finished refresh: the analysed estate and every instance's health.
#[derive(Debug)]
pub struct Refresh {
    pub loaded: Loaded,
    pub health: BTreeMap<String, InstanceHealth>,
    /// Which refresh this is (1 = the first collection; 0 = the archive's
    /// rows, shown before it).
    pub round: u32,
    /// How long the round took: collection, merging and analysis.
    pub took: Duration,
}

/// Where refreshes arrive; dropping it stops the collector thread after
/// its current round.
pub type Refreshes = mpsc::Receiver<Refresh>;

/// The running collector's runtime, by start number (see `collector_metrics`).
static COLLECTOR: Mutex<Option<(u64, tokio::runtime::RuntimeMetrics)>> = Mutex::new(None);
static STARTED: AtomicU64 = AtomicU64::new(0);

/// The metrics of the most recently started collector runtime that still
/// runs (alive tasks, workers), for the sustained-load benchmark; None
/// when no collector runs. Cleared when its thread ends, so it never keeps
/// a runtime alive.
pub fn collector_metrics() -> Option<tokio::runtime::RuntimeMetrics> {
    let slot = COLLECTOR.lock().unwrap_or_else(|e| e.into_inner());
    slot.as_ref().map(|(_, m)| m.clone())
}

/// Starts the collector thread; the first refresh starts at once. The
/// `Notify` cuts the wait before the next refresh short (Ctrl-R).
pub fn spawn(source: LiveSource) -> std::io::Result<(Refreshes, Arc<Notify>)> {
    let (tx, rx) = mpsc::channel(1);
    let now = Arc::new(Notify::new());
    let wake = now.clone();
    std::thread::Builder::new()
        .name("chainwatch-live".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("live refresh: no tokio runtime: {e}");
                    return;
                }
            };
            let id = STARTED.fetch_add(1, Ordering::Relaxed);
            let slot = || COLLECTOR.lock().unwrap_or_else(|e| e.into_inner());
            *slot() = Some((id, runtime.metrics()));
            runtime.block_on(refresh_loop(source, tx, wake));
            let mut slot = slot();
            if slot.as_ref().is_some_and(|(i, _)| *i == id) {
                *slot = None;
            }
        })?;
    Ok((rx, now))
}

async fn refresh_loop(source: LiveSource, tx: mpsc::Sender<Refresh>, wake: Arc<Notify>) {
    let mut kept = match &source.archive {
        Some(path) => from_archive(path, &source).await,
        None => BTreeMap::new(),
    };
    // With an archive its rows are on screen before the first collection
    // (round 0, every instance "stale since" its archived collection), and
    // the first round already reads only new history.
    if !kept.is_empty() && !send_archived(&source, &kept, &tx).await {
        return;
    }
    let shift = u32::from(!kept.is_empty());
    let mut round = 0u32;
    loop {
        round += 1;
        let incremental = (round + shift) % FULL_EVERY != 1;
        let at = Utc::now();
        let started = Instant::now();
        let mut results = collect_round(&source, &kept, incremental).await;
        if let Some(path) = &source.archive {
            let read_on: BTreeMap<String, SnapshotInstance> = kept
                .iter()
                .filter(|_| incremental)
                .map(|(n, (s, _))| (n.clone(), s.clone()))
                .collect();
            results = to_archive(path, results, at, read_on).await;
        }
        let mut health = BTreeMap::new();
        for r in &results {
            if let (true, Some(s)) = (r.status.collected(), &r.snapshot) {
                kept.insert(r.name.clone(), (s.clone(), at));
            }
            let collected_at = kept.get(&r.name).map(|(_, t)| *t);
            let h = InstanceHealth {
                status: r.status.clone(),
                collected_at,
                elapsed: r.elapsed,
            };
            health.insert(r.name.clone(), h);
        }
        // A failed instance keeps its last good tables (stale, not gone).
        let shown: Vec<InstanceResult> = results
            .into_iter()
            .map(|mut r| {
                if r.snapshot.is_none() {
                    r.snapshot = kept.get(&r.name).map(|(s, _)| s.clone());
                }
                r
            })
            .collect();
        let snapshot = sqlserver::to_snapshot(&shown, at);
        let now = source.now_override.unwrap_or_else(Utc::now);
        match to_estate(snapshot, &source.label, false) {
            Ok(mut estate) => {
                estate.policies = source.policies.clone();
                let report = analyze_estate(&estate, now);
                let loaded = Loaded { estate, report };
                let refresh = Refresh {
                    loaded,
                    health,
                    round,
                    took: started.elapsed(),
                };
                if tx.send(refresh).await.is_err() {
                    return;
                }
            }
            // Collected rows the loader rejects: logged, tried again next time.
            Err(e) => tracing::error!("live refresh {round}: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(source.every) => {}
            _ = wake.notified() => {}
            _ = tx.closed() => return,
        }
    }
}

/// The configured instances the archive holds (a problem is logged and
/// the refresh starts from nothing).
async fn from_archive(
    path: &std::path::Path,
    source: &LiveSource,
) -> BTreeMap<String, (SnapshotInstance, DateTime<Utc>)> {
    let names: Vec<String> = source
        .instances
        .iter()
        .map(|(i, _)| i.name.clone())
        .collect();
    let path = path.to_path_buf();
    let read =
        tokio::task::spawn_blocking(move || crate::archive::refresh::archived(&path, &names));
    match read.await {
        Ok(Ok(kept)) => kept,
        Ok(Err(e)) => {
            tracing::error!("live refresh: {e}");
            BTreeMap::new()
        }
        Err(e) => {
            tracing::error!("live refresh: reading the archive failed: {e}");
            BTreeMap::new()
        }
    }
}

/// Sends the archive's view as round 0; false when the receiver is gone.
async fn send_archived(
    source: &LiveSource,
    kept: &BTreeMap<String, (SnapshotInstance, DateTime<Utc>)>,
    tx: &mpsc::Sender<Refresh>,
) -> bool {
    let started = Instant::now();
    let waiting = Status::Failed("from the archive, not refreshed yet".into());
    let mut results = Vec::new();
    let mut health = BTreeMap::new();
    for (name, (inst, at)) in kept {
        results.push(InstanceResult {
            name: name.clone(),
            status: waiting.clone(),
            snapshot: Some(inst.clone()),
            elapsed: Duration::ZERO,
            attempts: 0,
        });
        let h = InstanceHealth {
            status: waiting.clone(),
            collected_at: Some(*at),
            elapsed: Duration::ZERO,
        };
        health.insert(name.clone(), h);
    }
    let newest = kept
        .values()
        .map(|(_, t)| *t)
        .max()
        .unwrap_or_else(Utc::now);
    let snapshot = sqlserver::to_snapshot(&results, newest);
    let now = source.now_override.unwrap_or_else(Utc::now);
    match to_estate(snapshot, &source.label, false) {
        Ok(estate) => {
            let report = analyze_estate(&estate, now);
            let refresh = Refresh {
                loaded: Loaded { estate, report },
                health,
                round: 0,
                took: started.elapsed(),
            };
            tx.send(refresh).await.is_ok()
        }
        Err(e) => {
            tracing::error!("live refresh: the archive's rows: {e}");
            true
        }
    }
}

/// Stores a round in the archive and returns it with the archive's rows.
async fn to_archive(
    path: &std::path::Path,
    results: Vec<InstanceResult>,
    at: DateTime<Utc>,
    read_on: BTreeMap<String, SnapshotInstance>,
) -> Vec<InstanceResult> {
    let path = path.to_path_buf();
    let copy = results.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let mut results = copy;
        crate::archive::refresh::store_round(&path, &mut results, at, |n| read_on.get(n))
            .map(|()| results)
    });
    match stored.await {
        Ok(Ok(r)) => r,
        // The round is still shown; the archive catches up next time.
        Ok(Err(e)) => {
            tracing::error!("live refresh: {e}");
            results
        }
        Err(e) => {
            tracing::error!("live refresh: storing in the archive failed: {e}");
            results
        }
    }
}

/// Collects every instance at once, at most `parallelism` at a time.
async fn collect_round(
    source: &LiveSource,
    kept: &BTreeMap<String, (SnapshotInstance, DateTime<Utc>)>,
    incremental: bool,
) -> Vec<InstanceResult> {
    let sem = Arc::new(Semaphore::new(source.settings.parallelism.max(1)));
    let mut tasks = Vec::new();
    for (inst, cred) in &source.instances {
        let inst = inst.clone();
        let cred = cred.clone();
        let settings = source.settings.clone();
        let previous = kept
            .get(&inst.name)
            .filter(|_| incremental)
            .map(|(s, _)| s.clone());
        let sem = sem.clone();
        tasks.push(tokio::spawn(async move {
            let cred = match cred {
                Ok(c) => c,
                Err(m) => return failed(&inst.name, Status::LoginFailed(m)),
            };
            let _permit = sem.acquire_owned().await.ok();
            sqlserver::collect_one_since(&inst, &cred, &settings, previous.as_ref()).await
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for (task, (inst, _)) in tasks.into_iter().zip(&source.instances) {
        out.push(task.await.unwrap_or_else(|e| {
            failed(
                &inst.name,
                Status::Failed(format!("collection task failed: {e}")),
            )
        }));
    }
    out
}

fn failed(name: &str, status: Status) -> InstanceResult {
    InstanceResult {
        name: name.to_string(),
        status,
        snapshot: None,
        elapsed: Duration::ZERO,
        attempts: 0,
    }
}

/// The next refresh, or never when not live (for `select!`). `None` when
/// the collector stopped.
pub async fn next(refreshes: &mut Option<Refreshes>) -> Option<Refresh> {
    match refreshes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn health(status: Status, collected: bool) -> InstanceHealth {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 9, 12, 40).unwrap();
        InstanceHealth {
            status,
            collected_at: collected.then_some(at),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn labels_say_ok_stale_since_or_why() {
        let down = || Status::Unreachable("refused".into());
        assert_eq!(health(Status::Ok, true).label(), "ok");
        assert_eq!(health(down(), true).label(), "stale since 09:12");
        assert!(health(down(), true).is_stale());
        assert_eq!(health(down(), false).label(), "unreachable");
        let login = Status::LoginFailed("Login failed".into());
        assert_eq!(health(login, false).label(), "login failed");
        let tls = Status::TlsError("bad certificate".into());
        assert_eq!(health(tls, false).label(), "TLS error");
        let denied = Status::PermissionMissing(vec!["msdb.dbo.sysjobs".into()]);
        let h = health(denied, true);
        assert_eq!(h.label(), "permission missing");
        assert!(!h.is_stale() && h.is_problem());
    }
}
