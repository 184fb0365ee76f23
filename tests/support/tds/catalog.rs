//! The system objects whose shape depends on the SQL Server version (or on
//! msdb's build), kept here from Microsoft's documentation, so the TDS test
//! server answers a wrong query as SQL Server does: 208 for an object the
//! version lacks (or a scalar function used in FROM), 207 for a column the
//! version lacks. Objects not listed here are served without column checks.

/// What kind of object a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    View,
    /// Table-valued function (inline or multi-statement).
    Tvf,
    /// Scalar function: a value in the SELECT list, never a row source.
    Scalar,
}

/// Which result shape msdb's 2016+ Managed Backup functions have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MbShape {
    /// As the docs pages list: `is_smart_backup_enabled`, `storage_url`.
    #[default]
    Docs,
    /// As msdb's own code returns: `is_managed_backup_enabled`, `container_url`.
    Msdb,
}

/// One object: kind, first major version, columns (name, first major version).
pub struct Object {
    pub name: &'static str,
    pub kind: Kind,
    pub since: u32,
    /// Before this major version only (smart_admin's own functions).
    pub until: u32,
    pub columns: &'static [(&'static str, u32)],
    /// The docs page the shape was taken from.
    pub doc: &'static str,
}

const AG: &[(&str, u32)] = &[
    ("group_id", 11),
    ("name", 11),
    ("resource_id", 11),
    ("resource_group_id", 11),
    ("failure_condition_level", 11),
    ("health_check_timeout", 11),
    ("automated_backup_preference", 11),
    ("automated_backup_preference_desc", 11),
    ("version", 13),
    ("basic_features", 13),
    ("dtc_support", 13),
    ("db_failover", 13),
    ("is_distributed", 13),
    ("cluster_type", 14),
    ("cluster_type_desc", 14),
    ("required_synchronized_secondaries_to_commit", 14),
    ("sequence_number", 14),
];

const DB_CONFIG_DOCS: &[(&str, u32)] = &[
    ("db_name", 12),
    ("db_guid", 12),
    ("is_availability_database", 12),
    ("is_dropped", 12),
    ("credential_name", 12),
    ("retention_days", 12),
    ("is_smart_backup_enabled", 12),
    ("storage_url", 12),
    ("Encryption_algorithm", 12),
    ("Encryptor_type", 12),
    ("Encryptor_name", 12),
];

const DB_CONFIG_MSDB: &[(&str, u32)] = &[
    ("db_name", 13),
    ("db_guid", 13),
    ("is_availability_database", 13),
    ("is_dropped", 13),
    ("retention_days", 13),
    ("is_managed_backup_enabled", 13),
    ("container_url", 13),
    ("Encryption_algorithm", 13),
    ("Encryptor_type", 13),
    ("Encryptor_name", 13),
];

const INSTANCE_CONFIG_DOCS: &[(&str, u32)] = &[
    ("is_smart_backup_enabled", 12),
    ("credential_name", 12),
    ("retention_days", 12),
    ("storage_url", 12),
    ("encryption_algorithm", 12),
    ("encryptor_type", 12),
    ("encryptor_name", 12),
];

const INSTANCE_CONFIG_MSDB: &[(&str, u32)] = &[
    ("is_managed_backup_enabled", 13),
    ("retention_days", 13),
    ("container_url", 13),
    ("encryption_algorithm", 13),
    ("encryptor_type", 13),
    ("encryptor_name", 13),
];

const AVAILABLE: &[(&str, u32)] = &[
    ("Backup_path", 12),
    ("backup_type", 12),
    ("expiration_date", 12),
    ("database_guid", 12),
    ("first_lsn", 12),
    ("last_lsn", 12),
    ("backup_start_date", 12),
    ("backup_finish_date", 12),
    ("machine_name", 12),
    ("last_recovery_fork_id", 12),
    ("first_recovery_fork_id", 12),
    ("fork_point_lsn", 12),
    ("availability_group_guid", 12),
];

const SCOPED: &[(&str, u32)] = &[
    ("name", 13),
    ("principal_id", 13),
    ("credential_id", 13),
    ("credential_identity", 13),
    ("create_date", 13),
    ("modify_date", 13),
    ("target_type", 13),
    ("target_id", 13),
];

const DOC_FN: &str = "docs/relational-databases/system-functions/";

/// Every object the test server knows the shape of, for a shape of msdb.
pub fn objects(shape: MbShape) -> Vec<Object> {
    let (db_config, instance_config) = match shape {
        MbShape::Docs => (DB_CONFIG_DOCS, INSTANCE_CONFIG_DOCS),
        MbShape::Msdb => (DB_CONFIG_MSDB, INSTANCE_CONFIG_MSDB),
    };
    let mut v = vec![
        Object {
            name: "sys.availability_groups",
            kind: Kind::View,
            since: 11,
            until: u32::MAX,
            columns: AG,
            doc: "docs/relational-databases/system-catalog-views/sys-availability-groups-transact-sql.md",
        },
        Object {
            name: "sys.database_scoped_credentials",
            kind: Kind::View,
            since: 13,
            until: u32::MAX,
            columns: SCOPED,
            doc: "docs/relational-databases/system-catalog-views/sys-database-scoped-credentials-transact-sql.md",
        },
    ];
    for (schema, since, until) in [("managed_backup", 13, u32::MAX), ("smart_admin", 12, 13)] {
        let (db, inst) = if schema == "smart_admin" {
            (DB_CONFIG_DOCS, INSTANCE_CONFIG_DOCS)
        } else {
            (db_config, instance_config)
        };
        let name = |f: &str| -> &'static str { Box::leak(format!("msdb.{schema}.{f}").into()) };
        v.extend([
            Object {
                name: name("fn_backup_db_config"),
                kind: Kind::Tvf,
                since,
                until,
                columns: db,
                doc: DOC_FN,
            },
            Object {
                name: name("fn_backup_instance_config"),
                kind: Kind::Tvf,
                since,
                until,
                columns: inst,
                doc: DOC_FN,
            },
            Object {
                name: name("fn_is_master_switch_on"),
                kind: Kind::Scalar,
                since,
                until,
                columns: &[],
                doc: DOC_FN,
            },
            Object {
                name: name("fn_available_backups"),
                kind: Kind::Tvf,
                since,
                until,
                columns: AVAILABLE,
                doc: DOC_FN,
            },
        ]);
    }
    v
}

/// The documented column name a snapshot row may carry under another
/// spelling (the demo estate writes one shape; the server answers either).
pub fn synonyms(column: &str) -> &'static [&'static str] {
    match column.to_ascii_lowercase().as_str() {
        "container_url" | "storage_url" => &["storage_url", "container_url"],
        "is_managed_backup_enabled" | "is_smart_backup_enabled" => {
            &["is_managed_backup_enabled", "is_smart_backup_enabled"]
        }
        _ => &[],
    }
}
