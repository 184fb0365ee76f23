//! What the event loop waits on besides keys: the estate being loaded and
//! the live collector's refreshes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::live::{self, LiveSource, Refresh};
use super::loading::{self, placeholder, Loaded, Loader, Pending};
use crate::model::Estate;

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
                    pending: Some(loading::spawn(load, now)?),
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
            loaded = loading::next(&mut self.pending) => {
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
