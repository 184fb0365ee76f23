//! Stretch Database statements: reauthorize after a restore, deauthorize,
//! reconcile (shared/domain.md §5.3–5.4). Stretch is deprecated since
//! SQL Server 2022: chainwatch only helps recover it, never enables it.

use serde::{Deserialize, Serialize};

use super::quote::{script_ident, script_string, QuoteError};
use super::script::{Batch, BatchKind};

/// How to reconnect a restored Stretch-enabled database to Azure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reauthorize {
    /// The database scoped credential; None when it is not known which one
    /// (the script then carries a placeholder and cannot be run).
    pub credential: Option<String>,
    /// The credentials the database has, to name in the placeholder.
    pub candidates: Vec<String>,
    /// 1 = connect to a copy of the remote data (recommended after a
    /// restore to an earlier point); 0 = reconnect to the existing remote data.
    pub with_copy: bool,
    /// Only when the remote database was restored under another name/server.
    pub azure_server: Option<String>,
    pub azure_database: Option<String>,
    /// Why the credentials could not be read ("needs CONTROL on the
    /// database"), so the placeholder says so instead of "none collected".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl Reauthorize {
    /// The database's own credential when it has exactly one.
    pub fn for_credentials(names: Vec<String>) -> Reauthorize {
        Reauthorize {
            credential: (names.len() == 1).then(|| names[0].clone()),
            candidates: names,
            with_copy: true,
            azure_server: None,
            azure_database: None,
            unreadable: None,
        }
    }
}

/// Said before a reauthorize runs (the wizard's step and the script): the
/// feature's status per Microsoft (deprecated in SQL Server 2022 on
/// 2022-11-16; retirement announced on the SQL Server blog, 2024-07-03) and
/// what to check on the Azure side first.
pub const RETIREMENT: [&str; 2] = [
    "Stretch Database is deprecated (SQL Server 2022, since 2022-11-16) and Microsoft announced its retirement on 2024-07-03: the Azure side may no longer serve it.",
    "Check in Azure first: the remote database (sys.remote_data_archive_databases.remote_database_name) still exists on its server, the server's firewall admits this SQL Server, and the credential's login still works.",
];

/// What `@with_copy` means, for the wizard and the script comments.
pub const WITH_COPY_HELP: [&str; 2] = [
    "@with_copy = 1: Azure makes a copy of the remote data and the database connects to the copy (recommended after restoring to an earlier point: the original remote data stays untouched).",
    "@with_copy = 0: reconnect to the existing remote data as it is now (only when the restore brought the database back to where the remote data already is).",
];

/// `USE [db]; EXEC sys.sp_rda_reauthorize_db …;` run in the restored database.
pub fn reauthorize_batch(database: &str, r: &Reauthorize) -> Result<Batch, QuoteError> {
    let db = script_ident(database)?;
    let mut comments = vec![
        "Stretch Database: reconnect the restored database to its remote data.".to_string(),
        RETIREMENT[0].to_string(),
        RETIREMENT[1].to_string(),
        WITH_COPY_HELP[usize::from(!r.with_copy)].to_string(),
        "If the remote Azure database was restored under another name or region, run EXEC sys.sp_rda_deauthorize_db; first and pass @azure_servername / @azure_databasename.".to_string(),
    ];
    let credential = match &r.credential {
        Some(c) => script_string(c)?,
        None => {
            comments.push(if let Some(why) = &r.unreadable {
                format!("The database's scoped credentials were not visible to the login that collected ({why}): put the one it was linked with in place of the placeholder.")
            } else if r.candidates.is_empty() {
                "No database scoped credential was collected for this database: put the one it was linked with in place of the placeholder.".to_string()
            } else {
                format!(
                    "The database has {} database scoped credentials ({}): put the one it was linked with in place of the placeholder.",
                    r.candidates.len(),
                    r.candidates.join(", ")
                )
            });
            "N'<database scoped credential>'".to_string()
        }
    };
    let mut args = vec![
        format!("@credential = {credential}"),
        format!("@with_copy = {}", u8::from(r.with_copy)),
    ];
    if let Some(s) = &r.azure_server {
        args.push(format!("@azure_servername = {}", script_string(s)?));
    }
    if let Some(d) = &r.azure_database {
        args.push(format!("@azure_databasename = {}", script_string(d)?));
    }
    Ok(Batch {
        kind: BatchKind::Reauthorize,
        label: "reauthorize".into(),
        comments,
        sql: format!(
            "USE {db};\nEXEC sys.sp_rda_reauthorize_db {};",
            args.join(", ")
        ),
        runnable: r.credential.is_some(),
    })
}

/// `USE [db]; EXEC sys.sp_rda_reconcile_batch @objname = N'[schema].[table]';`
pub fn reconcile_batch(database: &str, table: &str) -> Result<Batch, QuoteError> {
    Ok(Batch {
        kind: BatchKind::Reauthorize,
        label: format!("reconcile {table}"),
        comments: vec![format!(
            "{table} is not reconciled (is_reconciled = 0): re-sync its batch ID with the remote table."
        )],
        sql: format!(
            "USE {};\nEXEC sys.sp_rda_reconcile_batch @objname = {};",
            script_ident(database)?,
            script_string(table)?
        ),
        runnable: true,
    })
}
