//! Per-database policy as the config states it: layers of values
//! (`[defaults]`, one per `[[instance]]`, one per `[[database]]` glob), each
//! with where it came from. `analysis::policy_book` turns the layers that
//! match a database into its `Policy`.

use chrono::Duration;

/// What a database with no backup in history is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeverBackedUp {
    Ok,
    Warning,
    Critical,
}

impl NeverBackedUp {
    pub fn parse(text: &str) -> Option<NeverBackedUp> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ok" => Some(NeverBackedUp::Ok),
            "warning" | "warn" => Some(NeverBackedUp::Warning),
            "critical" | "crit" => Some(NeverBackedUp::Critical),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NeverBackedUp::Ok => "ok",
            NeverBackedUp::Warning => "warning",
            NeverBackedUp::Critical => "critical",
        }
    }
}

/// The values one layer sets; `None` leaves the key to a less specific layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyValues {
    pub rpo_warn: Option<Duration>,
    pub rpo_crit: Option<Duration>,
    pub full_max_age: Option<Duration>,
    pub diff_max_age: Option<Duration>,
    pub log_max_age: Option<Duration>,
    pub grace_new_database: Option<Duration>,
    pub never_backed_up: Option<NeverBackedUp>,
    pub ignore: Option<bool>,
}

impl PolicyValues {
    pub fn is_empty(&self) -> bool {
        *self == PolicyValues::default()
    }
}

/// The keys, in the order of `PolicyLayer::lines`.
pub const KEYS: [&str; 8] = [
    "rpo_warn",
    "rpo_crit",
    "full_max_age",
    "diff_max_age",
    "log_max_age",
    "grace_new_database",
    "never_backed_up",
    "ignore",
];

/// Values and where they were written.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyLayer {
    /// The config file's name.
    pub file: String,
    /// `[defaults]`, `[[instance]] "SQL01"`, `[[database]] "Sales*"`.
    pub scope: String,
    /// The line of each key (in `KEYS` order), 0 when not set here.
    pub lines: [usize; 8],
    pub values: PolicyValues,
}

impl PolicyLayer {
    /// "cw.toml:12 [[database]] \"Sales*\"": where key `index` of `KEYS` is set.
    pub fn origin(&self, index: usize) -> String {
        let line = self.lines.get(index).copied().unwrap_or(0);
        format!("{}:{line} {}", self.file, self.scope)
    }
}

/// A `[[database]]` rule: a glob on the database name, optionally one on the instance name.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseRule {
    pub database: String,
    pub instance: Option<String>,
    pub layer: PolicyLayer,
}

impl DatabaseRule {
    /// Higher is more specific: an instance glob beats none, then more
    /// literal characters in the database glob (an exact name is the most).
    fn specificity(&self) -> (bool, usize, usize) {
        let literal = |g: &str| g.chars().filter(|c| !matches!(c, '*' | '?')).count();
        (
            self.instance.is_some(),
            literal(&self.database) + usize::from(!has_wildcard(&self.database)) * 1000,
            self.instance.as_deref().map_or(0, literal),
        )
    }
}

/// Every policy layer of a config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyBook {
    pub defaults: Option<PolicyLayer>,
    /// By exact instance name (case-insensitive).
    pub instances: Vec<(String, PolicyLayer)>,
    pub databases: Vec<DatabaseRule>,
}

impl PolicyBook {
    pub fn is_empty(&self) -> bool {
        self.defaults.is_none() && self.instances.is_empty() && self.databases.is_empty()
    }

    /// The layers that apply to a database, least specific first:
    /// `[defaults]`, the instance's own, then matching `[[database]]` rules
    /// by specificity (equal ones in file order, so the later wins).
    pub fn layers_for(&self, instance: &str, database: &str) -> Vec<&PolicyLayer> {
        let mut out: Vec<&PolicyLayer> = self.defaults.iter().collect();
        out.extend(
            self.instances
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(instance))
                .map(|(_, l)| l),
        );
        let mut rules: Vec<(usize, &DatabaseRule)> = self
            .databases
            .iter()
            .enumerate()
            .filter(|(_, r)| glob_match(&r.database, database))
            .filter(|(_, r)| {
                r.instance
                    .as_deref()
                    .is_none_or(|g| glob_match(g, instance))
            })
            .collect();
        rules.sort_by_key(|(i, r)| (r.specificity(), *i));
        out.extend(rules.into_iter().map(|(_, r)| &r.layer));
        out
    }
}

pub fn has_wildcard(glob: &str) -> bool {
    glob.contains(['*', '?'])
}

/// Shell-style glob, case-insensitive (SQL Server names usually are):
/// `*` any run of characters, `?` one character, everything else literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

const MAX_SECONDS: i64 = 3660 * 86_400;

/// "15m", "8d", "1h30m", "90s", "2w": numbers with units s, m, h, d, w.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let bad = || {
        format!("{text:?} is not a duration: write it like \"15m\", \"6h\", \"8d\" or \"1h30m\" (units s, m, h, d, w)")
    };
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = rest[..unit_len].to_ascii_lowercase();
        rest = rest[unit_len..].trim_start();
        let step: i64 = match unit.as_str() {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3_600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(step)
            .and_then(|v| v.checked_add(total))
            .filter(|v| *v <= MAX_SECONDS)
            .ok_or_else(|| format!("{text:?} is longer than ten years"))?;
    }
    Ok(Duration::seconds(total))
}

/// The shortest form `parse_duration` reads back: "15m", "8d", "1h30m", "0s".
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.num_seconds().max(0);
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= len {
            out.push_str(&format!("{}{unit}", secs / len));
            secs %= len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("15m"), Ok(Duration::minutes(15)));
        assert_eq!(parse_duration("8d"), Ok(Duration::days(8)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("2w"), Ok(Duration::days(14)));
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        for bad in ["", "15", "m", "15x", "-5m", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert!(parse_duration("5000d").is_err());
        for d in ["15m", "8d", "1h30m", "2d3h", "45s"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("Sales*", "SalesDW"));
        assert!(glob_match("sales*", "SALES"));
        assert!(glob_match("*", ""));
        assert!(glob_match("S?L*\\PROD", "SQL16\\PROD"));
        assert!(glob_match("*tmp*", "x_tmp_y"));
        assert!(!glob_match("Sales", "SalesDW"));
        assert!(!glob_match("*DW", "SalesDW2"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
    }
}
