//! Managed Backup blob names (domain §3.4):
//! `<first 40 chars of db name>_[<AG database GUID>_]<database GUID>_<timestamp>[_<stripe>].bak|.log`,
//! GUIDs without hyphens. The timestamp format is not documented; we accept
//! 12 to 17 digits starting `YYYYMMDDHHMM[SS[fff]]`, read as UTC.
//!
//! Parsing runs from the right, so database names with underscores parse.
//! Anything else is [`ParsedName::Other`]; parsing never panics.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// What a Managed Backup blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobKind {
    /// `.bak`: a full (Managed Backup takes no differentials).
    Full,
    /// `.log`: a log backup.
    Log,
}

/// A parsed Managed Backup blob name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedName {
    /// The first 40 characters of the database name.
    pub db_prefix: String,
    pub database_guid: Uuid,
    /// `sys.databases.group_database_id` for availability databases.
    pub ag_database_guid: Option<Uuid>,
    /// The digits as written.
    pub timestamp: String,
    /// The timestamp read as UTC, when it is a valid date.
    pub time: Option<DateTime<Utc>>,
    /// Stripe number of a striped backup (`_1`, `_2`, ...).
    pub stripe: Option<u32>,
    pub kind: BlobKind,
}

impl ManagedName {
    /// True when this name could belong to a database called `name`.
    pub fn matches_database(&self, name: &str) -> bool {
        let prefix: String = name.chars().take(40).collect();
        prefix == self.db_prefix
    }

    /// The name without the stripe: every stripe of one backup shares it.
    pub fn set_key(&self) -> String {
        format!(
            "{}_{}_{}",
            self.database_guid.simple(),
            self.timestamp,
            match self.kind {
                BlobKind::Full => "bak",
                BlobKind::Log => "log",
            }
        )
    }
}

/// A blob name, parsed or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum ParsedName {
    Managed(ManagedName),
    /// Not a Managed Backup name (another tool, a copy-only backup, a stranger).
    Other,
}

impl ParsedName {
    pub fn managed(&self) -> Option<&ManagedName> {
        match self {
            ParsedName::Managed(m) => Some(m),
            ParsedName::Other => None,
        }
    }
}

/// Parses the last path segment of a blob name.
pub fn parse_blob_name(name: &str) -> ParsedName {
    parse(name).map_or(ParsedName::Other, ParsedName::Managed)
}

