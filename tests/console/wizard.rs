//! The restore wizard driven by keys on the demo estate (TestBackend), and
//! its execution against the project's TDS test server over real TCP:
//! the exact batches in order, STATS progress, a failure in the middle,
//! continue, resume after a restart, and every refusal.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::ui::render;
use crate::support::{demo_instances, now, Faults, ServerOptions, TdsServer, NOW};
use chainwatch::app::palette::Command;
use chainwatch::app::wizard::{Access, Key, Outcome, PointMode, Step};
use chainwatch::app::{Action, App};
use chainwatch::config::InstanceConfig;
use chainwatch::tsql::lex::{tokens, Token};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const PROD: &str = "SQL16\\PROD";

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "chainwatch-wizard-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn app(data: &Path) -> chainwatch::app::Headless {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    app.set_data_dir(Some(data.to_path_buf()));
    app
}

fn open(app: &mut chainwatch::app::Headless, instance: &str, database: &str) {
    let i = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == instance && d.database.name == database)
        .unwrap();
    app.run_command(Command::Database(i));
    app.update(Action::WizardOpen);
    assert!(
        app.wizard.is_some(),
        "wizard did not open: {:?}",
        app.status
    );
}

fn key(app: &mut chainwatch::app::Headless, k: Key) {
    app.update(Action::Wizard(k));
}

fn type_text(app: &mut chainwatch::app::Headless, text: &str) {
    for c in text.chars() {
        key(app, Key::Char(c));
    }
    key(app, Key::Accept);
}

fn step(app: &App) -> Step {
    app.wizard.as_ref().unwrap().step
}

fn message(app: &App) -> String {
    app.wizard
        .as_ref()
        .and_then(|w| w.message.clone())
        .unwrap_or_default()
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(130, 45)).unwrap();
    t.draw(|f| chainwatch::ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Enter through the first steps to the script preview.
fn to_script(app: &mut chainwatch::app::Headless) {
    for expected in [Step::Point, Step::Files, Step::Preflight, Step::Script] {
        key(app, Key::Next);
        assert_eq!(step(app), expected, "{}", message(app));
    }
}

#[test]
fn every_step_back_and_cancel_on_the_demo_estate() {
    let data = temp_dir("walk");
    let mut app = app(&data);
    open(&mut app, PROD, "Archive");
    let s = screen(&app);
    assert!(s.contains("Database and target"));
    // A new database is the default; REPLACE is a choice, with its own steps.
    assert!(s.contains("a new database"), "{s}");
    assert!(s.contains("Archive_restored_20261122_1000"), "{s}");
    assert!(!s.contains("REPLACE"), "{s}");
    choose_replace(&mut app);
    let s = screen(&app);
    assert!(s.contains("same name: OVERWRITE it (REPLACE)"), "{s}");
    assert!(
        s.contains("Archive exists on SQL16\\PROD (ONLINE, FULL): REPLACE overwrites it."),
        "{s}"
    );
    assert!(
        s.contains("First SINGLE_USER WITH ROLLBACK IMMEDIATE"),
        "{s}"
    );
    assert!(
        s.contains("tail-log backup   on (keeps changes since the last log backup (34m))"),
        "{s}"
    );
    // Tail-log off is said in words; back to a new name for the rest of the walk.
    key(&mut app, Key::Down);
    key(&mut app, Key::Toggle);
    assert!(screen(&app).contains("off — changes since the last log backup (34m) would be lost"));
    key(&mut app, Key::Up);
    key(&mut app, Key::Left);
    assert!(!app.wizard.as_ref().unwrap().replace());
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Point);
    assert!(screen(&app).contains("Recoverable windows"));
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Files);
    let s = screen(&app);
    assert!(s.contains("Backups used"), "{s}");
    let w = app.wizard.as_ref().unwrap();
    assert!(!w.moves.is_empty(), "backupfile rows become MOVE rows");
    assert!(s.contains(&w.moves[0].logical));
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Preflight);
    let w = app.wizard.as_ref().unwrap();
    let writes = w.checks.iter().find(|c| c.name.contains("writes")).unwrap();
    assert_eq!(
        writes.outcome,
        Outcome::Fail,
        "the demo estate is never writable"
    );
    let chain = w.checks.iter().find(|c| c.name.contains("chain")).unwrap();
    assert_eq!(chain.outcome, Outcome::Pass, "{}", chain.reason);
    // The demo's volumes (sys.dm_os_volume_stats) hold the restored files.
    let room = w
        .checks
        .iter()
        .find(|c| c.name == "sizes and free space")
        .unwrap();
    assert_eq!(room.outcome, Outcome::Pass, "{}", room.reason);
    assert!(
        room.reason.contains("D:\\ takes 279.3 GiB of"),
        "{}",
        room.reason
    );
    assert!(screen(&app).contains("FAIL"));
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Script);
    let s = screen(&app);
    assert!(
        s.contains("RESTORE DATABASE [Archive_restored_20261122_1000]"),
        "{s}"
    );
    assert!(!s.contains("REPLACE,"), "a new name never replaces: {s}");
    // Refused: pre-flight failed, so Next does not reach the confirmation.
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Script);
    assert!(
        message(&app).contains("execution refused"),
        "{}",
        message(&app)
    );
    assert!(!app.has_job());
    // The whole script ends with the Stretch reauthorize step (Archive is Stretch-enabled).
    let text = app.wizard.as_ref().unwrap().script.text();
    assert!(text
        .contains("EXEC sys.sp_rda_reauthorize_db @credential = N'StretchCred', @with_copy = 1;"));
    // Save writes the script into the data dir.
    key(&mut app, Key::SaveScript);
    let saved: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sql"))
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(std::fs::read_to_string(saved[0].path()).unwrap(), text);
    // Back, back, then cancel: closed, and nothing ran so nothing is kept.
    key(&mut app, Key::Back);
    assert_eq!(step(&app), Step::Preflight);
    key(&mut app, Key::Back);
    assert_eq!(step(&app), Step::Files);
    assert!(data.join("wizard.json").exists());
    // One Esc asks; another key stays; two Esc in a row close and discard.
    key(&mut app, Key::Cancel);
    assert!(app.wizard.is_some(), "one Esc never discards the wizard");
    assert!(
        message(&app).contains("Esc again closes"),
        "{}",
        message(&app)
    );
    key(&mut app, Key::Down);
    key(&mut app, Key::Cancel);
    assert!(
        app.wizard.is_some(),
        "the question was answered by another key"
    );
    assert!(data.join("wizard.json").exists());
    key(&mut app, Key::Cancel);
    assert!(app.wizard.is_none());
    assert!(!data.join("wizard.json").exists());
}

