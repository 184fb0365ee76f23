//! The live path against the TDS test server: an instance's config and
//! collection settings that fail fast.
#![allow(dead_code)]

use std::time::Duration;

use chainwatch::config::InstanceConfig;
use chainwatch::sqlserver::Settings;

/// The instance `name` at `addr`, login `monitor` with `password`, no TLS.
pub fn instance(name: &str, addr: std::net::SocketAddr, password: &str) -> InstanceConfig {
    let mut i = InstanceConfig::from_connection_string(&format!(
        "Server=tcp:{},{};User ID=monitor;Password={password};Encrypt=DANGER_PLAINTEXT",
        addr.ip(),
        addr.port()
    ))
    .unwrap();
    i.name = name.to_string();
    i
}

/// Short timeouts and backoff, for tests.
pub fn fast() -> Settings {
    Settings {
        connect_timeout: Duration::from_secs(2),
        query_timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(20),
        ..Settings::default()
    }
}
