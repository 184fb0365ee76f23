//! Which clock times are shown in: UTC, the server's local time or the
//! operator's. Every time on screen carries its zone (`Z` or `+01:00`),
//! whichever is chosen, so a time is never read in the wrong one.

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};
use serde::{Deserialize, Serialize};

/// The clock the console and `headers` show times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Zone {
    #[default]
    Utc,
    /// The SQL Server's own clock, the one msdb and the error log use.
    Server,
    /// The clock of the machine chainwatch runs on.
    Local,
}

impl Zone {
    /// UTC → server local → operator local → UTC.
    pub fn next(self) -> Zone {
        match self {
            Zone::Utc => Zone::Server,
            Zone::Server => Zone::Local,
            Zone::Local => Zone::Utc,
        }
    }

    pub fn parse(text: &str) -> Option<Zone> {
        match text.trim().to_ascii_lowercase().as_str() {
            "utc" => Some(Zone::Utc),
            "server" => Some(Zone::Server),
            "local" | "operator" => Some(Zone::Local),
            _ => None,
        }
    }

    /// For the header: `UTC`, `server time`, `local time`.
    pub fn label(self) -> &'static str {
        match self {
            Zone::Utc => "UTC",
            Zone::Server => "server time",
            Zone::Local => "local time",
        }
    }
}

/// The UTC offsets a server's clock had, as its backups recorded them
/// (msdb writes local times with `time_zone` beside them), so a time
/// before a daylight-saving change is shown with the offset then in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerClock {
    /// (from, minutes east of UTC), oldest first. Before the first entry
    /// the first offset holds.
    changes: Vec<(DateTime<Utc>, i32)>,
}

impl ServerClock {
    /// A clock from its offset changes; unsorted input is sorted.
    pub fn new(mut changes: Vec<(DateTime<Utc>, i32)>) -> ServerClock {
        changes.sort();
        changes.dedup_by(|later, earlier| later.1 == earlier.1);
        ServerClock { changes }
    }

    /// A clock that never changed.
    pub fn fixed(minutes: i32) -> ServerClock {
        ServerClock {
            changes: vec![(DateTime::<Utc>::MIN_UTC, minutes)],
        }
    }

    /// Minutes east of UTC at `t`, or None when nothing is known.
    pub fn offset_at(&self, t: DateTime<Utc>) -> Option<i32> {
        let first = self.changes.first()?;
        Some(
            self.changes
                .iter()
                .rev()
                .find(|(from, _)| *from <= t)
                .unwrap_or(first)
                .1,
        )
    }
}

/// The operator's zone: the system's (DST and all) or a fixed offset
/// (tests, screenshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OperatorZone {
    #[default]
    System,
    Fixed(i32),
}

impl OperatorZone {
    fn offset_at(self, t: DateTime<Utc>) -> i32 {
        match self {
            OperatorZone::Fixed(m) => m,
            OperatorZone::System => {
                let offset: FixedOffset = t.with_timezone(&Local).offset().fix();
                offset.local_minus_utc() / 60
            }
        }
    }
}

/// Formats instants in the chosen zone, always naming it.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub zone: Zone,
    /// The clock of the server the times belong to, when known.
    pub server: Option<&'a ServerClock>,
    pub operator: OperatorZone,
}

impl Shown<'static> {
    /// Plain UTC, as the findings and the CLI's JSON write it.
    pub const UTC: Shown<'static> = Shown {
        zone: Zone::Utc,
        server: None,
        operator: OperatorZone::System,
    };
}

