//! The chain timeline drawn alone: its legend explains every glyph it
//! draws and fits at 80x24, the evidence keeps its kind of backup, wide
//! terminals do not show regular blanks in a continuous log chain, and
//! `--ascii` is ASCII through and through.

use chainwatch::analysis::DatabaseReport;
use chainwatch::model::zone::Shown;
use chainwatch::ui::layout::detail_layout;
use chainwatch::ui::theme::Theme;
use chainwatch::ui::timeline::{legend_height, Timeline, CORE_HEIGHT};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::widgets::Widget;

use crate::support::now;

fn demo() -> chainwatch::analysis::EstateReport {
    let estate = chainwatch::sources::demo_estate(now()).unwrap();
    chainwatch::analysis::analyze_estate(&estate, now())
}

/// The timeline of `db` in a `width`-column buffer with its whole legend.
fn draw(db: &DatabaseReport, width: u16, theme: &Theme, highlight: &[i64]) -> Buffer {
    let legend = legend_height(width, db, now());
    let area = Rect::new(0, 0, width, CORE_HEIGHT + legend);
    let mut buf = Buffer::empty(area);
    Timeline {
        db,
        now: now(),
        theme,
        legend,
        marker: None,
        highlight,
        shown: Shown::UTC,
    }
    .render(area, &mut buf);
    buf
}

fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// Lane rows hold the glyphs; the lanes' labels take the first 6 columns.
const LANES: u16 = 6;

#[test]
fn every_glyph_drawn_is_in_the_legend_and_the_legend_fits_at_80x24() {
    let report = demo();
    for theme in [
        Theme::default(),
        Theme {
            ascii: true,
            ..Theme::default()
        },
    ] {
        for db in &report.databases {
            let buf = draw(db, 78, &theme, &[]);
            let legend: Vec<String> = (CORE_HEIGHT..buf.area.height)
                .map(|y| row(&buf, y))
                .collect();
            let legend = legend.join("\n");
            for y in 0..LANES {
                for x in 6..buf.area.width {
                    let g = buf[(x, y)].symbol();
                    if g.trim().is_empty() {
                        continue;
                    }
                    assert!(
                        legend.contains(&format!("{g} ")),
                        "{} {}: {g:?} drawn in lane {y} but not in the legend:\n{legend}",
                        db.instance,
                        db.database.name
                    );
                }
            }
            // The 80x24 detail view (22 body rows, 2 of them borders) gives
            // the legend the lines it needs.
            let needed = legend_height(78, db, now());
            assert!(
                detail_layout(22, needed).legend >= needed,
                "{}: the legend needs {needed} lines at 80 columns",
                db.database.name
            );
        }
    }
}

#[test]
fn highlighted_evidence_keeps_the_glyph_of_its_kind() {
    let report = demo();
    let db = report
        .databases
        .iter()
        .find(|d| d.database.name == "Telemetry")
        .unwrap();
    let log = db
        .timeline
        .iter()
        .rev()
        .find(|i| i.backup_type == chainwatch::model::BackupType::Log && i.in_chain)
        .unwrap();
    let buf = draw(db, 78, &Theme::default(), &[log.backup_set_id]);
    let marked: Vec<&str> = (6..78)
        .map(|x| &buf[(x, 2)])
        .filter(|c| c.modifier.contains(Modifier::REVERSED))
        .map(|c| c.symbol())
        .collect();
    assert_eq!(marked, vec!["│"], "the log lane: {}", row(&buf, 2));
    // And it is pointed at on the axis with the legend's evidence mark.
    assert!(row(&buf, LANES).contains('△'), "{}", row(&buf, LANES));
    let legend: String = (CORE_HEIGHT..buf.area.height)
        .map(|y| row(&buf, y))
        .collect();
    assert!(legend.contains("△ evidence"), "{legend}");
}

#[test]
fn a_continuous_log_chain_has_no_blank_columns_at_200_columns() {
    let report = demo();
    let sales = report
        .databases
        .iter()
        .find(|d| d.database.name == "Sales")
        .unwrap();
    let buf = draw(sales, 200, &Theme::default(), &[]);
    let lane = row(&buf, 2);
    let plot: Vec<char> = lane.chars().skip(6).collect();
    let first = plot.iter().position(|c| *c != ' ').unwrap();
    let last = plot.iter().rposition(|c| *c != ' ').unwrap();
    let blanks = plot[first..=last].iter().filter(|c| **c == ' ').count();
    assert_eq!(blanks, 0, "blank columns in a continuous chain:\n{lane}");
    assert!(
        lane.contains('─'),
        "columns with no log end read as the chain going on"
    );
    // A real gap still shows as blank: Telemetry lost its logs for hours.
    let telemetry = report
        .databases
        .iter()
        .find(|d| d.database.name == "Telemetry")
        .unwrap();
    let buf = draw(telemetry, 200, &Theme::default(), &[]);
    let lane = row(&buf, 2);
    let plot: String = lane.chars().skip(6).collect();
    assert!(plot.trim().contains(' '), "the gap is blank:\n{lane}");
}
