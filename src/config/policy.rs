//! Policy keys of the config file: the same eight keys in `[defaults]`, in
//! an `[[instance]]` and in a `[[database]]` rule (a glob on the database
//! name, optionally one on the instance name). Validated with line and
//! column; turned into the `PolicyBook` the analysis resolves per database.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::model::policy::{
    parse_duration, DatabaseRule, NeverBackedUp, PolicyLayer, PolicyValues,
};

/// Adds the policy keys to a raw config table and a `policy_keys()` getter.
macro_rules! with_policy_keys {
    ($(#[$m:meta])* struct $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        pub(super) struct $name {
            $($(#[$fm])* $field: $ty,)*
            rpo_warn: Option<Spanned<String>>,
            rpo_crit: Option<Spanned<String>>,
            full_max_age: Option<Spanned<String>>,
            diff_max_age: Option<Spanned<String>>,
            log_max_age: Option<Spanned<String>>,
            grace_new_database: Option<Spanned<String>>,
            never_backed_up: Option<Spanned<String>>,
            ignore: Option<Spanned<bool>>,
        }
        impl $name {
            pub(super) fn policy_keys(&self) -> $crate::config::policy::RawPolicy {
                $crate::config::policy::RawPolicy {
                    rpo_warn: self.rpo_warn.clone(),
                    rpo_crit: self.rpo_crit.clone(),
                    full_max_age: self.full_max_age.clone(),
                    diff_max_age: self.diff_max_age.clone(),
                    log_max_age: self.log_max_age.clone(),
                    grace_new_database: self.grace_new_database.clone(),
                    never_backed_up: self.never_backed_up.clone(),
                    ignore: self.ignore.clone(),
                }
            }
        }
    };
}
pub(super) use with_policy_keys;

/// The policy keys of one table, as written.
#[derive(Debug, Clone, Default)]
pub struct RawPolicy {
    pub rpo_warn: Option<Spanned<String>>,
    pub rpo_crit: Option<Spanned<String>>,
    pub full_max_age: Option<Spanned<String>>,
    pub diff_max_age: Option<Spanned<String>>,
    pub log_max_age: Option<Spanned<String>>,
    pub grace_new_database: Option<Spanned<String>>,
    pub never_backed_up: Option<Spanned<String>>,
    pub ignore: Option<Spanned<bool>>,
}

with_policy_keys! {
    /// A `[[database]]` rule.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawDatabase {
        /// Glob on the database name (`*`, `?`), case-insensitive.
        name: Spanned<String>,
        /// Glob on the instance name; absent: every instance.
        instance: Option<Spanned<String>>,
    }
}

type Problems = Vec<(usize, usize, String)>;

/// Validates one table's keys into values; `line_col` maps a byte offset.
pub(super) fn values(
    raw: &RawPolicy,
    line_col: &dyn Fn(usize) -> (usize, usize),
    problems: &mut Problems,
) -> PolicyValues {
    let mut dur = |key: &str, v: &Option<Spanned<String>>| {
        let v = v.as_ref()?;
        match parse_duration(v.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                let (l, c) = line_col(v.span().start);
                problems.push((l, c, format!("{key}: {e}")));
                None
            }
        }
    };
    let out = PolicyValues {
        rpo_warn: dur("rpo_warn", &raw.rpo_warn),
        rpo_crit: dur("rpo_crit", &raw.rpo_crit),
        full_max_age: dur("full_max_age", &raw.full_max_age),
        diff_max_age: dur("diff_max_age", &raw.diff_max_age),
        log_max_age: dur("log_max_age", &raw.log_max_age),
        grace_new_database: dur("grace_new_database", &raw.grace_new_database),
        never_backed_up: raw.never_backed_up.as_ref().and_then(|v| {
            let parsed = NeverBackedUp::parse(v.get_ref());
            if parsed.is_none() {
                let (l, c) = line_col(v.span().start);
                problems.push((
                    l,
                    c,
                    format!(
                        "never_backed_up = {:?}: expected \"ok\", \"warning\" or \"critical\"",
                        v.get_ref()
                    ),
                ));
            }
            parsed
        }),
        ignore: raw.ignore.as_ref().map(|v| *v.get_ref()),
    };
    if let (Some(w), Some(c), Some(span)) = (out.rpo_warn, out.rpo_crit, &raw.rpo_crit) {
        if w > c {
            let (l, col) = line_col(span.span().start);
            problems.push((l, col, "rpo_crit must not be shorter than rpo_warn".into()));
        }
    }
    for (key, v) in [
        ("rpo_warn", &raw.rpo_warn),
        ("rpo_crit", &raw.rpo_crit),
        ("full_max_age", &raw.full_max_age),
        ("diff_max_age", &raw.diff_max_age),
        ("log_max_age", &raw.log_max_age),
    ] {
        if let Some(v) = v {
            if parse_duration(v.get_ref()).is_ok_and(|d| d.is_zero()) {
                let (l, c) = line_col(v.span().start);
                problems.push((l, c, format!("{key} must be longer than 0")));
            }
        }
    }
    out
}

