//! Runs a server-changing script (built by `tsql`) on one instance, batch by
//! batch, on its own thread, reporting every step as an [`ExecEvent`].
//!
//! Progress: SQL Server sends the STATS messages ("10 percent processed.")
//! as INFO tokens. tiberius 0.13 does not hand INFO tokens to the caller; it
//! logs each one as a DEBUG `tracing` event from its token reader. The
//! executor thread installs its own tracing subscriber that turns exactly
//! those events into [`ExecEvent::Message`], so every server message is kept.
//!
//! Before a batch is sent it is read back with our own tokenizer
//! (`tsql::lex`): it must be RESTORE, USE or EXEC statements only.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use super::connect::{connect, Credential};
use super::queries::{VERIFY_RDA_DATABASES, VERIFY_RDA_TABLES};
use crate::config::InstanceConfig;
use crate::model::catalog;
use crate::tsql::lex::{statements, tokens, Token};

/// What the executor reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    Connected {
        at: DateTime<Utc>,
    },
    ConnectFailed {
        error: String,
    },
    Started {
        batch: usize,
        at: DateTime<Utc>,
    },
    /// A server message (INFO/ERROR text) during a batch.
    Message {
        batch: usize,
        text: String,
    },
    Done {
        batch: usize,
        elapsed_ms: u64,
    },
    Failed {
        batch: usize,
        error: String,
        elapsed_ms: u64,
    },
    /// Stopped before `next` because cancel was asked.
    Cancelled {
        next: usize,
    },
    /// Rows of a verify query.
    Rows {
        query: String,
        rows: Vec<Map<String, Value>>,
    },
    /// Every batch and query ran.
    Finished,
}

/// One run: batches (index in the script, text) then read-only queries.
#[derive(Debug, Clone)]
pub struct Job {
    pub instance: InstanceConfig,
    pub credential: Credential,
    pub batches: Vec<(usize, String)>,
    /// (name, SELECT text) run after the batches.
    pub queries: Vec<(String, String)>,
    pub cancel: Arc<AtomicBool>,
    pub connect_timeout: Duration,
}

/// Starts the job on its own thread (with its own runtime and tracing
/// subscriber); events arrive on `tx` until `Finished`, `Failed`,
/// `ConnectFailed` or `Cancelled`.
pub fn spawn(job: Job, tx: UnboundedSender<ExecEvent>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let current = Arc::new(AtomicUsize::new(usize::MAX));
        let capture = Capture {
            tx: tx.clone(),
            batch: current.clone(),
        };
        let subscriber = tracing_subscriber::registry().with(capture);
        let _guard = tracing::subscriber::set_default(subscriber);
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(ExecEvent::ConnectFailed {
                    error: format!("cannot start a runtime: {e}"),
                });
                return;
            }
        };
        runtime.block_on(run(job, tx, current));
    })
}

/// Restores can run for hours: the per-query timeout is this long.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

async fn run(job: Job, tx: UnboundedSender<ExecEvent>, current: Arc<AtomicUsize>) {
    let mut client = match connect(
        &job.instance,
        &job.credential,
        job.connect_timeout,
        RESTORE_TIMEOUT,
    )
    .await
    {
        Ok(c) => c,
        Err(status) => {
            let _ = tx.send(ExecEvent::ConnectFailed {
                error: status.to_string(),
            });
            return;
        }
    };
    let _ = tx.send(ExecEvent::Connected { at: Utc::now() });
    for (index, sql) in &job.batches {
        if job.cancel.load(Ordering::SeqCst) {
            let _ = tx.send(ExecEvent::Cancelled { next: *index });
            return;
        }
        let started = Instant::now();
        let elapsed = || started.elapsed().as_millis() as u64;
        if let Err(e) = check_batch(sql) {
            let _ = tx.send(ExecEvent::Failed {
                batch: *index,
                error: format!("refused to send: {e}"),
                elapsed_ms: 0,
            });
            return;
        }
        current.store(*index, Ordering::SeqCst);
        let _ = tx.send(ExecEvent::Started {
            batch: *index,
            at: Utc::now(),
        });
        let result = async {
            client
                .simple_query(sql.as_str())
                .await?
                .into_results()
                .await
        }
        .await;
        current.store(usize::MAX, Ordering::SeqCst);
        match result {
            Ok(_) => {
                let _ = tx.send(ExecEvent::Done {
                    batch: *index,
                    elapsed_ms: elapsed(),
                });
            }
            Err(e) => {
                let error = match &e {
                    tiberius::error::Error::Server(t) => {
                        format!("Msg {}, Level {}: {}", t.code(), t.class(), t.message())
                    }
                    other => other.to_string(),
                };
                let _ = tx.send(ExecEvent::Failed {
                    batch: *index,
                    error,
                    elapsed_ms: elapsed(),
                });
                return;
            }
        }
    }
    for (name, sql) in &job.queries {
        let rows = async {
            let stream = client.simple_query(sql.as_str()).await?;
            stream.into_row_stream().try_collect::<Vec<_>>().await
        }
        .await;
        match rows {
            Ok(rows) => {
                let rows = rows
                    .into_iter()
                    .filter_map(|r| super::convert::row(r).ok())
                    .collect();
                let _ = tx.send(ExecEvent::Rows {
                    query: name.clone(),
                    rows,
                });
            }
            Err(e) => {
                let _ = tx.send(ExecEvent::Message {
                    batch: usize::MAX,
                    text: format!("{name}: {e}"),
                });
            }
        }
    }
    let _ = tx.send(ExecEvent::Finished);
}

