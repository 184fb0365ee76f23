//! One database's effective policy: the built-in thresholds, overlaid by
//! every config layer that matches it, least specific first (see
//! `PolicyBook::layers_for`), key by key; and where each value came from.

use chrono::Duration;
use serde::Serialize;

use super::policy::Policy;
use crate::model::policy::{format_duration, PolicyBook, PolicyValues};

/// One key of the effective policy, for `config check --explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    pub key: &'static str,
    /// As the config would write it ("15m", "warning"), or what the built-in does.
    pub value: String,
    /// "cw.toml:3 [defaults]", or "built-in" when no layer sets it.
    pub origin: String,
}

/// The policy of `instance`/`database` and the origin of every key.
pub fn resolve(book: &PolicyBook, instance: &str, database: &str) -> (Policy, Vec<Explained>) {
    let mut p = Policy::default();
    let mut merged = PolicyValues::default();
    let mut origin: [Option<String>; 8] = Default::default();
    for layer in book.layers_for(instance, database) {
        let v = &layer.values;
        macro_rules! take {
            ($($i:literal $f:ident),*) => {$(
                if v.$f.is_some() { merged.$f = v.$f; origin[$i] = Some(layer.origin($i)); }
            )*};
        }
        take!(0 rpo_warn, 1 rpo_crit, 2 full_max_age, 3 diff_max_age, 4 log_max_age,
              5 grace_new_database, 6 never_backed_up, 7 ignore);
    }
    p.rpo_warn = merged.rpo_warn;
    p.rpo_crit = merged.rpo_crit;
    p.full_max_age = merged.full_max_age;
    p.diff_max_age = merged.diff_max_age;
    p.log_max_age = merged.log_max_age;
    if let Some(g) = merged.grace_new_database {
        p.first_full_grace = g;
    }
    p.never_backed_up = merged.never_backed_up;
    if merged.ignore == Some(true) {
        p.ignored_by = Some(origin[7].clone().unwrap_or("config".into()));
    }
    let dur = |d: Option<Duration>, builtin: &str| d.map(format_duration).unwrap_or(builtin.into());
    let values = [
        ("rpo_warn", dur(merged.rpo_warn, "none (no RPO threshold)")),
        ("rpo_crit", dur(merged.rpo_crit, "none (no RPO threshold)")),
        (
            "full_max_age",
            dur(merged.full_max_age, "learned: weekly + 1 day (8d), or the observed rhythm + 1/4; 35d with differentials"),
        ),
        (
            "diff_max_age",
            dur(merged.diff_max_age, "learned: the diff rhythm + 1 day, at least 26h"),
        ),
        (
            "log_max_age",
            dur(merged.log_max_age, "learned: 2 x the longest routine interval + 30m, at least 1h; 6h without a rhythm"),
        ),
        (
            "grace_new_database",
            format_duration(p.first_full_grace),
        ),
        (
            "never_backed_up",
            merged
                .never_backed_up
                .map(|n| n.label().to_string())
                .unwrap_or("critical (warning for system databases)".into()),
        ),
        ("ignore", (merged.ignore == Some(true)).to_string()),
    ];
    let explained = values
        .into_iter()
        .zip(origin)
        .map(|((key, value), o)| Explained {
            key,
            value,
            origin: o.unwrap_or("built-in".into()),
        })
        .collect();
    (p, explained)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::policy::{DatabaseRule, NeverBackedUp, PolicyLayer};

    fn layer(origin: &str, f: impl FnOnce(&mut PolicyValues)) -> PolicyLayer {
        let mut values = PolicyValues::default();
        f(&mut values);
        PolicyLayer {
            file: "t".into(),
            scope: origin.into(),
            lines: [1; 8],
            values,
        }
    }

    fn book() -> PolicyBook {
        PolicyBook {
            defaults: Some(layer("defaults", |v| {
                v.rpo_warn = Some(Duration::hours(1));
                v.rpo_crit = Some(Duration::hours(4));
                v.never_backed_up = Some(NeverBackedUp::Warning);
            })),
            instances: vec![(
                "SQL16\\PROD".into(),
                layer("instance", |v| v.rpo_warn = Some(Duration::minutes(30))),
            )],
            databases: vec![
                DatabaseRule {
                    database: "Sales*".into(),
                    instance: None,
                    layer: layer("sales-glob", |v| {
                        v.rpo_warn = Some(Duration::minutes(20));
                        v.log_max_age = Some(Duration::minutes(45));
                    }),
                },
                DatabaseRule {
                    database: "SalesDW".into(),
                    instance: None,
                    layer: layer("salesdw-exact", |v| v.rpo_warn = Some(Duration::hours(2))),
                },
                DatabaseRule {
                    database: "*".into(),
                    instance: Some("SQL16*".into()),
                    layer: layer("sql16-any", |v| {
                        v.grace_new_database = Some(Duration::hours(3))
                    }),
                },
                DatabaseRule {
                    database: "Scratch*".into(),
                    instance: None,
                    layer: layer("scratch", |v| v.ignore = Some(true)),
                },
            ],
        }
    }

    fn origin(e: &[Explained], key: &str) -> String {
        let o = &e.iter().find(|x| x.key == key).unwrap().origin;
        o.strip_prefix("t:1 ").unwrap_or(o).to_string()
    }

    #[test]
    fn the_most_specific_layer_wins_key_by_key() {
        let b = book();
        let (p, e) = resolve(&b, "OTHER", "Inventory");
        assert_eq!(p.rpo_warn, Some(Duration::hours(1)));
        assert_eq!(origin(&e, "rpo_warn"), "defaults");
        assert_eq!(origin(&e, "full_max_age"), "built-in");
        assert_eq!(p.first_full_grace, Policy::default().first_full_grace);

        let (p, e) = resolve(&b, "sql16\\prod", "Inventory");
        assert_eq!(p.rpo_warn, Some(Duration::minutes(30)));
        assert_eq!(origin(&e, "rpo_warn"), "instance");
        // An instance-scoped glob is more specific than the instance itself.
        assert_eq!(p.first_full_grace, Duration::hours(3));
        assert_eq!(origin(&e, "grace_new_database"), "sql16-any");
        assert_eq!(p.rpo_crit, Some(Duration::hours(4)));

        let (p, e) = resolve(&b, "SQL16\\PROD", "SalesEU");
        assert_eq!(p.rpo_warn, Some(Duration::minutes(20)));
        assert_eq!(origin(&e, "rpo_warn"), "sales-glob");
        assert_eq!(p.log_max_age, Some(Duration::minutes(45)));

        // The exact name beats the glob; the glob's other keys still apply.
        let (p, e) = resolve(&b, "X", "SalesDW");
        assert_eq!(p.rpo_warn, Some(Duration::hours(2)));
        assert_eq!(origin(&e, "rpo_warn"), "salesdw-exact");
        assert_eq!(p.log_max_age, Some(Duration::minutes(45)));
        assert_eq!(p.never_backed_up, Some(NeverBackedUp::Warning));
        assert_eq!(p.ignored_by, None);

        let (p, _) = resolve(&b, "X", "scratch_1");
        assert_eq!(p.ignored_by.as_deref(), Some("t:1 scratch"));
    }

    #[test]
    fn an_empty_book_is_the_built_in_policy() {
        let (p, e) = resolve(&PolicyBook::default(), "I", "D");
        assert_eq!(p, Policy::default());
        assert!(e.iter().all(|x| x.origin == "built-in"));
    }
}
