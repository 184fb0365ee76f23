//! Log positions: a per-database "records written so far" curve over time, and its LSN form.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike, Weekday};
use serde_json::Value;

use super::rng::Rng;

const RECORDS_PER_BLOCK: u64 = 12;
const BLOCKS_PER_VLF: u64 = 50_000;
const BUCKET_MIN: i64 = 10;

/// Maps a record count to `vlf * 10^15 + block * 10^5 + slot`; monotonic in the count.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub vlf0: u64,
}

impl Layout {
    pub fn lsn(&self, count: u64) -> u128 {
        let block_index = count / RECORDS_PER_BLOCK;
        let slot = count % RECORDS_PER_BLOCK + 1;
        let vlf = self.vlf0 + block_index / BLOCKS_PER_VLF;
        let block = 16 + (block_index % BLOCKS_PER_VLF) * 8;
        u128::from(vlf) * 1_000_000_000_000_000 + u128::from(block) * 100_000 + u128::from(slot)
    }
}

/// Log records per minute by local time of day.
#[derive(Clone, Copy, Debug)]
pub struct Activity {
    /// Weekday office hours (08-18 local).
    pub busy: u64,
    /// Everything else.
    pub quiet: u64,
    /// Local hours `[from, to)` of Saturday and Sunday nights with no activity at all.
    pub weekend_idle: Option<(u32, u32)>,
}

impl Activity {
    pub const fn new(busy: u64, quiet: u64) -> Activity {
        Activity {
            busy,
            quiet,
            weekend_idle: None,
        }
    }

    fn rate(&self, local: NaiveDateTime) -> u64 {
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let h = local.hour();
        if let Some((a, b)) = self.weekend_idle {
            if weekend && h >= a && h < b {
                return 0;
            }
        }
        if !weekend && (8..18).contains(&h) {
            self.busy
        } else {
            self.quiet
        }
    }
}

/// Cumulative record count sampled every 10 minutes; linear in between.
#[derive(Clone, Debug)]
pub struct Curve {
    start: NaiveDateTime,
    cum: Vec<u64>,
}

impl Curve {
    /// `start`/`end` are UTC; the activity profile is read in local time (`offset_min`).
    pub fn new(
        rng: &mut Rng,
        start: NaiveDateTime,
        end: NaiveDateTime,
        base: u64,
        act: &Activity,
        offset_min: i32,
    ) -> Curve {
        let n = ((end - start).num_minutes() / BUCKET_MIN + 2) as usize;
        let mut cum = Vec::with_capacity(n + 1);
        let mut total = base;
        cum.push(total);
        for i in 0..n {
            let local = start + Duration::minutes(i as i64 * BUCKET_MIN + i64::from(offset_min));
            let jitter = rng.range(70, 130) as u64;
            total += act.rate(local) * BUCKET_MIN as u64 * jitter / 100;
            cum.push(total);
        }
        Curve { start, cum }
    }

    pub fn count_at(&self, t: NaiveDateTime) -> u64 {
        let m = (t - self.start).num_minutes();
        if m <= 0 {
            return self.cum[0];
        }
        let i = (m / BUCKET_MIN) as usize;
        if i + 1 >= self.cum.len() {
            return *self.cum.last().expect("curve has points");
        }
        let frac = (m % BUCKET_MIN) as u64;
        self.cum[i] + (self.cum[i + 1] - self.cum[i]) * frac / BUCKET_MIN as u64
    }
}

/// An LSN as the snapshot writes it: a digit string, or a bare JSON integer (as FOR JSON does).
pub fn lsn_json(v: u128, bare: bool) -> Value {
    if bare {
        serde_json::from_str(&v.to_string()).expect("digits parse as a JSON number")
    } else {
        Value::String(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_shape_and_order() {
        let l = Layout { vlf0: 12_345_678 };
        let a = l.lsn(1_000_000);
        let b = l.lsn(1_000_001);
        assert!(a < b);
        assert_eq!(a.to_string().len(), 23);
        assert!(l.lsn(600_000 * 12) > l.lsn(600_000 * 12 - 1));
        assert_eq!(lsn_json(a, true).to_string(), a.to_string());
    }
}