#[test]
fn new_name_point_in_time_and_file_moves() {
    let data = temp_dir("point");
    let mut app = app(&data);
    open(&mut app, PROD, "Archive");
    key(&mut app, Key::Down); // restore as: a new name (the default)
    key(&mut app, Key::Down);
    key(&mut app, Key::Edit);
    for _ in 0..40 {
        key(&mut app, Key::Backspace);
    }
    let hostile = "Arch]'; DROP --";
    type_text(&mut app, hostile);
    assert_eq!(app.wizard.as_ref().unwrap().target_name(), hostile);
    key(&mut app, Key::Next);
    key(&mut app, Key::Right); // mode: point in time
    key(&mut app, Key::Down);
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.point_mode, PointMode::Time);
    let start = w.point_time.unwrap();
    for _ in 0..3 {
        key(&mut app, Key::Left);
    }
    let w = app.wizard.as_ref().unwrap();
    let moved = w.point_time.unwrap();
    assert_eq!(start - moved, chrono::Duration::minutes(15));
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Files, "{}", message(&app));
    let w = app.wizard.as_ref().unwrap();
    assert!(
        w.moves.iter().all(|m| m.physical != m.original),
        "paths renamed for the new name"
    );
    // Edit one path.
    key(&mut app, Key::Edit);
    for _ in 0..300 {
        key(&mut app, Key::Backspace);
    }
    type_text(&mut app, "E:\\New 'Data'\\a.mdf");
    key(&mut app, Key::Next);
    key(&mut app, Key::Next);
    let w = app.wizard.as_ref().unwrap();
    let toks = tokens(&w.script.text()).unwrap();
    assert!(toks.contains(&Token::Ident(hostile.into())));
    assert!(toks.contains(&Token::Str("E:\\New 'Data'\\a.mdf".into())));
    assert!(toks.contains(&Token::Word("STOPAT".into())));
    assert!(
        !toks.contains(&Token::Word("REPLACE".into())),
        "a new name never replaces"
    );
    // STOPAT is the chosen instant in server local time.
    let offset = app
        .estate
        .instance(PROD)
        .unwrap()
        .server
        .utc_offset_minutes
        .unwrap();
    let local = (moved + chrono::Duration::minutes(offset.into()))
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
    assert!(toks.contains(&Token::Str(local.clone())), "STOPAT {local}");
}

