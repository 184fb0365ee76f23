//! The console's storage view: per instance, the containers its backups go
//! to, each with its blobs checked against history.
//!
//! Listing a container is network I/O, so it never happens in `update`:
//! starting the view returns a [`Task`] (see `effect.rs`) that the runner
//! carries out off the event loop (its own tokio runtime); each result comes
//! back as a [`StorageMsg`]. Containers that are not configured are shown
//! from the blobs history names, labelled "from history, not storage".

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::effect::{Effect, Msg, Task};
use super::state::{App, Filter, View};
use crate::analysis::storage::{check_listing, history_files, CheckedContainer, ListingOrigin};
use crate::analysis::storage::{history_listing, instance_containers};
use crate::analysis::storage::{ParsedName, RetentionWindow, StorageFile, StorageHistory};
use crate::blob::{list_all, AzureBlobSource, AzureOptions};
use crate::config::InstanceConfig;
use crate::model::Estate;

/// Where one container's listing stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    Loading,
    Loaded(Box<CheckedContainer>),
    /// Why it could not be listed (never a secret).
    Failed(String),
}

/// One container as the storage view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerView {
    pub instance: String,
    /// URL (no token) or `account/container` for history-only containers.
    pub display: String,
    /// `account/container` as history names it.
    pub history_key: String,
    pub listing: Listing,
}

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
    pub(super) fn run(self, send: &dyn Fn(Msg)) {
        let history = history_files(&self.estate, self.now);
        let views = containers(&self.estate, &history, &self.configs, self.now);
        let jobs = jobs(&views, &self.configs);
        send(Msg::Storage(StorageMsg::Containers(views)));
        Listings {
            jobs,
            estate: self.estate,
            history,
            now: self.now,
        }
        .run(send);
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
    pub(super) fn run(self, send: &dyn Fn(Msg)) {
        run_jobs(self.jobs, &self.estate, &self.history, self.now, send);
    }
}

/// State of the storage view.
#[derive(Debug, Clone, Default)]
pub struct StorageState {
    pub containers: Vec<ContainerView>,
    /// Index into `containers`.
    pub current: usize,
    /// Indices into the current container's files, after the filter.
    pub rows: Vec<usize>,
    pub selected: usize,
    pub filter: Filter,
    /// Whether the containers were (or are being) found.
    pub(super) started: bool,
    /// The container list is still being built in the background.
    pub planning: bool,
}

impl StorageState {
    /// The container shown.
    pub fn current(&self) -> Option<&ContainerView> {
        self.containers.get(self.current)
    }

    /// The files of the current container, when listed.
    pub fn files(&self) -> &[StorageFile] {
        match self.current().map(|c| &c.listing) {
            Some(Listing::Loaded(c)) => &c.check.files,
            _ => &[],
        }
    }

    /// The retention window of one database, from whichever container has it.
    pub fn window_for(
        &self,
        instance: &str,
        database: &str,
    ) -> Option<(&RetentionWindow, ListingOrigin)> {
        self.containers.iter().find_map(|c| match &c.listing {
            Listing::Loaded(l) => l
                .retention
                .iter()
                .find(|w| w.instance == instance && w.database == database)
                .map(|w| (w, l.origin)),
            _ => None,
        })
    }
}

/// The cross-check status of one blob, as a short word.
pub fn file_status(f: &StorageFile, now: DateTime<Utc>) -> &'static str {
    match (f.history, f.expires) {
        (None, _) => "unknown",
        (Some(_), Some(e))
            if e + chrono::Duration::hours(crate::blob::crosscheck::RETENTION_GRACE_HOURS)
                <= now =>
        {
            "past retention"
        }
        (Some(_), _) => "in history",
    }
}

