//! The live source: SQL Server instances over TDS (tiberius), collected into
//! the snapshot shape (design.md §2), many at once, never blocking.
//!
//! - [`queries`]: one documented constant per catalog object.
//! - [`connect`]: config → tiberius connection, with timeouts and SQL Browser.
//! - [`collect_instance`]: one connection → one [`SnapshotInstance`]; a missing
//!   permission or object leaves that table absent with the reason.
//! - [`collect_all`]: every configured instance through a bounded pool, with
//!   retry and backoff; each gets a [`Status`].

pub mod access;
pub mod collect;
pub mod connect;
pub mod convert;
pub mod exec;
pub mod queries;
pub mod script;

use std::time::{Duration, Instant};

use futures_util::{AsyncRead, AsyncWrite, TryStreamExt};
use serde_json::{Map, Value};
use tiberius::Client;

use crate::config::{Config, Defaults, InstanceConfig};
use crate::model::{Cell, RowRef, ServerInfo, Table, Tables};
use crate::snapshot::{Snapshot, SnapshotInstance, FORMAT};

pub use connect::{credential, Credential};
use queries::CatalogQuery;

/// How an instance fared in the last collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Collected, but these tables are absent for lack of permission.
    PermissionMissing(Vec<String>),
    Unreachable(String),
    LoginFailed(String),
    TlsError(String),
    /// Anything else (protocol error, bad configuration).
    Failed(String),
}

impl Status {
    /// Short label for the console and `check`.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::PermissionMissing(_) => "permission missing",
            Status::Unreachable(_) => "unreachable",
            Status::LoginFailed(_) => "login failed",
            Status::TlsError(_) => "TLS error",
            Status::Failed(_) => "failed",
        }
    }

    /// Whether a snapshot of the instance exists.
    pub fn collected(&self) -> bool {
        matches!(self, Status::Ok | Status::PermissionMissing(_))
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Ok => f.write_str("ok"),
            Status::PermissionMissing(t) => write!(f, "permission missing: {}", t.join(", ")),
            Status::Unreachable(m)
            | Status::LoginFailed(m)
            | Status::TlsError(m)
            | Status::Failed(m) => write!(f, "{}: {m}", self.label()),
        }
    }
}

/// Timeouts, window and pool size.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub horizon_days: u32,
    pub connect_timeout: Duration,
    pub query_timeout: Duration,
    pub parallelism: usize,
    pub retries: u32,
    /// First backoff; doubled per retry.
    pub backoff: Duration,
}

