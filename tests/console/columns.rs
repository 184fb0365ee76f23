//! Columns sized from what they hold (issue 17, "Build 3"): the detail
//! view's findings tab (WHEN filled, WHAT never cut while a less important
//! column could go), the findings view (widths from content), the storage
//! view (blob names cut where they are alike, its findings listed).

use crate::support::now;
use crate::support::ui::{chars, press, render};
use chainwatch::app::palette::Command;
use chainwatch::app::{DetailTab, Headless, View};

const PROD: &str = "SQL16\\PROD";

fn demo() -> Headless {
    Headless::open(chainwatch::sources::demo_estate(now()).unwrap(), now())
}

fn detail(app: &mut Headless, instance: &str, name: &str) {
    let i = app
        .report
        .databases
        .iter()
        .position(|d| d.instance == instance && d.database.name == name)
        .unwrap_or_else(|| panic!("{instance} {name} is not in the demo"));
    app.run_command(Command::Database(i));
    assert_eq!(app.view, View::Detail);
    assert_eq!(
        app.detail.as_ref().map(|d| d.tab),
        Some(DetailTab::Findings)
    );
}

/// The screen's line that holds `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line holds {needle:?}:\n{screen}"))
}

const GAP: &str = "gap in Managed Backup's files after 2026-11-15 23:31:00Z";

#[test]
fn findings_tab_when_shows_the_evidence_time() {
    let mut app = demo();
    detail(&mut app, PROD, "Telemetry");
    let screen = render(&app, 80, 24);
    // The gap finding's first evidence set is the log before the gap.
    let gap = line_with(&screen, "gap in Managed Backup's files");
    assert!(gap.contains("11-15 23:31Z"), "{gap}");
    let full = line_with(&screen, "an unscheduled Managed Backup full");
    assert!(
        full.trim_end_matches(['"', '┃', ' ']).ends_with('Z'),
        "WHEN is filled for the unscheduled full: {full}"
    );
}

#[test]
fn findings_tab_drops_when_before_cutting_what() {
    let mut app = demo();
    detail(&mut app, PROD, "Telemetry");
    // 70 columns hold SEV and the whole title, not WHEN beside them: the
    // old fixed widths cut the title to keep WHEN.
    let screen = render(&app, 70, 24);
    assert!(
        line_with(&screen, "gap in Managed").contains(GAP),
        "{screen}"
    );
    assert!(!screen.contains("WHEN"), "{screen}");
    // With room for both, both.
    let screen = render(&app, 90, 24);
    assert!(
        line_with(&screen, "gap in Managed").contains(GAP),
        "{screen}"
    );
    assert!(screen.contains("WHEN (UTC)"), "{screen}");
}

#[test]
fn findings_view_sizes_columns_from_content() {
    let mut app = demo();
    press(&mut app, &chars("F"));
    assert_eq!(app.view, View::Findings);
    let screen = render(&app, 80, 24);
    // Instance and database as wide as their longest value: the titles the
    // old fixed 18-column cells cut now fit.
    for title in [
        "mirror: Managed Backup skips it until a failover",
        "backups are taken on the secondary SQLAG02",
    ] {
        assert!(screen.contains(title), "{title:?} is cut:\n{screen}");
    }
    assert!(line_with(&screen, "SEV").contains("INSTANCE"), "{screen}");
    // 40 columns: severity and a readable title, instance and database dropped.
    let screen = render(&app, 40, 10);
    let head = line_with(&screen, "SEV");
    assert!(!head.contains("INSTA") && !head.contains("DATAB"), "{head}");
    assert!(
        line_with(&screen, "▶ CRIT").contains("log backups by DPM / VSS / a t"),
        "{screen}"
    );
}
