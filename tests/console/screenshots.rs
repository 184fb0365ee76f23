//! The committed screenshots must match what the code draws today.

use std::path::Path;

#[test]
fn committed_screenshots_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let shots = chainwatch::ui::screenshots::render_all().expect("render");
    assert!(shots.len() >= 4);
    // One per main view, and the main views once per built-in theme.
    let names: Vec<&str> = shots.iter().map(|(n, _)| n.as_str()).collect();
    for view in [
        "databases",
        "detail",
        "evidence",
        "plan",
        "help",
        "palette",
        "small",
    ] {
        assert!(
            names.contains(&format!("{view}-default").as_str()),
            "{view}"
        );
    }
    for theme in chainwatch::ui::theme::builtin_names() {
        assert!(
            names.contains(&format!("detail-{theme}").as_str()),
            "{theme}"
        );
    }
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

#[test]
fn no_stray_screenshots_are_left_behind() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let names = chainwatch::ui::screenshots::names();
    for entry in std::fs::read_dir(&dir).expect("screenshots/") {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        assert!(
            names.contains(&stem),
            "{} is not made by `cargo run -- screenshots`: delete it",
            path.display()
        );
    }
}

#[test]
fn production_accent_is_labelled_and_ascii_has_no_box_drawing() {
    let shots = chainwatch::ui::screenshots::render_all().expect("render");
    let get = |n: &str| &shots.iter().find(|(name, _)| name == n).unwrap().1;
    assert!(get("production-default").contains("PRODUCTION"));
    let ascii = get("ascii-default");
    assert!(!ascii.contains('┃') && !ascii.contains('│') && !ascii.contains('▶'));
}