/// Refuses a batch that is not made of the statements `tsql` writes (a
/// last guard: the text comes from `tsql`, but it is checked before it
/// reaches a server): RESTORE DATABASE / LOG / VERIFYONLY, USE, EXEC, and
/// exactly these shapes of the rest —
/// `BACKUP LOG [db] TO DISK|URL = N'…' WITH` NORECOVERY / NO_TRUNCATE /
/// CREDENTIAL / STATS, `ALTER DATABASE [db] SET SINGLE_USER WITH ROLLBACK
/// IMMEDIATE` or `SET MULTI_USER`, `DBCC CHECKDB ([db]) WITH NO_INFOMSGS,
/// ALL_ERRORMSGS`.
pub fn check_batch(sql: &str) -> Result<(), String> {
    let toks = tokens(sql).map_err(|e| e.to_string())?;
    let stmts = statements(&toks);
    if stmts.is_empty() {
        return Err("empty batch".into());
    }
    for s in stmts {
        let ok = match s.first() {
            Some(Token::Word(w)) if w == "USE" || w == "EXEC" => true,
            Some(Token::Word(w)) if w == "RESTORE" => {
                matches!(s.get(1), Some(Token::Word(v)) if v == "DATABASE" || v == "LOG" || v == "VERIFYONLY")
            }
            Some(Token::Word(w)) if w == "BACKUP" => is_tail_log_backup(s),
            Some(Token::Word(w)) if w == "ALTER" => is_user_access(s),
            Some(Token::Word(w)) if w == "DBCC" => is_checkdb(s),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "unexpected statement {:?}",
                s.iter().take(4).collect::<Vec<_>>()
            ));
        }
    }
    Ok(())
}

fn word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(x)) if x == w)
}

/// `BACKUP LOG [db] TO DISK|URL = N'…' WITH opt, …` with only NORECOVERY,
/// NO_TRUNCATE, CREDENTIAL = N'…' and STATS = n.
fn is_tail_log_backup(s: &[Token]) -> bool {
    let [_, log, Token::Ident(_), to, dev, Token::Punct('='), Token::Str(_), with, rest @ ..] = s
    else {
        return false;
    };
    if !(word(Some(log), "LOG") && word(Some(to), "TO") && word(Some(with), "WITH")) {
        return false;
    }
    if !(word(Some(dev), "DISK") || word(Some(dev), "URL")) {
        return false;
    }
    let mut norecovery = false;
    for opt in rest.split(|t| *t == Token::Punct(',')) {
        match opt {
            [Token::Word(w)] if w == "NORECOVERY" => norecovery = true,
            [Token::Word(w)] if w == "NO_TRUNCATE" => {}
            [Token::Word(w), Token::Punct('='), Token::Str(_)] if w == "CREDENTIAL" => {}
            [Token::Word(w), Token::Punct('='), Token::Number(_)] if w == "STATS" => {}
            _ => return false,
        }
    }
    norecovery
}

/// `ALTER DATABASE [db] SET SINGLE_USER WITH ROLLBACK IMMEDIATE` or `… SET MULTI_USER`.
fn is_user_access(s: &[Token]) -> bool {
    let [_, database, Token::Ident(_), set, rest @ ..] = s else {
        return false;
    };
    if !(word(Some(database), "DATABASE") && word(Some(set), "SET")) {
        return false;
    }
    let words: Vec<&str> = rest
        .iter()
        .map(|t| match t {
            Token::Word(w) => w.as_str(),
            _ => "?",
        })
        .collect();
    matches!(
        words.as_slice(),
        ["SINGLE_USER", "WITH", "ROLLBACK", "IMMEDIATE"] | ["MULTI_USER"]
    )
}

/// `DBCC CHECKDB ([db]) WITH NO_INFOMSGS, ALL_ERRORMSGS`.
fn is_checkdb(s: &[Token]) -> bool {
    matches!(
        s,
        [_, Token::Word(c), Token::Punct('('), Token::Ident(_), Token::Punct(')'), Token::Word(w), Token::Word(a), Token::Punct(','), Token::Word(b)]
            if c == "CHECKDB" && w == "WITH" && a == "NO_INFOMSGS" && b == "ALL_ERRORMSGS"
    )
}

