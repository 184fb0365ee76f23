//! Turning data into the short strings the console and its copy-as-text
//! print: escaping text that came from a server, ages, UTC times, and the
//! labels that carry meaning without colour. No terminal types here, so the
//! app layer can use it without reaching into `ui`; `ui::text` adds the
//! colours.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::analysis::Severity;
use crate::model::catalog;
use crate::model::time::human_age;
pub use crate::model::time::{utc, utc_short};
use crate::model::{Database, Instance, MirroringRole};

/// Placeholder for "unknown" or "none".
pub const NONE: &str = "—";

/// Escapes control characters from untrusted text: C0 controls and DEL as
/// caret notation (`^[`, `^?`), C1 controls as `�`, so a database name can
/// never move the cursor or change colours.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c as u32 {
            0x00..=0x1f => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            0x7f => out.push_str("^?"),
            0x80..=0x9f => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Age of `t` at `now`, like `42m`, `3h12m`, `2d04h`; `—` when unknown.
/// `text` cut to `width` characters (with `…` when cut) and padded to it:
/// one cell of a hand-built table row.
pub fn cell(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// How many leading characters `a` and `b` share.
pub fn shared_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// A name cut to `width` characters where it is like its neighbours, so
/// what tells it apart stays visible: `shared` is how many of its leading
/// characters it shares with them (see [`shared_prefix`]). A name that
/// fits is padded like [`cell`]; a longer one keeps its end (everything
/// after the shared part, and at least two thirds of the width) and as much
/// of its start as is left, with `…` for the shared middle it drops.
/// Names of one container (`https://acct…/SERVER/db_guid/…_20261104.bak`)
/// differ at the end, so the end is never what is cut.
pub fn cell_keep_end(name: &str, shared: usize, width: usize) -> String {
    let n = name.chars().count();
    if n <= width {
        return format!("{name:<width$}");
    }
    let Some(room) = width.checked_sub(1) else {
        return String::new();
    };
    let differing = n.saturating_sub(shared);
    let tail = differing.max(room * 2 / 3).min(room);
    let head = room - tail;
    let mut out: String = name.chars().take(head).collect();
    out.push('…');
    out.extend(name.chars().skip(n - tail));
    out
}

pub fn age(now: DateTime<Utc>, t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => human_age((now - t).max(chrono::Duration::zero())),
        None => NONE.into(),
    }
}

/// The database's high-availability role: AG primary / secondary,
/// mirroring principal / mirror, or nothing.
pub fn role_short(db: &crate::model::Database) -> &'static str {
    match (
        db.group_database_id.is_some(),
        db.is_primary_replica,
        db.mirroring_role,
    ) {
        (_, Some(true), _) => "AG PRI",
        (_, Some(false), _) => "AG SEC",
        (true, None, _) => "AG ?",
        (_, _, Some(MirroringRole::Principal)) => "PRINCIPAL",
        (_, _, Some(MirroringRole::Mirror)) => "MIRROR",
        _ => NONE,
    }
}

/// A duration in seconds in the same style as ages.
pub fn span(seconds: i64) -> String {
    human_age(chrono::Duration::seconds(seconds.max(0)))
}

/// `2026-11-22 10:00Z` or `—`.
pub fn utc_opt(t: Option<DateTime<Utc>>) -> String {
    t.map(utc).unwrap_or_else(|| NONE.into())
}

/// A blob or file size: `700 B`, `1.5 GiB` (binary units).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    match u {
        0 => format!("{bytes} B"),
        _ => format!("{v:.1} {}", UNITS[u]),
    }
}

/// CRIT / WARN / INFO, or OK when there is no finding.
pub fn severity_label(s: Option<Severity>) -> &'static str {
    s.map(Severity::label).unwrap_or("OK")
}

/// Whether the instance's snapshot carried a Managed Backup config table.
pub fn managed_backup_collected(instance: Option<&Instance>) -> bool {
    instance.is_some_and(|i| {
        i.tables.contains_key(catalog::MB_DB_CONFIG) || i.tables.contains_key(catalog::SA_DB_CONFIG)
    })
}

