//! The T-SQL a finding offers as its remedy: shown and copied, never run by
//! chainwatch itself. It lives here with the rest of the server-changing
//! T-SQL so every statement is quoted the same way; the rules in
//! `analysis::rules` only choose which remedy fits.

use super::quote::{block_comment_safe, quote_ident, quote_string};
use crate::model::ManagedBackupSchema;

/// `smart_admin` (SQL Server 2014) or `managed_backup` (2016+).
pub fn schema_name(schema: ManagedBackupSchema) -> &'static str {
    match schema {
        ManagedBackupSchema::SmartAdmin => "smart_admin",
        ManagedBackupSchema::ManagedBackup => "managed_backup",
    }
}

/// `[name]`, or the name as a comment-safe placeholder when it cannot be
/// quoted (over 128 characters): a remedy still reads, and cannot run.
pub fn ident(name: &str) -> String {
    quote_ident(name).unwrap_or_else(|_| format!("/* {} */", block_comment_safe(name)))
}

/// An extra backup through Managed Backup, which keeps its chain.
pub fn on_demand(schema: ManagedBackupSchema, database: &str, log: bool) -> String {
    format!(
        "EXEC msdb.{}.sp_backup_on_demand @database_name = {}, @type = {};",
        schema_name(schema),
        quote_string(database),
        quote_string(if log { "Log" } else { "Database" })
    )
}

/// Managed Backup off for one database.
pub fn managed_off(schema: ManagedBackupSchema, database: &str) -> String {
    set_db_backup(schema, database, false, "")
}

/// Managed Backup on for one database, with placeholders for what the
/// catalog cannot tell (the credential or the container URL).
pub fn managed_on(schema: ManagedBackupSchema, database: &str, retention_days: u32) -> String {
    let rest = match schema {
        ManagedBackupSchema::SmartAdmin => format!(
            ", @retention_days = {retention_days}, @credential_name = N'<credential>', @encryption_algorithm = N'NO_ENCRYPTION'"
        ),
        ManagedBackupSchema::ManagedBackup => format!(
            ", @container_url = N'<container URL>', @retention_days = {retention_days}"
        ),
    };
    set_db_backup(schema, database, true, &rest)
}

/// The schema's per-database switch (2014: `sp_set_db_backup`, 2016+:
/// `sp_backup_config_basic`), with `rest` (its further parameters,
/// each led by a comma) after `@enable_backup`.
fn set_db_backup(schema: ManagedBackupSchema, database: &str, enable: bool, rest: &str) -> String {
    let procedure = match schema {
        ManagedBackupSchema::SmartAdmin => "smart_admin.sp_set_db_backup",
        ManagedBackupSchema::ManagedBackup => "managed_backup.sp_backup_config_basic",
    };
    format!(
        "EXEC msdb.{procedure} @database_name = {}, @enable_backup = {}{rest};",
        quote_string(database),
        u8::from(enable)
    )
}

/// Managed Backup's instance-level defaults off.
pub fn instance_defaults_off(schema: ManagedBackupSchema) -> String {
    let procedure = match schema {
        ManagedBackupSchema::SmartAdmin => "smart_admin.sp_set_instance_backup",
        ManagedBackupSchema::ManagedBackup => "managed_backup.sp_backup_config_basic",
    };
    format!("EXEC msdb.{procedure} @enable_backup = 0; -- instance level: no @database_name")
}

/// An Agent job disabled (not deleted: the operator decides that).
pub fn disable_job(name: &str) -> String {
    format!(
        "EXEC msdb.dbo.sp_update_job @job_name = {}, @enabled = 0;",
        quote_string(name)
    )
}

/// Log shipping removed on the primary (the secondaries come first).
pub fn remove_log_shipping_primary(database: &str) -> String {
    format!(
        "EXEC master.dbo.sp_delete_log_shipping_primary_database @database = {};",
        quote_string(database)
    )
}

/// A copy-only backup to a file the operator names: it moves no base and
/// breaks no chain.
pub fn copy_only_backup(database: &str, log: bool) -> String {
    format!(
        "BACKUP {} {} TO DISK = N'<file>' WITH COPY_ONLY;",
        if log { "LOG" } else { "DATABASE" },
        ident(database)
    )
}

/// Back to FULL recovery.
pub fn set_recovery_full(database: &str) -> String {
    format!("ALTER DATABASE {} SET RECOVERY FULL;", ident(database))
}

/// Stretch's link to Azure reauthorized after a restore, with the
/// database scoped credential when the catalog names one.
pub fn reauthorize(database: &str, credential: Option<&str>) -> String {
    format!(
        "USE {};\nEXEC sys.sp_rda_reauthorize_db @credential = {}, @with_copy = 1;",
        ident(database),
        credential
            .map(quote_string)
            .unwrap_or_else(|| "N'<database scoped credential>'".into())
    )
}

/// The reconcile step for tables still out of sync, as a placeholder: the
/// tables are named in the finding's rows.
pub fn reconcile_placeholder() -> &'static str {
    "-- then, per table still is_reconciled = 0:\nEXEC sys.sp_rda_reconcile_batch @objname = N'<schema.table>';"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsql::lex::{tokens, Token};

    #[test]
    fn names_stay_literals_and_identifiers() {
        let sql = on_demand(ManagedBackupSchema::ManagedBackup, "a'b", true);
        assert_eq!(
            sql,
            "EXEC msdb.managed_backup.sp_backup_on_demand @database_name = N'a''b', @type = N'Log';"
        );
        assert!(tokens(&sql).unwrap().contains(&Token::Str("a'b".into())));
        assert_eq!(
            copy_only_backup("x]y", false),
            "BACKUP DATABASE [x]]y] TO DISK = N'<file>' WITH COPY_ONLY;"
        );
        assert_eq!(
            disable_job("O'Brien"),
            "EXEC msdb.dbo.sp_update_job @job_name = N'O''Brien', @enabled = 0;"
        );
    }

    /// A name that cannot be bracketed (over 128 characters) is shown as a
    /// comment; a `*/` in it used to end that comment and run the rest.
    #[test]
    fn an_unquotable_name_cannot_close_its_comment() {
        let name = format!("{}*/ DROP DATABASE victim; /*", "x".repeat(130));
        let shown = ident(&name);
        assert!(
            shown.starts_with("/* ") && shown.ends_with(" */"),
            "{shown}"
        );
        assert_eq!(shown.matches("*/").count(), 1, "{shown}");
        assert_eq!(shown.matches("/*").count(), 1, "{shown}");
    }
}