impl Shown<'_> {
    /// Minutes east of UTC at `t`; None = shown in UTC. A server whose
    /// offset is unknown falls back to UTC, which the `Z` says.
    pub fn offset_at(&self, t: DateTime<Utc>) -> Option<i32> {
        match self.zone {
            Zone::Utc => None,
            Zone::Server => self.server.and_then(|c| c.offset_at(t)),
            Zone::Local => Some(self.operator.offset_at(t)),
        }
    }

    fn render(&self, t: DateTime<Utc>, pattern: &str, short_zone: bool) -> String {
        match self
            .offset_at(t)
            .and_then(|m| FixedOffset::east_opt(m * 60))
        {
            None => format!("{}Z", t.format(pattern)),
            Some(offset) => {
                let local = t.with_timezone(&offset);
                format!(
                    "{}{}",
                    local.format(pattern),
                    offset_suffix(offset.local_minus_utc() / 60, short_zone)
                )
            }
        }
    }

    /// `2026-11-22 11:00+01:00` (or `…10:00Z`).
    pub fn long(&self, t: DateTime<Utc>) -> String {
        self.render(t, "%Y-%m-%d %H:%M", false)
    }

    /// `2026-11-22 11:00:00+01:00`.
    pub fn seconds(&self, t: DateTime<Utc>) -> String {
        self.render(t, "%Y-%m-%d %H:%M:%S", false)
    }

    /// `seconds`, or `—` when the time is unknown.
    pub fn seconds_or_none(&self, t: Option<DateTime<Utc>>) -> String {
        t.map_or_else(|| "—".into(), |t| self.seconds(t))
    }

    /// `11-22 11:00+01`, for narrow places.
    pub fn short(&self, t: DateTime<Utc>) -> String {
        self.render(t, "%m-%d %H:%M", true)
    }

    /// `11:00+01`, for the clock in the header.
    pub fn clock(&self, t: DateTime<Utc>) -> String {
        self.render(t, "%H:%M", true)
    }
}

/// `Z` for zero would read as UTC, which it is not when a zone was asked
/// for and happens to be at +00:00 (London in winter): spell `+00:00`.
fn offset_suffix(minutes: i32, short: bool) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
    match (short, m) {
        (true, 0) => format!("{sign}{h:02}"),
        (true, _) => format!("{sign}{h:02}{m:02}"),
        (false, _) => format!("{sign}{h:02}:{m:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 25, h, 0, 0).unwrap()
    }

    #[test]
    fn utc_is_marked_z() {
        assert_eq!(Shown::UTC.long(at(10)), "2026-10-25 10:00Z");
        assert_eq!(Shown::UTC.short(at(10)), "10-25 10:00Z");
    }

    #[test]
    fn server_time_follows_the_offset_then_in_force() {
        // Summer time (+02:00) until 01:00Z on the last Sunday of October, then +01:00.
        let clock = ServerClock::new(vec![(at(1), 60), (at(0) - chrono::Duration::days(30), 120)]);
        let shown = Shown {
            zone: Zone::Server,
            server: Some(&clock),
            operator: OperatorZone::Fixed(0),
        };
        assert_eq!(shown.long(at(0)), "2026-10-25 02:00+02:00");
        assert_eq!(shown.long(at(1)), "2026-10-25 02:00+01:00");
        assert_eq!(shown.short(at(5)), "10-25 06:00+01");
        // Before anything was recorded: the oldest offset known.
        assert_eq!(
            shown.offset_at(at(0) - chrono::Duration::days(90)),
            Some(120)
        );
    }

    #[test]
    fn unknown_server_offset_shows_utc_and_says_so() {
        let shown = Shown {
            zone: Zone::Server,
            server: None,
            operator: OperatorZone::Fixed(60),
        };
        assert_eq!(shown.long(at(10)), "2026-10-25 10:00Z");
    }

    #[test]
    fn operator_zone_at_zero_is_not_spelled_z() {
        let shown = Shown {
            zone: Zone::Local,
            server: None,
            operator: OperatorZone::Fixed(0),
        };
        assert_eq!(shown.long(at(10)), "2026-10-25 10:00+00:00");
        let india = Shown {
            operator: OperatorZone::Fixed(330),
            ..shown
        };
        assert_eq!(india.short(at(10)), "10-25 15:30+0530");
        assert_eq!(india.seconds(at(10)), "2026-10-25 15:30:00+05:30");
    }

    #[test]
    fn the_toggle_cycles_through_three_zones() {
        let z = Zone::Utc;
        assert_eq!(z.next(), Zone::Server);
        assert_eq!(z.next().next(), Zone::Local);
        assert_eq!(z.next().next().next(), Zone::Utc);
        assert_eq!(Zone::parse("SERVER"), Some(Zone::Server));
        assert_eq!(Zone::parse("mars"), None);
    }
}