#[test]
fn resumes_after_a_restart() {
    let data = temp_dir("resume");
    let mut first = app(&data);
    open(&mut first, PROD, "Archive");
    key(&mut first, Key::Next);
    key(&mut first, Key::Right);
    key(&mut first, Key::Down);
    key(&mut first, Key::CoarseLeft);
    let saved = first.wizard.clone().unwrap();
    drop(first);
    let mut second = app(&data);
    assert!(second
        .status
        .clone()
        .unwrap_or_default()
        .contains("W resumes"));
    assert!(second.wizard.is_none());
    second.update(Action::WizardResume);
    let w = second.wizard.as_ref().unwrap();
    assert_eq!(w.step, Step::Point);
    assert_eq!(w.point_mode, PointMode::Time);
    assert_eq!(w.point_time, saved.point_time);
}

// ------------------------------------------------------- against a server

struct Live {
    _rt: tokio::runtime::Runtime,
    server: TdsServer,
    options: ServerOptions,
}

fn live(faults: Faults) -> Live {
    live_serving(demo_instances(NOW).remove(PROD).unwrap(), faults)
}

fn live_serving(served: chainwatch::snapshot::SnapshotInstance, faults: Faults) -> Live {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = ServerOptions {
        faults,
        ..ServerOptions::default()
    };
    let server = rt.block_on(TdsServer::start(served, options.clone()));
    Live {
        _rt: rt,
        server,
        options,
    }
}

fn connect(app: &mut chainwatch::app::Headless, live: &Live, allow_writes: bool) {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password=s3cret!;Encrypt=DANGER_PLAINTEXT",
        live.server.addr.ip(),
        live.server.addr.port()
    ))
    .unwrap();
    i.name = PROD.into();
    i.allow_writes = allow_writes;
    app.instance_configs.insert(PROD.into(), i);
    app.access.insert(
        PROD.into(),
        Access {
            allow_writes,
            connectable: true,
        },
    );
}

fn writes(live: &Live) -> Vec<String> {
    live.options.writes.lock().unwrap().clone()
}

#[test]
fn refuses_without_allow_writes_and_on_a_wrong_name() {
    let data = temp_dir("refuse");
    let live = live(Faults::default());
    let mut app = app(&data);
    connect(&mut app, &live, false);
    open(&mut app, PROD, "Archive");
    to_script(&mut app);
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Script, "allow_writes off: refused");
    assert!(
        message(&app).contains("writes allowed"),
        "{}",
        message(&app)
    );
    // Allowed now: a wrongly typed name still runs nothing.
    connect(&mut app, &live, true);
    key(&mut app, Key::Back);
    key(&mut app, Key::Next); // checks again
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Confirm, "{}", message(&app));
    type_text(&mut app, "archive");
    assert!(
        message(&app).contains("does not match"),
        "{}",
        message(&app)
    );
    assert_eq!(step(&app), Step::Confirm);
    assert!(!app.has_job());
    key(&mut app, Key::Discard);
    assert_eq!(step(&app), Step::Script);
    assert!(writes(&live).is_empty(), "nothing reached the server");
}

