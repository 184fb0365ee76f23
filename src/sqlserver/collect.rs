//! One connection → one [`SnapshotInstance`], and what happened to every
//! catalog query (for `doctor`).
//!
//! A table is absent when it was not collected (with the reason in
//! `missing`); present and also named in `missing` when some of it is not
//! visible to this login (a database without a user for it, an unreadable
//! AG secondary, OFFLINE databases hidden, mirror-side NULLs). The
//! per-database detail is kept in the instance's `not_visible` field:
//! `{ table: { database: reason } }`.

use futures_util::{AsyncRead, AsyncWrite};
use serde_json::{Map, Value};
use tiberius::Client;

use super::access::{flag, grant_for, grant_for_query, Access};
use super::queries::{self, CatalogQuery, Scope};
use super::{
    is_permission, major_version, merge_rows, reason, resume_point, run, QueryError, Settings,
    Status, INCREMENTAL,
};
use crate::model::{Cell, ServerInfo, Table, Tables};
use crate::snapshot::SnapshotInstance;

/// What one catalog query gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Collected: this many rows.
    Ok(usize),
    /// Collected, but some of it is not visible to this login (the reason and
    /// the statement that fixes it).
    Partial { reason: String, fix: String },
    /// Not sent: the object is not on this version.
    NotOnVersion,
    /// Another shape of the same table was read instead (or will be tried).
    Alternative,
    /// Refused or silent for lack of a permission.
    Denied { reason: String, fix: String },
    /// Not collected for another reason (missing object, error, bad type).
    Failed(String),
}

/// A query's outcome, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryReport {
    pub name: &'static str,
    pub table: &'static str,
    pub outcome: Outcome,
}

/// Per-database errors that hide one database, not the table: no user for
/// the login in it (916), an AG secondary that is not readable (976).
const PER_DATABASE_ERRORS: &[u32] = &[916, 976];

/// Why one database's rows are not visible, and what fixes it.
fn per_database_reason(code: u32, q: &CatalogQuery) -> (String, &'static str) {
    match code {
        916 => (
            "the login has no user in this database (error 916)".into(),
            "a user in the database",
        ),
        976 => (
            "an availability group secondary that is not readable (error 976)".into(),
            "a readable secondary",
        ),
        _ => (format!("needs {}", q.needs), q.needs),
    }
}

/// Reads the login's permissions; whatever the server will not say stays unknown.
async fn read_access<S>(client: &mut Client<S>, settings: &Settings) -> Result<Access, Status>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let t = settings.query_timeout;
    let mut a = Access::default();
    match run(client, queries::PERMISSIONS, t).await {
        Ok(rows) => {
            let row = rows.row(0);
            a.login = row
                .and_then(|r| r.get("login_name")?.as_text().map(|t| t.into_owned()))
                .filter(|l| !l.is_empty());
            a.sysadmin = flag(row, "is_sysadmin");
            a.alter_any_database = flag(row, "alter_any_database");
            a.create_database = flag(row, "create_database");
            a.alter_any_credential = flag(row, "alter_any_credential");
            a.view_any_definition = flag(row, "view_any_definition");
            a.view_server_state = flag(row, "view_server_state");
        }
        Err(QueryError::Fatal(s)) => return Err(s),
        Err(_) => {}
    }
    match run(client, queries::MSDB_BACKUPOPERATOR, t).await {
        Ok(rows) => a.msdb_backupoperator = flag(rows.row(0), "is_backupoperator"),
        Err(QueryError::Fatal(s)) => return Err(s),
        Err(_) => {}
    }
    Ok(a)
}

/// A user database to visit and what the login may do in it.
struct UserDb {
    name: String,
    control: Option<bool>,
}

/// Everything a collection learns, before it becomes a snapshot.
pub struct Collected {
    pub instance: SnapshotInstance,
    pub status: Status,
    pub access: Access,
    pub reports: Vec<QueryReport>,
}

