//! Carries out the effects `App::update` returns (see `app::effect`) for
//! an event loop on a tokio runtime: slow work on threads, the executor on
//! its own thread, files on one writer thread; every answer comes back on
//! one channel as a message for `update`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use tokio::sync::mpsc;

use crate::app::background::Background;
use crate::app::effect::{Effect, FileOp, Msg};
use crate::app::state::App;

/// Carries out the app's effects for the event loop: slow work on threads,
/// whose answers come back on one channel as messages for `update`.
pub struct Runner {
    answers: mpsc::UnboundedSender<Msg>,
    /// The cancel flag of the executor job started last.
    cancel: Option<Arc<AtomicBool>>,
    /// Files are written in the order asked, on one thread (a wizard state
    /// saved twice must end as the second).
    files: Option<std::sync::mpsc::Sender<FileOp>>,
    /// Text for the clipboard, written after the next frame.
    pub clipboard: Option<String>,
}

impl Runner {
    pub fn new(answers: mpsc::UnboundedSender<Msg>) -> Runner {
        Runner {
            answers,
            cancel: None,
            files: None,
            clipboard: None,
        }
    }

    /// Applies `msg` and carries out what it asks, and what that asks in
    /// turn (a refresh answered at once, say).
    pub fn update(&mut self, app: &mut App, msg: impl Into<Msg>, background: &Background) {
        let mut queue = std::collections::VecDeque::from(app.update(msg));
        while let Some(effect) = queue.pop_front() {
            if let Some(answer) = self.carry(effect, background) {
                queue.extend(app.update(answer));
            }
        }
    }

    /// Starts one effect; an answer known at once is returned.
    pub fn carry(&mut self, effect: Effect, background: &Background) -> Option<Msg> {
        match effect {
            Effect::Copy(text) => self.clipboard = Some(text),
            Effect::Execute(job) => {
                self.cancel = Some(job.cancel.clone());
                let (tx, mut rx) = mpsc::unbounded_channel();
                // The thread ends on its own after its last event; not joined,
                // so a long RESTORE never holds up quitting the console.
                drop(crate::sqlserver::exec::spawn(*job, tx));
                let answers = self.answers.clone();
                tokio::spawn(async move {
                    while let Some(ev) = rx.recv().await {
                        if answers.send(Msg::Exec(ev)).is_err() {
                            return;
                        }
                    }
                    let _ = answers.send(Msg::ExecEnded);
                });
            }
            Effect::CancelExecution => {
                if let Some(cancel) = &self.cancel {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Effect::RefreshLive => return Some(Msg::RefreshStarted(background.refresh_now())),
            Effect::Spawn(task) => {
                let answers = self.answers.clone();
                let spawned = thread::Builder::new()
                    .name(task.thread_name().into())
                    .spawn(move || {
                        task.run(&|m| {
                            let _ = answers.send(m);
                        })
                    });
                if let Err(e) = spawned {
                    tracing::warn!("background work not started: {e}");
                }
            }
            Effect::File(op) => {
                let op = match self.file_writer() {
                    Some(files) => match files.send(op) {
                        Ok(()) => return None,
                        Err(e) => e.0,
                    },
                    None => op,
                };
                // No writer thread: write here rather than lose the file.
                return Some(op.perform());
            }
        }
        None
    }

    fn file_writer(&mut self) -> Option<&std::sync::mpsc::Sender<FileOp>> {
        if self.files.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<FileOp>();
            let answers = self.answers.clone();
            let started = thread::Builder::new()
                .name("chainwatch-files".into())
                .spawn(move || {
                    for op in rx {
                        let _ = answers.send(op.perform());
                    }
                });
            match started {
                Ok(_) => self.files = Some(tx),
                Err(e) => tracing::warn!("file writer not started: {e}"),
            }
        }
        self.files.as_ref()
    }
}