#[test]
fn runs_the_exact_batches_then_reauthorizes_and_verifies() {
    let data = temp_dir("run");
    let live = live(Faults::default());
    let mut app = confirmed_restore(&data, &live);
    assert_eq!(step(&app), Step::Execute);
    assert!(app.settle() > 0);
    let w = app.wizard.as_ref().unwrap();
    let expected: Vec<String> = w.script.batches[..w.restore_len()]
        .iter()
        .map(|b| b.sql.clone())
        .collect();
    assert!(expected.len() >= 3, "full, logs, recovery");
    assert_eq!(writes(&live), expected, "the exact batches, in order");
    // REPLACE over the online FULL database: exclusive access, then the
    // tail-log backup, then the restore, the tail restored last, open again.
    let sent = writes(&live);
    assert_eq!(
        sent[0],
        "ALTER DATABASE [Archive] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;"
    );
    assert!(
        sent[1].starts_with("BACKUP LOG [Archive]\n  TO URL = N'"),
        "{}",
        sent[1]
    );
    assert!(
        sent[1].ends_with("WITH NORECOVERY, STATS = 10;"),
        "{}",
        sent[1]
    );
    assert!(
        sent[2].starts_with("RESTORE DATABASE [Archive]"),
        "{}",
        sent[2]
    );
    assert!(sent[2].contains("REPLACE"), "{}", sent[2]);
    let tail_file = sent[1]
        .split("N'")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(sent[sent.len() - 3].starts_with("RESTORE LOG [Archive]"));
    assert!(sent[sent.len() - 3].contains(tail_file));
    assert_eq!(
        sent[sent.len() - 2],
        "RESTORE DATABASE [Archive] WITH RECOVERY;"
    );
    assert_eq!(
        sent[sent.len() - 1],
        "ALTER DATABASE [Archive] SET MULTI_USER;"
    );
    let pre: Vec<(Outcome, String)> = w
        .checks
        .iter()
        .map(|c| (c.outcome, c.name.clone()))
        .collect();
    assert!(
        pre.contains(&(Outcome::Warn, "target database".into())),
        "{pre:?}"
    );
    assert!(
        pre.contains(&(Outcome::Pass, "tail-log backup".into())),
        "{pre:?}"
    );
    assert_eq!(w.exec.next, w.restore_len());
    assert!(w.exec.failed.is_none(), "{:?}", w.exec.failed);
    assert_eq!(w.exec.runs.len(), expected.len());
    assert!(
        w.exec
            .log
            .iter()
            .any(|l| l.contains("50 percent processed.")),
        "STATS messages reach the log: {:?}",
        w.exec.log
    );
    assert!(screen(&app).contains("done"));
    // Stretch: reauthorize with the database's one credential, after a second confirmation.
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Reauthorize);
    // Before anything runs, the step says Stretch is deprecated and retired
    // and what to check in Azure first (68 columns: no step list beside it).
    let said = words(&joined(&render(&app, 68, 45)));
    for phrase in [
        "Stretch Database is deprecated (SQL Server 2022, since 2022-11-16)",
        "Microsoft announced its retirement on 2024-07-03",
        "Check in Azure first: the remote database",
        "still exists on its server",
        "the server's firewall admits this SQL Server",
        "the credential's login still works",
    ] {
        assert!(
            said.contains(&words(phrase)),
            "{phrase:?} not said:\n{said}"
        );
    }
    assert_eq!(writes(&live).len(), expected.len(), "nothing ran yet");
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::ReauthConfirm);
    let before = writes(&live).len();
    type_text(&mut app, "Archiv");
    assert!(
        message(&app).contains("does not match"),
        "{}",
        message(&app)
    );
    assert_eq!(step(&app), Step::ReauthConfirm);
    assert!(!app.has_job());
    assert_eq!(writes(&live).len(), before, "a wrong name runs nothing");
    // Writes switched off since: the right name is refused too.
    connect(&mut app, &live, false);
    type_text(&mut app, "Archive");
    assert!(message(&app).contains("refused"), "{}", message(&app));
    assert!(!app.has_job());
    connect(&mut app, &live, true);
    key(&mut app, Key::Next); // type again
    type_text(&mut app, "Archive");
    assert_eq!(step(&app), Step::Verify);
    assert!(app.settle() > 0);
    let sent = writes(&live);
    assert_eq!(sent.len(), expected.len() + 1);
    assert_eq!(
        sent.last().unwrap(),
        "USE [Archive];\nEXEC sys.sp_rda_reauthorize_db @credential = N'StretchCred', @with_copy = 1;"
    );
    let w = app.wizard.as_ref().unwrap();
    assert!(
        w.verify
            .iter()
            .any(|l| l.contains("remote_database_name=RDAArchive1A2B")),
        "{:?}",
        w.verify
    );
    assert!(
        w.verify.iter().any(|l| l.contains("is_reconciled = 1")),
        "{:?}",
        w.verify
    );
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Summary);
    key(&mut app, Key::ExportSummary);
    let md: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".md"))
        .collect();
    let text = std::fs::read_to_string(md[0].path()).unwrap();
    assert!(
        text.starts_with("# Restore of Archive on SQL16\\PROD"),
        "{text}"
    );
    assert!(
        text.contains("Measured restore time (the RTO this restore achieved): "),
        "{text}"
    );
    assert!(text.contains("Availability group"));
    key(&mut app, Key::Next);
    assert!(app.wizard.is_none());
    assert!(!data.join("wizard.json").exists());
}

