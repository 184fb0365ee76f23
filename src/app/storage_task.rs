//! Finding the backup containers and listing them: network I/O, so it runs
//! as an effect's `Task` off the event loop and its results come back
//! as [`StorageMsg`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::view::storage::{ContainerView, Listing};
use crate::analysis::storage::{check_listing, history_files, CheckedContainer, ListingOrigin};
use crate::analysis::storage::{history_listing, instance_containers, StorageHistory};
use crate::blob::{list_all, AzureBlobSource, AzureOptions};
use crate::config::InstanceConfig;
use crate::model::Estate;

/// What the storage tasks hand over.
#[derive(Debug)]
pub enum StorageMsg {
    /// The container list (when it was built in the background).
    Containers(Vec<ContainerView>),
    /// One container's listing, and the blob URLs it found present.
    Listed(usize, Listing, Vec<String>),
}

/// One container to list: (index into the views, URL with token or why not, history key).
type ListJob = (usize, Result<crate::blob::ContainerUrl, String>, String);

/// Building the container list and listing the configured ones, all off
/// the event loop (judging containers needs the history analysis).
#[derive(Debug)]
pub struct Plan {
    estate: Arc<Estate>,
    configs: BTreeMap<String, InstanceConfig>,
    now: DateTime<Utc>,
}

impl Plan {
    pub fn new(
        estate: Arc<Estate>,
        configs: BTreeMap<String, InstanceConfig>,
        now: DateTime<Utc>,
    ) -> Plan {
        Plan {
            estate,
            configs,
            now,
        }
    }

    /// What [`containers_now`] does, with the list sent as a message.
    pub fn run(self, send: &dyn Fn(StorageMsg)) {
        let (views, listings) = containers_now(&self.estate, &self.configs, self.now);
        send(StorageMsg::Containers(views));
        if let Some(listings) = listings {
            listings.run(send);
        }
    }
}

/// Listing configured containers whose views exist already.
#[derive(Debug)]
pub struct Listings {
    jobs: Vec<ListJob>,
    estate: Arc<Estate>,
    history: StorageHistory,
    now: DateTime<Utc>,
}

impl Listings {
    pub fn run(self, send: &dyn Fn(StorageMsg)) {
        run_jobs(self.jobs, &self.estate, &self.history, self.now, send);
    }
}

/// The container list built now (history-only containers judged at once),
/// and the listing of the configured ones left for a task.
pub fn containers_now(
    estate: &Arc<Estate>,
    configs: &BTreeMap<String, InstanceConfig>,
    now: DateTime<Utc>,
) -> (Vec<ContainerView>, Option<Listings>) {
    let history = history_files(estate, now);
    let views = containers(estate, &history, configs, now);
    let jobs = jobs(&views, configs);
    let listings = (!jobs.is_empty()).then(|| Listings {
        jobs,
        estate: estate.clone(),
        history,
        now,
    });
    (views, listings)
}

/// Containers of every instance: configured ones (loading) first per
/// instance, then the ones only history names (listed from history now).
fn containers(
    estate: &Estate,
    history: &StorageHistory,
    configs: &BTreeMap<String, InstanceConfig>,
    now: DateTime<Utc>,
) -> Vec<ContainerView> {
    let mut out = Vec::new();
    for inst in &estate.instances {
        let storage = configs.get(&inst.name).and_then(|c| c.storage.as_ref());
        if let Some(s) = storage {
            out.push(ContainerView {
                instance: inst.name.clone(),
                display: s.url.to_string(),
                history_key: s.history_key(),
                listing: Listing::Loading,
            });
        }
        for key in instance_containers(history, &inst.name) {
            if storage.is_some_and(|s| s.history_key().eq_ignore_ascii_case(&key)) {
                continue;
            }
            let listing = history_listing(estate, history, &key, now);
            let checked =
                check_listing(&key, estate, history, &listing, ListingOrigin::History, now);
            out.push(ContainerView {
                instance: inst.name.clone(),
                display: key.clone(),
                history_key: key,
                listing: Listing::Loaded(Box::new(checked)),
            });
        }
    }
    out
}

/// The configured containers among `views`, with their credentials resolved.
fn jobs(views: &[ContainerView], configs: &BTreeMap<String, InstanceConfig>) -> Vec<ListJob> {
    views
        .iter()
        .enumerate()
        .filter(|(_, c)| c.listing == Listing::Loading)
        .filter_map(|(i, c)| {
            let s = configs.get(&c.instance)?.storage.as_ref()?;
            Some((i, s.resolve(Utc::now()), c.history_key.clone()))
        })
        .collect()
}

/// Lists the containers of `jobs` (on the calling thread, its own tokio
/// runtime); each result is sent as soon as it is known.
fn run_jobs(
    jobs: Vec<ListJob>,
    estate: &Estate,
    history: &StorageHistory,
    now: DateTime<Utc>,
    push: &dyn Fn(StorageMsg),
) {
    if jobs.is_empty() {
        return;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            for (i, _, _) in jobs {
                push(StorageMsg::Listed(
                    i,
                    Listing::Failed(format!("no runtime: {e}")),
                    Vec::new(),
                ));
            }
            return;
        }
    };
    runtime.block_on(futures_util::future::join_all(jobs.into_iter().map(
        |(i, url, key)| async move {
            let result = async {
                let url = url?;
                let source = AzureBlobSource::new(url.clone(), AzureOptions::default())
                    .map_err(|e| e.to_string())?;
                let listing = list_all(&source, None, None)
                    .await
                    .map_err(|e| e.to_string())?;
                let checked =
                    check_listing(&key, estate, history, &listing, ListingOrigin::Storage, now);
                Ok::<_, String>((url, checked))
            }
            .await;
            let (listing, present) = match result {
                Ok((url, checked)) => {
                    let present = present_urls(&url, &key, history, &checked);
                    (Listing::Loaded(Box::new(checked)), present)
                }
                Err(e) => (Listing::Failed(e), Vec::new()),
            };
            push(StorageMsg::Listed(i, listing, present));
        },
    )));
}

/// URLs of the listed blobs, as the container URL names them and as
/// history wrote them (for the restore wizard's "files present" check).
fn present_urls(
    url: &crate::blob::ContainerUrl,
    key: &str,
    history: &StorageHistory,
    checked: &CheckedContainer,
) -> Vec<String> {
    let names: BTreeSet<&str> = checked
        .check
        .files
        .iter()
        .map(|f| f.entry.name.as_str())
        .collect();
    let mut out: Vec<String> = names.iter().map(|n| url.blob_url(n)).collect();
    out.extend(
        history
            .files
            .iter()
            .filter(|f| {
                f.container
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(key))
            })
            .filter(|f| f.blob.as_deref().is_some_and(|b| names.contains(b)))
            .map(|f| f.url.clone()),
    );
    out
}
