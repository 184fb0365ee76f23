//! Helpers shared by the test binaries: every `tests/<binary>/main.rs`
//! includes this folder as `mod support` (`#[path = "../support/mod.rs"]`).
//!
//! - [`tds`]: the TDS test server (also used by `benches/` and
//!   `examples/tds-server.rs`); its main types are re-exported here.
//! - [`archive`]: archives on real SQLite files in fresh folders.
//! - [`azurite`]: starts Azurite, the storage emulator, for a test.
//! - [`blob_fixture`]: the demo estate's Managed Backup container as blobs.
//! - [`catalog_columns`]: the documented columns of every catalog object.
//! - [`entra`]: a test CA and Entra ID tokens for Azurite over HTTPS.
//! - [`estates`]: snapshot estates built the way msdb fills, and
//!   `check --format json` on them.
//! - [`history`]: backup histories for the analysis tests (`Hist`).
//! - [`bin`]: running the real `chainwatch` binary.
//! - [`ui`]: the console drawn into text, keys fed to it.
//! - [`live`]: an instance's config and fast settings for the live path.
//! - [`plan`]: restore-plan steps for the T-SQL tests.
//!
//! And here: the tests' fixed "now" and the shared samples folder.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub mod archive;
pub mod azurite;
pub mod bin;
pub mod blob_fixture;
pub mod catalog_columns;
pub mod entra;
pub mod estates;
pub mod history;
pub mod live;
pub mod plan;
pub mod tds;
pub mod ui;

// Not every binary uses each of them.
#[allow(unused_imports)]
pub use tds::{
    closed_port, demo_instances, Faults, LoginAccess, MbShape, ServerOptions, TdsServer,
};

/// The fixed "now" of most tests, the demo estate's (`--now` on the
/// command line).
pub const NOW: &str = "2026-11-22T10:00:00Z";

/// [`NOW`] as a time.
pub fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// `../shared/samples`: the real backup files and their notes.
pub fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples")
}