#[test]
fn a_server_error_stops_says_restoring_and_continues_after_a_restart() {
    let data = temp_dir("fail");
    // Plan first (no server needed) to pick the third batch's file as the fault.
    let mut probe = app(&temp_dir("probe"));
    open(&mut probe, PROD, "Archive");
    choose_replace(&mut probe);
    to_script(&mut probe);
    let third = probe.wizard.as_ref().unwrap().script.batches[2].sql.clone();
    let needle = third
        .split("N'")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let live = live(Faults {
        fail_write_once: Some(needle),
        ..Faults::default()
    });
    let mut app = confirmed_restore(&data, &live);
    app.settle();
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.exec.next, 2, "two batches completed");
    assert_eq!(writes(&live).len(), 3, "stopped at the failing batch");
    let failed = w.exec.failed.clone().unwrap();
    assert!(failed.contains("Msg 4305"), "{failed}");
    assert!(
        w.exec
            .log
            .iter()
            .any(|l| l.contains("terminating abnormally")),
        "every server message is kept: {:?}",
        w.exec.log
    );
    assert!(message(&app).contains("RESTORING"), "{}", message(&app));
    assert!(message(&app).contains("press r"), "{}", message(&app));
    // Back is refused once something ran.
    key(&mut app, Key::Back);
    assert_eq!(step(&app), Step::Execute);
    // Restart: the saved state comes back at batch 3; r asks for the name again.
    drop(app);
    let mut app = app_with(&data, &live);
    app.update(Action::WizardResume);
    assert_eq!(step(&app), Step::Execute);
    key(&mut app, Key::Retry);
    assert_eq!(step(&app), Step::Confirm);
    assert!(!app.has_job());
    type_text(&mut app, "Archive");
    assert_eq!(step(&app), Step::Execute);
    app.settle();
    let w = app.wizard.as_ref().unwrap();
    assert!(w.exec.failed.is_none(), "{:?}", w.exec.failed);
    assert_eq!(w.exec.next, w.restore_len());
    let sent = writes(&live);
    let expected: Vec<String> = w.script.batches[..w.restore_len()]
        .iter()
        .map(|b| b.sql.clone())
        .collect();
    // Batch 3 was sent twice (failed, then continued); nothing else repeated.
    assert_eq!(sent[..2], expected[..2]);
    assert_eq!(sent[2], expected[2]);
    assert_eq!(sent[3..], expected[2..]);
}

/// A writable app with the Archive restore confirmed (its job pending).
/// Restore as: the same name (REPLACE), an explicit choice.
fn choose_replace(app: &mut chainwatch::app::Headless) {
    key(app, Key::Down);
    key(app, Key::Right);
    assert!(app.wizard.as_ref().unwrap().replace());
}

fn confirmed_restore(data: &Path, live: &Live) -> chainwatch::app::Headless {
    let mut app = app(data);
    connect(&mut app, live, true);
    open(&mut app, PROD, "Archive");
    choose_replace(&mut app);
    to_script(&mut app);
    key(&mut app, Key::Next);
    type_text(&mut app, "Archive");
    app
}

fn app_with(data: &Path, live: &Live) -> chainwatch::app::Headless {
    let mut a = app(data);
    connect(&mut a, live, true);
    a
}

#[test]
fn the_palette_opens_and_resumes_the_wizard() {
    let data = temp_dir("palette");
    let mut app = app(&data);
    app.update(Action::PaletteOpen);
    for c in "restore prod archive".chars() {
        app.update(Action::PaletteInput(c));
    }
    app.update(Action::PaletteRun);
    let w = app.wizard.as_ref().expect("wizard opened from the palette");
    assert_eq!(
        (w.source_instance.as_str(), w.database.as_str()),
        (PROD, "Archive")
    );
    key(&mut app, Key::Next);
    drop(app);
    let mut app = self::app(&data);
    app.update(Action::PaletteOpen);
    for c in "resume".chars() {
        app.update(Action::PaletteInput(c));
    }
    app.update(Action::PaletteRun);
    assert_eq!(step(&app), Step::Point);
}