/// The blob's kind as shown: full, log, or other.
pub fn file_kind(f: &StorageFile) -> &'static str {
    match &f.parsed {
        ParsedName::Managed(m) => match m.kind {
            crate::blob::BlobKind::Full => "full",
            crate::blob::BlobKind::Log => "log",
        },
        ParsedName::Other => "other",
    }
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
    send: &dyn Fn(Msg),
) {
    if jobs.is_empty() {
        return;
    }
    let push = |m: StorageMsg| send(Msg::Storage(m));
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
    history: &crate::blob::crosscheck::StorageHistory,
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

impl App {
    /// Builds the container list now (history-only containers judged at
    /// once); the configured ones are listed by the task it returns.
    /// Starts the storage view's listing now; the effects list what is left.
    pub fn start_storage(&mut self) -> Vec<Effect> {
        self.storage_now();
        std::mem::take(&mut self.effects)
    }

    /// Starts finding and listing containers in the background.
    pub fn start_storage_in_background(&mut self) -> Vec<Effect> {
        self.storage_in_background();
        std::mem::take(&mut self.effects)
    }

    pub(super) fn storage_now(&mut self) {
        let now = self.report.now;
        let history = history_files(&self.estate, now);
        let views = containers(&self.estate, &history, &self.instance_configs, now);
        let jobs = jobs(&views, &self.instance_configs);
        self.storage.containers = views;
        self.storage.started = true;
        if !jobs.is_empty() {
            self.effects.push(Effect::Spawn(Task::ListStorage(Listings {
                jobs,
                estate: self.estate.clone(),
                history,
                now,
            })));
        }
        self.refresh_storage();
    }

    /// As [`App::storage_now`], with the container list also built by
    /// the task: the console opens without waiting for the history analysis
    /// that judging containers needs.
    pub(super) fn storage_in_background(&mut self) {
        self.storage.started = true;
        self.storage.planning = true;
        self.effects.push(Effect::Spawn(Task::PlanStorage(Plan {
            estate: self.estate.clone(),
            configs: self.instance_configs.clone(),
            now: self.report.now,
        })));
    }

    /// Takes what a storage task found.
    pub(super) fn storage_arrived(&mut self, m: StorageMsg) {
        match m {
            StorageMsg::Containers(views) => {
                self.storage.containers = views;
                self.storage.planning = false;
            }
            StorageMsg::Listed(i, listing, present) => {
                if let Some(c) = self.storage.containers.get_mut(i) {
                    c.listing = listing;
                }
                if !present.is_empty() {
                    self.present_blobs
                        .get_or_insert_with(Default::default)
                        .extend(present);
                }
            }
        }
        self.refresh_storage();
    }

    /// Opens the storage view on the first container of `instance` (or the first one).
    pub(super) fn open_storage(&mut self, instance: Option<String>) {
        if !self.storage.started {
            self.storage_now();
        }
        if let Some(i) = instance.and_then(|name| {
            self.storage
                .containers
                .iter()
                .position(|c| c.instance == name)
        }) {
            self.storage.current = i;
        }
        self.storage.selected = 0;
        self.view = View::Storage;
        self.refresh_storage();
    }

    /// Recomputes the filtered rows of the current container.
    pub(super) fn refresh_storage(&mut self) {
        let now = self.report.now;
        let s = &mut self.storage;
        s.current = s.current.min(s.containers.len().saturating_sub(1));
        let needle = s.filter.text.to_lowercase();
        let rows: Vec<usize> = s
            .files()
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                needle.is_empty() || {
                    let hay = format!(
                        "{} {} {} {}",
                        f.entry.name,
                        f.database.as_deref().unwrap_or(""),
                        file_kind(f),
                        file_status(f, now)
                    )
                    .to_lowercase();
                    hay.contains(&needle)
                }
            })
            .map(|(i, _)| i)
            .collect();
        s.rows = rows;
        s.selected = s.selected.min(s.rows.len().saturating_sub(1));
    }

    /// Keys of the storage view.
    pub(super) fn storage_action(&mut self, action: super::Action) {
        use super::Action;
        let s = &mut self.storage;
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => s.selected = super::update::moved(s.selected, s.rows.len(), action),
            Action::FocusNext | Action::FocusPrev => {
                let n = s.containers.len().max(1);
                s.current = if action == Action::FocusNext {
                    (s.current + 1) % n
                } else {
                    (s.current + n - 1) % n
                };
                s.selected = 0;
                s.filter = Filter::default();
                self.refresh_storage();
            }
            Action::Cancel if !s.filter.text.is_empty() => {
                s.filter = Filter::default();
                self.refresh_storage();
            }
            Action::Cancel | Action::Back => {
                self.view = if self.detail.is_some() {
                    View::Detail
                } else {
                    View::Databases
                };
            }
            _ => self.dirty = false,
        }
    }

    /// The selected blob as tab-separated text (for `y`).
    pub(super) fn storage_copy_text(&self) -> Option<String> {
        let s = &self.storage;
        let c = s.current()?;
        let f = s.files().get(*s.rows.get(s.selected)?)?;
        Some(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.display,
            f.entry.name,
            f.database.as_deref().unwrap_or("-"),
            file_kind(f),
            crate::text::utc_opt(f.time),
            f.entry.size,
            file_status(f, self.report.now)
        ))
    }
}
