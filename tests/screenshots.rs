//! The committed screenshots must match what the code draws today.

use std::path::Path;

#[test]
fn committed_screenshots_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let shots = chainwatch::ui::screenshots::render_all().expect("render");
    assert!(shots.len() >= 4);
    let mut stale = Vec::new();
    for (name, svg) in &shots {
        let committed =
            std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap_or_default();
        if &committed != svg {
            stale.push(name.clone());
        }
        assert!(
            dir.join(format!("{name}.png")).exists(),
            "{name}.png missing"
        );
    }
    assert!(
        stale.is_empty(),
        "stale screenshots {stale:?}: run `cargo run -- screenshots` (needs rsvg-convert from librsvg2-bin) and commit screenshots/"
    );
}

#[test]
fn screenshots_show_the_demo_marker_and_a_break() {
    let shots = chainwatch::ui::screenshots::render_all().expect("render");
    let databases = &shots
        .iter()
        .find(|(n, _)| n == "databases-default")
        .unwrap()
        .1;
    assert!(databases.contains("DEMO ESTATE"));
    let detail = &shots.iter().find(|(n, _)| n == "detail-default").unwrap().1;
    assert!(detail.contains("Telemetry") && detail.contains("✖"));
}
