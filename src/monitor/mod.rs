//! Monitoring outputs: the answers every format reads (`answers`), the
//! Prometheus exposition (`prometheus`), the monitoring-plugin status line
//! (`nagios`) and the exporter behind `chainwatch serve` (`serve`, `http`).

pub mod answers;
pub mod html;
pub mod http;
pub mod nagios;
pub mod prometheus;
pub mod serve;
pub mod serve_storage;
pub mod storage;

pub use answers::{Answers, ContainerAnswer, DatabaseAnswer, FileCounts, InstanceRun};
