//! The archive's SQLite schema and its migrations.
//!
//! `PRAGMA application_id` marks the file as ours (so another program's
//! database is refused, not altered), `PRAGMA user_version` is the schema
//! version. Migration N takes a file from version N to N + 1, inside the same
//! transaction that records the new version.

/// "chwa" in ASCII.
pub const APPLICATION_ID: i64 = 0x6368_7761;

/// Each step in order; the schema version is the number applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: instances, tables, rows.
    "
    CREATE TABLE instance (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        -- The newest collection stored (UTC milliseconds) and what it said
        -- about the server, the tables it lacked and its other fields (JSON).
        collected_at_ms INTEGER NOT NULL,
        server TEXT NOT NULL,
        missing TEXT NOT NULL,
        extra TEXT NOT NULL
    );
    CREATE TABLE catalog_table (
        id INTEGER PRIMARY KEY,
        instance_id INTEGER NOT NULL REFERENCES instance(id),
        name TEXT NOT NULL,
        -- The newest collection of this table, and the import that stored it.
        collected_at_ms INTEGER NOT NULL,
        import_id INTEGER NOT NULL,
        UNIQUE (instance_id, name)
    );
    CREATE TABLE catalog_row (
        id INTEGER PRIMARY KEY,
        table_id INTEGER NOT NULL REFERENCES catalog_table(id),
        natural_key TEXT NOT NULL,
        -- The row object exactly as the snapshot carried it.
        row TEXT NOT NULL,
        backup_set_id INTEGER,
        -- The collection this content came from, the last import that carried
        -- the row and its place in that import.
        seen_at_ms INTEGER NOT NULL,
        import_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        UNIQUE (table_id, natural_key)
    );
    CREATE INDEX catalog_row_backup_set ON catalog_row (table_id, backup_set_id)
        WHERE backup_set_id IS NOT NULL;
    CREATE TABLE import (
        id INTEGER PRIMARY KEY,
        imported_at_ms INTEGER NOT NULL,
        collected_at_ms INTEGER NOT NULL,
        source TEXT,
        -- The snapshot's own top-level fields besides the instances (JSON).
        header TEXT NOT NULL,
        new_rows INTEGER NOT NULL
    );
    ",
    // 2: when each instance's whole history was last read (UTC
    // milliseconds; NULL: never). `check` reads an instance whole again
    // when this is older than `archive_reread_hours`, to catch msdb edits.
    "
    ALTER TABLE instance ADD COLUMN full_read_at_ms INTEGER;
    ",
];

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
