//! End-to-end tests of the real binary in a real terminal: tmux runs
//! `chainwatch` in a detached session of a given size; the tests type keys
//! with `send-keys` and read the screen with `capture-pane`, polling for the
//! text they expect (never fixed sleeps). Each session has its own tmux
//! socket, so the tests run in parallel. Skipped when tmux is missing.
//!
//! The binary runs under a small shell wrapper that, once it exits, prints
//! its exit code and `stty -a`, so the tests can check the terminal was
//! restored (canonical mode, echo, cursor shown) after `q`, SIGTERM, SIGHUP
//! and a panic inside the event loop.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::NOW;

const TIMEOUT: Duration = Duration::from_secs(20);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn require_tmux() {
    assert!(
        have_tmux(),
        "tmux is required for these tests (scripts/test installs it)"
    );
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One tmux server with one session running the console.
struct Session {
    socket: String,
    dir: PathBuf,
}

impl Session {
    /// Starts the console at `width`x`height` with extra environment.
    fn start(width: u16, height: u16, env: &[(&str, &str)], args: &[&str]) -> Session {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let socket = format!("cw-test-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(&socket);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config")).unwrap();
        // Nothing from the machine's own config: no estate config file,
        // no user themes or keymap; logs in the test's own dir.
        let mut vars = vec![
            format!("XDG_CONFIG_HOME={}", dir.join("xdg-config").display()),
            format!("XDG_STATE_HOME={}", dir.join("xdg-state").display()),
            format!("CHAINWATCH_CONFIG_DIR={}", dir.join("config").display()),
            format!("CHAINWATCH_STATE_DIR={}", dir.join("state").display()),
            "CHAINWATCH_CONFIG=".into(),
        ];
        if !env.iter().any(|(k, _)| *k == "NO_COLOR") {
            vars.push("NO_COLOR=".into());
        }
        vars.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        let bin = env!("CARGO_BIN_EXE_chainwatch");
        let mut app = vec![bin.to_string(), "--now".into(), NOW.into()];
        app.extend(args.iter().map(|a| a.to_string()));
        let pidfile = dir.join("pid");
        // The inner shell records its pid and becomes the console (exec);
        // the outer one reports how it ended and the terminal modes after.
        let script = format!(
            "sh -c 'echo $$ > {pid}; exec env {vars} {app}'; code=$?; \
             echo MODES $(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo); \
             echo EXITED $code; sleep 60",
            pid = pidfile.display(),
            vars = vars.join(" "),
            app = app.join(" "),
        );
        let s = Session { socket, dir };
        s.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &script,
        ]);
        s
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The visible screen as text.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }

    /// The visible screen with colour and attribute escapes.
    fn screen_with_escapes(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-e", "-t", "main"])
                .stdout,
        )
        .into_owned()
    }

    /// Waits until `pred` holds for the screen, and the screen has stopped
    /// changing (a frame can be captured half written on a loaded machine);
    /// panics with the screen if it never does.
    fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                std::thread::sleep(Duration::from_millis(150));
                let again = self.screen();
                if again == screen {
                    return screen;
                }
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Presses named keys (Enter, Escape, Tab, ...).
    fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "main", key]);
    }

    fn pid(&self) -> String {
        let path = self.dir.join("pid");
        let start = Instant::now();
        loop {
            if let Ok(p) = std::fs::read_to_string(&path) {
                if !p.trim().is_empty() {
                    return p.trim().to_string();
                }
            }
            assert!(start.elapsed() < TIMEOUT, "no pid file");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// After the console exits: its exit code line, and the terminal modes.
    fn assert_exited_cleanly(&self) {
        let screen = self.assert_terminal_restored();
        assert!(screen.contains("EXITED 0"), "{screen}");
    }

    /// Waits for the console to exit, however it ended, and checks the pane
    /// is back in cooked mode (`stty -a` run in the pane after the exit shows
    /// `icanon` and `echo`), with the cursor visible and the main screen
    /// shown. Returns the screen.
    fn assert_terminal_restored(&self) -> String {
        let screen = self.wait_for("EXITED");
        let modes = screen
            .lines()
            .find(|l| l.starts_with("MODES"))
            .unwrap_or_else(|| panic!("no MODES line: {screen}"));
        let words: Vec<&str> = modes.split_whitespace().collect();
        assert!(
            words.contains(&"icanon"),
            "canonical mode restored: {screen}"
        );
        assert!(words.contains(&"echo"), "echo restored: {screen}");
        assert!(!words.contains(&"-icanon") && !words.contains(&"-echo"));
        let cursor = self.tmux(&["display-message", "-p", "-t", "main", "#{cursor_flag}"]);
        assert_eq!(
            String::from_utf8_lossy(&cursor.stdout).trim(),
            "1",
            "cursor visible again"
        );
        let alt = self.tmux(&["display-message", "-p", "-t", "main", "#{alternate_on}"]);
        assert_eq!(
            String::from_utf8_lossy(&alt.stdout).trim(),
            "0",
            "left the alternate screen"
        );
        screen
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether an escaped capture sets any colour (SGR 30-37, 38, 40-47, 48, 90-97, 100-107).
fn has_colour(escaped: &str) -> bool {
    escaped.split("\x1b[").skip(1).any(|seq| {
        let Some(end) = seq.find('m') else {
            return false;
        };
        seq[..end]
            .split(';')
            .filter_map(|p| p.parse::<u16>().ok())
            .any(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107))
    })
}

/// The walk every size and colour setting must survive: the demo estate,
/// a degraded chain, its evidence, a filter, help, quit.
fn walk(s: &Session, small: bool) {
    s.wait_for("DEMO ESTATE");
    // The key bar: its keys, or first the demo's one hint (which a narrow
    // terminal shows alone).
    s.wait_until("the key bar", |x| {
        x.contains("move") || x.contains("config init")
    });
    // Filter the databases to the one with the broken log chain.
    s.type_text("/");
    s.wait_for("/▏");
    s.type_text("Telemetry");
    s.press("Enter");
    let screen = s.wait_for("filter: Telemetry");
    assert!(screen.contains("Telemetry"), "{screen}");
    assert!(!screen.contains("Warehouse"), "filtered out: {screen}");
    // Open it: the detail view with its breaks and findings.
    s.press("Enter");
    let screen = s.wait_for("SQL16\\PROD › Telemetry");
    assert!(screen.contains("DEGRADED"), "{screen}");
    if !small {
        assert!(screen.contains("Breaks & findings"), "{screen}");
        assert!(screen.contains("gap in the log chain"), "{screen}");
        assert!(screen.contains("Chain timeline"), "{screen}");
    }
    // Evidence of the selected finding.
    s.press("Enter");
    let screen = s.wait_for("Evidence");
    if !small {
        // The finding's explanation and remedy first, then its rows; the
        // backup sets follow (scrolled to), highlighted on the timeline.
        assert!(screen.contains("LSN"), "{screen}");
        assert!(screen.contains("Remedy"), "{screen}");
        assert!(screen.contains('△') || screen.contains('^'), "{screen}");
        for _ in 0..3 {
            s.press("j");
        }
        s.wait_for("#50360");
    }
    s.press("Escape");
    s.wait_until("evidence closed", |x| !x.contains("Evidence"));
    // Filter the findings to the chain break only.
    s.type_text("/");
    s.type_text("BREAK");
    s.press("Enter");
    let screen = s.wait_for("filter: BREAK");
    if !small {
        s.wait_for("/BREAK");
        let screen = s.wait_until("only the break", |x| !x.contains("unscheduled"));
        assert!(screen.contains("gap in the log chain"), "{screen}");
    } else {
        assert!(screen.contains("BREAK"), "{screen}");
    }
    // Help, generated from the keymap.
    s.type_text("?");
    let screen = s.wait_for("Help");
    if !small {
        assert!(screen.contains("evidence of the selected row"), "{screen}");
    }
    s.press("Escape");
    s.wait_until("help closed", |x| !x.contains("Help —"));
    s.type_text("q");
    s.assert_exited_cleanly();
}

#[test]
fn walk_at_100x30() {
    require_tmux();
    let s = Session::start(100, 30, &[], &[]);
    let screen = s.wait_for("DEMO ESTATE");
    assert!(screen.contains("Instances"), "{screen}");
    assert!(
        has_colour(&s.screen_with_escapes()),
        "the default theme has colours"
    );
    walk(&s, false);
    let log = std::fs::read_to_string(s.dir.join("state/chainwatch.log")).unwrap_or_default();
    assert!(log.contains("console starting"), "log file: {log:?}");
}

#[test]
fn walk_at_40x10() {
    require_tmux();
    let s = Session::start(40, 10, &[], &[]);
    walk(&s, true);
}

#[test]
fn walk_with_no_color() {
    require_tmux();
    let s = Session::start(100, 30, &[("NO_COLOR", "1")], &[]);
    s.wait_for("DEMO ESTATE");
    let escaped = s.screen_with_escapes();
    assert!(!has_colour(&escaped), "NO_COLOR: {escaped:?}");
    assert!(escaped.contains("▶"), "selection marker without colour");
    walk(&s, false);
}

#[test]
fn no_color_flag_ascii_and_a_theme() {
    require_tmux();
    let s = Session::start(100, 30, &[], &["--no-color", "--ascii", "--theme", "dark"]);
    let screen = s.wait_for("DEMO ESTATE");
    assert!(!has_colour(&s.screen_with_escapes()));
    assert!(screen.contains("+-") && screen.contains("> "), "{screen}");
    assert!(!screen.contains('│') && !screen.contains('┃'), "{screen}");
    s.type_text("q");
    s.assert_exited_cleanly();
}

#[test]
fn too_small_then_big_enough() {
    require_tmux();
    let s = Session::start(30, 8, &[], &[]);
    s.wait_for("too small");
    s.tmux(&["resize-window", "-t", "main", "-x", "80", "-y", "24"]);
    s.wait_for("DEMO ESTATE");
    s.type_text("q");
    s.assert_exited_cleanly();
}

/// The effects `update` returns are carried out by the real event loop:
/// containers found on a background thread and shown when their answer
/// arrives, and the wizard's state written by the file thread.
#[test]
fn background_work_and_file_writes_reach_the_screen_and_the_disk() {
    require_tmux();
    let data = std::env::temp_dir().join(format!("cw-e2e-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let s = Session::start(
        120,
        30,
        &[("CHAINWATCH_DATA_DIR", data.to_str().unwrap())],
        &[],
    );
    s.wait_for("DEMO ESTATE");
    s.type_text("S");
    let screen = s.wait_for("from history, not storage");
    assert!(screen.contains("Storage"), "{screen}");
    s.press("Escape");
    s.type_text("/Archive");
    s.press("Enter");
    s.press("Enter");
    s.wait_for("SQL16\\PROD › Archive");
    s.type_text("R");
    s.wait_for("Restore");
    let saved = data.join("wizard.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !saved.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no {}",
            saved.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("\"Archive\""), "{text}");
    s.press("C-c");
    s.assert_exited_cleanly();
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn command_palette_jumps_to_a_database_and_switches_theme() {
    require_tmux();
    let s = Session::start(100, 30, &[], &[]);
    s.wait_for("DEMO ESTATE");
    s.type_text(":");
    s.wait_for("Command");
    s.type_text("theme light");
    s.press("Enter");
    s.wait_for("theme light");
    s.type_text(":");
    s.type_text("db telemetry");
    s.wait_for("SQL16\\PROD › Telemetry");
    s.press("Enter");
    s.wait_for("Breaks");
    s.type_text("y");
    s.wait_for("copied");
    s.type_text("q");
    s.assert_exited_cleanly();
}

fn signal_restores_terminal(signal: &str) {
    require_tmux();
    let s = Session::start(80, 24, &[], &[]);
    s.wait_for("DEMO ESTATE");
    // Leave it mid-typing a filter, the state most likely to be left raw.
    s.type_text("/");
    s.wait_for("/▏");
    let pid = s.pid();
    let status = Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    s.assert_exited_cleanly();
    let log = std::fs::read_to_string(s.dir.join("state/chainwatch.log")).unwrap_or_default();
    assert!(log.contains("quitting"), "log file: {log:?}");
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_terminal("-TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores_terminal("-HUP");
}

/// A panic inside the event loop (forced by the binary's test hook
/// `CHAINWATCH_TEST_PANIC_AFTER_MS`) must leave the terminal cooked, with the
/// cursor shown, and the panic message readable on the main screen.
#[test]
fn panic_restores_the_terminal() {
    require_tmux();
    // No backtrace, so the panic message stays on the 24-line screen.
    let env = [
        ("CHAINWATCH_TEST_PANIC_AFTER_MS", "1500"),
        ("RUST_BACKTRACE", "0"),
    ];
    let s = Session::start(80, 24, &env, &[]);
    // The hook is armed by the first frame: the console was really up.
    s.wait_for("DEMO ESTATE");
    let screen = s.assert_terminal_restored();
    assert!(
        screen.contains("EXITED 101"),
        "exit code of a panic: {screen}"
    );
    assert!(
        screen.contains("panicked"),
        "panic message on the restored screen: {screen}"
    );
}

/// The hook is inert unless set: the same console without it stays up past
/// the panic delay and quits normally.
#[test]
fn no_panic_without_the_test_hook() {
    require_tmux();
    let s = Session::start(80, 24, &[], &[]);
    s.wait_for("DEMO ESTATE");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!s.screen().contains("EXITED"), "{}", s.screen());
    s.type_text("q");
    s.assert_exited_cleanly();
}

#[test]
fn the_console_exits_when_its_terminal_goes_away() {
    // An SSH session that drops takes the terminal with it: the kernel hangs
    // up the pty and sends SIGHUP. The console must end, not spin on a dead
    // terminal (crossterm then reads end-of-file forever).
    require_tmux();
    let mut s = Session::start(100, 30, &[], &[]);
    s.wait_for("DEMO ESTATE");
    let pid = s.pid();
    let _ = Command::new("tmux")
        .arg("-L")
        .arg(&s.socket)
        .arg("kill-server")
        .output();
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let start = Instant::now();
    while proc_dir.exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let state = std::fs::read_to_string(proc_dir.join("status")).unwrap_or_default();
    // A zombie waiting for its parent has ended too.
    assert!(
        !proc_dir.exists() || state.contains("State:\tZ"),
        "console {pid} still running 5 s after its terminal went away:\n{state}"
    );
    s.socket = format!("{}-gone", s.socket);
}

/// The restore wizard walked with real keys: a new name by default, REPLACE
/// only as a choice with its tail-log and SINGLE_USER steps, the point, the
/// file moves, pre-flight refusing the demo (never writable), the script
/// paged to its end, saved, then closed with two Esc presses.
fn wizard_walk(width: u16, height: u16) {
    require_tmux();
    let data = std::env::temp_dir().join(format!(
        "cw-e2e-wizard-{}-{width}x{height}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&data);
    let s = Session::start(
        width,
        height,
        &[("CHAINWATCH_DATA_DIR", data.to_str().unwrap())],
        &[],
    );
    s.wait_for("DEMO ESTATE");
    s.type_text(":");
    s.wait_for("Command");
    s.type_text("db archive");
    s.wait_for("SQL16\\PROD › Archive");
    s.press("Enter");
    s.wait_for("SQL16\\PROD › Archive");
    s.type_text("R");
    // Target: a new database by default; nothing is overwritten.
    let screen = s.wait_for("Database and target");
    assert!(screen.contains("a new database"), "{screen}");
    assert!(screen.contains("Archive_restored_"), "{screen}");
    assert!(!screen.contains("REPLACE"), "{screen}");
    assert!(
        screen.contains("SQL16\\PROD as Archive_restored_"),
        "{screen}"
    );
    // REPLACE is a choice (the field under the target instance), and
    // brings its own steps with it.
    s.type_text("j");
    s.type_text("l");
    let screen = s.wait_for("OVERWRITE it (REPLACE)");
    assert!(screen.contains("tail-log backup"), "{screen}");
    assert!(screen.contains("SINGLE_USER"), "{screen}");
    s.type_text("h");
    s.wait_until("back to a new name", |x| !x.contains("OVERWRITE"));
    s.type_text("k");
    // Point, then the file moves, then pre-flight.
    s.press("Enter");
    // (The step list beside the step marks the current one with ▶.)
    s.wait_for("▶ Target point");
    s.press("Enter");
    s.wait_for("▶ File moves");
    s.press("Enter");
    s.wait_for("▶ Pre-flight checks");
    // The checks run past the screen: G shows the last, the refusal.
    s.type_text("G");
    s.wait_for("FAIL");
    // The script preview pages: G reaches the end, g the start again.
    s.press("Enter");
    let top = s.wait_for("▶ Script preview");
    assert!(
        top.contains("-- chainwatch restore plan for Archive"),
        "{top}"
    );
    // Page down until the RESTORE itself shows (the header comes first).
    let mut screen = top.clone();
    for _ in 0..8 {
        if screen.contains("RESTORE DATABASE [Archive_restored_") {
            break;
        }
        s.press("PageDown");
        let before = screen.clone();
        screen = s.wait_until("a page down", |x| x != before);
    }
    assert!(
        screen.contains("RESTORE DATABASE [Archive_restored_"),
        "{screen}"
    );
    s.type_text("G");
    let end = s.wait_until("the script's end", |x| {
        x != top && x.contains("▶ Script preview")
    });
    assert!(
        end.contains("RECOVERY") || end.contains("sp_rda_reauthorize_db"),
        "{end}"
    );
    s.type_text("g");
    s.wait_until("the script's start", |x| x == top);
    // Execution is refused: pre-flight failed.
    s.press("Enter");
    s.wait_for("execution refused");
    // s saves the script into the data dir.
    s.type_text("s");
    let deadline = Instant::now() + Duration::from_secs(20);
    let saved = loop {
        let found = std::fs::read_dir(&data).ok().and_then(|d| {
            d.filter_map(|e| e.ok())
                .find(|e| e.file_name().to_string_lossy().ends_with(".sql"))
        });
        if let Some(f) = found {
            break f.path();
        }
        assert!(
            Instant::now() < deadline,
            "no saved script in {}",
            data.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let script = std::fs::read_to_string(&saved).unwrap();
    assert!(
        script.contains("WITH RECOVERY") || script.contains("RECOVERY"),
        "{script}"
    );
    assert!(!script.contains("REPLACE,"), "{script}");
    // One Esc asks; the second closes and discards the saved wizard.
    s.press("Escape");
    s.wait_for("Esc again");
    assert!(data.join("wizard.json").exists());
    s.press("Escape");
    s.wait_until("the wizard closed", |x| !x.contains("▶ Script preview"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while data.join("wizard.json").exists() {
        assert!(Instant::now() < deadline, "wizard.json kept after closing");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.type_text("q");
    s.assert_exited_cleanly();
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn wizard_walk_at_100x30() {
    wizard_walk(100, 30);
}

#[test]
fn wizard_walk_at_80x24() {
    wizard_walk(80, 24);
}
