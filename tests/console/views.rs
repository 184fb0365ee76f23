//! Console tests: render views into a TestBackend (insta snapshots of the
//! text), drive the app with keys, and check it never panics at any size.
//!
//! The main views use the demo estate at a fixed `now`; a small inline
//! fixture adds what the demo does not have (a BROKEN chain, a database
//! name with control characters).

use crate::support::now;
use crate::support::ui::{chars, key, press, render};
use chainwatch::app::keymap::{self, Context, Key};
use chainwatch::app::{Action, App, DetailTab, Pane, Popup, View};
use chrono::Duration;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::{json, Value};

fn demo_app() -> chainwatch::app::Headless {
    chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now())
}

// ---------------------------------------------------------------- fixture

/// One database of the fixture: recovery model, hours (before now) of its
/// fulls, whether it has hourly logs, and the hour of one missing log.
struct Db {
    name: &'static str,
    model: &'static str,
    fulls: &'static [i64],
    logs: bool,
    gap: Option<i64>,
}

const fn db(
    name: &'static str,
    model: &'static str,
    fulls: &'static [i64],
    logs: bool,
    gap: Option<i64>,
) -> Db {
    Db {
        name,
        model,
        fulls,
        logs,
        gap,
    }
}

/// Backup history of one database: (backupset rows, backupmediafamily rows).
fn history(d: &Db, id: &mut i64) -> (Vec<Value>, Vec<Value>) {
    let (mut sets, mut families) = (Vec::new(), Vec::new());
    let first = *d.fulls.iter().max().unwrap();
    let mut lsn: u128 = 25_000_000_001_600_001;
    let mut log_from: Option<u128> = None;
    let mut push = |id: &mut i64, kind: &str, hour: i64, a: u128, b: u128| {
        *id += 1;
        let t = now() - Duration::hours(hour);
        let file = format!(
            "https://store.blob.core.windows.net/backups/{}_{kind}_{}.bak",
            d.name, *id
        );
        sets.push(json!({
            "backup_set_id": *id, "media_set_id": *id, "type": kind, "database_name": d.name,
            "first_lsn": a.to_string(), "last_lsn": b.to_string(), "checkpoint_lsn": a.to_string(),
            "backup_start_date": (t - Duration::minutes(2)).format("%Y-%m-%dT%H:%M:%S").to_string(),
            "backup_finish_date": t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            "time_zone": 0, "recovery_model": d.model, "is_copy_only": 0, "user_name": "svc_backup",
        }));
        families.push(json!({"media_set_id": *id, "family_sequence_number": 1, "device_type": 9, "physical_device_name": file, "mirror": 0}));
    };
    for hour in (0..=first).rev() {
        lsn += 1_000_000;
        if d.fulls.contains(&hour) {
            push(id, "D", hour, lsn, lsn + 10);
            log_from.get_or_insert(lsn);
            lsn += 100;
        } else if let (true, Some(from)) = (d.logs, log_from) {
            if d.gap != Some(hour) {
                push(id, "L", hour, from, lsn);
            }
            log_from = Some(lsn);
        }
    }
    (sets, families)
}

/// One instance of the fixture; `managed` says whether the Managed Backup
/// config table was collected.
fn instance(name: &str, version: &str, dbs: &[Db], managed: bool) -> Value {
    let mut id = if name.contains("01") { 1000 } else { 5000 };
    let (mut sets, mut families, mut databases, mut configs) = (vec![], vec![], vec![], vec![]);
    for (n, d) in dbs.iter().enumerate() {
        let (s, f) = history(d, &mut id);
        sets.extend(s);
        families.extend(f);
        databases.push(json!({"name": d.name, "database_id": 5 + n, "recovery_model_desc": d.model, "state_desc": "ONLINE", "is_remote_data_archive_enabled": 0}));
        configs
            .push(json!({"db_name": d.name, "is_managed_backup_enabled": 1, "retention_days": 14}));
    }
    let mut tables = json!({
        "sys.databases": databases,
        "msdb.dbo.backupset": sets,
        "msdb.dbo.backupmediafamily": families,
    });
    if managed {
        tables["msdb.managed_backup.fn_backup_db_config"] = Value::Array(configs);
    }
    json!({"name": name, "server": {"server_name": name, "product_version": version, "utc_offset_minutes": 0}, "tables": tables})
}