fn parse(name: &str) -> Option<ManagedName> {
    let file = name.rsplit('/').next().unwrap_or(name);
    let (stem, ext) = file.rsplit_once('.')?;
    let kind = if ext.eq_ignore_ascii_case("bak") {
        BlobKind::Full
    } else if ext.eq_ignore_ascii_case("log") {
        BlobKind::Log
    } else {
        return None;
    };
    let mut tokens: Vec<&str> = stem.split('_').collect();
    // From the right: [_stripe], timestamp, guid, [ag guid], db name.
    let mut stripe = None;
    let last = *tokens.last()?;
    if is_digits(last) && (1..=3).contains(&last.len()) {
        stripe = Some(last.parse::<u32>().ok()?);
        tokens.pop();
    }
    let timestamp = tokens.pop()?;
    if !is_digits(timestamp) || !(12..=17).contains(&timestamp.len()) {
        return None;
    }
    let guid = hex_guid(tokens.pop()?)?;
    // An AG database GUID sits before the database GUID; the name needs at least one token left.
    let ag = match tokens.as_slice() {
        [_, .., maybe] => hex_guid(maybe),
        _ => None,
    };
    if ag.is_some() {
        tokens.pop();
    }
    let db_prefix = tokens.join("_");
    if db_prefix.is_empty() || db_prefix.chars().count() > 40 {
        return None;
    }
    Some(ManagedName {
        db_prefix,
        database_guid: guid,
        ag_database_guid: ag,
        timestamp: timestamp.to_string(),
        time: timestamp_time(timestamp),
        stripe,
        kind,
    })
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn hex_guid(s: &str) -> Option<Uuid> {
    if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// `YYYYMMDDHHMM[SS[fff]]` as UTC.
fn timestamp_time(ts: &str) -> Option<DateTime<Utc>> {
    let n = |r: std::ops::Range<usize>| ts.get(r).and_then(|s| s.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(n(0..4)? as i32, n(4..6)?, n(6..8)?)?;
    // 13 digits: a seconds field cut to one digit says no exact time.
    let secs = match ts.len() {
        12 => 0,
        13 => return None,
        _ => n(12..14)?,
    };
    let millis = if ts.len() >= 15 {
        let frac = &ts[14..];
        frac.parse::<u32>().ok()? * 10u32.pow(3 - frac.len() as u32)
    } else {
        0
    };
    let time = NaiveTime::from_hms_milli_opt(n(8..10)?, n(10..12)?, secs, millis)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const G: &str = "6f9619ff8b86d011b42d00c04fc964ff";
    const A: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn plain_ag_striped_and_underscored_names() {
        let p = parse_blob_name(&format!("Sales_{G}_20261120013000000.bak"));
        let m = p.managed().unwrap();
        assert_eq!(m.db_prefix, "Sales");
        assert_eq!(m.database_guid.simple().to_string(), G);
        assert_eq!(m.kind, BlobKind::Full);
        assert_eq!(
            m.time,
            Some(Utc.with_ymd_and_hms(2026, 11, 20, 1, 30, 0).unwrap())
        );
        assert_eq!(m.stripe, None);

        let m = parse_blob_name(&format!("my_db_name_{A}_{G}_20261120013000.log"));
        let m = m.managed().unwrap();
        assert_eq!(m.db_prefix, "my_db_name");
        assert_eq!(m.ag_database_guid.unwrap().simple().to_string(), A);
        assert_eq!(m.kind, BlobKind::Log);

        let m = parse_blob_name(&format!("folder/Big_{G}_20261120013000123_2.bak"));
        let m = m.managed().unwrap();
        assert_eq!(m.stripe, Some(2));
        assert_eq!(m.set_key(), format!("{G}_20261120013000123_bak"));
        assert_eq!(
            m.time,
            Some(
                Utc.with_ymd_and_hms(2026, 11, 20, 1, 30, 0).unwrap()
                    + chrono::Duration::milliseconds(123)
            )
        );
    }

    #[test]
    fn forty_characters_and_unicode() {
        let long = "Ä".repeat(45);
        let prefix: String = long.chars().take(40).collect();
        let m = parse_blob_name(&format!("{prefix}_{G}_20261120013000.bak"));
        assert!(m.managed().unwrap().matches_database(&long));
        assert_eq!(
            parse_blob_name(&format!("{long}_{G}_20261120013000.bak")),
            ParsedName::Other
        );
        let m = parse_blob_name(&format!("日本語_db_{G}_20261120013000.log"));
        assert_eq!(m.managed().unwrap().db_prefix, "日本語_db");
    }

    #[test]
    fn strangers_are_other() {
        for name in [
            "readme.txt",
            "Sales_COPY_ONLY_20261120_0130.bak",
            &format!("_{G}_20261120013000.bak"),
            &format!("Sales_{G}_2026.bak"),
            &format!("Sales_{}_20261120013000.bak", &G[..31]),
            "",
            ".bak",
            "_.log",
        ] {
            assert_eq!(parse_blob_name(name), ParsedName::Other, "{name}");
        }
        // A bad date keeps the name managed but without a time.
        let m = parse_blob_name(&format!("Sales_{G}_20261340013000.bak"));
        assert_eq!(m.managed().unwrap().time, None);
        // So does a seconds field of one digit (found by fuzzing: it was
        // read as :00, a time the digits do not say).
        let m = parse_blob_name(&format!("Sales_{G}_2026112001302.bak"));
        assert_eq!(m.managed().unwrap().time, None);
    }
}
