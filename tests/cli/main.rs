//! The command line, in one test binary: the `chain`/`plan`/`check`
//! contract on fixtures, the config file (`config check`, `config init`,
//! passwords in the keyring), rule findings in `check`, and
//! `restore`/`reauthorize` against the TDS test server.

#[path = "../support/mod.rs"]
mod support;

mod config_check;
mod config_init;
mod contract;
mod keyring;
mod restore;
mod rules;
