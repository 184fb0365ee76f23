//! A TDS test server: serves a snapshot instance's tables over real TCP to
//! the real tiberius client, with the real SQL types, and injects faults.
//! Byte-level notes: shared/design.md §4. Shared with `examples/tds-server.rs`.
#![allow(dead_code)]

pub mod catalog;
pub use catalog::MbShape;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chainwatch::snapshot::SnapshotInstance;
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Faults to inject. Table names are snapshot keys (`msdb.dbo.backupset`).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer the prelogin, then never answer the login.
    pub hang_after_prelogin: bool,
    /// Tables answered with a permission error (229, or 300 for `sys.dm_*`).
    pub deny: Vec<String>,
    /// Tables answered with ERROR 50000 (class 16).
    pub error_token: Vec<String>,
    /// A table whose result stops halfway: the socket is closed mid-message.
    pub drop_mid_result: Option<String>,
    /// Tables whose LSN columns are sent as nvarchar text that is not a number.
    pub wrong_types: Vec<String>,
    /// Pause between 4 KB packets of a result (slow rows).
    pub packet_delay: Option<Duration>,
    /// Pause before every response (network latency).
    pub latency: Option<Duration>,
    /// The first write batch containing this text fails once with
    /// Msg 3013 ("RESTORE ... is terminating abnormally"); later ones pass.
    pub fail_write_once: Option<String>,
}

/// What the server serves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub user: String,
    pub password: String,
    pub faults: Faults,
    /// Every write batch (RESTORE / USE / EXEC) received, in order.
    pub writes: Arc<std::sync::Mutex<Vec<String>>>,
    /// Set once the injected write failure has fired.
    pub write_failed: Arc<std::sync::atomic::AtomicBool>,
    /// Every catalog query received (text), in order.
    pub reads: Arc<std::sync::Mutex<Vec<String>>>,
    /// What the login may see (default: sysadmin).
    pub login: LoginAccess,
    /// Which shape msdb's 2016+ Managed Backup functions answer in.
    pub mb_shape: MbShape,
    /// A case-sensitive server collation: column names must match exactly.
    pub case_sensitive: bool,
}

/// A login's permissions, as the server enforces them.
#[derive(Debug, Clone)]
pub struct LoginAccess {
    pub sysadmin: bool,
    pub alter_any_database: bool,
    pub create_database: bool,
    pub alter_any_credential: bool,
    pub view_any_definition: bool,
    pub view_server_state: bool,
    /// Member of db_backupoperator in msdb.
    pub msdb_backupoperator: bool,
    /// CONTROL on every user database (else only where not in `no_control_in`).
    pub control: bool,
    pub no_control_in: Vec<String>,
    /// Databases without a user for the login (error 916).
    pub no_user_in: Vec<String>,
    /// AG secondaries that are not readable (error 976).
    pub unreadable: Vec<String>,
}

impl Default for LoginAccess {
    fn default() -> Self {
        LoginAccess {
            sysadmin: true,
            alter_any_database: true,
            create_database: true,
            alter_any_credential: true,
            view_any_definition: true,
            view_server_state: true,
            msdb_backupoperator: true,
            control: true,
            no_control_in: Vec::new(),
            no_user_in: Vec::new(),
            unreadable: Vec::new(),
        }
    }
}

impl LoginAccess {
    /// The documented least-privilege monitor: SELECT in msdb, VIEW ANY
    /// DATABASE, VIEW ANY DEFINITION, VIEW SERVER STATE, nothing more.
    pub fn least_privilege() -> LoginAccess {
        LoginAccess {
            sysadmin: false,
            alter_any_database: false,
            create_database: false,
            alter_any_credential: false,
            msdb_backupoperator: false,
            control: false,
            ..LoginAccess::default()
        }
    }

    fn sees_mb_config(&self) -> bool {
        self.sysadmin || (self.msdb_backupoperator && self.alter_any_credential)
    }

    fn has_control(&self, db: &str) -> bool {
        self.sysadmin || (self.control && !self.no_control_in.iter().any(|d| d == db))
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            user: "monitor".into(),
            password: "s3cret!".into(),
            faults: Faults::default(),
            writes: Default::default(),
            write_failed: Default::default(),
            reads: Default::default(),
            login: LoginAccess::default(),
            mb_shape: MbShape::default(),
            case_sensitive: false,
        }
    }
}

/// A running server; dropping it stops accepting connections.
pub struct TdsServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TdsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A local port with nothing listening (connection refused).
pub async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

impl TdsServer {
    pub async fn start(instance: SnapshotInstance, options: ServerOptions) -> TdsServer {
        Self::start_on("127.0.0.1:0", instance, options)
            .await
            .unwrap()
    }

