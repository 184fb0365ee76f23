//! Helpers shared by the test binaries: every `tests/<binary>/main.rs`
//! includes this folder as `mod support` (`#[path = "../support/mod.rs"]`).
//!
//! - [`tds`]: the TDS test server (also used by `benches/` and
//!   `examples/tds-server.rs`); its main types are re-exported here.
//! - [`azurite`]: starts Azurite, the storage emulator, for a test.
//! - [`blob_fixture`]: the demo estate's Managed Backup container as blobs.
//! - [`entra`]: a test CA and Entra ID tokens for Azurite over HTTPS.
//! - [`estates`]: snapshot estates built the way msdb fills, and
//!   `check --format json` on them.
//! - [`history`]: backup histories for the analysis tests (`Hist`).
//! - [`bin`]: running the real `chainwatch` binary.
#![allow(dead_code)]

pub mod azurite;
pub mod bin;
pub mod blob_fixture;
pub mod entra;
pub mod estates;
pub mod history;
pub mod tds;

// Not every binary uses each of them.
#[allow(unused_imports)]
pub use tds::{
    closed_port, demo_instances, Faults, LoginAccess, MbShape, ServerOptions, TdsServer,
};
