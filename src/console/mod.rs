//! The console's shell, above `app` and `ui`: it owns the terminal and
//! joins the two. The event loop: terminal input on its own thread, a one-second tick,
//! SIGTERM/SIGHUP, and drawing only when something changed, at most
//! `MAX_FPS` times a second. The terminal is restored on every exit path
//! (and by ratatui's panic hook on a panic). Logs go to a file in the
//! state dir through `tracing`, never to the terminal.

mod runner;
pub use runner::Runner;

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

use crate::app::action::Action;
use crate::app::background::{Background, Start};
use crate::app::effect::Effect;
use crate::app::keymap::Keymap;
use crate::app::live::LiveSource;
use crate::app::loading::Loader;
use crate::app::state::App;
use crate::app::{ClipboardMode, ConsoleOptions};
use crate::model::Estate;
use crate::ui;

/// Upper bound on redraws per second.
const MAX_FPS: u64 = 30;
/// How often the input thread checks whether the console has gone away.
const INPUT_POLL: Duration = Duration::from_millis(200);

/// Opens the console on `estate` and runs it until the user quits, the
/// input closes, or SIGTERM/SIGHUP arrives. Call it outside a tokio runtime.
pub fn run(estate: Estate, options: ConsoleOptions) -> anyhow::Result<()> {
    run_console(Start::Ready(estate), options)
}

/// Like `run`, but the first frame is drawn at once, saying "loading
/// `what`…", while `load` builds the estate on its own thread (see
/// `loading.rs`); the console answers keys (q quits) meanwhile.
pub fn run_loading(what: &str, load: Loader, options: ConsoleOptions) -> anyhow::Result<()> {
    let what = what.to_string();
    run_console(Start::Loading { what, load }, options)
}

/// Like `run`, watching live instances: the first frame at once, then a
/// collection every `source.every` on its own thread (see `live.rs`).
pub fn run_live(source: LiveSource, options: ConsoleOptions) -> anyhow::Result<()> {
    run_console(Start::Live(source), options)
}

fn run_console(start: Start, options: ConsoleOptions) -> anyhow::Result<()> {
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
    let (estate, waiting, background) = start.begin(clock()).context("cannot start loading")?;
    let mut app = configured_app(estate, clock(), &options)?;
    app.loading = waiting;
    // Containers are found and listed in the background from here on.
    let first = app.start_storage_in_background();
    tracing::info!(theme = %app.theme.name, "console starting");
    let mut terminal = ratatui::try_init().context("cannot set up the terminal")?;
    if options.mouse {
        let _ = execute!(std::io::stdout(), EnableMouseCapture);
    }
    let (tx, rx) = mpsc::channel(256);
    let input = spawn_input(tx);
    // The loop owns the receiver: when it ends, the input thread sees the
    // channel closed and stops within one poll interval.
    let result = runtime.block_on(event_loop(
        &mut terminal,
        &mut app,
        rx,
        clock,
        background,
        first,
    ));
    join_briefly(input);
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

/// How long quitting waits for the input thread.
const INPUT_JOIN: Duration = Duration::from_millis(500);

/// Joins the input thread if it stops soon. When the terminal is gone (an
/// SSH session dropped: SIGHUP), crossterm's read sees end-of-file forever
/// and never returns, so waiting for it would leave the process spinning
/// with no terminal; returning lets the process exit, which ends the thread.
fn join_briefly(input: thread::JoinHandle<()>) {
    let deadline = std::time::Instant::now() + INPUT_JOIN;
    while !input.is_finished() && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    if input.is_finished() {
        let _ = input.join();
    } else {
        tracing::warn!("input thread still blocked on the terminal; leaving it to the exit");
    }
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
    app.config_dir = crate::config::dirs::config_dir();
    app.no_color = options.no_color || crate::theme::Theme::no_color_env();
    app.theme.ascii = options.ascii;
    app.zone = options.zone;
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
    if let Some(config) = &options.config {
        app.set_config(config);
    }
    app.set_data_dir(crate::config::dirs::data_dir());
    app.take_dirty();
    app.update(Action::Resize);
    Ok(app)
}

/// Logs to `<state dir>/chainwatch.log` (level from `CHAINWATCH_LOG`,
/// default info). Failing to open the file only means no logs.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = crate::config::dirs::state_dir()?;
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

/// The action a terminal event asks for, if any.
fn action_of(app: &App, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => app.handle_key(key),
        Event::Resize(..) => Some(Action::Resize),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            _ => None,
        },
        _ => None,
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    mut rx: mpsc::Receiver<Event>,
    clock: impl Fn() -> DateTime<Utc>,
    mut background: Background,
    first: Vec<Effect>,
) -> anyhow::Result<()> {
    let mut signals = Signals::new()?;
    let frame = Duration::from_millis(1000 / MAX_FPS);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last_draw = Instant::now() - frame;
    // Test hook (see `test_panic_after`): armed when the first frame is drawn.
    let panic_after = test_panic_after();
    let mut panic_at: Option<Instant> = None;
    // Answers to effects (listings, reports, executor events, files written).
    let (answers, mut answered) = mpsc::unbounded_channel();
    let mut runner = Runner::new(answers);
    for effect in first {
        if let Some(answer) = runner.carry(effect, &background) {
            runner.update(app, answer, &background);
        }
    }
    while !app.should_quit {
        let next_draw = last_draw + frame;
        tokio::select! {
            ev = background.next() => runner.update(app, ev, &background),
            Some(msg) = answered.recv() => runner.update(app, msg, &background),
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                if let Some(action) = action_of(app, ev) {
                    runner.update(app, action, &background);
                }
                // Take everything already queued before drawing again.
                while let Ok(ev) = rx.try_recv() {
                    if let Some(action) = action_of(app, ev) {
                        runner.update(app, action, &background);
                    }
                }
            }
            _ = tick.tick() => {
                // A terminal that vanished without a SIGHUP: stop rather
                // than run on with nobody to draw for.
                if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    tracing::info!("the terminal is gone: quitting");
                    break;
                }
                runner.update(app, Action::Tick(clock()), &background)
            }
            sig = signals.recv() => {
                tracing::info!("{sig}: quitting");
                break;
            }
            _ = tokio::time::sleep_until(next_draw), if app.is_dirty() => {
                app.take_dirty();
                terminal.draw(|f| ui::draw(f, app))?;
                // Written after a whole frame so it cannot interleave with one.
                if let Some(text) = runner.clipboard.take() {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(crate::app::copy::osc52(&text).as_bytes());
                    let _ = out.flush();
                    tracing::debug!(bytes = text.len(), "copied via OSC 52");
                }
                last_draw = Instant::now();
                // Armed by the first frame with the estate (not "loading …").
                if app.loading.is_none() {
                    panic_at = panic_at.or(panic_after.map(|d| last_draw + d));
                }
            }
            _ = tokio::time::sleep_until(panic_at.unwrap_or(next_draw)), if panic_at.is_some() => {
                panic!("CHAINWATCH_TEST_PANIC_AFTER_MS: test panic inside the event loop");
            }
        }
    }
    match app.failed.take() {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
    }
}

/// Test hook, not a feature: `CHAINWATCH_TEST_PANIC_AFTER_MS=N` makes the
/// event loop panic N ms after the first frame, so `tests/e2e/tmux.rs` can
/// check that a panic in the real binary leaves the terminal restored.
/// Unset or not a number (the normal case), it does nothing.
fn test_panic_after() -> Option<Duration> {
    let ms = std::env::var("CHAINWATCH_TEST_PANIC_AFTER_MS").ok()?;
    ms.trim().parse().ok().map(Duration::from_millis)
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