/// `on 14d`, `on`, `off`, or `—` when the config was not collected.
pub fn managed_backup_label(db: &Database, collected: bool) -> String {
    match &db.managed_backup {
        Some(m) if m.enabled => match m.retention_days {
            Some(d) => format!("on {d}d"),
            None => "on".into(),
        },
        Some(_) => "off".into(),
        None if collected => "off".into(),
        None => NONE.into(),
    }
}

/// `yes`, `no`, or `—` when not collected.
pub fn stretch_label(db: &Database) -> &'static str {
    match db.stretch_enabled {
        Some(true) => "yes",
        Some(false) => "no",
        None => NONE,
    }
}

/// AG or mirroring role, or `—`.
pub fn role_label(db: &Database) -> &'static str {
    match (db.is_primary_replica, db.mirroring_role) {
        (Some(true), _) => "AG primary",
        (Some(false), _) => "AG secondary",
        (None, Some(MirroringRole::Principal)) => "mirroring principal",
        (None, Some(MirroringRole::Mirror)) => "mirror",
        (None, None) => NONE,
    }
}

pub fn recovery_label(db: &Database) -> &'static str {
    db.recovery_model.map(|m| m.label()).unwrap_or(NONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_controls() {
        assert_eq!(sanitize("Sales"), "Sales");
        assert!(matches!(sanitize("Sales"), Cow::Borrowed(_)));
        assert_eq!(sanitize("a\u{1b}[31mb"), "a^[[31mb");
        assert_eq!(sanitize("x\ny\tz\u{7f}"), "x^Jy^Iz^?");
        assert_eq!(sanitize("c1\u{9b}"), "c1\u{fffd}");
        assert_eq!(sanitize("héllo ✓"), "héllo ✓");
    }

    #[test]
    fn names_alike_keep_their_differing_end() {
        let a = "https://acct.blob.core.windows.net/c/SQL16/Sales_1685cf44_20261104201600.bak";
        let b = "https://acct.blob.core.windows.net/c/SQL16/Sales_1685cf44_20261104220200.bak";
        let shared = shared_prefix(a, b);
        assert_eq!(
            &a[..shared],
            "https://acct.blob.core.windows.net/c/SQL16/Sales_1685cf44_202611042"
        );
        let (x, y) = (cell_keep_end(a, shared, 24), cell_keep_end(b, shared, 24));
        assert_eq!(x.chars().count(), 24);
        assert_eq!(x, "https://…61104201600.bak");
        assert_eq!(y, "https://…61104220200.bak");
        // The old cut (the start kept) made both the same.
        assert_eq!(cell(a, 24), cell(b, 24));
        // All of the part after the shared prefix is kept while it fits.
        assert_eq!(cell_keep_end(a, 20, 40), format!("…{}", &a[a.len() - 39..]));
        // A name that fits is padded; nothing shared still keeps the end.
        assert_eq!(cell_keep_end("Sales.bak", 0, 12), "Sales.bak   ");
        assert_eq!(cell_keep_end("Sales_20261104.bak", 0, 10), "…61104.bak");
        assert_eq!(cell_keep_end("Sales.bak", 0, 1), "…");
        assert_eq!(cell_keep_end("Sales.bak", 0, 0), "");
        assert_eq!(shared_prefix("日本語a", "日本語b"), 3);
        assert_eq!(cell_keep_end("日本語_db_20261120.log", 3, 10), "…61120.log");
    }

    #[test]
    fn ages_use_compact_units() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |m: i64| Some(now - chrono::Duration::minutes(m));
        assert_eq!(age(now, ago(42)), "42m");
        assert_eq!(age(now, ago(192)), "3h12m");
        assert_eq!(age(now, ago(2 * 1440 + 4 * 60)), "2d04h");
        assert_eq!(age(now, None), NONE);
        assert_eq!(age(now, ago(-5)), "0m");
    }
}
