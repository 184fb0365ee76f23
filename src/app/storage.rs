//! The console's storage view: per instance, the containers its backups go
//! to, each with its blobs checked against history.
//!
//! Listing a container is network I/O, so it never happens in `update`:
//! starting the view returns a [`Task`] (see `effect.rs`) that the runner
//! carries out off the event loop (its own tokio runtime); each result comes
//! back as a [`StorageMsg`]. Containers that are not configured are shown
//! from the blobs history names, labelled "from history, not storage".

use super::effect::{Effect, Task};
use super::state::App;
use super::storage_task::{self, Plan, StorageMsg};
use super::view::storage::{file_kind, file_status};
use super::view::{Filter, Popup, View};

impl App {
    /// Builds the container list now (history-only containers judged at
    /// once); the configured ones are listed by the task it returns. Starts the storage view's listing now; the effects list what is left.
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
        let (views, listings) =
            storage_task::containers_now(&self.estate, &self.instance_configs, self.report.now);
        self.storage.containers = views;
        self.storage.started = true;
        if let Some(listings) = listings {
            self.effects
                .push(Effect::Spawn(Task::ListStorage(listings)));
        }
        self.refresh_storage();
    }

    /// As [`App::storage_now`], with the container list also built by
    /// the task: the console opens without waiting for the history analysis
    /// that judging containers needs.
    pub(super) fn storage_in_background(&mut self) {
        self.storage.started = true;
        self.storage.planning = true;
        self.effects.push(Effect::Spawn(Task::PlanStorage(Plan::new(
            self.estate.clone(),
            self.instance_configs.clone(),
            self.report.now,
        ))));
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
        let findings = s.findings().len();
        s.findings_focus &= findings > 0;
        s.finding = s.finding.min(findings.saturating_sub(1));
    }

    /// Keys of the storage view.
    pub(super) fn storage_action(&mut self, action: super::Action) {
        use super::Action;
        let s = &mut self.storage;
        match action {
            a if a.is_navigation() && s.findings_focus => {
                s.finding = action.moved(s.finding, s.findings().len())
            }
            a if a.is_navigation() => s.selected = action.moved(s.selected, s.rows.len()),
            // `F` moves the cursor between the container's findings and its blobs.
            Action::ShowFindings if s.findings_focus || !s.findings().is_empty() => {
                s.findings_focus = !s.findings_focus;
            }
            Action::Open => match s.selected_finding() {
                Some(f) => self.popup = Some(Popup::of_finding(f)),
                None => self.dirty = false,
            },
            Action::FocusNext | Action::FocusPrev => {
                let n = s.containers.len().max(1);
                s.current = if action == Action::FocusNext {
                    (s.current + 1) % n
                } else {
                    (s.current + n - 1) % n
                };
                s.selected = 0;
                s.finding = 0;
                s.findings_focus = false;
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
