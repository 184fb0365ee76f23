//! Backup file headers, in one test binary: the reader on the real
//! samples and on damaged input, `chainwatch headers` and `--files`, the
//! same read from blobs in Azurite, and headers against msdb history.

#[path = "../support/mod.rs"]
mod support;

mod blob;
mod cli;
mod crosscheck;
mod props;
mod samples;
