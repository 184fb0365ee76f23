//! The event loop: terminal input on its own thread, a one-second tick,
//! SIGTERM/SIGHUP, and drawing only when something changed, at most
//! `MAX_FPS` times a second. The terminal is restored on every exit path
//! (and by ratatui's panic hook on a panic). Logs go to a file in the
//! state dir through `tracing`, never to the terminal.

use std::io::Write as _;
use std::thread;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::action::Action;
use super::keymap::Keymap;
use super::state::App;
use super::{ClipboardMode, ConsoleOptions};
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
    let _log = init_logging();
    let now_override = options.now_override;
    let clock = move || now_override.unwrap_or_else(Utc::now);
    let app = configured_app(estate, clock(), &options)?;
    tracing::info!(theme = %app.theme.name, "console starting");
    let mut app = app;
    let mut terminal = ratatui::try_init().context("cannot set up the terminal")?;
    if options.mouse {
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
    }
    let (tx, rx) = mpsc::channel(256);
    let input = spawn_input(tx);
    // The loop owns the receiver: when it ends, the input thread sees the
    // channel closed and stops within one poll interval.
    let result = runtime.block_on(event_loop(&mut terminal, &mut app, rx, clock));
    let _ = input.join();
    if options.mouse {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
    }
    ratatui::restore();
    match &result {
        Ok(()) => tracing::info!("console closed"),
        Err(e) => tracing::error!("console failed: {e:#}"),
    }
    result
}

/// The app as the options ask: theme (user file or built-in), colours,
/// ASCII, keymap overrides and clipboard mode. Errors in user files stop
/// the start with a message rather than being ignored silently.
pub fn configured_app(
    estate: Estate,
    now: DateTime<Utc>,
    options: &ConsoleOptions,
) -> anyhow::Result<App> {
    let mut app = App::new(estate, now);
    app.config_dir = crate::ui::theme::config_dir();
    app.no_color = options.no_color || crate::ui::theme::Theme::no_color_env();
    app.theme.ascii = options.ascii;
    app.set_theme(options.theme.as_deref().unwrap_or("default"))
        .context("--theme")?;
    app.keymap = Keymap::load(app.config_dir.as_deref()).context("keymap.toml")?;
    app.clipboard_mode = match options.clipboard {
        ClipboardMode::Auto => {
            let term = std::env::var("TERM").unwrap_or_default();
            if term == "dumb" || term == "linux" {
                ClipboardMode::Off
            } else {
                ClipboardMode::Osc52
            }
        }
        mode => mode,
    };
    app.take_dirty();
    app.update(Action::Resize);
    Ok(app)
}

/// Logs to `<state dir>/chainwatch.log` (level from `CHAINWATCH_LOG`,
/// default info). Failing to open the file only means no logs.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = crate::ui::theme::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let file = tracing_appender::rolling::never(&dir, "chainwatch.log");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let level = match std::env::var("CHAINWATCH_LOG").as_deref() {
        Ok("trace") => tracing::Level::TRACE,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("warn") => tracing::Level::WARN,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_max_level(level)
        .try_init()
        .ok()?;
    Some(guard)
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
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => app.update(Action::ScrollUp),
            MouseEventKind::ScrollDown => app.update(Action::ScrollDown),
            _ => {}
        },
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
            sig = signals.recv() => {
                tracing::info!("{sig}: quitting");
                break;
            }
            _ = tokio::time::sleep_until(next_draw), if app.is_dirty() => {
                app.take_dirty();
                terminal.draw(|f| ui::draw(f, app))?;
                // Written after a whole frame so it cannot interleave with one.
                if let Some(text) = app.take_clipboard() {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(super::update::osc52(&text).as_bytes());
                    let _ = out.flush();
                    tracing::debug!(bytes = text.len(), "copied via OSC 52");
                }
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
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.hup.recv() => "SIGHUP",
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) -> &'static str {
        std::future::pending::<()>().await
    }
}
