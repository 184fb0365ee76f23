//! `serve`'s backup containers: listed on a thread of their own after the
//! first collection round and then every `LIST_EVERY_ROUNDS` rounds (a
//! listing walks every blob, so not every round), never on a request or
//! inside a round. Each round judges the last complete listing against its
//! own estate, so `chainwatch_container_*` follow the history at once and
//! the storage at the listing's pace.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};

use super::storage::{self, Listed};
use crate::config::InstanceConfig;

/// Rounds between two listings of the containers (10 minutes at the 60 s default).
pub const LIST_EVERY_ROUNDS: u64 = 10;

type Latest = Arc<Mutex<Option<Arc<Vec<Listed>>>>>;

/// The listing thread; dropping it ends the thread after a listing in progress.
pub struct Lister {
    latest: Latest,
    wake: SyncSender<()>,
}

impl Lister {
    /// None when no instance configures a container.
    pub fn spawn(instances: &[InstanceConfig]) -> std::io::Result<Option<Lister>> {
        let instances: Vec<InstanceConfig> = instances
            .iter()
            .filter(|i| i.storage.is_some())
            .cloned()
            .collect();
        if instances.is_empty() {
            return Ok(None);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // One request waits at most: a round asking while a listing runs is not queued twice.
        let (wake, asked) = sync_channel::<()>(1);
        let latest: Latest = Arc::default();
        let slot = latest.clone();
        std::thread::Builder::new()
            .name("chainwatch-containers".into())
            .spawn(move || {
                while asked.recv().is_ok() {
                    let started = std::time::Instant::now();
                    let mut targets = storage::configured(&instances, chrono::Utc::now());
                    storage::dedup(&mut targets);
                    let listed = runtime.block_on(storage::list(targets));
                    tracing::info!(
                        "serve: {} container(s) listed in {:.1} s",
                        listed.len(),
                        started.elapsed().as_secs_f64()
                    );
                    let old = slot
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .replace(Arc::new(listed));
                    drop(old);
                }
            })?;
        Ok(Some(Lister { latest, wake }))
    }

    /// Called once per collection round (1-based): lists after the first
    /// and then every `LIST_EVERY_ROUNDS`.
    pub fn round(&self, round: u64) {
        if round.saturating_sub(1).is_multiple_of(LIST_EVERY_ROUNDS) {
            let _ = self.wake.try_send(());
        }
    }

    /// The last complete listing, if one has finished.
    pub fn latest(&self) -> Option<Arc<Vec<Listed>>> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
