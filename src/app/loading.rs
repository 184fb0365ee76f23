//! Opening the console before its estate exists: the first frame says
//! "loading …" at once while the estate is built and analysed on its own
//! thread, then arrives through the event loop. Building the demo estate
//! takes a few hundred milliseconds, a live collection much longer; the
//! terminal stays responsive meanwhile (q and Ctrl-C quit).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use tokio::sync::{oneshot, Notify};

use super::live::{self, LiveSource, Refresh};
use super::state::App;
use crate::analysis::{analyze_estate, EstateReport};
use crate::model::Estate;

/// Builds an estate; runs on the loader thread.
pub type Loader = Box<dyn FnOnce() -> anyhow::Result<Estate> + Send>;

/// An estate and its report, built off the event loop.
#[derive(Debug)]
pub struct Loaded {
    pub estate: Estate,
    pub report: EstateReport,
}

/// Where the loader's result arrives.
pub type Pending = oneshot::Receiver<anyhow::Result<Loaded>>;

/// Runs `load` and the analysis at `now` on a new thread. The thread is
/// not joined: quitting while it works must not wait for it.
pub fn spawn(load: Loader, now: DateTime<Utc>) -> std::io::Result<Pending> {
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("chainwatch-load".into())
        .spawn(move || {
            let result = load().map(|estate| {
                let report = analyze_estate(&estate, now);
                Loaded { estate, report }
            });
            // The console may have quit already; nobody to tell then.
            let _ = tx.send(result);
        })?;
    Ok(rx)
}

/// The loader's result, or never when nothing is loading (for `select!`).
pub async fn next(pending: &mut Option<Pending>) -> anyhow::Result<Loaded> {
    match pending {
        Some(rx) => match rx.await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!(
                "loading the estate stopped without a result"
            )),
        },
        None => std::future::pending().await,
    }
}

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
        self.dirty = true;
    }
}

/// How the console starts: on an estate at hand, loading one, or
/// watching live instances (refreshed periodically, see `live.rs`).
pub enum Start {
    Ready(Estate),
    Loading {
        /// Shown as "loading `what`…" and as the source until it arrives.
        what: String,
        load: Loader,
    },
    Live(LiveSource),
}

impl Start {
    /// Starts the background work; returns the estate to open the app on
    /// (an empty placeholder while waiting), what it is waiting for, and
    /// where results will arrive.
    pub fn begin(
        self,
        now: DateTime<Utc>,
    ) -> std::io::Result<(Estate, Option<String>, Background)> {
        Ok(match self {
            Start::Ready(estate) => (estate, None, Background::default()),
            Start::Loading { what, load } => {
                let background = Background {
                    pending: Some(spawn(load, now)?),
                    ..Background::default()
                };
                (placeholder(&what), Some(what), background)
            }
            Start::Live(source) => {
                let what = match source.instances.len() {
                    1 => "1 live instance".to_string(),
                    n => format!("{n} live instances"),
                };
                let estate = placeholder(&source.label);
                let (refreshes, wake) = live::spawn(source)?;
                let background = Background {
                    pending: None,
                    refreshes: Some(refreshes),
                    wake: Some(wake),
                };
                (estate, Some(what), background)
            }
        })
    }
}

/// Work that delivers estates to the event loop; nothing by default.
#[derive(Default)]
pub struct Background {
    pending: Option<Pending>,
    refreshes: Option<live::Refreshes>,
    /// Wakes the live collector for a refresh now.
    wake: Option<Arc<Notify>>,
}

/// What the background work delivered.
#[derive(Debug)]
pub enum BackgroundEvent {
    Loaded(anyhow::Result<Loaded>),
    Refreshed(Refresh),
    /// The live collector thread ended; the last data stays on screen.
    RefreshStopped,
}

impl Background {
    /// Asks the live collector to refresh now; false when not live.
    pub fn refresh_now(&self) -> bool {
        match (&self.wake, &self.refreshes) {
            (Some(wake), Some(_)) => {
                wake.notify_one();
                true
            }
            _ => false,
        }
    }

    /// The next delivery; pending forever when nothing runs (for `select!`).
    pub async fn next(&mut self) -> BackgroundEvent {
        tokio::select! {
            loaded = next(&mut self.pending) => {
                self.pending = None;
                BackgroundEvent::Loaded(loaded)
            }
            refresh = live::next(&mut self.refreshes) => match refresh {
                Some(r) => BackgroundEvent::Refreshed(r),
                None => {
                    self.refreshes = None;
                    BackgroundEvent::RefreshStopped
                }
            },
        }
    }
}

impl App {
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
}

/// The empty estate shown while the real one is built. Not marked as the
/// demo even when loading it: the header's DEMO ESTATE says the demo's data
/// is on screen.
fn placeholder(what: &str) -> Estate {
    Estate {
        collected_at: None,
        source: what.to_string(),
        is_demo: false,
        instances: Vec::new(),
        policies: Default::default(),
    }
}
