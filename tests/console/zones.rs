//! The time toggle: `z` shows every time in UTC, the server's local time
//! or the operator's, each with its zone, in the header, the databases
//! table, the detail view and the timeline's axis.

use chainwatch::app::{Headless, View};
use chainwatch::model::zone::{OperatorZone, Zone};

use crate::support::now;
use crate::support::ui::{chars, key, press, render};
use ratatui::crossterm::event::KeyCode;

fn demo() -> Headless {
    let mut app = crate::support::ui::demo();
    // India: a zone no demo server is in, and not a whole hour.
    app.operator_zone = OperatorZone::Fixed(330);
    app
}

use crate::support::ui::line_with as line;

#[test]
fn z_cycles_utc_server_and_local_time_and_every_time_names_its_zone() {
    let mut app = demo();
    assert_eq!(app.zone, Zone::Utc);
    // Tall enough for every demo database (the healthy ones sort last).
    let rows = 10 + app.report.databases.len() as u16;
    let screen = render(&app, 200, rows);
    let header = screen.lines().next().unwrap();
    assert!(header.contains("now 2026-11-22 10:00Z"), "{header}");
    // SQL16\PROD runs at UTC+1 and SQL14\LEGACY at UTC-5 in the demo.
    let sales = line(&screen, "Sales ");
    assert!(sales.contains('Z') && !sales.contains("+01"), "{sales}");

    press(&mut app, &chars("z"));
    assert_eq!(app.zone, Zone::Server);
    let screen = render(&app, 200, rows);
    assert!(line(&screen, "Sales ").contains("+01"), "{screen}");
    assert!(line(&screen, "Accounts ").contains("-05"), "{screen}");
    assert!(screen.contains("times in server time"), "{screen}");

    press(&mut app, &chars("z"));
    assert_eq!(app.zone, Zone::Local);
    let screen = render(&app, 200, rows);
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains("now 2026-11-22 15:30+05:30 local time"),
        "{header}"
    );
    assert!(line(&screen, "Sales ").contains("+0530"), "{screen}");

    press(&mut app, &chars("z"));
    assert_eq!(app.zone, Zone::Utc);
}

#[test]
fn the_detail_view_and_its_timeline_follow_the_toggle() {
    let mut app = demo();
    press(&mut app, &chars("/Sales"));
    press(&mut app, &[key(KeyCode::Enter), key(KeyCode::Enter)]);
    assert_eq!(app.view, View::Detail);
    let utc = render(&app, 120, 40);
    assert!(utc.contains("UTC   ├") || utc.contains("UTC   +"), "{utc}");
    press(&mut app, &chars("z"));
    let server = render(&app, 120, 40);
    assert!(
        server.contains("server├"),
        "the axis says whose clock:\n{server}"
    );
    // The right end of the axis is now, 10:00Z, on the server's clock.
    assert!(server.contains("2026-11-22 11:00+01:00"), "{server}");
    let latest = line(&server, "latest recoverable");
    assert!(latest.contains("+01:00"), "{latest}");
    // The backups tab's times too.
    press(&mut app, &chars("2"));
    let backups = render(&app, 120, 40);
    assert!(
        !backups.contains("(UTC)"),
        "no column claims UTC:\n{backups}"
    );
}

#[test]
fn the_console_starts_in_the_zone_asked_for() {
    let options = chainwatch::app::ConsoleOptions {
        zone: Zone::Server,
        now_override: Some(now()),
        ..Default::default()
    };
    let estate = chainwatch::sources::demo_estate(now()).unwrap();
    let app = chainwatch::console::configured_app(estate, now(), &options).unwrap();
    assert_eq!(app.zone, Zone::Server);
}