/// Two instances: SQL01 with a BROKEN database (Orders: a missing log two
/// days ago, after the last full), SQL02 with control characters in a name.
fn fixture_app() -> chainwatch::app::Headless {
    let doc = json!({
        "format": "chainwatch.snapshot.v1",
        "collected_at": "2026-11-22T10:00:00Z",
        "instances": [
            instance("SQL01\\PROD", "13.0.5026.0", &[
                db("HR", "SIMPLE", &[10, 34, 58], false, None),
                db("Orders", "FULL", &[300, 132], true, Some(48)),
                db("Sales", "FULL", &[200, 30], true, None),
            ], true),
            instance("SQL02", "15.0.4000.5", &[
                db("Archive", "FULL", &[150, 20], false, None),
                db("Bad\u{1b}[31mName", "FULL", &[100], true, None),
            ], false),
        ],
    });
    let snap = chainwatch::snapshot::Snapshot::from_value(doc).unwrap();
    let estate = chainwatch::snapshot::to_estate(snap, "fixture.json", false).unwrap();
    chainwatch::app::Headless::open(estate, now())
}

// ---------------------------------------------------------------- helpers

/// Opens the detail view of the database whose name matches `filter`.
fn open(app: &mut chainwatch::app::Headless, filter: &str) {
    press(app, &chars("/"));
    press(app, &chars(filter));
    press(app, &[key(KeyCode::Enter), key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail, "no database matched {filter:?}");
}

/// The line of the timeline lane starting with `label`.
fn lane<'a>(screen: &'a str, label: &str) -> &'a str {
    screen
        .lines()
        .find(|l| {
            l.trim_start_matches(['"', '│', '┃', ' '])
                .starts_with(label)
        })
        .unwrap_or_else(|| panic!("no {label} lane in\n{screen}"))
}

// ---------------------------------------------------------------- renders

#[test]
fn databases_view_80x24() {
    let app = demo_app();
    let screen = render(&app, 80, 24);
    assert!(screen.contains("DEMO ESTATE"), "{screen}");
    assert!(screen.contains("All instances"), "{screen}");
    assert!(screen.contains("▶"), "selection marker missing:\n{screen}");
    assert!(
        screen.contains("Telemetry") && screen.contains("DEGRADED"),
        "{screen}"
    );
    insta::assert_snapshot!("databases_80x24", screen);
}

#[test]
fn databases_view_40x10_keeps_name_state_and_severity() {
    let app = demo_app();
    let screen = render(&app, 40, 10);
    assert!(screen.contains("DEMO ESTATE"), "{screen}");
    assert!(screen.contains("DATABASE") && screen.contains("STATE") && screen.contains("SEV"));
    assert!(
        !screen.contains("Instances"),
        "the instances pane should be dropped:\n{screen}"
    );
    insta::assert_snapshot!("databases_40x10", screen);
}

#[test]
fn fixture_lists_broken_database_and_escapes_names() {
    let app = fixture_app();
    let screen = render(&app, 130, 20);
    let orders = screen.lines().find(|l| l.contains("Orders")).unwrap();
    assert!(
        orders.contains("BROKEN") && orders.contains("CRIT"),
        "{orders}"
    );
    assert!(
        !screen.contains("DEMO"),
        "a snapshot is not the demo:\n{screen}"
    );
    assert!(
        screen.contains("Bad^[[31mName"),
        "control characters must be escaped:\n{screen}"
    );
    assert!(!screen.contains('\u{1b}'));
    // Managed Backup: collected on SQL01, not collected on SQL02.
    assert!(orders.contains("on 14d"), "{orders}");
    let archive = screen.lines().find(|l| l.contains("Archive")).unwrap();
    assert!(
        archive.contains("NO LOGS") && archive.contains('—'),
        "{archive}"
    );
}

#[test]
fn detail_of_broken_database_80x24() {
    let mut app = fixture_app();
    open(&mut app, "orders");
    let screen = render(&app, 80, 24);
    assert!(screen.contains("BROKEN"), "{screen}");
    assert!(
        lane(&screen, "break").contains('✖'),
        "break marker missing:\n{screen}"
    );
    assert!(
        lane(&screen, "recov").contains('░'),
        "the gap must show:\n{screen}"
    );
    assert!(screen.contains("[1 Breaks & findings"), "{screen}");
    insta::assert_snapshot!("detail_broken_80x24", screen);
}

#[test]
fn detail_of_broken_database_120x40() {
    let mut app = fixture_app();
    open(&mut app, "orders");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("RPO now"), "{screen}");
    assert!(screen.contains("gap in the log chain"), "{screen}");
    assert!(
        screen.contains("2026-11-08 10:00Z") || screen.contains("2026-11-09"),
        "{screen}"
    );
    assert!(screen.contains("2026-11-22 10:00Z"), "{screen}");
    assert!(screen.contains("✖ break"), "legend missing:\n{screen}");
    insta::assert_snapshot!("detail_broken_120x40", screen);
}

#[test]
fn detail_of_demo_gap_database_100x30() {
    let mut app = demo_app();
    open(&mut app, "telemetry");
    let screen = render(&app, 100, 30);
    assert!(screen.contains("DEGRADED"), "{screen}");
    assert!(lane(&screen, "break").contains('✖'), "{screen}");
    insta::assert_snapshot!("detail_demo_telemetry_100x30", screen);
}

