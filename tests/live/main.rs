//! The live path, in one test binary: collection with the real tiberius
//! client from the TDS test server (catalog shapes, faults, incremental
//! refresh), the catalog queries, `collect`/`check --config`/`doctor`
//! through the binary, the console in live mode, and the archive.

#[path = "../support/mod.rs"]
mod support;

mod archive;
mod archive_disk_full;
mod archive_kill;
mod archive_migrate;
mod archive_policy;
mod archive_reread;
mod archive_writers;
mod catalog;
mod cli;
mod collect;
mod console;
mod doctor;
mod incremental;
mod queries;
