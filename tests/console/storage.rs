//! The console's storage view and the detail view's retention bar, on the
//! demo estate (no container configured: listings stand in from history,
//! labelled as such). TestBackend renders, insta snapshots.

use crate::support::ui::{chars, key, press, render};
use chainwatch::app::View;
use chrono::{DateTime, Utc};
use ratatui::crossterm::event::KeyCode;

fn now() -> DateTime<Utc> {
    "2026-11-24T06:00:00Z".parse().unwrap()
}

fn demo_app() -> chainwatch::app::Headless {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    app.start_storage();
    app
}

#[test]
fn storage_view_lists_history_blobs_labelled_not_storage() {
    let mut app = demo_app();
    // The instances pane: pick SQL16\PROD, then S opens its container.
    let prod = app
        .databases
        .instances
        .iter()
        .position(|i| i.name == "SQL16\\PROD")
        .unwrap();
    app.databases.instance = prod + 1;
    press(&mut app, &chars("S"));
    assert_eq!(app.view, View::Storage);
    let c = app.storage.current().unwrap();
    assert_eq!(c.instance, "SQL16\\PROD");
    assert_eq!(c.history_key, "prodstore/sql16-prod");
    let all = app.storage.rows.len();
    assert!(all > 10, "{all} blobs");
    let screen = render(&app, 120, 30);
    assert!(screen.contains("from history, not storage"), "{screen}");
    assert!(
        screen.contains("Storage 2/7: SQL16\\PROD › prodstore/sql16-prod"),
        "{screen}"
    );
    insta::assert_snapshot!("storage_demo_120x30", screen);

    // `/` filters: only logs, then Esc clears, Esc again goes back.
    press(&mut app, &chars("/.log"));
    press(&mut app, &[key(KeyCode::Enter)]);
    let logs = app.storage.rows.len();
    assert!(logs > 0 && logs < all, "{logs} of {all}");
    assert!(app
        .storage
        .rows
        .iter()
        .all(|&i| app.storage.files()[i].entry.name.contains(".log")));
    let screen = render(&app, 120, 30);
    assert!(screen.contains("/.log"), "{screen}");
    press(&mut app, &chars("G"));
    assert_eq!(app.storage.selected, logs - 1);
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.storage.rows.len(), all);
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.view, View::Databases);
}

#[test]
fn tab_walks_containers_and_narrow_terminals_never_panic() {
    let mut app = demo_app();
    // Sorted by name (o three times), as the walk below expects.
    press(&mut app, &chars("oooS"));
    let n = app.storage.containers.len();
    assert!(n >= 1);
    for _ in 0..n {
        press(&mut app, &[key(KeyCode::Tab)]);
    }
    assert_eq!(app.storage.current, 0, "Tab wraps around");
    for (w, h) in [(40, 10), (41, 11), (60, 15), (80, 24), (200, 60)] {
        let screen = render(&app, w, h);
        assert!(!screen.is_empty());
    }
    // Copy gives the selected blob without any token.
    press(&mut app, &chars("y"));
    let copied = app.take_copied().unwrap_or_default();
    assert!(copied.contains('\t'), "{copied:?}");
}

#[test]
fn detail_shows_the_retention_bar_of_a_managed_backup_database() {
    let mut app = demo_app();
    let sales = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == "SQL16\\PROD" && d.database.name == "Sales")
        .unwrap();
    let (w, origin) = app.storage.window_for("SQL16\\PROD", "Sales").unwrap();
    assert_eq!(
        origin,
        chainwatch::analysis::storage::ListingOrigin::History
    );
    assert!(w.retention_days > 0);
    press(&mut app, &chars("/Sales"));
    press(&mut app, &[key(KeyCode::Enter)]);
    let row = app.databases.rows.iter().position(|&i| i == sales).unwrap();
    app.databases.selected = row;
    press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail);
    let screen = render(&app, 120, 32);
    let bar = screen
        .lines()
        .find(|l| l.starts_with("\"retention "))
        .unwrap_or_else(|| panic!("no retention bar:\n{screen}"));
    assert!(bar.ends_with("] now\""), "{bar}");
    assert!(bar.contains('B'), "a full backup tick: {bar}");
    assert!(screen.contains("(from history, not storage)"), "{screen}");
    insta::assert_snapshot!("detail_retention_bar_120x32", screen);
    // A short terminal keeps the bar line but drops the caption.
    let screen = render(&app, 100, 19);
    assert!(
        screen.lines().any(|l| l.starts_with("\"retention ")),
        "{screen}"
    );
    assert!(!screen.contains("from history, not storage"));
    // S from the detail opens this instance's storage; Esc comes back.
    press(&mut app, &chars("S"));
    assert_eq!(app.view, View::Storage);
    assert_eq!(app.storage.current().unwrap().instance, "SQL16\\PROD");
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.view, View::Detail);
    // Wide enough: the caption says what the bar's glyphs mean.
    let screen = render(&app, 200, 40);
    assert!(
        screen.contains("━ recoverable  ░ lost  B full  | log"),
        "{screen}"
    );
    // Under --ascii the bar speaks the timeline's ASCII: `.` lost, `#`
    // recoverable; never `!`, which the timeline's legend gives to a log
    // outside the chain.
    app.theme.ascii = true;
    let screen = render(&app, 200, 40);
    let bar = screen
        .lines()
        .find(|l| l.starts_with("\"retention "))
        .unwrap();
    assert!(!bar.contains('!') && bar.contains('#'), "{bar}");
    assert!(bar.is_ascii(), "{bar}");
    assert!(
        screen.contains("# recoverable  . lost  B full  | log"),
        "{screen}"
    );
}

#[test]
fn a_database_without_managed_backup_has_no_bar() {
    let mut app = demo_app();
    let (row, plain) = app
        .databases
        .rows
        .iter()
        .enumerate()
        .find(|(_, &i)| {
            let d = &app.report.databases[i];
            d.database
                .managed_backup
                .as_ref()
                .is_none_or(|m| m.retention_days.is_none())
        })
        .map(|(r, &i)| (r, i))
        .unwrap();
    let db = &app.report.databases[plain];
    assert!(app
        .storage
        .window_for(&db.instance, &db.database.name)
        .is_none());
    app.databases.selected = row;
    press(&mut app, &[key(KeyCode::Enter)]);
    let screen = render(&app, 120, 32);
    assert!(!screen.lines().any(|l| l.starts_with("\"retention ")));
}

#[test]
fn the_console_finds_containers_in_the_background() {
    let mut app =
        chainwatch::app::Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now());
    app.start_storage_in_background();
    press(&mut app, &chars("S"));
    assert_eq!(app.view, View::Storage);
    let screen = render(&app, 100, 20);
    assert!(screen.contains("finding backup containers"), "{screen}");
    // Nothing was found on this thread: the work waits for the runner.
    assert!(app.storage.planning && app.storage.containers.is_empty());
    app.settle();
    assert!(!app.storage.planning);
    assert!(app.storage.containers.len() >= 2);
    assert!(!app.storage.rows.is_empty());
    assert!(app.storage.window_for("SQL16\\PROD", "Sales").is_some());
}
