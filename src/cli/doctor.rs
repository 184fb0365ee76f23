//! `chainwatch doctor [--instance NAME | --server CONN]`: connects, runs
//! every catalog query and says per object OK, not on this version, or
//! denied / not visible — with the statement that grants it and what
//! chainwatch cannot judge without it. Exit codes as `check`: 0 all
//! visible, 1 something not visible, 2 the backup history itself is not
//! readable, 3 no connection.

use std::path::Path;

use anyhow::anyhow;

use crate::config::{Config, InstanceConfig};
use crate::model::catalog;
use crate::sqlserver::collect::Outcome;
use crate::sqlserver::{self, Settings};

/// What chainwatch cannot judge without a table.
pub fn impact(table: &str) -> &'static str {
    match table {
        t if t.starts_with("msdb.dbo.backup") || t == catalog::RESTOREHISTORY => {
            "log chains, recoverable windows and restore plans"
        }
        catalog::LOGMARKHISTORY => "restores to a marked transaction",
        catalog::DATABASES | catalog::RECOVERY_STATUS => {
            "which databases exist, their state, recovery model and forks"
        }
        catalog::MIRRORING => "whether a database is a mirror (which cannot be backed up)",
        catalog::HADR_REPLICA_STATES | catalog::AVAILABILITY_REPLICAS => {
            "the AG replica role and the preferred backup replica"
        }
        catalog::AVAILABILITY_GROUPS => "the AG backup preference",
        catalog::SERVER_CREDENTIALS => "the restore pre-flight credential check",
        catalog::VOLUME_STATS => "the restore pre-flight free-space check",
        catalog::SCOPED_CREDENTIALS => "the Stretch reauthorize credential",
        t if t.starts_with("sys.remote_data_archive") => "Stretch Database state",
        catalog::LOG_SHIPPING_PRIMARY => "log shipping beside Managed Backup",
        t if t.starts_with("msdb.dbo.sysjob") || t.starts_with("msdb.dbo.sysmaintplan") => {
            "Agent jobs and maintenance plans that back up around Managed Backup"
        }
        t if t.contains("fn_available_backups") => "what Managed Backup still keeps in storage",
        t if t.contains("managed_backup") || t.contains("smart_admin") => {
            "Managed Backup configuration, retention and coexistence rules"
        }
        _ => "findings that read it",
    }
}

fn resolve(
    config: Option<&Path>,
    instance: Option<&str>,
    server: Option<&str>,
) -> anyhow::Result<(Vec<InstanceConfig>, Settings)> {
    if let Some(conn) = server {
        let i =
            InstanceConfig::from_connection_string(conn).map_err(|e| anyhow!("--server: {e}"))?;
        return Ok((vec![i], Settings::default()));
    }
    let path = super::live::config_path(config)?;
    let c = Config::load(&path)?;
    let settings = Settings::from(&c.defaults);
    let list = match instance {
        Some(name) => vec![c
            .instance(name)
            .cloned()
            .ok_or_else(|| anyhow!("no instance {name:?} in {}", path.display()))?],
        None => c.instances.clone(),
    };
    Ok((list, settings))
}

/// Runs the doctor; returns the exit code.
pub fn run(
    config: Option<&Path>,
    instance: Option<&str>,
    server: Option<&str>,
) -> anyhow::Result<u8> {
    let (instances, settings) = resolve(config, instance, server)?;
    let mut code = 0u8;
    for inst in instances {
        let cred = sqlserver::credential(&inst).map_err(|m| anyhow!("{}: {m}", inst.name))?;
        let settings = settings.clone();
        let name = inst.name.clone();
        let outcome =
            sqlserver::block_on(async move { sqlserver::diagnose(&inst, &cred, &settings).await });
        let collected = match outcome {
            Ok(c) => c,
            Err(status) => {
                outln!("{name}: UNKNOWN, {status}");
                code = code.max(3);
                continue;
            }
        };
        let version = collected.instance.server.product_version.clone();
        let login = collected.access.login.clone().unwrap_or_default();
        outln!(
            "{name}: SQL Server {}, login {login}",
            version.as_deref().unwrap_or("?")
        );
        for r in &collected.reports {
            let (word, detail) = match &r.outcome {
                Outcome::Ok(n) => ("OK", format!("{n} rows")),
                Outcome::NotOnVersion => ("n/a", "not on this version".into()),
                Outcome::Alternative => continue,
                Outcome::Partial { reason, fix } | Outcome::Denied { reason, fix } => {
                    let word = if matches!(r.outcome, Outcome::Partial { .. }) {
                        "PARTIAL"
                    } else {
                        "DENIED"
                    };
                    let history = r.table.starts_with(catalog::BACKUPSET);
                    code = code.max(if history && word == "DENIED" { 2 } else { 1 });
                    (
                        word,
                        format!(
                            "{reason}\n        fix: {fix}\n        without it: {}",
                            impact(r.table)
                        ),
                    )
                }
                Outcome::Failed(m) => {
                    let history = r.table.starts_with(catalog::BACKUPSET);
                    code = code.max(if history { 2 } else { 1 });
                    (
                        "FAILED",
                        format!("{m}\n        without it: {}", impact(r.table)),
                    )
                }
            };
            outln!("  {word:<8} {:<26} {}  {detail}", r.name, r.table);
        }
    }
    Ok(code)
}