/// Collects one instance; with a `previous` snapshot of it, the backup
/// history is read only past its last `backup_set_id` (see
/// [`super::collect_instance_since`]).
pub async fn collect<S>(
    client: &mut Client<S>,
    name: &str,
    settings: &Settings,
    previous: Option<&SnapshotInstance>,
) -> Result<Collected, Status>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let after_id = previous.and_then(resume_point).unwrap_or(0);
    let t = settings.query_timeout;
    let fatal = |e: QueryError| match e {
        QueryError::Fatal(s) => s,
        QueryError::Server { code, message } => {
            Status::Failed(format!("server facts: error {code}: {message}"))
        }
        QueryError::BadValue(m) => Status::Failed(format!("server facts: {m}")),
    };
    let server_row = run(client, queries::SERVER, t)
        .await
        .map_err(fatal)?
        .row(0)
        .map(|r| r.to_map())
        .unwrap_or_default();
    let server: ServerInfo = serde_json::from_value(Value::Object(server_row))
        .map_err(|e| Status::Failed(format!("server facts: {e}")))?;
    let major = major_version(&server);
    let access = read_access(client, settings).await?;
    let login = access.login.clone().unwrap_or_else(|| "<login>".into());

    let mut tables = Tables::new();
    let mut missing = Map::new();
    let mut not_visible: Map<String, Value> = Map::new();
    let mut shapes = Map::new();
    let mut denied = Vec::new();
    let mut reports = Vec::new();

    // The window: the longer of the horizon and the Managed Backup retention.
    let mut horizon = settings.horizon_days;
    let retention_sql = if major >= 13 {
        queries::MAX_RETENTION_MB
    } else {
        queries::MAX_RETENTION_SA
    };
    if major >= 12 {
        if let Ok(rows) = run(client, retention_sql, t).await {
            let days = rows
                .row(0)
                .and_then(|r| match r.get("retention_days")? {
                    Cell::Int(d) => u64::try_from(*d).ok(),
                    _ => None,
                })
                .unwrap_or(0);
            horizon = horizon.max(u32::try_from(days).unwrap_or(u32::MAX));
        }
    }

    let user_dbs: Vec<UserDb> = match run(client, queries::USER_DATABASES, t).await {
        Ok(rows) => rows
            .rows()
            .filter_map(|r| {
                Some(UserDb {
                    name: r.get("name")?.as_text()?.into_owned(),
                    control: flag(Some(r), "has_control"),
                })
            })
            .collect(),
        Err(QueryError::Fatal(s)) => return Err(s),
        Err(_) => Vec::new(),
    };
    let managed_sql = if major >= 13 {
        queries::MANAGED_DATABASES_MB
    } else {
        queries::MANAGED_DATABASES_SA
    };
    let config_hidden = access.sees_managed_backup_config() == Some(false);
    let managed: Option<Vec<String>> = if major < 12 {
        None
    } else {
        match run(client, managed_sql, t).await {
            // An empty list to a login that cannot see the configuration is no list.
            Ok(rows) if rows.is_empty() && config_hidden => None,
            Ok(rows) => Some(
                rows.rows()
                    .filter_map(|r| r.get("db_name")?.as_text().map(|t| t.into_owned()))
                    .collect(),
            ),
            Err(QueryError::Fatal(s)) => return Err(s),
            Err(_) => None,
        }
    };

    for (i, q) in queries::ALL.iter().enumerate() {
        let report = |outcome| QueryReport {
            name: q.name,
            table: q.table,
            outcome,
        };
        if !q.applies(major) {
            reports.push(report(Outcome::NotOnVersion));
            continue;
        }
        // Read already, or refused for a reason another shape would not change.
        if tables.contains_key(q.table) || missing.contains_key(q.table) {
            reports.push(report(Outcome::Alternative));
            continue;
        }
        // Another shape of this table follows for this version.
        let alternative_follows = queries::ALL[i + 1..]
            .iter()
            .any(|o| o.table == q.table && o.applies(major));
        let dbs: Vec<Option<&UserDb>> = match q.scope {
            Scope::Server | Scope::Window => vec![None],
            Scope::PerDatabase => user_dbs.iter().map(Some).collect(),
            Scope::PerManagedDatabase => match &managed {
                Some(l) => {
                    let mut rows = Table::default();
                    let mut failure = None;
                    for db in l {
                        let Ok(sql) = queries::render(q.sql, 0, horizon, Some(db)) else {
                            continue;
                        };
                        match run(client, &sql, t).await {
                            Ok(r) => rows.append(&r),
                            Err(QueryError::Fatal(s)) => return Err(s),
                            Err(e) => {
                                failure = Some(e);
                                break;
                            }
                        }
                    }
                    match failure {
                        None => {
                            reports.push(report(Outcome::Ok(rows.len())));
                            tables.insert(q.table.to_string(), rows);
                        }
                        Some(e) => {
                            let outcome = failed(q, &e, &login, &mut denied, &mut missing);
                            reports.push(report(outcome));
                        }
                    }
                    continue;
                }
                None => {
                    let r = if config_hidden {
                        "not visible to this login: the Managed Backup configuration it needs answers empty without db_backupoperator in msdb and ALTER ANY CREDENTIAL".to_string()
                    } else {
                        "the Managed Backup configuration could not be read".to_string()
                    };
                    if config_hidden {
                        denied.push(q.table.to_string());
                        reports.push(report(Outcome::Denied {
                            reason: r.clone(),
                            fix: grant_for("db_backupoperator", &login, None),
                        }));
                    } else {
                        reports.push(report(Outcome::Failed(r.clone())));
                    }
                    missing.insert(q.table.to_string(), Value::String(r));
                    continue;
                }
            },
        };
        let mut rows = Table::default();
        let mut failure = None;
        let mut hidden = Map::new();
        let mut fix = None;
        let incremental = INCREMENTAL.iter().find(|(t, _)| *t == q.table);
        let after = if incremental.is_some() { after_id } else { 0 };
        for db in dbs {
            // Without CONTROL the scoped credentials answer empty: not "none".
            if let Some(d) = db.filter(|_| q.needs.starts_with("CONTROL")) {
                if d.control == Some(false) {
                    hidden.insert(
                        d.name.clone(),
                        Value::String(format!("not visible: needs {}", q.needs)),
                    );
                    fix.get_or_insert_with(|| grant_for(q.needs, &login, Some(&d.name)));
                    continue;
                }
            }
            let Ok(sql) = queries::render(q.sql, after, horizon, db.map(|d| d.name.as_str()))
            else {
                if let Some(d) = db {
                    hidden.insert(
                        d.name.clone(),
                        Value::String("a name chainwatch cannot quote".into()),
                    );
                }
                continue;
            };
            match run(client, &sql, t).await {
                Ok(r) => rows.append(&r),
                Err(QueryError::Fatal(s)) => return Err(s),
                Err(QueryError::Server { code, .. })
                    if db.is_some()
                        && (PER_DATABASE_ERRORS.contains(&code)
                            || super::PERMISSION_ERRORS.contains(&code)) =>
                {
                    let d = db.map(|d| d.name.as_str()).unwrap_or_default();
                    let (why, needs) = per_database_reason(code, q);
                    hidden.insert(d.to_string(), Value::String(why));
                    fix.get_or_insert_with(|| grant_for(needs, &login, Some(d)));
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        match failure {
            None => {
                if let Some(shape) = q.shape() {
                    shapes.insert(q.table.to_string(), Value::String(shape.into()));
                }
                let rows = match (incremental, previous) {
                    (Some((table, key)), Some(prev)) if after > 0 => {
                        merge_rows(prev.tables.get(*table), rows, key)
                    }
                    _ => rows,
                };
                let count = rows.len();
                let hidden_server_rows =
                    hidden_rows(q, &rows, &access, &tables, &login, config_hidden);
                if let Some((why, grant)) = hidden_server_rows {
                    if why.absent {
                        denied.push(q.table.to_string());
                        missing.insert(q.table.to_string(), Value::String(why.text.clone()));
                        reports.push(report(Outcome::Denied {
                            reason: why.text,
                            fix: grant,
                        }));
                        continue;
                    }
                    denied.push(q.table.to_string());
                    missing.insert(q.table.to_string(), Value::String(why.text.clone()));
                    reports.push(report(Outcome::Partial {
                        reason: why.text,
                        fix: grant,
                    }));
                } else if hidden.is_empty() {
                    reports.push(report(Outcome::Ok(count)));
                } else {
                    let names: Vec<&str> = hidden.keys().map(String::as_str).collect();
                    let why = format!(
                        "not visible in {} of the databases ({}): {}",
                        hidden.len(),
                        names.join(", "),
                        hidden
                            .values()
                            .next()
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    );
                    denied.push(q.table.to_string());
                    missing.insert(q.table.to_string(), Value::String(why.clone()));
                    reports.push(report(Outcome::Partial {
                        reason: why,
                        fix: fix.clone().unwrap_or_default(),
                    }));
                    not_visible.insert(q.table.to_string(), Value::Object(hidden));
                }
                tables.insert(q.table.to_string(), rows);
            }
            // Another documented shape follows: try it.
            Some(QueryError::Server { code: 207, .. }) if alternative_follows => {
                reports.push(report(Outcome::Alternative));
            }
            Some(e) => {
                let outcome = failed(q, &e, &login, &mut denied, &mut missing);
                reports.push(report(outcome));
            }
        }
    }
    denied.dedup();
    let status = if denied.is_empty() {
        Status::Ok
    } else {
        Status::PermissionMissing(denied)
    };
    let mut extra = Map::new();
    if !not_visible.is_empty() {
        extra.insert("not_visible".into(), Value::Object(not_visible));
    }
    if !shapes.is_empty() {
        extra.insert("catalog_shapes".into(), Value::Object(shapes));
    }
    Ok(Collected {
        instance: SnapshotInstance {
            name: name.to_string(),
            server,
            tables,
            missing,
            extra,
        },
        status,
        access,
        reports,
    })
}

/// Why a server-wide result may be missing rows the login cannot see.
struct Hidden {
    text: String,
    /// The result says nothing (leave the table absent), rather than less.
    absent: bool,
}

/// A query that failed as a whole: its table goes to `missing` with the
/// reason, and the outcome is a denial (with the grant that fixes it, the
/// table also counted as denied) or a failure.
fn failed(
    q: &CatalogQuery,
    e: &QueryError,
    login: &str,
    denied: &mut Vec<String>,
    missing: &mut Map<String, Value>,
) -> Outcome {
    let r = reason(q, e);
    missing.insert(q.table.to_string(), Value::String(r.clone()));
    if is_permission(e) {
        denied.push(q.table.to_string());
        Outcome::Denied {
            reason: r,
            fix: grant_for_query(q, login, None),
        }
    } else {
        Outcome::Failed(r)
    }
}

/// Results that are silently short for this login: an empty Managed Backup
/// configuration without its role, OFFLINE databases hidden from
/// `sys.databases`, mirror-side NULLs in `sys.database_mirroring`.
fn hidden_rows(
    q: &CatalogQuery,
    rows: &Table,
    access: &Access,
    tables: &Tables,
    login: &str,
    config_hidden: bool,
) -> Option<(Hidden, String)> {
    let table = q.table;
    if table.contains("fn_backup_db_config") || table.contains("fn_backup_instance_config") {
        if rows.is_empty() && config_hidden {
            return Some((
                Hidden {
                    text: "not visible to this login (an empty result): needs db_backupoperator in msdb and ALTER ANY CREDENTIAL".into(),
                    absent: true,
                },
                grant_for("db_backupoperator", login, None),
            ));
        }
        return None;
    }
    if table == crate::model::catalog::DATABASES && access.sees_offline_databases() == Some(false) {
        return Some((
            Hidden {
                text: "OFFLINE databases are hidden from this login: needs ALTER ANY DATABASE (or CREATE DATABASE in master)".into(),
                absent: false,
            },
            grant_for("ALTER ANY DATABASE", login, None),
        ));
    }
    if table == crate::model::catalog::MIRRORING && access.sysadmin == Some(false) {
        // A mirror database is RESTORING; only sysadmin sees its mirroring row.
        let restoring: Vec<String> = tables
            .get(crate::model::catalog::DATABASES)
            .map(|t| {
                t.rows()
                    .filter(|r| matches!(r.get("state"), Some(Cell::Int(1))))
                    .filter_map(|r| r.get("name")?.as_text().map(|n| n.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if !restoring.is_empty() {
            return Some((
                Hidden {
                    text: format!(
                        "mirror-side values are NULL for this login, so a mirror looks unmirrored ({}): needs sysadmin",
                        restoring.join(", ")
                    ),
                    absent: false,
                },
                grant_for("sysadmin", login, None),
            ));
        }
    }
    None
}