#[test]
fn cancel_stops_before_the_next_step() {
    let data = temp_dir("cancel");
    let live = live(Faults::default());
    let mut app = confirmed_restore(&data, &live);
    // Esc while running asks to stop between steps.
    key(&mut app, Key::Cancel);
    assert!(
        app.wizard.is_some(),
        "a running wizard is not closed by Esc"
    );
    assert!(message(&app).contains("cancel requested"));
    app.settle();
    assert!(writes(&live).is_empty(), "stopped before the first batch");
    let w = app.wizard.as_ref().unwrap();
    assert_eq!(w.exec.next, 0);
    assert!(!w.exec.running);
    assert!(
        w.exec.log.iter().any(|l| l.contains("cancelled")),
        "{:?}",
        w.exec.log
    );
}

#[test]
fn unreconciled_stretch_tables_get_reconcile_statements() {
    let mut served = demo_instances(NOW).remove(PROD).unwrap();
    let rows = served
        .tables
        .get_mut("sys.remote_data_archive_tables")
        .unwrap();
    rows.set(1, "is_reconciled", false);
    let remote = rows.row(1).unwrap().to_map()["remote_table_name"]
        .as_str()
        .unwrap()
        .to_string();
    let live = live_serving(served, Faults::default());
    let data = temp_dir("reconcile");
    let mut app = confirmed_restore(&data, &live);
    app.settle();
    key(&mut app, Key::Next);
    key(&mut app, Key::Next);
    type_text(&mut app, "Archive");
    app.settle();
    let w = app.wizard.as_ref().unwrap();
    assert!(
        w.verify.iter().any(|l| l.contains("is_reconciled=0")),
        "{:?}",
        w.verify
    );
    assert!(
        w.verify
            .iter()
            .any(|l| l.contains("1 table(s) not reconciled")),
        "{:?}",
        w.verify
    );
    let md = w.summary_markdown();
    assert!(
        md.contains(&format!(
            "EXEC sys.sp_rda_reconcile_batch @objname = N'{remote}';"
        )),
        "{md}"
    );
}

#[test]
fn back_up_now_from_the_console_needs_writes_and_the_typed_name() {
    use chainwatch::app::view::on_demand::OnDemandState;
    let live = live(Faults::default());
    let data = temp_dir("on-demand");
    let mut app = app(&data);
    connect(&mut app, &live, false);
    let i = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == PROD && d.database.name == "Archive")
        .unwrap();
    app.run_command(Command::Database(i));
    app.update(Action::BackupNow);
    // Refused at once: the name is never asked for on a read-only instance.
    let s = screen(&app);
    assert!(s.contains("sp_backup_on_demand"), "{s}");
    assert!(!s.contains("Type the database name"), "{s}");
    let state = app.on_demand.as_ref().unwrap().state.clone();
    assert!(
        matches!(&state, OnDemandState::Stopped(w) if w.contains("does not allow writes")),
        "{state:?}"
    );
    app.update(Action::Close);
    assert!(app.on_demand.is_none());
    connect(&mut app, &live, true);
    app.update(Action::BackupNow);
    type_text(&mut app, "archive");
    let state = app.on_demand.as_ref().unwrap().state.clone();
    assert!(
        matches!(&state, OnDemandState::Stopped(w) if w.contains("does not match")),
        "{state:?}"
    );
    assert!(!app.has_job());
    app.update(Action::Close);
    app.update(Action::BackupNow);
    type_text(&mut app, "Archive");
    assert!(app.settle() > 0);
    assert_eq!(app.on_demand.as_ref().unwrap().state, OnDemandState::Done);
    assert_eq!(
        writes(&live),
        vec!["EXEC msdb.managed_backup.sp_backup_on_demand @database_name = N'Archive', @type = N'Database';".to_string()]
    );
}

#[test]
fn a_marked_transaction_is_a_target_where_known() {
    let data = temp_dir("mark");
    let mut app = app(&data);
    open(&mut app, PROD, "Orders");
    key(&mut app, Key::Next);
    for _ in 0..3 {
        key(&mut app, Key::Right); // latest → time → LSN → mark
    }
    assert_eq!(app.wizard.as_ref().unwrap().point_mode, PointMode::Mark);
    assert!(screen(&app).contains("PriceListUpdate"), "{}", screen(&app));
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Files, "{}", message(&app));
    key(&mut app, Key::Next);
    key(&mut app, Key::Next);
    let w = app.wizard.as_ref().unwrap();
    let mark = w.chosen_mark().unwrap().clone();
    let text = w.script.text();
    assert!(
        text.contains(&format!(
            "STOPATMARK = N'PriceListUpdate' AFTER N'{}'",
            mark.time_local.clone().unwrap()
        )),
        "{text}"
    );
    // The plan ends with the log that holds the mark's LSN.
    let plan_end = w.plan_lines.last().unwrap().clone();
    assert!(
        plan_end.contains(&format!("STOPATMARK lsn:{}", mark.lsn)),
        "{plan_end}"
    );
    drop(app);
    // A database without marks says so instead of planning.
    let mut app = self::app(&data);
    open(&mut app, PROD, "Archive");
    key(&mut app, Key::Next);
    for _ in 0..3 {
        key(&mut app, Key::Right);
    }
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Point);
    assert!(
        message(&app).contains("no marked transactions"),
        "{}",
        message(&app)
    );
}

