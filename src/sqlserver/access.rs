//! What the login may see, and the exact statement that grants what it lacks.
//!
//! Several catalog objects do not refuse a login without the permission:
//! they answer fewer rows, or none (`sys.databases` hides OFFLINE databases,
//! `sys.database_mirroring` shows NULLs on the mirror side, the Managed
//! Backup configuration functions and `sys.database_scoped_credentials`
//! return nothing). The collector asks once what the login holds
//! ([`queries::PERMISSIONS`]) so such a silence is recorded as "not visible,
//! needs …" instead of "none".

use super::queries;

/// The login's relevant permissions; `None` where the server did not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub login: Option<String>,
    pub sysadmin: Option<bool>,
    pub alter_any_database: Option<bool>,
    pub create_database: Option<bool>,
    pub alter_any_credential: Option<bool>,
    pub view_any_definition: Option<bool>,
    pub view_server_state: Option<bool>,
    /// Member of db_backupoperator in msdb.
    pub msdb_backupoperator: Option<bool>,
}

impl Access {
    /// Sees every row of `sys.databases`, OFFLINE ones included.
    pub fn sees_offline_databases(&self) -> Option<bool> {
        any([self.sysadmin, self.alter_any_database, self.create_database])
    }

    /// Sees the Managed Backup configuration (db_backupoperator in msdb and
    /// ALTER ANY CREDENTIAL, or sysadmin).
    pub fn sees_managed_backup_config(&self) -> Option<bool> {
        if self.sysadmin == Some(true) {
            return Some(true);
        }
        match (self.msdb_backupoperator, self.alter_any_credential) {
            (Some(true), Some(true)) => Some(true),
            (Some(false), _) | (_, Some(false)) => Some(false),
            _ => None,
        }
    }
}

/// True when any is true, false when all are known false.
fn any<const N: usize>(flags: [Option<bool>; N]) -> Option<bool> {
    if flags.contains(&Some(true)) {
        Some(true)
    } else if flags.iter().all(|f| *f == Some(false)) {
        Some(false)
    } else {
        None
    }
}

/// A login name as a bracketed identifier for the GRANT text.
fn principal(login: &str) -> String {
    crate::tsql::quote_ident(login).unwrap_or_else(|_| "[<login>]".into())
}

/// The statement(s) that give `login` what a query's `needs` names.
/// `database` is the user database of a per-database permission.
pub fn grant_for(needs: &str, login: &str, database: Option<&str>) -> String {
    let who = principal(login);
    let db = database
        .and_then(|d| crate::tsql::quote_ident(d).ok())
        .unwrap_or_else(|| "[<database>]".into());
    match needs {
        n if n.starts_with("SELECT in msdb") => format!(
            "USE msdb; CREATE USER {who} FOR LOGIN {who}; ALTER ROLE db_datareader ADD MEMBER {who};"
        ),
        n if n.starts_with("VIEW ANY DATABASE") => format!("GRANT VIEW ANY DATABASE TO {who};"),
        n if n.starts_with("VIEW SERVER STATE") => format!("GRANT VIEW SERVER STATE TO {who};"),
        n if n.starts_with("VIEW ANY DEFINITION") => {
            format!("GRANT VIEW ANY DEFINITION TO {who};")
        }
        n if n.starts_with("db_backupoperator") => format!(
            "USE msdb; ALTER ROLE db_backupoperator ADD MEMBER {who}; GRANT ALTER ANY CREDENTIAL TO {who};"
        ),
        n if n.starts_with("CONTROL on the database") => {
            format!("USE {db}; GRANT CONTROL ON DATABASE::{db} TO {who};")
        }
        n if n.starts_with("SELECT on the function") => format!(
            "USE msdb; GRANT SELECT ON <schema>.<function> TO {who};  -- see the object's name"
        ),
        n if n.starts_with("EXECUTE on the function") => format!(
            "USE msdb; GRANT EXECUTE ON <schema>.<function> TO {who};  -- see the object's name"
        ),
        n if n.starts_with("a user in the database") => format!(
            "GRANT CONNECT ANY DATABASE TO {who};  -- 2014+, or: USE {db}; CREATE USER {who} FOR LOGIN {who};"
        ),
        n if n.starts_with("ALTER ANY DATABASE") => format!("GRANT ALTER ANY DATABASE TO {who};"),
        n if n.starts_with("sysadmin") => format!("ALTER SERVER ROLE sysadmin ADD MEMBER {who};"),
        other => format!("-- grant: {}", crate::tsql::comment_safe(other)),
    }
}

/// [`grant_for`] with the object's own name where the permission is on it.
pub fn grant_for_query(q: &queries::CatalogQuery, login: &str, database: Option<&str>) -> String {
    let text = grant_for(q.needs, login, database);
    match q.table.strip_prefix("msdb.") {
        Some(object) if text.contains("<schema>.<function>") => text
            .replace("<schema>.<function>", object)
            .replace("  -- see the object's name", ""),
        _ => text,
    }
}

/// An `int` flag column (1 / 0 / NULL) of a probe row.
pub(super) fn flag(row: Option<crate::model::RowRef<'_>>, column: &str) -> Option<bool> {
    match row?.get(column)? {
        crate::model::Cell::Int(i) => Some(*i != 0),
        crate::model::Cell::Bool(b) => Some(*b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_name_the_login_and_object() {
        let q = queries::ALL
            .iter()
            .find(|q| q.name == "MB_MASTER_SWITCH")
            .unwrap();
        assert_eq!(
            grant_for_query(q, "mon]itor", None),
            "USE msdb; GRANT EXECUTE ON managed_backup.fn_is_master_switch_on TO [mon]]itor];"
        );
        assert_eq!(
            grant_for("CONTROL on the database", "m", Some("Sales")),
            "USE [Sales]; GRANT CONTROL ON DATABASE::[Sales] TO [m];"
        );
    }

    #[test]
    fn managed_backup_visibility_needs_both_or_sysadmin() {
        let mut a = Access {
            msdb_backupoperator: Some(true),
            alter_any_credential: Some(false),
            ..Access::default()
        };
        assert_eq!(a.sees_managed_backup_config(), Some(false));
        a.alter_any_credential = Some(true);
        assert_eq!(a.sees_managed_backup_config(), Some(true));
        assert_eq!(Access::default().sees_managed_backup_config(), None);
        let admin = Access {
            sysadmin: Some(true),
            ..Access::default()
        };
        assert_eq!(admin.sees_offline_databases(), Some(true));
    }
}
