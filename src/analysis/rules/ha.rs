//! Rules 5, 6 and 9: mirroring, availability groups, instance defaults.

use chrono::Duration;

use super::{join_ids, managed, row_ev, Ctx, ManagedTarget};
use crate::analysis::findings::{EvidenceRow, Finding, Severity};
use crate::analysis::roles::{preferred_replicas, Replica};
use crate::analysis::DatabaseAnalysis;
use crate::model::catalog;
use crate::model::time::fmt_time;
use crate::model::{Database, MirroringRole};

/// Rule 5: Managed Backup runs on the principal only.
pub fn mirroring(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    if !db.exists {
        return;
    }
    let Some(rows) = ctx.table(
        catalog::MIRRORING,
        &db.name,
        "whether the database is a mirroring partner (Managed Backup runs on the principal only)",
    ) else {
        return;
    };
    let Some(role) = db.mirroring_role else {
        return;
    };
    let mut partner = None;
    let mut evidence = Vec::new();
    for row in rows {
        if ctx.int(&row, "database_id") == db.database_id && db.database_id.is_some() {
            partner = ctx.str(&row, "mirroring_partner_instance");
            let state = ctx.str(&row, "mirroring_state_desc").unwrap_or_default();
            evidence.push(row_ev(
                &row,
                format!(
                    "mirroring_role = {}, mirroring_state = {state}, partner {}",
                    if role == MirroringRole::Mirror {
                        "MIRROR"
                    } else {
                        "PRINCIPAL"
                    },
                    partner.as_deref().unwrap_or("?")
                ),
            ));
        }
    }
    let partner_db: Option<(String, Option<Database>)> = partner.as_ref().and_then(|p| {
        ctx.estate
            .instance(p)
            .map(|i| (i.name.clone(), i.database(&db.name).cloned()))
    });
    let partner_label = partner.clone().unwrap_or_else(|| "the partner".into());
    let partner_managed = partner_db
        .as_ref()
        .map(|(_, d)| d.as_ref().is_some_and(|d| managed(d).is_some()));
    let here = managed(db).cloned();
    let f = match (role, here.is_some(), partner_managed) {
        (MirroringRole::Mirror, true, Some(false)) => ctx.finding(
            "interop.mirroring_mirror_only",
            Severity::Warning,
            Some(&db.name),
            "Managed Backup configured on the mirror only".into(),
            format!(
                "Managed Backup is enabled on this mirror, which it skips, but not for {} on the principal {partner_label}: nothing is backed up by Managed Backup until a failover.",
                db.name
            ),
        ),
        (MirroringRole::Mirror, true, partner_known) => ctx.finding(
            "interop.mirroring_mirror",
            Severity::Info,
            Some(&db.name),
            "mirror: Managed Backup skips it until a failover".into(),
            format!(
                "Managed Backup is enabled here, but Microsoft supports it on the principal only: the mirror is skipped, and after a failover backups start here into a new container. {}",
                if partner_known == Some(true) {
                    format!("The principal {partner_label} has it enabled too, as recommended.")
                } else {
                    format!("The principal {partner_label} is not in this estate: whether it is configured there is unknown.")
                }
            ),
        ),
        (MirroringRole::Principal, true, Some(false)) | (MirroringRole::Mirror, false, Some(true)) => {
            ctx.finding(
                "interop.mirroring_principal_only",
                Severity::Warning,
                Some(&db.name),
                "Managed Backup configured only on the principal".into(),
                format!(
                    "Managed Backup is enabled for {} on the principal but not on the mirror{}: after a failover no backups run until someone configures it. Microsoft recommends configuring both partners.",
                    db.name,
                    if role == MirroringRole::Principal { format!(" ({partner_label})") } else { String::new() }
                ),
            )
        }
        (MirroringRole::Principal, true, None) => ctx.finding(
            "interop.mirroring_partner_unknown",
            Severity::Info,
            Some(&db.name),
            "mirror partner not collected".into(),
            format!(
                "Managed Backup is enabled on this principal; the mirror {partner_label} is not in this estate, so whether backups continue after a failover is unknown."
            ),
        ),
        _ => return,
    };
    let sql = [
        here.as_ref().map(|c| c.schema),
        partner_db.as_ref().and_then(|(_, d)| {
            d.as_ref()
                .and_then(|d| d.managed_backup.as_ref().map(|m| m.schema))
        }),
    ]
    .into_iter()
    .flatten()
    .next()
    .map(|schema| {
        let cfg = crate::model::ManagedBackupConfig {
            schema,
            enabled: true,
            retention_days: None,
            storage_url: None,
            credential_name: None,
            is_dropped: false,
        };
        format!(
            "-- on the partner without it (same retention and container as this one):\n{}",
            crate::tsql::remedy::managed_on(
                cfg.schema,
                &db.name,
                here.as_ref().and_then(|c| c.retention_days).unwrap_or(30)
            )
        )
    });
    ctx.supersede(&db.name, "database.passive", None);
    ctx.push(Finding {
        rows: evidence,
        remedy: "configure Managed Backup on both mirroring partners with the same settings".into(),
        sql: if f.severity == Severity::Info {
            None
        } else {
            sql
        },
        ..f
    });
}