    pub async fn start_on(
        listen: &str,
        instance: SnapshotInstance,
        options: ServerOptions,
    ) -> std::io::Result<TdsServer> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new((instance, options));
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, &state.0, &state.1).await;
                });
            }
        });
        Ok(TdsServer { addr, task })
    }
}

async fn read_message(sock: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut h = [0u8; 8];
        sock.read_exact(&mut h).await?;
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(8)];
        sock.read_exact(&mut body).await?;
        payload.extend_from_slice(&body);
        if h[1] & 0x01 != 0 {
            return Ok((h[0], payload));
        }
    }
}

fn packets(ty: u8, data: &[u8]) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(4096 - 8).collect()
    };
    let n = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = vec![
                ty,
                u8::from(i + 1 == n),
                0,
                0,
                0,
                0,
                (i as u8).wrapping_add(1),
                0,
            ];
            p[2..4].copy_from_slice(&((c.len() + 8) as u16).to_be_bytes());
            p.extend_from_slice(c);
            p
        })
        .collect()
}

async fn send(sock: &mut TcpStream, data: &[u8], delay: Option<Duration>) -> std::io::Result<()> {
    for p in packets(0x04, data) {
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        sock.write_all(&p).await?;
    }
    Ok(())
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn b_varchar(out: &mut Vec<u8>, s: &str) {
    out.push(s.encode_utf16().count() as u8);
    out.extend(utf16(s));
}

fn done(out: &mut Vec<u8>, status: u16, count: u64) {
    out.push(0xFD);
    out.extend(status.to_le_bytes());
    out.extend(0xC1u16.to_le_bytes());
    out.extend(count.to_le_bytes());
}

fn error(out: &mut Vec<u8>, number: i32, class: u8, msg: &str) {
    let mut t = Vec::new();
    t.extend(number.to_le_bytes());
    t.push(1);
    t.push(class);
    t.extend((msg.encode_utf16().count() as u16).to_le_bytes());
    t.extend(utf16(msg));
    b_varchar(&mut t, "TDSTEST");
    b_varchar(&mut t, "");
    t.extend(1i32.to_le_bytes());
    out.push(0xAA);
    out.extend((t.len() as u16).to_le_bytes());
    out.extend(t);
}

fn read_us(data: &[u8], at: usize) -> String {
    let off = u16::from_le_bytes([data[at], data[at + 1]]) as usize;
    let len = u16::from_le_bytes([data[at + 2], data[at + 3]]) as usize * 2;
    let bytes = data.get(off..off + len).unwrap_or(&[]);
    String::from_utf16_lossy(
        &bytes
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    )
}

async fn serve(
    mut sock: TcpStream,
    inst: &SnapshotInstance,
    opt: &ServerOptions,
) -> std::io::Result<()> {
    let f = &opt.faults;
    // PRELOGIN: VERSION and ENCRYPTION = 0x02 (not supported).
    let (_, _) = read_message(&mut sock).await?;
    let mut pre = vec![0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF];
    pre.extend([0x0F, 0x00, 0x07, 0xD0, 0, 0, 0x02]);
    sock.write_all(&packets(0x04, &pre)[0]).await?;
    let (_, login) = read_message(&mut sock).await?;
    if f.hang_after_prelogin {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    if let Some(d) = f.latency {
        tokio::time::sleep(d).await;
    }
    let user = read_us(&login, 40);
    let pw_raw: Vec<u8> = {
        let off = u16::from_le_bytes([login[44], login[45]]) as usize;
        let len = u16::from_le_bytes([login[46], login[47]]) as usize * 2;
        login[off..off + len]
            .iter()
            .map(|b| {
                let y = b ^ 0xA5;
                y.rotate_left(4)
            })
            .collect()
    };
    let password = String::from_utf16_lossy(
        &pw_raw
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect::<Vec<_>>(),
    );
    let mut out = Vec::new();
    if user != opt.user || password != opt.password {
        error(
            &mut out,
            18456,
            14,
            &format!("Login failed for user '{user}'."),
        );
        done(&mut out, 0x02, 0);
        send(&mut sock, &out, None).await?;
        return Ok(());
    }
    let mut ack = vec![1];
    ack.extend(0x730B_0003u32.to_be_bytes());
    b_varchar(&mut ack, "chainwatch TDS test server");
    ack.extend([0x0F, 0x00, 0x07, 0xD0]);
    out.push(0xAD);
    out.extend((ack.len() as u16).to_le_bytes());
    out.extend(ack);
    let mut env = vec![1];
    b_varchar(&mut env, "master");
    b_varchar(&mut env, "master");
    out.push(0xE3);
    out.extend((env.len() as u16).to_le_bytes());
    out.extend(env);
    done(&mut out, 0, 0);
    send(&mut sock, &out, None).await?;

    loop {
        let (ty, data) = read_message(&mut sock).await?;
        if let Some(d) = f.latency {
            tokio::time::sleep(d).await;
        }
        let mut out = Vec::new();
        match ty {
            0x01 => {
                let skip = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                let text = String::from_utf16_lossy(
                    &data[skip..]
                        .chunks(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect::<Vec<_>>(),
                );
                let table = text
                    .trim_start()
                    .strip_prefix("-- chainwatch: ")
                    .and_then(|r| r.lines().next())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if table.is_empty() && is_write(&text) {
                    write_reply(&mut out, opt, &text);
                    send(&mut sock, &out, None).await?;
                    continue;
                }
                opt.reads.lock().unwrap().push(text.clone());
                // Big results are encoded once (benchmarks measure the client).
                let key = (
                    inst.name.clone(),
                    text.clone(),
                    f.wrong_types.contains(&table),
                );
                let cached = CACHE.lock().unwrap().get(&key).cloned();
                if let (Some(cached), None) = (cached, &f.drop_mid_result) {
                    send(&mut sock, &cached, f.packet_delay).await?;
                    continue;
                }
                match answer(inst, opt, &table, &text) {
                    Err((n, class, msg)) => {
                        error(&mut out, n, class, &msg);
                        done(&mut out, 0x02, 0);
                    }
                    Ok(rows) if rows.1.len() > 10_000 && f.drop_mid_result.is_none() => {
                        let mut o = Vec::new();
                        encode(&mut o, &rows.0, &rows.1, key.2);
                        done(&mut o, 0x10, rows.1.len() as u64);
                        let o = Arc::new(o);
                        CACHE.lock().unwrap().insert(key, Arc::clone(&o));
                        send(&mut sock, &o, f.packet_delay).await?;
                        continue;
                    }
                    Ok(rows) => {
                        let wrong = f.wrong_types.contains(&table);
                        encode(&mut out, &rows.0, &rows.1, wrong);
                        done(&mut out, 0x10, rows.1.len() as u64);
                        if f.drop_mid_result.as_deref() == Some(table.as_str()) {
                            let half = packets(0x04, &out);
                            for p in half.iter().take(half.len().div_ceil(2).max(1)) {
                                let mut p = p.clone();
                                p[1] = 0;
                                sock.write_all(&p).await?;
                            }
                            return Ok(());
                        }
                    }
                }
                send(&mut sock, &out, f.packet_delay).await?;
            }
            0x06 => {
                done(&mut out, 0x20, 0);
                send(&mut sock, &out, None).await?;
            }
            _ => {
                error(
                    &mut out,
                    50000,
                    16,
                    "the TDS test server only takes SQL batches",
                );
                done(&mut out, 0x02, 0);
                send(&mut sock, &out, None).await?;
            }
        }
    }
}

type Rows = Vec<Map<String, Value>>;

type Cache = std::sync::Mutex<std::collections::HashMap<(String, String, bool), Arc<Vec<u8>>>>;
static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Default::default);

fn first_literal(sql: &str) -> Option<String> {
    let start = sql.find("N'")? + 2;
    let mut out = String::new();
    let mut it = sql[start..].chars().peekable();
    while let Some(c) = it.next() {
        if c == '\'' {
            if it.peek() == Some(&'\'') {
                it.next();
            } else {
                return Some(out);
            }
        }
        out.push(c);
    }
    None
}

/// The result of a batch: column names in order, and rows.
type Answer = (Vec<String>, Rows);

/// Columns in row order (first seen), for answers the catalog does not shape.
fn columns_of(rows: &Rows) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    cols
}

/// The major version the served instance claims.
fn major_of(inst: &SnapshotInstance) -> u32 {
    inst.server
        .product_version
        .as_deref()
        .and_then(|v| v.split('.').next()?.parse().ok())
        .unwrap_or(13)
}

/// Where an output column's value comes from.
#[derive(Debug, Clone)]
enum Source {
    Column(String),
    /// A scalar function's value (its snapshot table's first row).
    Scalar(String),
}

/// Output columns: where each value comes from, and its name.
type Projection = Vec<(Source, String)>;

/// A name with brackets off and `[db].sys.x` folded to `sys.x`.
fn object_key(name: &sqlparser::ast::ObjectName) -> (String, Option<String>) {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.to_string().trim_matches(['[', ']']).to_string())
        .collect();
    match parts.len() {
        3 if !parts[0].eq_ignore_ascii_case("msdb") => {
            (format!("{}.{}", parts[1], parts[2]), Some(parts[0].clone()))
        }
        _ => (parts.join("."), None),
    }
}

