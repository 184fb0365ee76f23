//! Device names, media labels and user names for each kind of backup producer.

use super::inst::Inst;
use super::kinds::{Backup, Kind, Prod};
use super::rng::Rng;
use super::sim::DbSim;

/// What `backupmediaset` / `backupmediafamily` and the naming columns of `backupset` say.
pub struct Media {
    pub families: Vec<String>,
    pub device_type: u8,
    pub block: u32,
    pub software: &'static str,
    pub set_name: Option<&'static str>,
    pub name: Option<String>,
    pub user: &'static str,
}

/// `SQL16\PROD` → `SQL16$PROD`, as Ola Hallengren's folders spell it.
pub fn server_token(inst: &Inst) -> String {
    inst.name.replace('\\', "$")
}

/// Maintenance-plan style stem: `HR_backup_2026_11_20_010001_3350000`.
pub fn maint_plan_stem(inst: &Inst, db: &str, b: &Backup) -> String {
    let mut r = Rng::keyed(&b.uuid);
    let t = inst.clock.local(b.start);
    format!(
        "{db}_backup_{}_{:07}",
        t.format("%Y_%m_%d_%H%M%S"),
        r.range(0, 9_999_999)
    )
}

fn vdi_name(b: &Backup, suffix: u8) -> String {
    let mut r = Rng::keyed(&format!("vdi/{}", b.uuid));
    format!("{{{}}}{suffix}", r.guid().to_uppercase())
}

fn managed_names(inst: &Inst, db: &DbSim, b: &Backup, stripes: u8) -> Vec<String> {
    let store = inst.store.expect("managed backups need a container");
    let short: String = db.name.chars().take(40).collect();
    let ag = db
        .group_db
        .as_ref()
        .map(|g| format!("{}_", g.replace('-', "")))
        .unwrap_or_default();
    let guid = b.database_guid.replace('-', "");
    let ts = format!("{}000", b.start.format("%Y%m%d%H%M%S"));
    let ext = if b.kind.code() == "L" { "log" } else { "bak" };
    let stem = format!("{}/{short}_{ag}{guid}_{ts}", store.url());
    if stripes <= 1 || b.kind.code() == "L" {
        vec![format!("{stem}.{ext}")]
    } else {
        (1..=stripes).map(|i| format!("{stem}_{i}.{ext}")).collect()
    }
}

pub fn media(inst: &Inst, db: &DbSim, b: &Backup) -> Media {
    let local = inst.clock.local(b.start);
    let stamp = local.format("%Y%m%d_%H%M%S").to_string();
    let name = &db.name;
    let ext = if b.kind.code() == "L" { "trn" } else { "bak" };
    let mut m = Media {
        families: Vec::new(),
        device_type: 2,
        block: 512,
        software: "Microsoft SQL Server",
        set_name: None,
        name: None,
        user: inst.agent_user,
    };
    match b.prod {
        Prod::Managed { stripes } => {
            m.families = managed_names(inst, db, b, stripes);
            m.device_type = 9;
            m.block = if inst.store.is_some_and(|s| s.page_blob) {
                512
            } else {
                65_536
            };
        }
        Prod::CopyUrl => {
            let url = inst.store.expect("container").url();
            m.families = vec![format!("{url}/{name}_COPY_ONLY_{stamp}.{ext}")];
            m.device_type = 9;
            m.block = 65_536;
            let what = if ext == "trn" {
                "Transaction Log"
            } else {
                "Full Database"
            };
            m.name = Some(format!("{name}-{what} Backup"));
            m.user = "CONTOSO\\dba_maria";
        }
        Prod::AdHocDisk => {
            m.families = vec![format!("D:\\adhoc\\{name}_{stamp}.{ext}")];
            m.user = "CONTOSO\\jdoe";
        }
        Prod::LogShip => {
            let utc = b.start.format("%Y%m%d%H%M%S");
            m.families = vec![format!("\\\\fs01\\logship\\{name}\\{name}_{utc}.trn")];
        }
        Prod::Ola { stripes } => {
            let srv = server_token(inst);
            let kind = match b.kind {
                Kind::Diff => "DIFF",
                Kind::Log | Kind::CopyLog => "LOG",
                _ => "FULL",
            };
            let stem =
                format!("\\\\fs01\\backup\\{srv}\\{name}\\{kind}\\{srv}_{name}_{kind}_{stamp}");
            // `@NumberOfFiles` stripes data backups as `…_1.bak` to `…_n.bak`.
            m.families = if stripes <= 1 || ext == "trn" {
                vec![format!("{stem}.{ext}")]
            } else {
                (1..=stripes).map(|i| format!("{stem}_{i}.{ext}")).collect()
            };
        }
        Prod::MaintPlan => {
            let stem = maint_plan_stem(inst, name, b);
            m.families = vec![format!("E:\\MP\\{stem}.bak")];
            m.name = Some(stem);
        }
        Prod::Vss => {
            m.families = vec![vdi_name(b, 4)];
            m.device_type = 7;
            m.set_name = Some("DPM");
            m.user = "NT AUTHORITY\\SYSTEM";
        }
        Prod::DpmLog => {
            m.families = vec![vdi_name(b, 1)];
            m.device_type = 7;
            m.software = "DPM";
            m.set_name = Some("DPM");
            m.user = "CONTOSO\\DPMService";
        }
        Prod::JobUrl => {
            let account = inst.store.expect("a storage account").account;
            let container = super::ag14::JOB_CONTAINER;
            m.families = vec![format!(
                "https://{account}.blob.core.windows.net/{container}/{name}_LOG_{stamp}.{ext}"
            )];
            m.device_type = 9;
            m.block = 512;
            m.name = Some(format!("{name}-Transaction Log Backup"));
        }
        Prod::Foreign(o) => {
            m.families = vec![format!("{}\\{name}_FULL_{stamp}.bak", o.folder)];
            m.name = Some(format!("{name}-Full Database Backup"));
            m.user = o.user;
        }
        Prod::Disk => {
            m.families = vec![format!("D:\\Backup\\{name}\\{name}_FULL_{stamp}.bak")];
            m.name = Some(format!("{name}-Full Database Backup"));
        }
    }
    m
}
