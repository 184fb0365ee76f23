//! Managed Backup's on-demand backup: an extra backup into the same
//! container that keeps the chain Managed Backup owns (shared/domain.md §3.3).

use super::quote::{script_string, QuoteError};
use super::script::{Batch, BatchKind};
use crate::model::ManagedBackupSchema;

/// `EXEC msdb.<schema>.sp_backup_on_demand @database_name = N'…', @type = N'Database'|N'Log';`
pub fn backup_on_demand(
    schema: ManagedBackupSchema,
    database: &str,
    log: bool,
) -> Result<Batch, QuoteError> {
    if database.is_empty() {
        return Err(QuoteError::Empty);
    }
    if database.chars().count() > 128 {
        return Err(QuoteError::TooLong);
    }
    let schema = super::remedy::schema_name(schema);
    let kind = if log { "Log" } else { "Database" };
    Ok(Batch {
        kind: BatchKind::BackupOnDemand,
        label: format!("{} backup on demand", kind.to_lowercase()),
        comments: vec![format!(
            "An extra {} backup by Managed Backup into its own container: the chain stays whole.",
            kind.to_lowercase()
        )],
        sql: format!(
            "EXEC msdb.{schema}.sp_backup_on_demand @database_name = {}, @type = {};",
            script_string(database)?,
            script_string(kind)?
        ),
        runnable: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsql::lex::{tokens, Token};

    #[test]
    fn names_are_literals_in_the_right_schema() {
        let b = backup_on_demand(ManagedBackupSchema::SmartAdmin, "a'b", true).unwrap();
        assert_eq!(
            b.sql,
            "EXEC msdb.smart_admin.sp_backup_on_demand @database_name = N'a''b', @type = N'Log';"
        );
        assert!(tokens(&b.sql).unwrap().contains(&Token::Str("a'b".into())));
        assert!(backup_on_demand(ManagedBackupSchema::ManagedBackup, "", false).is_err());
    }
}