/// Rule 6: availability groups.
pub fn availability_group(ctx: &mut Ctx<'_>, a: &DatabaseAnalysis<'_>) {
    let db = &a.database;
    let Some(group_db) = db.group_database_id else {
        return;
    };
    let Some(cfg) = managed(db).cloned() else {
        return;
    };
    if ctx.instance.server.major_version() == Some(12) {
        let f = ctx.finding(
            "interop.ag_2014",
            Severity::Warning,
            Some(&db.name),
            "availability group database on SQL Server 2014 Managed Backup".into(),
            "The 2014 interoperability page supports Managed Backup for availability databases only when the group runs entirely in Azure; on-premises and hybrid groups are not supported. The 2014 AG tutorial disagrees (it describes on-premises, Azure and hybrid replicas). chainwatch cannot see where the replicas run.".into(),
        );
        ctx.push(Finding {
            remedy: "confirm every replica runs in Azure, or back up this database with another tool (and turn Managed Backup off for it)".into(),
            ..f
        });
    }
    let why = "the preferred backup replica of availability group databases";
    let states = ctx.table(catalog::HADR_REPLICA_STATES, &db.name, why);
    let groups = ctx.table(catalog::AVAILABILITY_GROUPS, &db.name, why);
    let replicas = ctx.table(catalog::AVAILABILITY_REPLICAS, &db.name, why);
    let (Some(states), Some(groups), Some(replica_rows)) = (states, groups, replicas) else {
        settings_differ(ctx, db, group_db);
        return;
    };
    let mut group_id = None;
    let mut roles = Vec::new();
    for row in &states {
        if ctx.uuid(row, "group_database_id") == Some(group_db) {
            group_id = ctx.uuid(row, "group_id").or(group_id);
            let rid = ctx.uuid(row, "replica_id");
            let primary = ctx.bit(row, "is_primary_replica");
            roles.push((rid, primary));
        }
    }
    let mut evidence = Vec::new();
    let mut preference = None;
    for row in &groups {
        if group_id.is_some() && ctx.uuid(row, "group_id") == group_id {
            preference = ctx.int(row, "automated_backup_preference");
            let name = ctx.str(row, "name").unwrap_or_default();
            let desc = ctx
                .str(row, "automated_backup_preference_desc")
                .unwrap_or_default();
            evidence.push(row_ev(
                row,
                format!("availability group '{name}': automated_backup_preference = {desc}"),
            ));
        }
    }
    let mut replicas = Vec::new();
    for row in &replica_rows {
        if group_id.is_none() || ctx.uuid(row, "group_id") != group_id {
            continue;
        }
        let id = ctx.uuid(row, "replica_id");
        let r = Replica {
            server: ctx.str(row, "replica_server_name").unwrap_or_default(),
            priority: ctx.int(row, "backup_priority").unwrap_or(50),
            readable: ctx
                .int(row, "secondary_role_allow_connections")
                .unwrap_or(0)
                > 0,
            primary: roles.iter().find(|(r, _)| *r == id).and_then(|(_, p)| *p),
        };
        evidence.push(row_ev(
            row,
            format!(
                "replica {}: backup_priority {}, readable secondary {}",
                r.server, r.priority, r.readable
            ),
        ));
        replicas.push(r);
    }
    // The collector reads only local state rows (`is_local = 1`). There is one primary: with it
    // known, the replicas of unknown role are secondaries; a secondary sees only its own state
    // row, so the one replica of unknown role is the primary.
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
    let Some(preference) = preference else {
        settings_differ(ctx, db, group_db);
        return;
    };
    // Managed Backup takes its backups on a readable secondary only.
    let preferred: Vec<&str> = preferred_replicas(&replicas, preference, true)
        .into_iter()
        .map(|r| r.server.as_str())
        .collect();
    let target = ManagedTarget::of(&cfg);
    let newest = a
        .history
        .rows
        .iter()
        .filter(|b| b.is_log() && target.matches(&b.destination()))
        .max_by_key(|b| (b.finish, b.backup_set_id));
    if let (Some(newest), false) = (newest, preferred.is_empty()) {
        let on_preferred = |b: &crate::model::BackupSet| {
            preferred.iter().any(|p| {
                p.eq_ignore_ascii_case(&b.collected_from)
                    || b.server_name
                        .as_deref()
                        .is_some_and(|s| p.eq_ignore_ascii_case(s))
            })
        };
        // Report it once: on the instance whose msdb holds the backups.
        if !on_preferred(newest) && newest.collected_from == ctx.instance.name {
            let since = newest.finish.map(|t| t - Duration::hours(24));
            let ids: Vec<i64> = a
                .history
                .rows
                .iter()
                .filter(|b| b.collected_from == newest.collected_from && !on_preferred(b))
                .filter(|b| b.finish >= since)
                .map(|b| b.backup_set_id)
                .collect();
            let f = ctx.finding(
                "interop.ag_non_preferred",
                Severity::Warning,
                Some(&db.name),
                format!("backups run on {}, not the preferred backup replica", newest.collected_from),
                format!(
                    "the newest log backup to Managed Backup's {} (#{} at {}) was taken on {}, but the group's backup preference and priorities make {} the preferred replica (chainwatch's reading of preference, priorities, roles and readable secondaries; sys.fn_hadr_backup_is_preferred_replica itself was not collected). Managed Backup uses the preferred replica; backups elsewhere mean the settings differ or the preference is not what was intended. Backups in the last 24 h there: {}.",
                    target.label(),
                    newest.backup_set_id,
                    fmt_time(newest.finish),
                    newest.collected_from,
                    preferred.join(", "),
                    join_ids(&ids)
                ),
            );
            ctx.push(Finding {
                evidence: ids,
                rows: evidence.clone(),
                remedy: "check automated_backup_preference and backup_priority, and that the preferred secondary allows read-only connections".into(),
                ..f
            });
        }
    }
    settings_differ(ctx, db, group_db);
}

