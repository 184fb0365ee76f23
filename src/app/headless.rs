//! The app without a terminal or an event loop: files are written at once;
//! background work and executor jobs are kept in a queue and carried out on
//! the calling thread when asked (`settle`), their answers fed back through
//! `update` as the console's runner feeds them. For tests, scripted
//! runs and screenshots, where "what is still to be done" must be visible
//! and "do it now, to the end" must be possible.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};

use super::effect::{Effect, Msg};
use super::state::App;

/// An [`App`] and the effects it asked for that have not been carried out.
#[derive(Debug)]
pub struct Headless {
    app: App,
    queued: VecDeque<Effect>,
    copied: Vec<String>,
}

impl Headless {
    pub fn new(app: App) -> Headless {
        Headless {
            app,
            queued: VecDeque::new(),
            copied: Vec::new(),
        }
    }

    /// The app on `estate` analysed at `now` (see [`App::new`]).
    pub fn open(estate: crate::model::Estate, now: chrono::DateTime<chrono::Utc>) -> Headless {
        Headless::new(App::new(estate, now))
    }

    /// The app waiting for its estate (see [`App::loading`]).
    pub fn loading(what: &str, now: chrono::DateTime<chrono::Utc>) -> Headless {
        Headless::new(App::loading(what, now))
    }

    /// Applies `msg`; its effects wait in the queue (copies are kept
    /// apart, see [`Headless::take_copied`]).
    pub fn update(&mut self, msg: impl Into<Msg>) {
        let effects = self.app.update(msg);
        self.keep(effects);
    }

    /// Starts finding and listing containers (queued like any effect).
    pub fn start_storage(&mut self) {
        let effects = self.app.start_storage();
        self.keep(effects);
    }

    /// As [`Headless::start_storage`], building the container list in the
    /// background too.
    pub fn start_storage_in_background(&mut self) {
        let effects = self.app.start_storage_in_background();
        self.keep(effects);
    }

    /// Copies are kept apart; files are written at once, in order (they
    /// are local and quick, and a test reads them back); the rest waits.
    fn keep(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Copy(text) => self.copied.push(text),
                Effect::File(op) => {
                    let effects = self.app.update(op.perform());
                    self.keep(effects);
                }
                // As in the console, a cancel reaches the job started last:
                // here, one still waiting sees it before its first batch.
                Effect::CancelExecution => {
                    for queued in &self.queued {
                        if let Effect::Execute(job) = queued {
                            job.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                }
                other => self.queued.push_back(other),
            }
        }
    }

    /// The effects waiting to be carried out.
    pub fn queued(&self) -> impl Iterator<Item = &Effect> {
        self.queued.iter()
    }

    /// Whether an executor job waits to be started.
    pub fn has_job(&self) -> bool {
        self.queued.iter().any(|e| matches!(e, Effect::Execute(_)))
    }

    /// The text copied last, if any since the last call.
    pub fn take_copied(&mut self) -> Option<String> {
        let last = self.copied.pop();
        self.copied.clear();
        last
    }

    /// Carries out every queued effect, and what their answers ask for, to
    /// the end: background work runs here, executor jobs connect and run
    /// here, files are written. Returns how many executor jobs ran.
    /// A refresh is answered "not live": nothing collects here.
    pub fn settle(&mut self) -> usize {
        let mut jobs = 0;
        while let Some(effect) = self.queued.pop_front() {
            let mut answers = Vec::new();
            match effect {
                Effect::Copy(text) => self.copied.push(text),
                Effect::Execute(job) => {
                    jobs += 1;
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    let handle = crate::sqlserver::exec::spawn(*job, tx);
                    while let Some(ev) = rx.blocking_recv() {
                        answers.push(Msg::Exec(ev));
                    }
                    let _ = handle.join();
                    answers.push(Msg::ExecEnded);
                }
                Effect::CancelExecution => {}
                Effect::RefreshLive => answers.push(Msg::RefreshStarted(false)),
                Effect::Spawn(task) => {
                    let found = std::cell::RefCell::new(Vec::new());
                    task.run(&|m| found.borrow_mut().push(m));
                    answers = found.into_inner();
                }
                Effect::File(op) => answers.push(op.perform()),
            }
            for answer in answers {
                let effects = self.app.update(answer);
                self.keep(effects);
            }
        }
        jobs
    }

    /// The app itself.
    pub fn into_inner(self) -> App {
        self.app
    }
}

impl Deref for Headless {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl DerefMut for Headless {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.app
    }
}
