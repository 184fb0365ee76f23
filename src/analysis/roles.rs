//! What the catalog says about a database's role: where its availability
//! group prefers backups, its mirroring partner, log shipping on either
//! side, and the restores that made it. Read from the collected rows; a
//! table that was not collected leaves the fact unknown (`None`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::catalog::{self, Row};
use crate::model::{BackupSet, Database, Estate, Instance};

/// Where an availability group wants this database backed up.
#[derive(Debug, Clone, PartialEq)]
pub struct AgPlace {
    /// `automated_backup_preference_desc` (PRIMARY, SECONDARY_ONLY, SECONDARY, NONE).
    pub preference: String,
    /// The preferred backup replicas (highest backup_priority among the eligible).
    pub preferred: Vec<String>,
    /// This instance is one of them.
    pub here: bool,
    /// Whether this replica is the primary (None: unknown).
    pub primary_here: Option<bool>,
    /// The primary replica's server name, when the catalog tells.
    pub primary: Option<String>,
}

/// One restore into this database (`msdb.dbo.restorehistory`).
#[derive(Debug, Clone, PartialEq)]
pub struct Restore {
    pub at: DateTime<Utc>,
    /// D database, I differential, L log, ...
    pub restore_type: String,
    pub recovery: bool,
    pub backup_set_id: Option<i64>,
    /// Server and database of the backup restored, from its backupset row.
    pub from_server: Option<String>,
    pub from_database: Option<String>,
    /// The backup was taken on another server.
    pub from_elsewhere: bool,
}

/// The log shipping side of a database.
#[derive(Debug, Clone, PartialEq)]
pub enum LogShipping {
    Primary,
    /// `primary`: the server the logs come from, when known.
    Secondary {
        primary: Option<String>,
        evidence: String,
    },
}

/// Role facts for one database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Roles {
    pub ag: Option<AgPlace>,
    pub mirror_partner: Option<String>,
    pub log_shipping: Option<LogShipping>,
    /// Restores into this database, oldest first (empty when not collected).
    pub restores: Vec<Restore>,
    /// Managed Backup is enabled for it.
    pub managed: bool,
}

impl Roles {
    /// The newest restore that brought the database online (RECOVERY).
    pub fn last_recovery(&self) -> Option<&Restore> {
        self.restores.iter().rev().find(|r| r.recovery)
    }
}

fn text(r: &Row<'_>, column: &str) -> Option<String> {
    r.string(column).ok().flatten()
}

fn names(r: &Row<'_>, column: &str, name: &str) -> bool {
    text(r, column).is_some_and(|n| n.eq_ignore_ascii_case(name))
}

/// Whether `server` names this instance (its configured or server name).
pub fn is_instance(instance: &Instance, server: &str) -> bool {
    instance.name.eq_ignore_ascii_case(server)
        || instance
            .server
            .server_name
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(server))
}

/// The instance of the estate that `server` names.
pub fn instance_named<'a>(estate: &'a Estate, server: &str) -> Option<&'a Instance> {
    estate.instances.iter().find(|i| is_instance(i, server))
}

pub fn roles(estate: &Estate, instance: &Instance, db: &Database) -> Roles {
    Roles {
        ag: db
            .group_database_id
            .and_then(|g| ag_place(estate, instance, db, g)),
        mirror_partner: mirror_partner(instance, db),
        log_shipping: log_shipping(instance, db),
        restores: restores(instance, db),
        managed: db.managed_backup.as_ref().is_some_and(|m| m.enabled),
    }
}

fn mirror_partner(instance: &Instance, db: &Database) -> Option<String> {
    let id = db.database_id?;
    instance
        .catalog_rows(catalog::MIRRORING)
        .iter()
        .find(|r| r.int("database_id").ok().flatten() == Some(id))
        .and_then(|r| text(r, "mirroring_partner_instance"))
}

fn log_shipping(instance: &Instance, db: &Database) -> Option<LogShipping> {
    if instance
        .catalog_rows(catalog::LOG_SHIPPING_PRIMARY)
        .iter()
        .any(|r| names(r, "primary_database", &db.name))
    {
        return Some(LogShipping::Primary);
    }
    if let Some(r) = instance
        .catalog_rows(catalog::LOG_SHIPPING_SECONDARY_DBS)
        .iter()
        .find(|r| names(r, "secondary_database", &db.name))
    {
        let id = r.uuid("secondary_id").ok().flatten();
        let primary = instance
            .catalog_rows(catalog::LOG_SHIPPING_SECONDARY)
            .iter()
            .find(|s| id.is_some() && s.uuid("secondary_id").ok().flatten() == id)
            .and_then(|s| text(s, "primary_server"));
        return Some(LogShipping::Secondary {
            primary,
            evidence: format!("{} row {}", catalog::LOG_SHIPPING_SECONDARY_DBS, r.index),
        });
    }
    None
}

fn restores(instance: &Instance, db: &Database) -> Vec<Restore> {
    let offset = instance.server.utc_offset_minutes.unwrap_or(0);
    let mut out: Vec<Restore> = instance
        .catalog_rows(catalog::RESTOREHISTORY)
        .iter()
        .filter(|r| names(r, "destination_database_name", &db.name))
        .filter_map(|r| {
            let at = r.datetime("restore_date").ok().flatten()?.to_utc(offset);
            let backup_set_id = r.int("backup_set_id").ok().flatten();
            let set: Option<&BackupSet> = backup_set_id.and_then(|id| {
                instance
                    .backups
                    .binary_search_by_key(&id, |b| b.backup_set_id)
                    .ok()
                    .map(|i| &instance.backups[i])
            });
            Some(Restore {
                at,
                restore_type: text(r, "restore_type").unwrap_or_default(),
                recovery: r.bit("recovery").ok().flatten().unwrap_or(false),
                backup_set_id,
                from_server: set.and_then(|b| b.server_name.clone()),
                from_database: set.map(|b| b.database_name.clone()),
                from_elsewhere: set.is_some_and(|b| b.written_elsewhere),
            })
        })
        .collect();
    out.sort_by_key(|r| (r.at, r.backup_set_id));
    out
}

