//! The console without a terminal, in one test binary: views rendered into
//! a TestBackend (insta snapshots in `snapshots/`, every screen at 80x24 and
//! 40x10), keys, the evidence popup,
//! the storage view, the restore wizard, and the committed screenshots.

#[path = "../support/mod.rs"]
mod support;

mod columns;
mod every_screen;
mod evidence;
mod screenshots;
mod storage;
mod timeline;
mod views;
mod wizard;
mod zones;
