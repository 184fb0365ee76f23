//! A server-changing script as data: the batches to run, in order, each
//! with the comments that explain it. The preview, the saved file and the
//! executor all read the same batches, so what runs is what was shown.

use serde::{Deserialize, Serialize};

/// What a batch does (the executor reports progress per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    /// RESTORE DATABASE … FROM (a full or differential backup).
    RestoreData,
    /// RESTORE LOG … FROM.
    RestoreLog,
    /// RESTORE DATABASE … WITH RECOVERY.
    Recovery,
    /// EXEC sys.sp_rda_reauthorize_db in the restored database.
    Reauthorize,
    /// EXEC managed_backup.sp_backup_on_demand.
    BackupOnDemand,
    /// RESTORE VERIFYONLY … WITH CHECKSUM of one backup, before the restore.
    Verify,
    /// ALTER DATABASE … SET SINGLE_USER WITH ROLLBACK IMMEDIATE.
    SingleUser,
    /// BACKUP LOG … WITH NORECOVERY: the tail-log backup before a REPLACE.
    TailLog,
    /// ALTER DATABASE … SET MULTI_USER after the recovery.
    MultiUser,
    /// DBCC CHECKDB of the restored database.
    CheckDb,
}

impl BatchKind {
    pub fn label(self) -> &'static str {
        match self {
            BatchKind::RestoreData => "restore data",
            BatchKind::RestoreLog => "restore log",
            BatchKind::Recovery => "recovery",
            BatchKind::Reauthorize => "reauthorize",
            BatchKind::BackupOnDemand => "backup on demand",
            BatchKind::Verify => "verify backup",
            BatchKind::SingleUser => "single user",
            BatchKind::TailLog => "tail-log backup",
            BatchKind::MultiUser => "multi user",
            BatchKind::CheckDb => "DBCC CHECKDB",
        }
    }

    /// Runs while the target database is down: from taking it to single
    /// user until it is open again (what the measured restore time counts).
    pub fn takes_database_down(self) -> bool {
        matches!(
            self,
            BatchKind::SingleUser
                | BatchKind::TailLog
                | BatchKind::RestoreData
                | BatchKind::RestoreLog
                | BatchKind::Recovery
                | BatchKind::MultiUser
        )
    }
}

/// One statement sent to the server as one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub kind: BatchKind,
    /// Short name for progress lines ("full #1234").
    pub label: String,
    /// Comment lines written above the statement (without `-- `).
    pub comments: Vec<String>,
    /// The exact text sent to the server.
    pub sql: String,
    /// False when chainwatch must not run it (a VSS/DPM backup that only its
    /// own tool can restore, or a statement with a placeholder): the script
    /// shows it commented out and execution refuses.
    pub runnable: bool,
}

impl Batch {
    /// A statement chainwatch may run, under one comment line.
    pub fn runnable(
        kind: BatchKind,
        label: impl Into<String>,
        comment: impl Into<String>,
        sql: String,
    ) -> Batch {
        Batch {
            kind,
            label: label.into(),
            comments: vec![comment.into()],
            sql,
            runnable: true,
        }
    }
}

/// A whole script: header comments, then batches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub header: Vec<String>,
    pub batches: Vec<Batch>,
}

/// The first line of every script: how to run it with command-line sqlcmd.
/// `-b` stops at the first error; `-x` turns sqlcmd's `$(name)` variable
/// substitution off (names and paths are refused when they hold `$(` or a
/// line break anyway: see `quote::sqlcmd_safe`).
pub const SQLCMD_HINT: &str =
    "Run: sqlcmd -S SERVER -E -b -x -i script.sql  (-b: stop at the first error; -x: no sqlcmd variable substitution)";

impl Script {
    /// The script as a file or preview shows it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        push_comment(&mut out, SQLCMD_HINT);
        for line in &self.header {
            push_comment(&mut out, line);
        }
        for batch in &self.batches {
            out.push('\n');
            for line in &batch.comments {
                push_comment(&mut out, line);
            }
            if batch.runnable {
                out.push_str(&batch.sql);
                if !batch.sql.ends_with('\n') {
                    out.push('\n');
                }
            } else {
                for line in batch.sql.lines() {
                    out.push_str("-- ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The batches chainwatch would send, in order.
    pub fn runnable(&self) -> impl Iterator<Item = &Batch> {
        self.batches.iter().filter(|b| b.runnable)
    }
}

fn push_comment(out: &mut String, line: &str) {
    if line.is_empty() {
        out.push_str("--\n");
    } else {
        out.push_str("-- ");
        out.push_str(&super::comment_safe(line));
        out.push('\n');
    }
}