/// A replica of an availability group, as far as the catalog tells.
#[derive(Debug, Clone)]
pub(super) struct Replica {
    pub(super) server: String,
    pub(super) priority: i64,
    pub(super) readable: bool,
    pub(super) primary: Option<bool>,
}

/// The replicas a backup goes to under the group's
/// `automated_backup_preference` (0 primary, 1 secondary only, 2 secondary
/// if there is one, else any replica): of those it allows, the ones with
/// the highest backup priority above 0. With `readable_only` a secondary
/// counts only when it takes connections (Managed Backup needs that).
pub(super) fn preferred_replicas(
    replicas: &[Replica],
    preference: i64,
    readable_only: bool,
) -> Vec<&Replica> {
    let primary: Vec<&Replica> = replicas
        .iter()
        .filter(|r| r.primary == Some(true))
        .collect();
    let secondaries: Vec<&Replica> = replicas
        .iter()
        .filter(|r| r.primary == Some(false) && (r.readable || !readable_only))
        .collect();
    let eligible: Vec<&Replica> = match preference {
        0 => primary,
        1 => secondaries,
        2 if !secondaries.is_empty() => secondaries,
        2 => primary,
        _ => replicas.iter().collect(),
    };
    let eligible: Vec<&Replica> = eligible.into_iter().filter(|r| r.priority > 0).collect();
    let best = eligible.iter().map(|r| r.priority).max();
    eligible
        .into_iter()
        .filter(|r| Some(r.priority) == best)
        .collect()
}

/// The preferred backup replica(s), as `sys.fn_hadr_backup_is_preferred_replica`
/// would choose them from the group's preference, priorities and roles.
fn ag_place(
    estate: &Estate,
    instance: &Instance,
    db: &Database,
    group_db: Uuid,
) -> Option<AgPlace> {
    let states = instance.catalog_rows(catalog::HADR_REPLICA_STATES);
    let mine: Vec<&Row<'_>> = states
        .iter()
        .filter(|r| r.uuid("group_database_id").ok().flatten() == Some(group_db))
        .collect();
    let group_id = mine
        .iter()
        .find_map(|r| r.uuid("group_id").ok().flatten())?;
    let group = instance
        .catalog_rows(catalog::AVAILABILITY_GROUPS)
        .into_iter()
        .find(|r| r.uuid("group_id").ok().flatten() == Some(group_id))?;
    let preference = group.int("automated_backup_preference").ok().flatten()?;
    let mut replicas: Vec<Replica> = instance
        .catalog_rows(catalog::AVAILABILITY_REPLICAS)
        .iter()
        .filter(|r| r.uuid("group_id").ok().flatten() == Some(group_id))
        .map(|r| {
            let id = r.uuid("replica_id").ok().flatten();
            let server = text(r, "replica_server_name").unwrap_or_default();
            let primary = mine
                .iter()
                .find(|s| id.is_some() && s.uuid("replica_id").ok().flatten() == id)
                .and_then(|s| s.bit("is_primary_replica").ok().flatten())
                .or_else(|| {
                    // Another replica in the estate knows its own role.
                    let other = instance_named(estate, &server)?;
                    other
                        .databases
                        .iter()
                        .find(|d| d.group_database_id == Some(group_db))?
                        .is_primary_replica
                });
            Replica {
                server,
                priority: r.int("backup_priority").ok().flatten().unwrap_or(50),
                readable: r
                    .int("secondary_role_allow_connections")
                    .ok()
                    .flatten()
                    .unwrap_or(0)
                    > 0,
                primary,
            }
        })
        .collect();
    if replicas.is_empty() {
        return None;
    }
    if let Some(me) = replicas
        .iter_mut()
        .find(|r| is_instance(instance, &r.server))
    {
        me.primary = me.primary.or(db.is_primary_replica);
    }
    // There is one primary: with it known, the replicas of unknown role are secondaries;
    // a secondary sees only its own state, so the one replica of unknown role is the primary.
    if replicas.iter().any(|r| r.primary == Some(true)) {
        for r in replicas.iter_mut().filter(|r| r.primary.is_none()) {
            r.primary = Some(false);
        }
    } else {
        let unknown: Vec<usize> = (0..replicas.len())
            .filter(|i| replicas[*i].primary.is_none())
            .collect();
        if let [one] = unknown.as_slice() {
            replicas[*one].primary = Some(true);
        }
    }
    // Managed Backup needs a readable secondary; other tools do not.
    let managed = db.managed_backup.as_ref().is_some_and(|m| m.enabled);
    let preferred: Vec<String> = preferred_replicas(&replicas, preference, managed)
        .into_iter()
        .map(|r| r.server.clone())
        .collect();
    let here = preferred.iter().any(|p| is_instance(instance, p));
    Some(AgPlace {
        preference: text(&group, "automated_backup_preference_desc").unwrap_or_else(|| {
            match preference {
                0 => "PRIMARY",
                1 => "SECONDARY_ONLY",
                2 => "SECONDARY",
                _ => "NONE",
            }
            .into()
        }),
        preferred,
        here,
        primary: replicas
            .iter()
            .find(|r| r.primary == Some(true))
            .map(|r| r.server.clone()),
        primary_here: replicas
            .iter()
            .find(|r| is_instance(instance, &r.server))
            .and_then(|r| r.primary)
            .or(db.is_primary_replica),
    })
}