#[test]
fn help_overlay_80x24() {
    let mut app = demo_app();
    press(&mut app, &chars("?"));
    assert!(app.help);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Help") && screen.contains("move down"),
        "{screen}"
    );
    assert!(screen.contains("filter the list"), "{screen}");
    insta::assert_snapshot!("help_80x24", screen);
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(!app.help);
}

#[test]
fn tiny_terminals_never_panic_and_say_too_small() {
    let mut detail = fixture_app();
    open(&mut detail, "orders");
    let mut popup = fixture_app();
    open(&mut popup, "orders");
    press(&mut popup, &[key(KeyCode::Enter)]);
    let mut help = demo_app();
    press(&mut help, &chars("?"));
    let apps = [fixture_app(), detail, popup, help];
    for (w, h) in [(0, 0), (1, 1), (20, 5), (0, 10), (80, 0), (39, 10), (40, 9)] {
        for app in &apps {
            render(app, w, h);
        }
    }
    let screen = render(&apps[0], 20, 5);
    assert!(screen.contains("too small"), "{screen}");
    assert!(screen.contains("20x5"), "{screen}");
    // Every size from nothing to a little above the minimum.
    for w in (0..=60).step_by(3) {
        for h in 0..=16 {
            for app in &apps {
                render(app, w, h);
            }
        }
    }
}

// ---------------------------------------------------------------- keys

#[test]
fn j_j_enter_opens_the_third_database_and_esc_returns() {
    let mut app = demo_app();
    let third = app.report.databases[app.databases.rows[2]]
        .database
        .name
        .clone();
    press(
        &mut app,
        &[
            key(KeyCode::Char('j')),
            key(KeyCode::Char('j')),
            key(KeyCode::Enter),
        ],
    );
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.detail_database().unwrap().database.name, third);
    assert!(render(&app, 80, 24).contains(&third));
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.view, View::Databases);
    assert_eq!(app.databases.selected, 2, "selection kept after going back");
}

#[test]
fn slash_filters_the_table_and_esc_clears() {
    let mut app = demo_app();
    let all = app.databases.rows.len();
    press(&mut app, &chars("/tele"));
    assert!(app.databases.filter.editing);
    assert_eq!(app.databases.rows.len(), 1);
    assert!(render(&app, 80, 24).contains("/tele"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(!app.databases.filter.editing);
    assert_eq!(app.selected_database().unwrap().database.name, "Telemetry");
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.databases.rows.len(), all);
    // The filter matches the state label too.
    press(&mut app, &chars("/degraded"));
    assert!(app.databases.rows.len() > 1 && app.databases.rows.len() < all);
    // While typing, q is text, not quit.
    press(&mut app, &chars("q"));
    assert!(!app.should_quit);
    assert!(app.databases.rows.is_empty());
}

#[test]
fn instances_pane_limits_the_table() {
    let mut app = demo_app();
    let all = app.databases.rows.len();
    press(&mut app, &[key(KeyCode::Tab), key(KeyCode::Char('j'))]);
    let instance = app.selected_instance().unwrap().name.clone();
    assert!(app.databases.rows.len() < all);
    assert!(app
        .databases
        .rows
        .iter()
        .all(|&i| app.report.databases[i].instance == instance));
    press(&mut app, &[key(KeyCode::Char('k'))]);
    assert_eq!(app.databases.rows.len(), all);
}

#[test]
fn question_mark_toggles_help_and_q_quits() {
    let mut app = demo_app();
    press(&mut app, &chars("?"));
    assert!(app.help);
    press(&mut app, &chars("?"));
    assert!(!app.help);
    press(&mut app, &chars("q"));
    assert!(app.should_quit);
    let mut app = demo_app();
    press(&mut app, &chars("/x"));
    press(
        &mut app,
        &[KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)],
    );
    assert!(app.should_quit, "Ctrl-C quits even while typing a filter");
}

#[test]
fn enter_on_a_break_shows_its_evidence_rows() {
    let mut app = fixture_app();
    open(&mut app, "orders");
    let d = app.detail.as_ref().unwrap();
    let db = app.detail_database().unwrap();
    let brk = d
        .rows
        .iter()
        .position(|&i| i >= db.findings.len())
        .expect("a break row");
    let ids = db.breaks[0].evidence.clone();
    for _ in 0..brk {
        press(&mut app, &chars("j"));
    }
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(&app.popup, Some(Popup::Evidence { ids: shown, .. }) if *shown == ids));
    let screen = render(&app, 100, 30);
    assert!(
        screen.contains("Evidence: BREAK gap in the log chain"),
        "{screen}"
    );
    for id in &ids {
        assert!(
            screen.contains(&format!("#{id}  log")),
            "evidence row {id} missing:\n{screen}"
        );
    }
    assert!(screen.contains("store.blob.core.windows.net"), "{screen}");
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(app.popup.is_none());
    assert_eq!(app.view, View::Detail, "Esc closes the popup only");
}