/// Resolves a batch against the catalog for the server's version: 208 for
/// an object the version lacks or a scalar function in FROM, 207 for a
/// column it lacks. Returns the output columns when the statement is a
/// plain SELECT of known objects (None: served as before, unshaped).
fn resolve(
    sql: &str,
    major: u32,
    opt: &ServerOptions,
) -> Result<Option<Projection>, (i32, u8, String)> {
    use sqlparser::ast::{Expr, SelectItem, SetExpr, Statement, TableFactor};
    let Ok(statements) =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::MsSqlDialect {}, sql)
    else {
        return Ok(None);
    };
    // A catalog query is one SELECT: a second statement in it can only come
    // from a name pasted into the text (injection), so it is refused here
    // rather than served (SQL Server would run it).
    // (A `USE [db];` before it, as the Stretch verify queries send, is the
    // database it runs in, not a second query.)
    let body: Vec<&Statement> = statements
        .iter()
        .skip_while(|s| matches!(s, Statement::Use(_)))
        .collect();
    if sql.starts_with("-- chainwatch:") && body.len() != 1 {
        return Err((
            50000,
            16,
            format!(
                "test server: a catalog query must be one statement, this batch has {}",
                statements.len()
            ),
        ));
    }
    let Some(Statement::Query(q)) = body.first() else {
        return Ok(None);
    };
    let SetExpr::Select(select) = q.body.as_ref() else {
        return Ok(None);
    };
    let objects = catalog::objects(opt.mb_shape);
    let find = |key: &str| {
        objects
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(key) && major >= o.since && major < o.until)
    };
    let known_name = |key: &str| objects.iter().any(|o| o.name.eq_ignore_ascii_case(key));
    let invalid_object = |key: &str| (208, 16, format!("Invalid object name '{key}'."));
    // alias -> object
    let mut sources: Vec<(String, Option<&catalog::Object>)> = Vec::new();
    for twj in &select.from {
        if let TableFactor::Table { name, alias, .. } = &twj.relation {
            let (key, _) = object_key(name);
            let object = find(&key);
            match object {
                Some(o) if o.kind == catalog::Kind::Scalar => return Err(invalid_object(&key)),
                None if known_name(&key) => return Err(invalid_object(&key)),
                _ => {}
            }
            let alias = alias
                .as_ref()
                .map(|a| a.name.value.clone())
                .unwrap_or_else(|| key.clone());
            sources.push((alias, object));
        }
    }
    let column_ok = |o: &catalog::Object, c: &str| {
        o.columns.iter().any(|(name, since)| {
            major >= *since
                && if opt.case_sensitive {
                    *name == c
                } else {
                    name.eq_ignore_ascii_case(c)
                }
        })
    };
    let mut out = Vec::new();
    let mut shaped = true;
    for item in &select.projection {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            _ => {
                return Err((
                    50000,
                    16,
                    "the TDS test server cannot evaluate SELECT *".into(),
                ))
            }
        };
        match expr {
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                let (t, c) = (&parts[0].value, &parts[1].value);
                if let Some((_, Some(o))) = sources.iter().find(|(a, _)| a == t) {
                    if !column_ok(o, c) {
                        return Err((207, 16, format!("Invalid column name '{c}'.")));
                    }
                }
                out.push((
                    Source::Column(c.clone()),
                    alias.unwrap_or_else(|| c.clone()),
                ));
            }
            Expr::Identifier(i) => out.push((
                Source::Column(i.value.clone()),
                alias.unwrap_or(i.value.clone()),
            )),
            Expr::Function(f) => {
                let key = f.name.to_string();
                match find(&key) {
                    Some(o) if o.kind == catalog::Kind::Scalar => {
                        out.push((Source::Scalar(key.clone()), alias.unwrap_or_default()))
                    }
                    Some(_) => {
                        return Err((
                            4121,
                            16,
                            format!(
                                "Cannot find either column or the user-defined function '{key}'."
                            ),
                        ))
                    }
                    None if known_name(&key) => return Err(invalid_object(&key)),
                    None => shaped = false,
                }
            }
            _ => {
                // A literal (`N'db' AS database_name`): the row's own value.
                match alias {
                    Some(a) => out.push((Source::Column(a.clone()), a)),
                    None => shaped = false,
                }
            }
        }
    }
    Ok(shaped.then_some(out))
}

