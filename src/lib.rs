//! chainwatch: a terminal operations console for SQL Server backups.
//!
//! Data flows one way: `sources` (demo, snapshot) → `model` → `analysis`
//! (pure) → `app` (state and actions) → `ui` (ratatui). `tsql` writes the
//! only scripts that change a server.

pub mod analysis;
pub mod app;
pub mod archive;
pub mod blob;
pub mod cli;
pub mod config;
pub mod console;
pub mod demo;
#[doc(hidden)]
pub mod fuzzing;
pub mod headers;
pub mod model;
pub mod monitor;
pub mod snapshot;
pub mod sources;
pub mod sqlserver;
pub mod text;
pub mod theme;
pub mod tsql;
pub mod ui;