/// Rule 6: the same Managed Backup settings on every replica in the estate.
fn settings_differ(ctx: &mut Ctx<'_>, db: &Database, group_db: uuid::Uuid) {
    let mut seen: Vec<(String, Option<crate::model::ManagedBackupConfig>)> = Vec::new();
    for inst in &ctx.estate.instances {
        for d in &inst.databases {
            if d.group_database_id == Some(group_db) {
                seen.push((inst.name.clone(), d.managed_backup.clone()));
            }
        }
    }
    if seen.len() < 2 || seen.iter().map(|(n, _)| n).min() != Some(&ctx.instance.name) {
        return;
    }
    let key = |c: &Option<crate::model::ManagedBackupConfig>| {
        c.as_ref().map(|c| {
            (
                c.enabled,
                c.retention_days,
                c.storage_url.clone().map(|u| u.to_ascii_lowercase()),
                c.credential_name.clone(),
            )
        })
    };
    if seen.iter().all(|(_, c)| key(c) == key(&seen[0].1)) {
        return;
    }
    let rows: Vec<EvidenceRow> = seen
        .iter()
        .map(|(inst, c)| EvidenceRow {
            table: format!("{inst}: fn_backup_db_config"),
            row: None,
            text: match c {
                Some(c) => format!(
                    "{}: enabled {}, retention_days {}, storage_url {}, credential {}",
                    db.name,
                    c.enabled,
                    c.retention_days.map_or("NULL".into(), |d| d.to_string()),
                    c.storage_url.as_deref().unwrap_or("NULL"),
                    c.credential_name.as_deref().unwrap_or("NULL")
                ),
                None => format!("{}: no Managed Backup row", db.name),
            },
        })
        .collect();
    let f = ctx.finding(
        "interop.ag_settings_differ",
        Severity::Warning,
        Some(&db.name),
        "Managed Backup settings differ across replicas".into(),
        format!(
            "{} is in an availability group, and its Managed Backup settings are not the same on {}. Microsoft: configure the same settings (and the same encryption certificate) on every replica, so backups continue unchanged after a failover.",
            db.name,
            seen.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(" and ")
        ),
    );
    ctx.push(Finding {
        rows,
        remedy: "apply the same Managed Backup settings on every replica".into(),
        ..f
    });
}