/// A [`joined`] screen without its whitespace, so a sentence wrapped at a
/// space (which the wrap drops) still reads as one; compare with
/// `words(phrase)`.
fn words(text: &str) -> String {
    text.split_whitespace().collect()
}

/// The rendered rows joined where a line was wrapped (after `↪ `).
fn joined(screen: &str) -> String {
    let mut out = String::new();
    for l in screen.lines() {
        let l = l.trim_matches('"').trim_matches(['┃', '│']).trim_end();
        match l.find("↪ ") {
            Some(i) => out.push_str(&l[i + "↪ ".len()..]),
            None => {
                out.push('\n');
                out.push_str(l);
            }
        }
    }
    out
}

#[test]
fn the_script_preview_pages_to_its_end_and_wraps_long_lines() {
    for (w, h) in [(80u16, 24u16), (40, 10)] {
        let data = temp_dir("preview");
        let mut app = app(&data);
        open(&mut app, PROD, "Sales");
        to_script(&mut app);
        let top = render(&app, w, h);
        insta::assert_snapshot!(format!("wizard_script_top_{w}x{h}"), top);
        // G: the end of the script, WITH RECOVERY, in view at once.
        key(&mut app, Key::Bottom);
        let bottom = render(&app, w, h);
        assert!(joined(&bottom).contains("WITH RECOVERY;"), "{bottom}");
        insta::assert_snapshot!(format!("wizard_script_bottom_{w}x{h}"), bottom);
        // Down at the end stays at the end; PgUp leaves it; g is the top again.
        key(&mut app, Key::Down);
        assert_eq!(render(&app, w, h), bottom);
        key(&mut app, Key::PageUp);
        assert_ne!(render(&app, w, h), bottom);
        key(&mut app, Key::PageDown);
        assert_eq!(
            render(&app, w, h),
            bottom,
            "a page down undoes a page up at the end"
        );
        key(&mut app, Key::Top);
        assert_eq!(render(&app, w, h), top);
        // Long lines continue after ↪: the MOVE target is read whole.
        let w_ = app.wizard.as_ref().unwrap();
        let target = w_.moves[0].physical.clone();
        let mut found = false;
        for _ in 0..200 {
            if joined(&render(&app, w, h)).contains(target.as_str()) {
                found = true;
                break;
            }
            key(&mut app, Key::Down);
        }
        assert!(found, "{target} never seen whole at {w}x{h}");
    }
}

#[test]
fn the_point_step_shows_times_in_the_zone_asked_for_and_server_local() {
    let data = temp_dir("zones");
    let mut app = app(&data);
    app.zone = chainwatch::model::zone::Zone::Local;
    app.operator_zone = chainwatch::model::zone::OperatorZone::Fixed(330);
    open(&mut app, PROD, "Archive");
    key(&mut app, Key::Next);
    assert_eq!(step(&app), Step::Point);
    let (from, to) = *app.wizard.as_ref().unwrap().recoverable.last().unwrap();
    let s = screen(&app);
    // The windows in the operator's zone (+05:30), as every view shows them.
    let shown = app.shown(PROD);
    assert!(s.contains(&shown.seconds(from)), "{s}");
    assert!(s.contains(&shown.seconds(to)), "{s}");
    assert!(
        shown.seconds(to).ends_with("+05:30"),
        "{}",
        shown.seconds(to)
    );
    // Point in time: the cursor's time in that zone and in the server's
    // own (SQL16\PROD is at +01:00 in November), which STOPAT is written in.
    key(&mut app, Key::Right);
    let s = screen(&app);
    let line = s
        .lines()
        .find(|l| l.contains("  time  "))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("+05:30 (server local "), "{s}");
    assert!(line.contains("+01:00)"), "{s}");
}