impl From<&Defaults> for Settings {
    fn from(d: &Defaults) -> Self {
        Settings {
            horizon_days: d.horizon_days,
            connect_timeout: Duration::from_secs(d.connect_timeout_secs),
            query_timeout: Duration::from_secs(d.query_timeout_secs),
            parallelism: d.parallelism.max(1),
            retries: d.retries,
            backoff: Duration::from_millis(250),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from(&Defaults::default())
    }
}

/// One instance's outcome.
#[derive(Debug, Clone)]
pub struct InstanceResult {
    pub name: String,
    pub status: Status,
    pub snapshot: Option<SnapshotInstance>,
    pub elapsed: Duration,
    pub attempts: u32,
}

enum QueryError {
    /// The server answered with an error: the table is absent, the instance goes on.
    Server { code: u32, message: String },
    /// A value of a type the column cannot have.
    BadValue(String),
    /// The connection is gone or out of sync: the instance fails.
    Fatal(Status),
}

const PERMISSION_ERRORS: &[u32] = &[229, 230, 262, 297, 300, 916, 976, 15247];

/// Runs one query and converts every row (the stream is always drained).
async fn run<S>(client: &mut Client<S>, sql: &str, timeout: Duration) -> Result<Table, QueryError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let work = async {
        let stream = client.simple_query(sql).await;
        let mut rows = Table::default();
        let mut convert = convert::Rows::default();
        let mut bad = None;
        let mut stream = match stream {
            Ok(s) => s.into_row_stream(),
            Err(e) => return Err(query_error(e)),
        };
        loop {
            match stream.try_next().await {
                Ok(Some(row)) => {
                    if bad.is_none() {
                        if let Err(e) = convert.convert(&mut rows, row) {
                            bad = Some(e);
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(query_error(e)),
            }
        }
        match bad {
            Some(e) => Err(QueryError::BadValue(e)),
            None => Ok(rows),
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(QueryError::Fatal(Status::Unreachable(format!(
            "a query did not finish within {} s",
            timeout.as_secs_f64()
        )))),
    }
}

/// Runs one catalog query and converts its rows exactly as a collection does
/// (for tools and benchmarks); errors are flattened to text.
pub async fn query_rows<S>(
    client: &mut Client<S>,
    sql: &str,
    timeout: Duration,
) -> Result<Table, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    run(client, sql, timeout).await.map_err(|e| match e {
        QueryError::Server { code, message } => format!("error {code}: {message}"),
        QueryError::BadValue(m) => m,
        QueryError::Fatal(s) => s.to_string(),
    })
}

fn query_error(e: tiberius::error::Error) -> QueryError {
    match e {
        tiberius::error::Error::Server(t) => QueryError::Server {
            code: t.code(),
            message: t.message().to_string(),
        },
        other => QueryError::Fatal(connect::classify(&other)),
    }
}

/// The reason a table is absent.
fn reason(q: &CatalogQuery, e: &QueryError) -> String {
    match e {
        QueryError::Server { code, .. } if PERMISSION_ERRORS.contains(code) => {
            format!("needs {}", q.needs)
        }
        QueryError::Server { code: 208, message } => format!("not on this server: {message}"),
        QueryError::Server { code, message } => format!("error {code}: {message}"),
        QueryError::BadValue(m) => format!("unexpected column type: {m}"),
        QueryError::Fatal(s) => s.to_string(),
    }
}

fn is_permission(e: &QueryError) -> bool {
    matches!(e, QueryError::Server { code, .. } if PERMISSION_ERRORS.contains(code))
}

fn major_version(server: &ServerInfo) -> u32 {
    server
        .product_version
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Collects one instance over an open connection.
pub async fn collect_instance<S>(
    client: &mut Client<S>,
    name: &str,
    settings: &Settings,
) -> Result<(SnapshotInstance, Status), Status>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    collect_instance_since(client, name, settings, None).await
}

/// History tables read by `backup_set_id > {after_id}`, with the columns
/// that identify a row: an incremental refresh appends what is new.
const INCREMENTAL: [(&str, &[&str]); 4] = [
    (crate::model::catalog::BACKUPSET, &["backup_set_id"]),
    (crate::model::catalog::BACKUPMEDIASET, &["media_set_id"]),
    (
        crate::model::catalog::BACKUPMEDIAFAMILY,
        &["media_set_id", "family_sequence_number", "mirror"],
    ),
    (
        crate::model::catalog::BACKUPFILE,
        &["backup_set_id", "file_number"],
    ),
];

/// The last `backup_set_id` a previous collection holds, when it holds all
/// the incremental tables (otherwise the history is read whole).
pub fn resume_point(previous: &SnapshotInstance) -> Option<i64> {
    if INCREMENTAL
        .iter()
        .any(|(t, _)| !previous.tables.contains_key(*t))
    {
        return None;
    }
    previous.tables[crate::model::catalog::BACKUPSET]
        .rows()
        .filter_map(|r| match r.get("backup_set_id")? {
            Cell::Int(i) => Some(*i),
            other => other.as_text()?.parse().ok(),
        })
        .max()
}

/// `previous` rows followed by `new` ones, each row once (by its key columns).
fn merge_rows(previous: Option<&Table>, new: Table, key: &[&str]) -> Table {
    let Some(previous) = previous else {
        return new;
    };
    let id = |r: &RowRef<'_>| -> String {
        key.iter()
            .map(|k| {
                r.get(k)
                    .map(|c| c.to_value().to_string())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("|")
    };
    let mut seen: std::collections::HashSet<String> = previous.rows().map(|r| id(&r)).collect();
    let mut out = previous.clone();
    let mut fresh = new;
    fresh.retain(|r| seen.insert(id(&r)));
    out.append(&fresh);
    out
}

/// Collects one instance; with a `previous` snapshot of it, the backup
/// history is read only past its last `backup_set_id` and appended (the
/// catalog tables are always read whole). Rows msdb deleted since, and the
/// window moving on, are only seen by a full collection: callers do one
/// now and then.
pub async fn collect_instance_since<S>(
    client: &mut Client<S>,
    name: &str,
    settings: &Settings,
    previous: Option<&SnapshotInstance>,
) -> Result<(SnapshotInstance, Status), Status>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let c = collect::collect(client, name, settings, previous).await?;
    Ok((c.instance, c.status))
}

/// Connects (with retry and backoff for refused connections) and collects one instance.
pub async fn collect_one(
    inst: &InstanceConfig,
    cred: &Credential,
    settings: &Settings,
) -> InstanceResult {
    collect_one_since(inst, cred, settings, None).await
}

/// [`collect_one`] that reads only new backup history past `previous`
/// (see [`collect_instance_since`]).
pub async fn collect_one_since(
    inst: &InstanceConfig,
    cred: &Credential,
    settings: &Settings,
    previous: Option<&SnapshotInstance>,
) -> InstanceResult {
    let start = Instant::now();
    let mut attempts = 0;
    let mut backoff = settings.backoff;
    let outcome = loop {
        attempts += 1;
        match connect::connect(inst, cred, settings.connect_timeout, settings.query_timeout).await {
            Ok(mut client) => {
                let r = collect_instance_since(&mut client, &inst.name, settings, previous).await;
                // Closing politely is best effort; a broken connection just drops.
                if r.is_ok() {
                    let _ = tokio::time::timeout(Duration::from_secs(1), client.close()).await;
                }
                break r;
            }
            // A timeout is not retried: the next refresh tries again.
            Err(Status::Unreachable(m))
                if attempts <= settings.retries && !m.starts_with("no login within") =>
            {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            Err(s) => break Err(s),
        }
    };
    let (snapshot, status) = match outcome {
        Ok((s, st)) => (Some(s), st),
        Err(st) => (None, st),
    };
    InstanceResult {
        name: inst.name.clone(),
        status,
        snapshot,
        elapsed: start.elapsed(),
        attempts,
    }
}

/// Collects every instance concurrently, at most `settings.parallelism` at a
/// time. Results are in the order of `instances`. Credentials are resolved
/// first (a prompt happens before any network work).
pub async fn collect_all(instances: &[InstanceConfig], settings: &Settings) -> Vec<InstanceResult> {
    collect_all_since(instances, settings, &std::collections::BTreeMap::new()).await
}

/// [`collect_all`] reading each instance's backup history only past its
/// `previous` snapshot (by instance name), when there is one.
pub async fn collect_all_since(
    instances: &[InstanceConfig],
    settings: &Settings,
    previous: &std::collections::BTreeMap<String, SnapshotInstance>,
) -> Vec<InstanceResult> {
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(settings.parallelism.max(1)));
    let mut handles = Vec::new();
    for inst in instances {
        let cred = credential(inst);
        let prev = previous.get(&inst.name).cloned();
        let inst = inst.clone();
        let settings = settings.clone();
        let sem = sem.clone();
        handles.push(tokio::spawn(async move {
            let cred = match cred {
                Ok(c) => c,
                Err(m) => {
                    return InstanceResult {
                        name: inst.name.clone(),
                        status: Status::LoginFailed(m),
                        snapshot: None,
                        elapsed: Duration::ZERO,
                        attempts: 0,
                    }
                }
            };
            let _permit = sem.acquire_owned().await.ok();
            collect_one_since(&inst, &cred, &settings, prev.as_ref()).await
        }));
    }
    let mut out = Vec::new();
    for (h, inst) in handles.into_iter().zip(instances) {
        out.push(h.await.unwrap_or_else(|e| InstanceResult {
            name: inst.name.clone(),
            status: Status::Failed(format!("collection task failed: {e}")),
            snapshot: None,
            elapsed: Duration::ZERO,
            attempts: 0,
        }));
    }
    out
}

/// A snapshot document from collection results. An instance that could not
/// be collected is kept with no tables and its status as the reason, so the
/// analysis says "unknown" for it instead of forgetting it.
pub fn to_snapshot(
    results: &[InstanceResult],
    collected_at: chrono::DateTime<chrono::Utc>,
) -> Snapshot {
    let instances = results
        .iter()
        .map(|r| match &r.snapshot {
            Some(s) => s.clone(),
            None => {
                let mut missing = Map::new();
                for t in [
                    crate::model::catalog::DATABASES,
                    crate::model::catalog::BACKUPSET,
                ] {
                    missing.insert(t.to_string(), Value::String(r.status.to_string()));
                }
                let mut extra = Map::new();
                extra.insert("status".into(), Value::String(r.status.label().into()));
                SnapshotInstance {
                    name: r.name.clone(),
                    server: ServerInfo::default(),
                    tables: Tables::new(),
                    missing,
                    extra,
                }
            }
        })
        .collect();
    Snapshot {
        format: FORMAT.to_string(),
        collected_at: Some(collected_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        source: Some("live".into()),
        instances,
        extra: Map::new(),
    }
}

/// Runs a future to completion on a fresh runtime in its own thread, so
/// synchronous callers work whether or not a runtime is already running.
pub fn block_on<F>(future: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(future)
    })
    .join()
    .expect("the collection thread")
}

/// Collects a whole config into a snapshot plus per-instance results.
pub async fn collect_config(config: &Config) -> (Snapshot, Vec<InstanceResult>) {
    let settings = Settings::from(&config.defaults);
    let results = collect_all(&config.instances, &settings).await;
    (to_snapshot(&results, chrono::Utc::now()), results)
}

/// [`collect_config`] for synchronous callers (the CLI).
pub fn collect_config_blocking(config: &Config) -> (Snapshot, Vec<InstanceResult>) {
    let config = config.clone();
    block_on(async move { collect_config(&config).await })
}

/// Connects to one instance and collects it, keeping what happened to every
/// catalog query (`chainwatch doctor`).
pub async fn diagnose(
    inst: &InstanceConfig,
    cred: &Credential,
    settings: &Settings,
) -> Result<collect::Collected, Status> {
    let mut client =
        connect::connect(inst, cred, settings.connect_timeout, settings.query_timeout).await?;
    let r = collect::collect(&mut client, &inst.name, settings, None).await;
    if r.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(1), client.close()).await;
    }
    r
}
