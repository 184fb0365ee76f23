//! What `App::update` asks the world to do, and what the world answers.
//!
//! `update` never spawns a thread, writes a file or touches the terminal:
//! it changes the state and returns [`Effect`]s. Whoever runs the app
//! carries them out: the console's event loop (`crate::console`) on threads
//! and timers, [`crate::app::Headless`] on the calling thread (tests,
//! screenshots). What comes back (a container listed, a report analysed, an
//! executor event, a file written) arrives as a [`Msg`] through the same
//! `update`, so there is one way in and one way out.

use std::path::PathBuf;
use std::sync::Arc;

use super::action::Action;
use super::background::BackgroundEvent;
use super::storage_task::{Listings, Plan, StorageMsg};
use crate::analysis::EstateReport;
use crate::model::Estate;
use crate::sqlserver::exec::{ExecEvent, Job};

/// One thing for the runner to do.
#[derive(Debug)]
pub enum Effect {
    /// Put text on the terminal's clipboard (OSC 52, written after a frame).
    Copy(String),
    /// Start the executor; its events come back as [`Msg::Exec`], then
    /// [`Msg::ExecEnded`].
    Execute(Box<Job>),
    /// Ask the running executor to stop before its next batch.
    CancelExecution,
    /// Ask the live collector for a refresh now; answered by [`Msg::RefreshStarted`].
    RefreshLive,
    /// Work too slow for the event loop; its results come back as messages.
    Spawn(Task),
    /// A file to write or remove; answered by [`Msg::Written`].
    File(FileOp),
}

/// Background work (see `storage.rs` and `reanalysis.rs` for what each does).
#[derive(Debug)]
pub enum Task {
    /// Judge the containers history names and list the configured ones.
    PlanStorage(Plan),
    /// List configured containers whose views already exist.
    ListStorage(Listings),
    /// Analyse `estate` again at `now`.
    Reanalyse {
        estate: Arc<Estate>,
        now: chrono::DateTime<chrono::Utc>,
    },
}

impl Task {
    /// Does the work on the calling thread, sending each result as soon as
    /// it is known (a container listed early is shown early).
    pub fn run(self, send: &dyn Fn(Msg)) {
        match self {
            Task::PlanStorage(plan) => plan.run(&|m| send(Msg::Storage(m))),
            Task::ListStorage(listings) => listings.run(&|m| send(Msg::Storage(m))),
            Task::Reanalyse { estate, now } => {
                let report = crate::analysis::analyze_estate(&estate, now);
                send(Msg::Reanalysed {
                    estate,
                    report: Box::new(report),
                });
            }
        }
    }

    /// A thread name for the work (seen in debuggers and `top -H`).
    pub fn thread_name(&self) -> &'static str {
        match self {
            Task::PlanStorage(_) | Task::ListStorage(_) => "chainwatch-storage",
            Task::Reanalyse { .. } => "chainwatch-analysis",
        }
    }
}

/// A file the app wants written or removed. Writes go through a temporary
/// file and a rename, so a crash never leaves half a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOp {
    pub path: PathBuf,
    /// The new content, or None to remove the file (a missing file is fine).
    pub text: Option<String>,
    /// Why: how the answer is reported.
    pub purpose: FilePurpose,
}

/// What a written file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePurpose {
    /// The restore wizard's state (`wizard.json`): only failures are said.
    WizardState,
    /// A saved script or summary: "saved <path>" is said.
    Export,
}

impl FileOp {
    /// Carries the operation out; the answer for `update`.
    pub fn perform(self) -> Msg {
        let result = match &self.text {
            Some(text) => write_atomically(&self.path, text),
            None => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("{}: {e}", self.path.display()))
                }
                _ => Ok(()),
            },
        };
        Msg::Written {
            path: self.path,
            purpose: self.purpose,
            result,
        }
    }
}

fn write_atomically(path: &std::path::Path, text: &str) -> Result<(), String> {
    let shown = |p: &std::path::Path, e: std::io::Error| format!("{}: {e}", p.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| shown(dir, e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(|e| shown(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| shown(path, e))
}

/// Everything `App::update` takes: the operator's actions and the answers
/// to effects.
#[derive(Debug)]
pub enum Msg {
    Action(Action),
    /// A storage task's result.
    Storage(StorageMsg),
    /// A re-analysis finished; applied only if `estate` is still the one shown.
    Reanalysed {
        estate: Arc<Estate>,
        report: Box<EstateReport>,
    },
    /// An event of the executor started by [`Effect::Execute`].
    Exec(ExecEvent),
    /// The executor's thread ended (after its last event).
    ExecEnded,
    /// An estate loaded, a live refresh, or the collector stopping.
    Background(BackgroundEvent),
    /// What [`Effect::RefreshLive`] did: true when a collector was woken.
    RefreshStarted(bool),
    /// A [`FileOp`] was carried out.
    Written {
        path: PathBuf,
        purpose: FilePurpose,
        result: Result<(), String>,
    },
}

impl From<Action> for Msg {
    fn from(action: Action) -> Msg {
        Msg::Action(action)
    }
}

impl From<BackgroundEvent> for Msg {
    fn from(event: BackgroundEvent) -> Msg {
        Msg::Background(event)
    }
}

impl From<ExecEvent> for Msg {
    fn from(event: ExecEvent) -> Msg {
        Msg::Exec(event)
    }
}