/// The line of each key a table sets, in `KEYS` order (0: not set).
pub(super) fn lines(raw: &RawPolicy, line_col: &dyn Fn(usize) -> (usize, usize)) -> [usize; 8] {
    let spans = [
        raw.rpo_warn.as_ref().map(|v| v.span().start),
        raw.rpo_crit.as_ref().map(|v| v.span().start),
        raw.full_max_age.as_ref().map(|v| v.span().start),
        raw.diff_max_age.as_ref().map(|v| v.span().start),
        raw.log_max_age.as_ref().map(|v| v.span().start),
        raw.grace_new_database.as_ref().map(|v| v.span().start),
        raw.never_backed_up.as_ref().map(|v| v.span().start),
        raw.ignore.as_ref().map(|v| v.span().start),
    ];
    spans.map(|s| s.map_or(0, |s| line_col(s).0))
}

/// A layer of validated values (problems go to `problems`).
pub(super) fn layer(
    raw: &RawPolicy,
    file: &str,
    scope: String,
    line_col: &dyn Fn(usize) -> (usize, usize),
    problems: &mut Problems,
) -> PolicyLayer {
    PolicyLayer {
        file: file.to_string(),
        scope,
        lines: lines(raw, line_col),
        values: values(raw, line_col, problems),
    }
}

/// `[[database]]` rules, validated.
pub(super) fn database_rules(
    raw: Vec<Spanned<RawDatabase>>,
    path: &Path,
    line_col: &dyn Fn(usize) -> (usize, usize),
    problems: &mut Problems,
) -> Vec<DatabaseRule> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for spanned in raw {
        let (line, _) = line_col(spanned.span().start);
        let r = spanned.into_inner();
        let name = r.name.get_ref().trim().to_string();
        if name.is_empty() {
            let (l, c) = line_col(r.name.span().start);
            problems.push((
                l,
                c,
                "[[database]] name must not be empty (use \"*\" for every database)".into(),
            ));
        }
        let instance = r.instance.as_ref().map(|i| i.get_ref().trim().to_string());
        if instance.as_deref() == Some("") {
            let (l, c) = line_col(r.instance.as_ref().map_or(0, |i| i.span().start));
            problems.push((l, c, "[[database]] instance must not be empty".into()));
        }
        let scope = match &instance {
            Some(i) => format!("[[database]] {name:?} on {i:?}"),
            None => format!("[[database]] {name:?}"),
        };
        let layer = layer(&r.policy_keys(), &file, scope, line_col, problems);
        if layer.lines.iter().all(|l| *l == 0) {
            problems.push((line, 1, format!("[[database]] {name:?} sets no policy key (rpo_warn, rpo_crit, full_max_age, diff_max_age, log_max_age, grace_new_database, never_backed_up, ignore)")));
        }
        out.push(DatabaseRule {
            database: name,
            instance,
            layer,
        });
    }
    out
}