/// The percentage in a STATS message ("10 percent processed.").
pub fn stats_percent(text: &str) -> Option<u8> {
    let (n, rest) = text.trim().split_once(' ')?;
    if !rest.starts_with("percent processed") {
        return None;
    }
    n.parse::<u8>().ok().filter(|p| *p <= 100)
}

/// The verify queries for a database.
pub fn verify_queries(database: &str) -> Result<Vec<(String, String)>, crate::tsql::QuoteError> {
    let db = crate::tsql::quote_ident(database)?;
    Ok(vec![
        (
            catalog::RDA_DATABASES.into(),
            VERIFY_RDA_DATABASES.replace("{db}", &db),
        ),
        (
            catalog::RDA_TABLES.into(),
            VERIFY_RDA_TABLES.replace("{db}", &db),
        ),
    ])
}

/// Turns tiberius's DEBUG/ERROR events from its token reader (INFO and
/// ERROR tokens, environment changes) into messages of the running batch.
struct Capture {
    tx: UnboundedSender<ExecEvent>,
    batch: Arc<AtomicUsize>,
}

const TOKEN_TARGET: &str = "tiberius::tds::stream::token";

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.target() == TOKEN_TARGET && *meta.level() <= tracing::Level::DEBUG
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let batch = self.batch.load(Ordering::SeqCst);
        if batch == usize::MAX {
            return; // login chatter, not part of a batch
        }
        let mut text = String::new();
        event.record(&mut MessageField(&mut text));
        if !text.is_empty() {
            let _ = self.tx.send(ExecEvent::Message { batch, text });
        }
    }
}

struct MessageField<'a>(&'a mut String);

impl tracing::field::Visit for MessageField<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_messages() {
        assert_eq!(stats_percent("10 percent processed."), Some(10));
        assert_eq!(stats_percent("100 percent processed."), Some(100));
        assert_eq!(stats_percent("Processed 328 pages for database 'x'"), None);
    }

    #[test]
    fn only_restore_use_exec_are_sent() {
        assert!(check_batch("RESTORE DATABASE [a;DROP] WITH RECOVERY;").is_ok());
        assert!(check_batch(
            "USE [x];\nEXEC sys.sp_rda_reauthorize_db @credential = N'c', @with_copy = 1;"
        )
        .is_ok());
        assert!(check_batch("RESTORE DATABASE [a] WITH RECOVERY; DROP DATABASE [a];").is_err());
        assert!(check_batch("-- nothing").is_err());
    }

    #[test]
    fn the_safety_statements_pass_in_exactly_their_shape() {
        for ok in [
            "ALTER DATABASE [a]]b] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;",
            "ALTER DATABASE [a] SET MULTI_USER;",
            "BACKUP LOG [a]\n  TO DISK = N'E:\\t.trn'\n  WITH NORECOVERY, STATS = 10;",
            "BACKUP LOG [a] TO URL = N'https://x/c/t.trn' WITH NORECOVERY, NO_TRUNCATE, CREDENTIAL = N'k', STATS = 5;",
            "DBCC CHECKDB ([a]) WITH NO_INFOMSGS, ALL_ERRORMSGS;",
            "RESTORE VERIFYONLY FROM DISK = N'x.bak' WITH CHECKSUM;",
        ] {
            assert!(check_batch(ok).is_ok(), "{ok}");
        }
        for bad in [
            // Other ALTER DATABASE options, other BACKUPs, other DBCCs.
            "ALTER DATABASE [a] SET OFFLINE;",
            "ALTER DATABASE [a] SET SINGLE_USER;",
            "ALTER DATABASE [a] MODIFY NAME = [b];",
            "ALTER LOGIN [sa] ENABLE;",
            "BACKUP DATABASE [a] TO DISK = N'x' WITH NORECOVERY;",
            "BACKUP LOG [a] TO DISK = N'x' WITH STATS = 10;",
            "BACKUP LOG [a] TO DISK = N'x' WITH NORECOVERY, FORMAT, INIT;",
            "BACKUP LOG [a] TO DISK = N'x' WITH NORECOVERY; DROP TABLE t;",
            "DBCC CHECKDB ([a]) WITH NO_INFOMSGS, ALL_ERRORMSGS, REPAIR_ALLOW_DATA_LOSS;",
            "DBCC CHECKDB ([a], REPAIR_ALLOW_DATA_LOSS) WITH NO_INFOMSGS, ALL_ERRORMSGS;",
            "DBCC SHRINKFILE ([a]);",
            "RESTORE FILELISTONLY FROM DISK = N'x';",
        ] {
            assert!(check_batch(bad).is_err(), "{bad}");
        }
    }
}
