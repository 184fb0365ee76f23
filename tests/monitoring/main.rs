//! Monitoring at estate scale (issue 19), one test binary: per-database
//! policy from the config, `check --format prometheus|nagios` against the
//! JSON answers, `chainwatch serve`, and a real Prometheus and promtool;
//! and the alerting expectations of issue 21 (healthy estates stay quiet,
//! real problems still alarm) through `check --format json`.

#[path = "../support/mod.rs"]
mod support;

mod common;
mod containers;
mod errors;
mod expectations;
mod exporter;
mod formats;
mod policy;
mod prom;
mod serve;
