//! The event loop: terminal input on its own thread, a one-second tick,
//! SIGTERM/SIGHUP, and drawing only when something changed, at most
//! `MAX_FPS` times a second. The terminal is restored on every exit path
//! (and by ratatui's panic hook on a panic).

use std::thread;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::action::Action;
use super::state::App;
use super::ConsoleOptions;
use crate::model::Estate;
use crate::ui;

/// Upper bound on redraws per second.
const MAX_FPS: u64 = 30;
/// How often the input thread checks whether the console has gone away.
const INPUT_POLL: Duration = Duration::from_millis(200);

/// Opens the console on `estate` and runs it until the user quits, the
/// input closes, or SIGTERM/SIGHUP arrives. Call it outside a tokio runtime.
pub fn run(estate: Estate, options: ConsoleOptions) -> anyhow::Result<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        anyhow::bail!("chainwatch::app::run must be called outside a tokio runtime");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let clock = move || options.now_override.unwrap_or_else(Utc::now);
    let mut app = App::new(estate, clock());
    let mut terminal = ratatui::try_init().context("cannot set up the terminal")?;
    let (tx, rx) = mpsc::channel(256);
    let input = spawn_input(tx);
    // The loop owns the receiver: when it ends, the input thread sees the
    // channel closed and stops within one poll interval.
    let result = runtime.block_on(event_loop(&mut terminal, &mut app, rx, clock));
    let _ = input.join();
    ratatui::restore();
    result
}

/// Reads terminal events on a plain thread (crossterm's reads block).
fn spawn_input(tx: mpsc::Sender<Event>) -> thread::JoinHandle<()> {
    thread::spawn(move || loop {
        if tx.is_closed() {
            return;
        }
        match event::poll(INPUT_POLL) {
            Ok(true) => match event::read() {
                Ok(ev) => {
                    if tx.blocking_send(ev).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            },
            Ok(false) => {}
            Err(_) => return,
        }
    })
}

/// Applies one terminal event to the app.
fn on_event(app: &mut App, ev: Event) {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if let Some(action) = app.handle_key(key) {
                app.update(action);
            }
        }
        Event::Resize(..) => app.update(Action::Resize),
        _ => {}
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    mut rx: mpsc::Receiver<Event>,
    clock: impl Fn() -> DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut signals = Signals::new()?;
    let frame = Duration::from_millis(1000 / MAX_FPS);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_draw = Instant::now() - frame;
    while !app.should_quit {
        let next_draw = last_draw + frame;
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                on_event(app, ev);
                // Take everything already queued before drawing again.
                while let Ok(ev) = rx.try_recv() {
                    on_event(app, ev);
                }
            }
            _ = tick.tick() => app.update(Action::Tick(clock())),
            _ = signals.recv() => break,
            _ = tokio::time::sleep_until(next_draw), if app.is_dirty() => {
                app.take_dirty();
                terminal.draw(|f| ui::draw(f, app))?;
                last_draw = Instant::now();
            }
        }
    }
    Ok(())
}

/// SIGTERM and SIGHUP (the SSH session dropped) end the console cleanly.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
            hup: signal(SignalKind::hangup()).context("cannot watch SIGHUP")?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> anyhow::Result<Signals> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        std::future::pending::<()>().await
    }
}
