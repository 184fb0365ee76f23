//! Monitoring at estate scale (issue 19), one test binary: per-database
//! policy from the config, `check --format prometheus|nagios` against the
//! JSON answers, `chainwatch serve`, and a real Prometheus and promtool.

mod estates;

#[path = "monitoring/common.rs"]
mod common;
#[path = "monitoring/exporter.rs"]
mod exporter;
#[path = "monitoring/formats.rs"]
mod formats;
#[path = "monitoring/policy.rs"]
mod policy;
#[path = "monitoring/prom.rs"]
mod prom;
#[path = "monitoring/serve.rs"]
mod serve;
#[path = "support/tds/mod.rs"]
mod support;
