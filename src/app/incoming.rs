//! What arrives from the background, applied to the state: the estate
//! the console was waiting for, and the live collector's refreshes.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::background::BackgroundEvent;
use super::live::Refresh;
use super::loading::{placeholder, Loaded};
use super::state::App;
use super::view::View;

impl App {
    /// An app with an empty estate that shows "loading `what`…" until
    /// `loaded` gives it the real one.
    pub fn loading(what: &str, now: DateTime<Utc>) -> App {
        let mut app = App::new(placeholder(what), now);
        app.loading = Some(what.to_string());
        app
    }

    /// Takes the estate built in the background; keeps the theme, keymap,
    /// filter and what else the user set while waiting.
    pub fn loaded(&mut self, loaded: Loaded) {
        self.estate = Arc::new(loaded.estate);
        self.report = loaded.report;
        self.databases.instances = super::rows::instance_rows(&self.report);
        self.databases.instance = 0;
        self.databases.selected = 0;
        self.refresh_databases();
        self.loading = None;
        if self.estate.is_demo && self.status.is_none() {
            self.status = Some(super::state::DEMO_HINT.to_string());
        }
        self.dirty = true;
    }

    /// Applies a background delivery; a failed load is the console's error.
    pub(super) fn on_background(&mut self, event: BackgroundEvent) -> anyhow::Result<()> {
        match event {
            BackgroundEvent::Loaded(loaded) => {
                self.loaded(loaded?);
                // Storage discovery began on the placeholder: redo it on the estate.
                if self.storage.started {
                    self.storage_in_background();
                }
            }
            BackgroundEvent::Refreshed(refresh) => self.on_refresh(refresh),
            BackgroundEvent::RefreshStopped => {
                self.status = Some("live refresh stopped; data is no longer updated".into());
                self.dirty = true;
            }
        }
        Ok(())
    }

    /// What Ctrl-R did: a refresh on its way, or nothing to refresh.
    pub(super) fn refresh_started(&mut self, live: bool) {
        self.status = Some(match live {
            true => "refreshing the live instances…".into(),
            false => "nothing to refresh: not watching live instances".into(),
        });
        self.dirty = true;
    }

    /// Swaps in a refresh, keeping the view, the selected instance and
    /// database, and the detail view's database when they still exist.
    pub fn on_refresh(&mut self, refresh: Refresh) {
        let instance = self.selected_instance().map(|i| i.name.clone());
        let key =
            |d: &crate::analysis::DatabaseReport| (d.instance.clone(), d.database.name.clone());
        let selected = self.selected_database().map(key);
        let detail = self.detail_database().map(key);
        let first = self.loading.take().is_some();
        let estate = std::mem::replace(&mut self.estate, Arc::new(refresh.loaded.estate));
        let report = std::mem::replace(&mut self.report, refresh.loaded.report);
        super::dropper::drop_later((estate, report));
        self.health = refresh.health;
        self.databases.instances = super::rows::instance_rows(&self.report);
        self.databases.instance = instance
            .and_then(|name| self.databases.instances.iter().position(|i| i.name == name))
            .map_or(0, |i| i + 1);
        self.refresh_databases();
        if let Some(key) = selected {
            let rows = &self.databases.rows;
            if let Some(n) = rows.iter().position(|&i| {
                let d = &self.report.databases[i];
                d.instance == key.0 && d.database.name == key.1
            }) {
                self.databases.selected = n;
            }
        }
        let found = detail.and_then(|key| {
            self.report
                .databases
                .iter()
                .position(|d| d.instance == key.0 && d.database.name == key.1)
        });
        match (found, &mut self.detail) {
            (Some(db), Some(d)) => {
                d.db = db;
                self.refresh_detail();
            }
            (None, Some(_)) => {
                self.detail = None;
                self.view = View::Databases;
            }
            _ => {}
        }
        if first {
            tracing::info!("live: first refresh in");
        }
        self.dirty = true;
    }
}
