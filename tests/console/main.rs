//! The console without a terminal, in one test binary: views rendered into
//! a TestBackend (insta snapshots in `snapshots/`), keys, the evidence popup,
//! the storage view, the restore wizard, and the committed screenshots.

#[path = "../support/mod.rs"]
mod support;

mod evidence;
mod screenshots;
mod storage;
mod views;
mod wizard;
