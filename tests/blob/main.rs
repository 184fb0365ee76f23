//! Backup storage, in one test binary: the blob source against Azurite
//! (shared key, SAS, Entra ID over HTTPS), `chainwatch blobs` and
//! `check` with storage, containers in the config, the console's storage
//! view on a real listing, the cross-check, and the blob-name parser.

#[path = "../support/mod.rs"]
mod support;

mod azurite;
mod check;
mod cli;
mod config;
mod console;
mod crosscheck;
mod entra;
mod names;