#[test]
fn tabs_plan_and_detail_filter() {
    let mut app = fixture_app();
    open(&mut app, "orders");
    press(&mut app, &[key(KeyCode::Tab)]);
    assert_eq!(app.detail.as_ref().unwrap().tab, DetailTab::Backups);
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("[2 Backups") && screen.contains("FIRST LSN"),
        "{screen}"
    );
    press(&mut app, &chars("3"));
    assert_eq!(app.detail.as_ref().unwrap().tab, DetailTab::Windows);
    assert!(render(&app, 120, 40).contains("FROM LSN"));
    press(&mut app, &chars("2/full"));
    press(&mut app, &[key(KeyCode::Enter)]);
    let db = app.detail_database().unwrap();
    let rows = &app.detail.as_ref().unwrap().rows;
    assert_eq!(rows.len(), 2, "two fulls");
    assert!(rows
        .iter()
        .all(|&i| db.timeline[i].backup_type.label() == "full"));
    press(&mut app, &chars("p"));
    let screen = render(&app, 100, 30);
    assert!(matches!(app.popup, Some(Popup::Plan { .. })));
    assert!(screen.contains("Restore plan: Orders"), "{screen}");
    assert!(screen.contains("1. full #"), "{screen}");
    press(
        &mut app,
        &[key(KeyCode::Esc), key(KeyCode::Esc), key(KeyCode::Esc)],
    );
    assert_eq!(app.view, View::Databases, "Esc: popup, filter, then back");
}

/// Runs the background re-analysis the ticks started, and takes its report in.
fn finish_reanalysis(app: &mut chainwatch::app::Headless) {
    assert!(app.queued().any(|e| matches!(
        e,
        chainwatch::app::Effect::Spawn(chainwatch::app::effect::Task::Reanalyse { .. })
    )));
    app.settle();
    assert!(!app.reanalysing());
}

#[test]
fn ticks_recompute_the_report_at_most_once_a_minute_off_the_event_loop() {
    let mut app = demo_app();
    app.take_dirty();
    app.update(Action::Tick(now() + Duration::seconds(30)));
    assert!(!app.take_dirty());
    assert!(!app.reanalysing());
    assert_eq!(app.report.now, now());
    // The tick only starts the analysis; the report stays until a later
    // tick finds the result.
    let later = now() + Duration::minutes(2);
    app.update(Action::Tick(later));
    assert!(app.reanalysing());
    assert_eq!(app.report.now, now());
    assert!(!app.take_dirty());
    finish_reanalysis(&mut app);
    assert!(app.take_dirty());
    assert_eq!(app.report.now, later);
}

#[test]
fn a_reanalysis_of_a_replaced_estate_is_dropped() {
    let mut app = demo_app();
    let later = now() + Duration::minutes(2);
    app.update(Action::Tick(later));
    assert!(app.reanalysing());
    // A refresh or load swaps the estate while the analysis runs.
    let mut replaced = (*app.estate).clone();
    replaced.instances.truncate(1);
    app.estate = std::sync::Arc::new(replaced);
    finish_reanalysis(&mut app);
    assert_eq!(app.report.now, now(), "the stale report was not applied");
}

// ---------------------------------------------------------------- keymap

#[test]
fn keymap_has_no_collisions_and_no_unsafe_keys() {
    let map = keymap::Keymap::default_map();
    for (i, a) in map.bindings.iter().enumerate() {
        assert!(!a.description.is_empty());
        for b in &map.bindings[i + 1..] {
            assert!(
                !(a.context == b.context && a.key == b.key),
                "{:?} bound twice in {:?}",
                a.key,
                a.context
            );
        }
        if let Key::Ctrl(c) = a.key {
            assert!(
                !"hijm".contains(c.to_ascii_lowercase()),
                "Ctrl-{c} is Backspace/Tab/Enter on terminals"
            );
        }
    }
    for ctx in [
        Context::Databases,
        Context::Detail,
        Context::Help,
        Context::Popup,
    ] {
        let bar = keymap::bar_entries(&[ctx, Context::Global, Context::Any]);
        assert!(!bar.is_empty(), "{ctx:?} has no key bar");
    }
    // In a popup, q closes it: the bar must not advertise q as quit.
    let bar = keymap::bar_entries(&[Context::Popup, Context::Global, Context::Any]);
    assert!(
        !bar.iter().any(|(k, l)| k.contains('q') && l == "quit"),
        "{bar:?}"
    );
}

