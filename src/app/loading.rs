//! Opening the console before its estate exists: the first frame says
//! "loading …" at once while the estate is built and analysed on its own
//! thread, then arrives through the event loop. Building the demo estate
//! takes a few hundred milliseconds, a live collection much longer; the
//! terminal stays responsive meanwhile (q and Ctrl-C quit).

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

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

/// The empty estate shown while the real one is built. Not marked as the
/// demo even when loading it: the header's DEMO ESTATE says the demo's data
/// is on screen.
pub(super) fn placeholder(what: &str) -> Estate {
    Estate {
        collected_at: None,
        source: what.to_string(),
        is_demo: false,
        instances: Vec::new(),
        policies: Default::default(),
    }
}