/// A row's value for a column, by name (any case) or a documented synonym.
fn value_of(row: &Map<String, Value>, column: &str) -> Value {
    if let Some(v) = row.get(column) {
        return v.clone();
    }
    let lower = column.to_ascii_lowercase();
    for (k, v) in row {
        if k.to_ascii_lowercase() == lower {
            return v.clone();
        }
    }
    for syn in catalog::synonyms(column) {
        if let Some(v) = row.get(*syn) {
            return v.clone();
        }
    }
    Value::Null
}

/// The rows for a batch, or an error (number, class, message).
fn answer(
    inst: &SnapshotInstance,
    opt: &ServerOptions,
    table: &str,
    sql: &str,
) -> Result<Answer, (i32, u8, String)> {
    let f = &opt.faults;
    let login = &opt.login;
    let major = major_of(inst);
    let shape = resolve(sql, major, opt)?;
    let get = |t: &str| -> Result<Rows, (i32, u8, String)> {
        if f.deny.iter().any(|d| d == t) {
            return Err(if t.starts_with("sys.dm_") {
                (300, 14, format!("VIEW SERVER STATE permission was denied on object '{t}', database 'master'."))
            } else {
                (
                    229,
                    14,
                    format!("The SELECT permission was denied on the object '{t}'."),
                )
            });
        }
        if f.error_token.iter().any(|d| d == t) {
            return Err((50000, 16, format!("injected error on {t}")));
        }
        // Managed Backup's configuration answers empty to a login without its role.
        if (t.contains("fn_backup_db_config") || t.contains("fn_backup_instance_config"))
            && !login.sees_mb_config()
        {
            return Ok(Vec::new());
        }
        // Views every 2012+ server has, empty where the snapshot has none.
        let always = [
            "sys.availability_groups",
            "sys.availability_replicas",
            "sys.dm_hadr_database_replica_states",
            "sys.database_scoped_credentials",
        ];
        match inst.tables.get(t) {
            Some(rows) => Ok(rows.to_maps()),
            None if always.contains(&t) => Ok(Vec::new()),
            None => Err((208, 16, format!("Invalid object name '{t}'."))),
        }
    };
    let schema = if sql.contains("smart_admin") {
        "smart_admin"
    } else {
        "managed_backup"
    };
    let cfg = format!("msdb.{schema}.fn_backup_db_config");
    let mut one = Map::new();
    let bit = |b: bool| Value::from(i64::from(b));
    let rows = match table {
        "server" => {
            let s = serde_json::to_value(&inst.server).unwrap();
            for k in [
                "server_name",
                "machine_name",
                "instance_name",
                "product_version",
                "edition",
                "utc_offset_minutes",
            ] {
                one.insert(k.into(), s.get(k).cloned().unwrap_or(Value::Null));
            }
            vec![one]
        }
        "permissions" => {
            one.insert("login_name".into(), Value::String(opt.user.clone()));
            one.insert("is_sysadmin".into(), bit(login.sysadmin));
            one.insert(
                "alter_any_database".into(),
                bit(login.alter_any_database || login.sysadmin),
            );
            one.insert(
                "create_database".into(),
                bit(login.create_database || login.sysadmin),
            );
            one.insert(
                "alter_any_credential".into(),
                bit(login.alter_any_credential || login.sysadmin),
            );
            one.insert(
                "view_any_definition".into(),
                bit(login.view_any_definition || login.sysadmin),
            );
            one.insert(
                "view_server_state".into(),
                bit(login.view_server_state || login.sysadmin),
            );
            vec![one]
        }
        "permissions in msdb" => {
            one.insert(
                "is_backupoperator".into(),
                bit(login.msdb_backupoperator || login.sysadmin),
            );
            vec![one]
        }
        "databases to visit" => get("sys.databases")?
            .iter()
            .filter(|r| {
                r["database_id"].as_i64().unwrap_or(0) > 4 && r["state"].as_i64() == Some(0)
            })
            .map(|r| {
                let name = r["name"].as_str().unwrap_or_default().to_string();
                Map::from_iter([
                    ("name".to_string(), r["name"].clone()),
                    (
                        "has_dbaccess".to_string(),
                        bit(!login.no_user_in.contains(&name)),
                    ),
                    ("has_control".to_string(), bit(login.has_control(&name))),
                ])
            })
            .collect(),
        "managed databases" => get(&cfg)?
            .iter()
            .map(|r| Map::from_iter([("db_name".to_string(), r["db_name"].clone())]))
            .collect(),
        "retention" => {
            let max = get(&cfg)?
                .iter()
                .filter_map(|r| r.get("retention_days")?.as_i64())
                .max();
            one.insert(
                "retention_days".into(),
                max.map_or(Value::Null, Value::from),
            );
            vec![one]
        }
        t => {
            let mut rows = get(t)?;
            if t == "sys.databases"
                && !(login.sysadmin || login.alter_any_database || login.create_database)
            {
                // OFFLINE databases are hidden from such a login.
                rows.retain(|r| r.get("state").and_then(Value::as_i64) != Some(6));
            }
            if t == "sys.database_mirroring" && !login.sysadmin {
                // Mirror-side values are NULL unless sysadmin.
                for r in rows.iter_mut() {
                    if r.get("mirroring_role_desc").and_then(Value::as_str) == Some("MIRROR") {
                        for (k, v) in r.iter_mut() {
                            if k.starts_with("mirroring_") {
                                *v = Value::Null;
                            }
                        }
                    }
                }
            }
            if let Some(after) = after_id(sql).filter(|a| *a > 0) {
                after_rows(inst, t, &rows, after)
            } else if sql.contains("AS database_name") {
                let db = first_literal(sql).unwrap_or_default();
                if login.no_user_in.contains(&db) {
                    return Err((
                        916,
                        14,
                        format!("The server principal \"{}\" is not able to access the database \"{db}\" under the current security context.", opt.user),
                    ));
                }
                if login.unreadable.contains(&db) {
                    return Err((
                        976,
                        14,
                        format!("The target database, '{db}', is participating in an availability group and is currently not accessible for queries."),
                    ));
                }
                if t == "sys.database_scoped_credentials" && !login.has_control(&db) {
                    return Ok((
                        shape
                            .map(|s| s.into_iter().map(|(_, n)| n).collect())
                            .unwrap_or_default(),
                        Vec::new(),
                    ));
                }
                rows.into_iter()
                    .filter(|r| r.get("database_name").and_then(Value::as_str) == Some(&db))
                    .collect()
            } else {
                rows
            }
        }
    };
    let special = matches!(
        table,
        "server"
            | "permissions"
            | "permissions in msdb"
            | "databases to visit"
            | "managed databases"
            | "retention"
    );
    match shape {
        Some(cols) if !special => {
            let names: Vec<String> = cols.iter().map(|(_, n)| n.clone()).collect();
            let scalar_row = |t: &str| -> Value {
                inst.tables
                    .get(t)
                    .and_then(|rows| rows.to_maps().into_iter().next())
                    .and_then(|r| r.values().next().cloned())
                    .unwrap_or(Value::Null)
            };
            let source_rows: Rows = if cols.iter().all(|(s, _)| matches!(s, Source::Scalar(_))) {
                vec![Map::new()]
            } else {
                rows
            };
            let shaped = source_rows
                .iter()
                .map(|r| {
                    cols.iter()
                        .map(|(s, n)| {
                            let v = match s {
                                Source::Column(c) => value_of(r, c),
                                Source::Scalar(t) => scalar_row(t),
                            };
                            (n.clone(), v)
                        })
                        .collect()
                })
                .collect();
            Ok((names, shaped))
        }
        _ => {
            let cols = columns_of(&rows);
            Ok((cols, rows))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Bit,
    Int(u8),
    Numeric(u8),
    DateTime,
    Guid,
    NVarChar,
}

const TINY: &[&str] = &[
    "state",
    "recovery_model",
    "compatibility_level",
    "mirroring_state",
    "mirroring_role",
    "mirroring_safety_level",
    "mirroring_witness_state",
    "synchronization_state",
    "synchronization_health",
    "enabled",
    "device_type",
    "automated_backup_preference",
    "availability_mode",
    "failover_mode",
    "secondary_role_allow_connections",
    "mirror",
    "family_sequence_number",
    "media_family_count",
    "mirror_count",
];
const SMALL: &[&str] = &["time_zone", "position", "file_number"];
const NUMERIC20: &[&str] = &["backup_size", "compressed_backup_size", "file_size"];

fn parse_dt(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()
}

fn infer(name: &str, values: &[&Value]) -> Ty {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("_lsn") || lower == "lsn" {
        return Ty::Numeric(25);
    }
    if NUMERIC20.contains(&lower.as_str()) {
        return Ty::Numeric(20);
    }
    let vals: Vec<&&Value> = values.iter().filter(|v| !v.is_null()).collect();
    if vals.is_empty() {
        return Ty::NVarChar;
    }
    if vals.iter().all(|v| v.is_boolean()) {
        return Ty::Bit;
    }
    if vals.iter().all(|v| v.is_i64()) {
        let (lo, hi) = vals.iter().fold((i64::MAX, i64::MIN), |(l, h), v| {
            let x = v.as_i64().unwrap();
            (l.min(x), h.max(x))
        });
        return if TINY.contains(&lower.as_str()) && lo >= 0 && hi <= 255 {
            Ty::Int(1)
        } else if SMALL.contains(&lower.as_str()) && lo >= -32768 && hi <= 32767 {
            Ty::Int(2)
        } else if lo >= i64::from(i32::MIN) && hi <= i64::from(i32::MAX) {
            Ty::Int(4)
        } else {
            Ty::Int(8)
        };
    }
    let strs: Vec<&str> = vals.iter().filter_map(|v| v.as_str()).collect();
    if strs.len() == vals.len() {
        if strs.iter().all(|s| parse_dt(s).is_some()) {
            return Ty::DateTime;
        }
        if strs
            .iter()
            .all(|s| s.len() == 36 && uuid::Uuid::parse_str(s).is_ok())
        {
            return Ty::Guid;
        }
    }
    Ty::NVarChar
}

fn numeric_size(p: u8) -> u8 {
    match p {
        0..=9 => 5,
        10..=19 => 9,
        20..=28 => 13,
        _ => 17,
    }
}

/// COLMETADATA and ROW tokens for a result, columns in the given order.
fn encode(out: &mut Vec<u8>, cols: &[String], rows: &Rows, wrong_types: bool) {
    let mut cols: Vec<String> = cols.to_vec();
    if cols.is_empty() {
        cols.push("empty".into());
    }
    let types: Vec<Ty> = cols
        .iter()
        .map(|c| {
            let values: Vec<&Value> = rows
                .iter()
                .map(|r| r.get(c).unwrap_or(&Value::Null))
                .collect();
            match infer(c, &values) {
                Ty::Numeric(_) if wrong_types => Ty::NVarChar,
                t => t,
            }
        })
        .collect();
    out.push(0x81);
    out.extend((cols.len() as u16).to_le_bytes());
    for (c, t) in cols.iter().zip(&types) {
        out.extend(0u32.to_le_bytes());
        out.extend(0x0001u16.to_le_bytes());
        match t {
            Ty::Bit => out.extend([0x68, 1]),
            Ty::Int(w) => out.extend([0x26, *w]),
            Ty::Numeric(p) => out.extend([0x6C, numeric_size(*p), *p, 0]),
            Ty::DateTime => out.extend([0x6F, 8]),
            Ty::Guid => out.extend([0x24, 16]),
            Ty::NVarChar => {
                out.push(0xE7);
                out.extend(8000u16.to_le_bytes());
                out.extend([0x09, 0x04, 0xD0, 0x00, 0x34]);
            }
        }
        b_varchar(out, c);
    }
    let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    for r in rows {
        out.push(0xD1);
        for (c, t) in cols.iter().zip(&types) {
            let v = r.get(c).unwrap_or(&Value::Null);
            if v.is_null() {
                match t {
                    Ty::NVarChar => out.extend(0xFFFFu16.to_le_bytes()),
                    _ => out.push(0),
                }
                continue;
            }
            match t {
                Ty::Bit => out.extend([1, u8::from(v.as_bool().unwrap_or(false))]),
                Ty::Int(w) => {
                    let x = v.as_i64().unwrap();
                    out.push(*w);
                    out.extend(&x.to_le_bytes()[..*w as usize]);
                }
                Ty::Numeric(p) => {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let x: u128 = text.parse().expect("numeric digits");
                    let size = numeric_size(*p);
                    out.extend([size, 1]);
                    out.extend(&x.to_le_bytes()[..size as usize - 1]);
                }
                Ty::DateTime => {
                    let t = parse_dt(v.as_str().unwrap()).unwrap();
                    let days = (t.date() - base).num_days() as i32;
                    let ms = u64::from(t.num_seconds_from_midnight()) * 1000
                        + u64::from(t.nanosecond() / 1_000_000);
                    let ticks = ((ms * 300 + 500) / 1000) as u32;
                    out.push(8);
                    out.extend(days.to_le_bytes());
                    out.extend(ticks.to_le_bytes());
                }
                Ty::Guid => {
                    let b = *uuid::Uuid::parse_str(v.as_str().unwrap())
                        .unwrap()
                        .as_bytes();
                    out.push(16);
                    out.extend([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]]);
                    out.extend(&b[8..]);
                }
                Ty::NVarChar => {
                    let s = match v {
                        Value::String(s) if wrong_types => format!("lsn:{s}"),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let b = utf16(&s);
                    let b = &b[..b.len().min(8000)];
                    out.extend((b.len() as u16).to_le_bytes());
                    out.extend(b);
                }
            }
        }
    }
}

/// The demo estate's instances at a fixed instant, by name.
pub fn demo_instances(now: &str) -> BTreeMap<String, SnapshotInstance> {
    let now = chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc();
    let snap = chainwatch::snapshot::Snapshot::from_value(chainwatch::demo::generate(now)).unwrap();
    snap.instances
        .into_iter()
        .map(|i| (i.name.clone(), i))
        .collect()
}

/// A batch that changes the server (the wizard's RESTORE / USE + EXEC).
fn is_write(sql: &str) -> bool {
    let first = sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("");
    let word = first
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "RESTORE" | "USE" | "EXEC" | "BACKUP" | "ALTER" | "DBCC"
    )
}

/// An INFO token (0xAB): same layout as ERROR, class <= 10.
fn info(out: &mut Vec<u8>, number: i32, msg: &str) {
    let mut t = Vec::new();
    t.extend(number.to_le_bytes());
    t.push(1);
    t.push(0);
    t.extend((msg.encode_utf16().count() as u16).to_le_bytes());
    t.extend(utf16(msg));
    b_varchar(&mut t, "TDSTEST");
    b_varchar(&mut t, "");
    t.extend(1i32.to_le_bytes());
    out.push(0xAB);
    out.extend((t.len() as u16).to_le_bytes());
    out.extend(t);
}

/// Records a write batch and answers as SQL Server does: STATS progress as
/// INFO messages and a success message, or the injected failure.
fn write_reply(out: &mut Vec<u8>, opt: &ServerOptions, sql: &str) {
    opt.writes.lock().unwrap().push(sql.to_string());
    let upper = sql.trim_start().to_ascii_uppercase();
    let verb = if upper.contains("RESTORE LOG") {
        "RESTORE LOG"
    } else if upper.contains("BACKUP LOG") {
        "BACKUP LOG"
    } else {
        "RESTORE DATABASE"
    };
    if let Some(needle) = &opt.faults.fail_write_once {
        if sql.contains(needle.as_str())
            && !opt
                .write_failed
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            error(out, 4305, 16, "The log in this backup set begins at LSN 7000000026200001, which is too recent to apply to the database.");
            error(out, 3013, 16, &format!("{verb} is terminating abnormally."));
            done(out, 0x02, 0);
            return;
        }
    }
    if upper.contains("SP_BACKUP_ON_DEMAND") {
        info(
            out,
            3014,
            "BACKUP DATABASE successfully processed 328 pages in 0.050 seconds (51.250 MB/sec).",
        );
        done(out, 0x10, 0);
        return;
    }
    if upper.starts_with("ALTER DATABASE") {
        if upper.contains("ROLLBACK IMMEDIATE") {
            info(out, 5060, "Nonqualified transactions are being rolled back. Estimated rollback completion: 100%.");
        }
        done(out, 0x00, 0);
        return;
    }
    if upper.starts_with("DBCC CHECKDB") {
        // WITH NO_INFOMSGS: a sound database answers with nothing at all.
        done(out, 0x00, 0);
        return;
    }
    if upper.starts_with("RESTORE VERIFYONLY") {
        info(out, 3262, "The backup set on file 1 is valid.");
        done(out, 0x00, 0);
        return;
    }
    if upper.contains("SP_RDA_REAUTHORIZE_DB") {
        info(out, 5701, "Changed database context.");
        done(out, 0x01, 0);
        done(out, 0x10, 0);
        return;
    }
    if upper.contains(" FROM ") || upper.contains(" TO ") {
        for p in (10..=100).step_by(10) {
            info(out, 3211, &format!("{p} percent processed."));
        }
        info(
            out,
            4035,
            "Processed 328 pages for database 'x', file 'x' on file 1.",
        );
    }
    info(
        out,
        3014,
        &format!("{verb} successfully processed 328 pages in 0.012 seconds (213.541 MB/sec)."),
    );
    done(out, 0x00, 0);
}

/// The `{after_id}` of an incremental history query (`backup_set_id > N`).
fn after_id(sql: &str) -> Option<i64> {
    let rest = sql.split("b.backup_set_id > ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Rows of a history table that belong to backup sets after `after`, as
/// the WHERE clauses of the incremental queries select them.
fn after_rows(inst: &SnapshotInstance, table: &str, rows: &Rows, after: i64) -> Rows {
    let id = |r: &Map<String, Value>, k: &str| r.get(k).and_then(Value::as_i64).unwrap_or(0);
    let sets = inst
        .tables
        .get("msdb.dbo.backupset")
        .map(|t| t.to_maps())
        .unwrap_or_default();
    let media: std::collections::BTreeSet<i64> = sets
        .iter()
        .filter(|r| id(r, "backup_set_id") > after)
        .map(|r| id(r, "media_set_id"))
        .collect();
    rows.iter()
        .filter(|r| match table {
            "msdb.dbo.backupmediaset" | "msdb.dbo.backupmediafamily" => {
                media.contains(&id(r, "media_set_id"))
            }
            _ => id(r, "backup_set_id") > after,
        })
        .cloned()
        .collect()
}