#[test]
fn a_tick_that_changes_nothing_keeps_a_pending_redraw() {
    let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 10, 0, 0).unwrap();
    let estate = chainwatch::sources::demo_estate(now).unwrap();
    let mut app = chainwatch::app::Headless::open(estate, now);
    assert!(app.is_dirty(), "the first frame must be drawn");
    app.update(chainwatch::app::Action::Tick(now));
    assert!(app.is_dirty(), "a tick must not cancel the first frame");
    app.take_dirty();
    app.update(chainwatch::app::Action::Tick(now));
    assert!(!app.is_dirty(), "an idle tick draws nothing");
}

// ---------------------------------------------------------------- operator experience

#[test]
fn palette_jumps_to_a_database_and_an_instance() {
    let mut app = demo_app();
    press(&mut app, &chars(":"));
    assert!(app.palette.is_some());
    // Typing q goes into the palette, it does not quit.
    press(&mut app, &chars("db tele"));
    assert!(!app.should_quit);
    let screen = render(&app, 100, 24);
    assert!(screen.contains("Command — 1 match(es)"), "{screen}");
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(app.palette.is_none());
    assert_eq!(app.view, View::Detail);
    assert_eq!(app.detail_database().unwrap().database.name, "Telemetry");

    press(&mut app, &chars(":instance legacy"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Databases);
    assert_eq!(app.selected_instance().unwrap().name, "SQL14\\LEGACY");

    press(&mut app, &chars(":nothing like this"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(app.status.as_deref().unwrap().contains("nothing matches"));

    press(&mut app, &chars(":"));
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(app.palette.is_none() && !app.should_quit);
    press(&mut app, &chars(":quit"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(app.should_quit);
}

#[test]
fn palette_switches_theme_and_keeps_no_color() {
    let mut app = demo_app();
    app.no_color = true;
    press(&mut app, &chars(":theme dark"));
    press(
        &mut app,
        &[key(KeyCode::Down), key(KeyCode::Up), key(KeyCode::Enter)],
    );
    assert_eq!(app.theme.name, "dark");
    assert_eq!(app.theme.crit.fg, None, "no colour even in a colour theme");
    assert_eq!(app.status.as_deref(), Some("theme dark"));
    // The status goes away at the next key.
    press(&mut app, &chars("j"));
    assert_eq!(app.status, None);
    assert!(app.set_theme("no-such-theme").is_err());
    assert_eq!(app.theme.name, "dark");
}

#[test]
fn y_copies_the_selected_row_and_the_evidence() {
    let mut app = demo_app();
    app.clipboard_mode = chainwatch::app::ClipboardMode::Osc52;
    open(&mut app, "Telemetry");
    press(&mut app, &chars("y"));
    let text = app.take_copied().expect("copied");
    assert!(text.starts_with("SQL16\\PROD › Telemetry\t"), "{text}");
    assert!(app.status.as_deref().unwrap().starts_with("copied 1 line"));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(app.popup, Some(Popup::Evidence { .. })));
    press(&mut app, &chars("y"));
    let text = app.take_copied().expect("copied evidence");
    assert!(
        text.lines().count() >= 2 && text.contains("#50360"),
        "{text}"
    );
    let screen = render(&app, 100, 30);
    assert!(screen.contains("copied"), "{screen}");

    app.clipboard_mode = chainwatch::app::ClipboardMode::Off;
    press(&mut app, &chars("y"));
    assert!(app.take_copied().is_none());
    assert!(app.status.as_deref().unwrap().contains("off"));
    assert_eq!(chainwatch::app::copy::osc52("a"), "\u{1b}]52;c;YQ==\u{7}");
}

#[test]
fn user_keymap_changes_keys_help_and_bar() {
    let mut app = demo_app();
    let user = "[[databases]]\nkeys = [\"x\"]\naction = \"filter_start\"\ndesc = \"search\"\nbar = \"search\"\n";
    app.keymap = std::sync::Arc::new(keymap::Keymap::default_map().with_overrides(user).unwrap());
    let bar = app.bar_entries();
    assert!(
        bar.iter().any(|(k, l)| k == "x" && l == "search"),
        "{bar:?}"
    );
    press(&mut app, &chars("x"));
    assert!(app.filter().editing);
    press(&mut app, &[key(KeyCode::Esc)]);
    press(&mut app, &chars("?"));
    let screen = render(&app, 100, 40);
    assert!(screen.contains("search"), "{screen}");
}

#[test]
fn production_instances_get_a_labelled_accent() {
    let mut app = demo_app();
    app.set_environment(
        "SQL16\\PROD",
        chainwatch::ui::theme::Environment::Production,
    );
    // Sorted by name, the selected row is on another instance.
    press(&mut app, &chars("ooo"));
    let screen = render(&app, 120, 30);
    assert!(!screen.contains("PRODUCTION"), "all instances: no accent");
    open(&mut app, "Telemetry");
    let screen = render(&app, 120, 30);
    assert!(
        screen.lines().next().unwrap().contains("PRODUCTION"),
        "{screen}"
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal.draw(|f| chainwatch::ui::draw(f, &app)).unwrap();
    let cell = &terminal.backend().buffer()[(1, 0)];
    assert_eq!(cell.bg, app.theme.env_production.bg.unwrap());
}

#[test]
fn ascii_mode_draws_no_box_characters() {
    for keys in ["", "/Telemetry\n\n", "/Telemetry\n\n\n", "?", ":x"] {
        let mut a = demo_app();
        a.theme.ascii = true;
        for c in keys.chars() {
            let k = if c == '\n' {
                key(KeyCode::Enter)
            } else {
                key(KeyCode::Char(c))
            };
            press(&mut a, &[k]);
        }
        let screen = render(&a, 100, 30);
        // Borders, markers, cursors and the timeline's glyphs.
        let glyphs: &[char] = &[
            '│', '┃', '─', '━', '┌', '┐', '┏', '┓', '└', '┗', '▶', '▏', '█', '▯', '▒', '░', '✖',
            '⑂', '◇', '◆', '△', '▲', '├', '┤', '┼',
        ];
        for c in glyphs.iter().copied() {
            assert!(!screen.contains(c), "{keys:?}: {c} in\n{screen}");
        }
    }
}

#[test]
fn every_theme_renders_every_view_without_panicking() {
    for name in chainwatch::ui::theme::builtin_names() {
        let mut app = demo_app();
        app.set_theme(name).unwrap();
        for (w, h) in [(120, 40), (40, 10), (20, 5)] {
            render(&app, w, h);
        }
        open(&mut app, "Telemetry");
        render(&app, 100, 30);
    }
}

/// The screen line holding the selection marker, and that line's text.
fn marker_line(screen: &str) -> (usize, String) {
    let marked: Vec<(usize, &str)> = screen
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains('▶'))
        .collect();
    assert_eq!(marked.len(), 1, "one selection marker expected:\n{screen}");
    (marked[0].0, marked[0].1.to_string())
}

/// Walks the selection down to the last row and back up, checking each
/// frame: the selected row is on screen, and it sits on line
/// `min(selected, page - 1)` of the table (the list scrolls only when the
/// selection would leave the bottom, and keeps it on the bottom line).
fn walk_and_check(
    app: &mut chainwatch::app::Headless,
    w: u16,
    h: u16,
    len: usize,
    label: impl Fn(&App) -> String,
) {
    let first = marker_line(&render(app, w, h)).0;
    let mut page = 0;
    let mut seen = Vec::new();
    for step in 0..2 * len {
        let screen = render(app, w, h);
        let (y, line) = marker_line(&screen);
        let want = label(app);
        assert!(
            line.contains(&want),
            "{want} not on the marker line:\n{screen}"
        );
        page = page.max(y - first + 1);
        seen.push((y - first, step));
        app.update(if step + 1 < len {
            Action::Down
        } else {
            Action::Up
        });
    }
    assert!(
        page > 2 && page < len,
        "the list must scroll: page {page}, {len} rows"
    );
    for (offset, step) in seen {
        let selected = step.min((2 * len - 2).saturating_sub(step));
        assert_eq!(offset, selected.min(page - 1), "step {step}");
    }
}

#[test]
fn databases_table_scrolls_to_keep_the_selection_on_screen() {
    let mut app = demo_app();
    let len = app.databases.rows.len();
    // 70 columns: no instances pane, so the only marker is the table's.
    walk_and_check(&mut app, 70, 16, len, |app| {
        app.selected_database().unwrap().database.name.clone()
    });
}

#[test]
fn backups_tab_scrolls_to_keep_the_selection_on_screen() {
    let mut app = demo_app();
    open(&mut app, "Telemetry");
    app.update(Action::SelectTab(DetailTab::Backups));
    let len = app.detail.as_ref().unwrap().rows.len();
    assert!(len > 100, "Telemetry should have many backups, has {len}");
    walk_and_check(&mut app, 100, 30, len.min(300), |app| {
        let d = app.detail.as_ref().unwrap();
        let row = d.rows[d.selected[DetailTab::Backups.index()]];
        let id = app.detail_database().unwrap().timeline[row].backup_set_id;
        format!("▶ {id} ")
    });
}

// ---------------------------------------------------------------- loading

#[test]
fn loading_draws_at_once_then_shows_the_estate_it_is_given() {
    let mut app = chainwatch::app::Headless::loading("demo estate", now());
    let screen = render(&app, 80, 24);
    assert!(screen.contains("loading demo estate…"), "{screen}");
    // The DEMO ESTATE marker (what tmux tests wait for) means data is shown.
    assert!(!screen.contains("DEMO ESTATE"), "{screen}");
    let load = Box::new(|| chainwatch::sources::demo_estate(now()));
    let pending = chainwatch::app::loading::spawn(load, now()).unwrap();
    let loaded = pending.blocking_recv().unwrap().unwrap();
    app.loaded(loaded);
    assert!(app.loading.is_none());
    assert!(app.take_dirty(), "the new estate must be drawn");
    // Exactly what opening the console on the estate directly shows.
    assert_eq!(render(&app, 80, 24), render(&demo_app(), 80, 24));
}

#[test]
fn keys_work_while_loading_and_q_or_ctrl_c_quit() {
    for quit in [
        key(KeyCode::Char('q')),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = chainwatch::app::Headless::loading("demo estate", now());
        // Navigation, a filter, help and Enter on an empty list change nothing harmful.
        press(&mut app, &chars("jjkG/ab"));
        press(&mut app, &[key(KeyCode::Esc), key(KeyCode::Enter)]);
        press(&mut app, &chars("??"));
        for (w, h) in [(80, 24), (40, 10), (20, 5)] {
            render(&app, w, h);
        }
        assert!(!app.should_quit);
        press(&mut app, &[quit]);
        assert!(app.should_quit, "{quit:?} must quit while loading");
    }
}

#[test]
fn a_failed_or_vanished_load_is_an_error_not_a_hang() {
    let pending = chainwatch::app::loading::spawn(
        Box::new(|| Err(anyhow::anyhow!("no estate today"))),
        now(),
    )
    .unwrap();
    let err = pending.blocking_recv().unwrap().unwrap_err();
    assert!(err.to_string().contains("no estate today"), "{err}");

    // A loader that panics drops its sender: `next` reports it.
    let pending =
        chainwatch::app::loading::spawn(Box::new(|| panic!("loader panic (expected)")), now())
            .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(chainwatch::app::loading::next(&mut Some(pending)));
    assert!(result.is_err());
}

/// One truth: every surface shows the recoverability computed once per
/// database — the table's RPO and LATEST columns, the detail header, the
/// plan to latest, the windows — for every demo database.
#[test]
fn every_view_agrees_on_recoverability() {
    let app = demo_app();
    let wide = render(&app, 260, 60);
    let estate = chainwatch::sources::demo_estate(now()).unwrap();
    for (i, d) in app.report.databases.iter().enumerate() {
        let r = &d.recoverability;
        // The report's own pieces agree with each other.
        assert_eq!(
            r.latest_recoverable, d.health.latest_recoverable,
            "{}",
            d.database.name
        );
        assert_eq!(
            r.latest_recoverable,
            d.windows.iter().map(|w| w.to).max(),
            "{}: latest = end of the newest window",
            d.database.name
        );
        assert_eq!(r.rpo_seconds, d.health.rpo_now_seconds);
        assert_eq!(r.severity, d.worst_severity());
        // STATE never sounds more alarming than SEV.
        assert!(
            r.severity >= d.health.state.concern(),
            "{}: {:?} but {:?}",
            d.database.name,
            d.health.state,
            r.severity
        );
        // The plan to latest reaches exactly that point.
        let (inst, db) =
            chainwatch::analysis::find_database(&estate, Some(&d.instance), &d.database.name)
                .unwrap();
        let a = chainwatch::analysis::analyze_database(&estate, inst, db, now());
        let p = chainwatch::analysis::plan(&a, chainwatch::analysis::Target::Latest);
        if r.latest_recoverable.is_some() {
            assert!(p.recoverable, "{}: {}", d.database.name, p.reason);
            assert_eq!(
                p.recovery_point, r.latest_recoverable,
                "{}",
                d.database.name
            );
        } else {
            assert!(!p.recoverable, "{}", d.database.name);
        }
        // The databases table shows the same RPO and LATEST on the row.
        let rpo = r
            .rpo_seconds
            .map(chainwatch::ui::text::span)
            .unwrap_or_else(|| "—".into());
        let latest = r
            .latest_recoverable
            .map(|t| t.format("%m-%d %H:%MZ").to_string())
            .unwrap_or_else(|| "—".into());
        let line = wide
            .lines()
            .find(|l| l.contains(&format!(" {} ", d.database.name)) && l.contains(&d.instance))
            .unwrap_or_else(|| panic!("{} not in the table:\n{wide}", d.database.name));
        assert!(
            line.contains(&format!(" {rpo} ")),
            "{}: RPO {rpo} not in {line}",
            d.database.name
        );
        assert!(
            line.contains(&latest),
            "{}: LATEST {latest} not in {line}",
            d.database.name
        );
        // The detail header says the same.
        let mut detail = demo_app();
        detail.databases.focus = chainwatch::app::Pane::Databases;
        detail.databases.selected = detail.databases.rows.iter().position(|&r| r == i).unwrap();
        detail.update(Action::Open);
        assert_eq!(detail.view, View::Detail);
        let screen = render(&detail, 200, 40);
        let header: String = screen.lines().take(6).collect();
        assert!(
            header.contains(&rpo),
            "{}: detail header lacks RPO {rpo}:\n{header}",
            d.database.name
        );
    }
}

/// The config's `environment` and `accent` reach the header: the label for
/// the environment, the accent as its background, only while that
/// instance is in focus; the names the config accepts are the ones the
/// console reads.
#[test]
fn the_config_environment_and_accent_reach_the_header() {
    let text = "[[instance]]\nname = \"SQL16\\\\PROD\"\nhost = \"prod16\"\nuser = \"watch\"\npassword_env = \"X\"\nenvironment = \"production\"\naccent = \"magenta\"\n";
    let config = chainwatch::config::Config::parse(text, std::path::Path::new("cw.toml")).unwrap();
    let mut app = demo_app();
    app.set_config(&config);
    open(&mut app, "Telemetry");
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal.draw(|f| chainwatch::ui::draw(f, &app)).unwrap();
    let buf = terminal.backend().buffer();
    let top: String = (0..120).map(|x| buf[(x, 0)].symbol()).collect();
    assert!(top.contains("PRODUCTION"), "{top}");
    assert_eq!(buf[(1, 0)].bg, ratatui::style::Color::Magenta);
    // Another instance in focus: neither.
    let mut other = demo_app();
    other.set_config(&config);
    open(&mut other, "Accounts");
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    terminal.draw(|f| chainwatch::ui::draw(f, &other)).unwrap();
    let buf = terminal.backend().buffer();
    let top: String = (0..120).map(|x| buf[(x, 0)].symbol()).collect();
    assert!(!top.contains("PRODUCTION"), "{top}");
    assert_ne!(buf[(1, 0)].bg, ratatui::style::Color::Magenta);
}

#[test]
fn a_terminal_too_narrow_for_both_panes_shows_the_focused_one() {
    let mut app = demo_app();
    assert!(!render(&app, 40, 10).contains("Instances"));
    press(&mut app, &[key(KeyCode::Tab)]);
    assert_eq!(app.databases.focus, Pane::Instances);
    let screen = render(&app, 40, 10);
    assert!(
        screen.contains("Instances") && screen.contains("All instances"),
        "the focused instances pane must be the one drawn:\n{screen}"
    );
    press(&mut app, &[key(KeyCode::Tab)]);
    assert!(render(&app, 40, 10).contains("DATABASE"));
}

#[test]
fn the_header_keeps_how_old_the_data_is_whatever_the_source_is_called() {
    let mut app = demo_app();
    std::sync::Arc::make_mut(&mut app.estate).source =
        "a configuration with a very long name indeed, longer than any terminal".into();
    for width in [80, 120] {
        let screen = render(&app, width, 24);
        let header = screen.lines().next().unwrap();
        assert!(header.contains("collected 0m ago"), "{header}");
        assert!(header.contains("now 2026-11-22 10:00Z"), "{header}");
        assert!(
            width < 120 || header.contains("source: a configuration with"),
            "the source is cut to the room left, not dropped: {header}"
        );
    }
}

#[test]
fn the_demo_says_once_how_to_add_your_own_servers() {
    let mut app = demo_app();
    let first = render(&app, 80, 24);
    assert!(first.contains("chainwatch config init"), "{first}");
    press(&mut app, &chars("j"));
    assert!(!render(&app, 80, 24).contains("config init"));
    // Not over a real estate.
    let app = fixture_app();
    assert!(!render(&app, 80, 24).contains("config init"));
}

#[test]
fn help_is_as_wide_as_its_lines_and_wraps_rather_than_cuts() {
    let mut app = demo_app();
    press(&mut app, &chars("?"));
    let sections = app.help_sections();
    let first: Vec<String> = sections[0]
        .1
        .iter()
        .map(|e| e.description.to_string())
        .collect();
    let longest = first.iter().map(|d| d.chars().count()).max().unwrap();
    assert!(longest > 50, "the test needs a long description: {first:?}");
    // Wide: every description whole on its line (the box used to stop at 64).
    let wide = render(&app, 160, 60);
    for d in &first {
        assert!(wide.contains(d.as_str()), "{d:?} cut:\n{wide}");
    }
    // 80 columns: a long description may wrap, but its last word is shown.
    let narrow = render(&app, 80, 24);
    for d in first.iter().take(8) {
        let last = d.split_whitespace().last().unwrap();
        assert!(narrow.contains(last), "{d:?} lost its end:\n{narrow}");
    }
}