/// Rule 9: instance defaults on while mirrored or AG databases exist.
pub fn instance_defaults(ctx: &mut Ctx<'_>) {
    let special: Vec<&Database> = ctx
        .instance
        .databases
        .iter()
        .filter(|d| d.exists && (d.mirroring_role.is_some() || d.group_database_id.is_some()))
        .collect();
    if special.is_empty() {
        return;
    }
    let name = if ctx.has(catalog::MB_INSTANCE_CONFIG) || !ctx.has(catalog::SA_INSTANCE_CONFIG) {
        catalog::MB_INSTANCE_CONFIG
    } else {
        catalog::SA_INSTANCE_CONFIG
    };
    let instance_name = ctx.instance.name.clone();
    let fallback = if ctx.instance.server.major_version() == Some(12) {
        catalog::SA_INSTANCE_CONFIG
    } else {
        catalog::MB_INSTANCE_CONFIG
    };
    let name = if ctx.has(name) { name } else { fallback };
    let Some(rows) = ctx.table(
        name,
        &instance_name,
        "whether instance-level Managed Backup defaults are on while mirrored or availability databases exist",
    ) else {
        return;
    };
    let mut on = None;
    for row in &rows {
        let enabled = ctx
            .int(row, "is_managed_backup_enabled")
            .or_else(|| ctx.int(row, "is_smart_backup_enabled"));
        if enabled.unwrap_or(0) != 0 {
            on = Some(row_ev(row, "instance defaults enabled".into()));
        }
    }
    let Some(row) = on else { return };
    let recent: Vec<&&Database> = special
        .iter()
        .filter(|d| {
            d.create_date
                .is_some_and(|c| ctx.now - c <= Duration::days(7))
        })
        .collect();
    let schema = if name == catalog::SA_INSTANCE_CONFIG {
        crate::model::ManagedBackupSchema::SmartAdmin
    } else {
        crate::model::ManagedBackupSchema::ManagedBackup
    };
    let f = ctx.finding(
        "interop.instance_defaults",
        if recent.is_empty() { Severity::Info } else { Severity::Warning },
        None,
        "Managed Backup instance defaults on beside mirrored or AG databases".into(),
        format!(
            "instance-level defaults enrol every new database. Microsoft advises turning them off while creating mirrored or availability databases. Such databases here: {}{}.",
            special.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "),
            if recent.is_empty() {
                String::new()
            } else {
                format!("; created in the last 7 days: {}", recent.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "))
            }
        ),
    );
    ctx.push(Finding {
        rows: vec![row],
        remedy: "turn instance defaults off before creating mirrored or AG databases, then configure those databases one by one".into(),
        sql: Some(crate::tsql::remedy::instance_defaults_off(schema)),
        ..f
    });
}
