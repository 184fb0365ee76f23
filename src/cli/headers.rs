//! `chainwatch headers PATH… [--format text|json] [--against SNAPSHOT]`:
//! backup headers read from the files themselves.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Format;
use crate::headers::{cross_check, BackupHeader, CrossCheck, HeaderError};
use crate::model::zone::{OperatorZone, ServerClock, Shown, Zone};

#[derive(Serialize)]
struct FileError<'a> {
    file: String,
    error: &'a HeaderError,
}

/// Prints one JSON object per backup set (and one per refused file, with
/// `error`); exit 1 if any file was refused or mismatched msdb.
pub fn run(
    paths: &[PathBuf],
    format: Format,
    against: Option<&PathBuf>,
    ca_file: Option<&Path>,
    zone: Zone,
) -> anyhow::Result<u8> {
    // Local files and folders, and container URLs (two ranged GETs per blob).
    let results = crate::headers::blob::read_any(paths, ca_file)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if results.is_empty() {
        anyhow::bail!("no files under the given paths");
    }
    let mut failed = 0usize;
    let mut headers: Vec<&BackupHeader> = Vec::new();
    let mut errors = Vec::new();
    for r in &results {
        match &r.result {
            Ok(h) => headers.extend(h.iter()),
            Err(e) => {
                failed += 1;
                errors.push(FileError {
                    file: r.path.display().to_string(),
                    error: e,
                });
            }
        }
    }
    let checks: Option<Vec<CrossCheck>> = match against {
        None => None,
        Some(path) => {
            let loaded =
                crate::sources::load(&crate::sources::Source::Snapshot(path.clone()), None)?;
            let owned: Vec<BackupHeader> = headers.iter().map(|h| (*h).clone()).collect();
            Some(cross_check(&owned, &loaded.estate))
        }
    };
    let mismatched = checks
        .as_ref()
        .map(|c| c.iter().filter(|c| !c.verdict.is_ok()).count())
        .unwrap_or(0);
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Item<'a> {
                #[serde(flatten)]
                header: &'a BackupHeader,
                #[serde(skip_serializing_if = "Option::is_none")]
                msdb: Option<&'a CrossCheck>,
            }
            #[derive(Serialize)]
            #[serde(untagged)]
            enum Out<'a> {
                Set(Item<'a>),
                Refused(&'a FileError<'a>),
            }
            let mut out: Vec<Out<'_>> = headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    Out::Set(Item {
                        header: h,
                        msdb: checks.as_ref().map(|c| &c[i]),
                    })
                })
                .collect();
            out.extend(errors.iter().map(Out::Refused));
            super::print_json(&out)?;
        }
        Format::Text => {
            for (i, h) in headers.iter().enumerate() {
                outln!(
                    "{}\n  {} {} on {} pos {}  start {} finish {}\n  first {} last {} checkpoint {} dbbackup {}",
                    h.file,
                    h.backup_type.code(),
                    h.database_name,
                    h.server_name.as_deref().unwrap_or("?"),
                    h.position,
                    when(h.backup_start_date, h.time_zone, zone),
                    when(h.backup_finish_date, h.time_zone, zone),
                    h.first_lsn,
                    h.last_lsn,
                    h.checkpoint_lsn,
                    h.database_backup_lsn,
                );
                if let (Some(l), Some(g)) = (h.differential_base_lsn, h.differential_base_guid) {
                    outln!("  differential base {l} {g}");
                }
                outln!(
                    "  set {}  media {} family {}/{}  SQL Server {}{}{}",
                    h.backup_set_uuid,
                    h.media_set_guid,
                    h.family_sequence_number,
                    h.family_count,
                    h.software_version(),
                    if h.is_copy_only { "  COPY-ONLY" } else { "" },
                    if h.is_compressed { "  compressed" } else { "" },
                );
                for w in &h.warnings {
                    outln!("  warning: {w}");
                }
                if let Some(c) = checks.as_ref().map(|c| &c[i]) {
                    outln!(
                        "  msdb: {}{}",
                        c.verdict.describe(),
                        c.matched_by
                            .map(|m| format!(" (matched by {m})"))
                            .unwrap_or_default()
                    );
                }
            }
            for e in &errors {
                outln!("{}\n  REFUSED {}", e.file, e.error);
            }
        }
    }
    for e in &errors {
        eprintln!("chainwatch: {}: {}", e.file, e.error);
    }
    if format == Format::Text {
        let bytes: u64 = results.iter().map(|r| r.cost.bytes).sum();
        let reads: u64 = results.iter().map(|r| r.cost.reads).sum();
        eprintln!(
            "{} files, {} backup sets, {} refused; read {bytes} bytes in {reads} reads",
            results.len(),
            headers.len(),
            failed
        );
    }
    Ok(u8::from(failed > 0 || mismatched > 0))
}

/// A header's time (the server's local clock, with `time_zone` in
/// 15-minute steps beside it) in the zone asked for, the zone always shown:
/// `2026-11-20 14:30:00+01:00`. Without a recorded zone the local time is
/// printed as it is and said to be of unknown zone.
fn when(local: Option<chrono::NaiveDateTime>, steps: Option<i8>, zone: Zone) -> String {
    let Some(local) = local else {
        return "?".into();
    };
    let Some(minutes) = steps.map(|s| i32::from(s) * 15) else {
        return format!(
            "{} (server local, zone not recorded)",
            local.format("%Y-%m-%d %H:%M:%S")
        );
    };
    let utc = (local - chrono::Duration::minutes(i64::from(minutes))).and_utc();
    let clock = ServerClock::fixed(minutes);
    Shown {
        zone,
        server: Some(&clock),
        operator: OperatorZone::System,
    }
    .seconds(utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Option<chrono::NaiveDateTime> {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20)?.and_hms_opt(14, 30, 0)
    }

    #[test]
    fn header_times_carry_their_zone() {
        // time_zone 4 = +01:00 (15-minute steps).
        assert_eq!(
            when(local(), Some(4), Zone::Server),
            "2026-11-20 14:30:00+01:00"
        );
        assert_eq!(when(local(), Some(4), Zone::Utc), "2026-11-20 13:30:00Z");
        assert_eq!(when(local(), Some(-20), Zone::Utc), "2026-11-20 19:30:00Z");
        assert_eq!(
            when(local(), None, Zone::Utc),
            "2026-11-20 14:30:00 (server local, zone not recorded)"
        );
        assert_eq!(when(None, Some(4), Zone::Utc), "?");
    }
}
