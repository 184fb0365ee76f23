//! Every catalog query parses with sqlparser's MsSqlDialect and names only
//! columns from the catalog-column table (kept from shared/domain.md).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use chainwatch::sqlserver::queries;

use crate::support::catalog_columns::CATALOG_COLUMNS;
use sqlparser::ast::{visit_expressions, visit_relations, Expr, SelectItem, SetExpr, Statement};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

/// T-SQL date parts and the like that sqlparser reads as bare identifiers.
const KEYWORDS: &[&str] = &["DAY", "MINUTE"];

fn catalog(object: &str) -> Option<&'static [&'static str]> {
    CATALOG_COLUMNS
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(object))
        .map(|(_, c)| *c)
}

/// Problems with one query: parse errors, unknown objects, unknown columns.
fn check(name: &str, sql: &str) -> Vec<String> {
    let sql = queries::render(sql, 0, 30, Some("Sales")).unwrap();
    let statements = match Parser::parse_sql(&MsSqlDialect {}, &sql) {
        Ok(s) => s,
        Err(e) => return vec![format!("{name}: does not parse: {e}")],
    };
    let mut problems = Vec::new();
    let mut allowed: BTreeSet<String> = KEYWORDS.iter().map(|k| k.to_ascii_lowercase()).collect();
    let _ = visit_relations(&statements, |rel| {
        let parts: Vec<String> = rel
            .0
            .iter()
            .map(|p| p.to_string().trim_matches(['[', ']']).to_string())
            .collect();
        let key = match parts.len() {
            // [Sales].sys.x → sys.x (per-database objects).
            3 if parts[0] != "msdb" => format!("{}.{}", parts[1], parts[2]),
            _ => parts.join("."),
        };
        match catalog(&key) {
            Some(cols) => allowed.extend(cols.iter().map(|c| c.to_ascii_lowercase())),
            None => problems.push(format!("{name}: unknown object {key}")),
        }
        ControlFlow::<()>::Continue(())
    });
    // Aliases (columns and tables) are names the query itself defines.
    let lower = sql.to_ascii_lowercase();
    for (i, _) in lower.match_indices(" as ") {
        let rest = &sql[i + 4..];
        let alias: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !alias.is_empty() {
            allowed.insert(alias.to_ascii_lowercase());
        }
    }
    let _ = visit_expressions(&statements, |e| {
        let column = match e {
            Expr::Identifier(i) => Some(i.value.clone()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
            _ => None,
        };
        if let Some(c) = column {
            if !allowed.contains(&c.to_ascii_lowercase()) {
                problems.push(format!(
                    "{name}: column {c} is not in the catalog-column table"
                ));
            }
        }
        ControlFlow::<()>::Continue(())
    });
    // Every output column of a catalog query is a catalog column.
    if let Some(Statement::Query(q)) = statements.first() {
        if let SetExpr::Select(s) = q.body.as_ref() {
            for item in &s.projection {
                if let SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) = item {
                    problems.push(format!("{name}: SELECT * is not allowed"));
                }
            }
        }
    }
    problems
}

#[test]
fn every_catalog_query_parses_and_names_known_columns() {
    let mut all: Vec<(&str, &str)> = queries::ALL.iter().map(|q| (q.name, q.sql)).collect();
    all.extend([
        ("MANAGED_DATABASES_MB", queries::MANAGED_DATABASES_MB),
        ("MANAGED_DATABASES_SA", queries::MANAGED_DATABASES_SA),
        ("MAX_RETENTION_MB", queries::MAX_RETENTION_MB),
        ("MAX_RETENTION_SA", queries::MAX_RETENTION_SA),
        ("USER_DATABASES", queries::USER_DATABASES),
    ]);
    let problems: Vec<String> = all.iter().flat_map(|(n, s)| check(n, s)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // SERVER has no FROM: it parses (CAST(SERVERPROPERTY(...))).
    Parser::parse_sql(&MsSqlDialect {}, queries::SERVER).unwrap();
}

#[test]
fn a_query_naming_an_unknown_column_fails() {
    let bad = "-- chainwatch: msdb.dbo.backupset\nSELECT b.backup_set_id, b.first_lsn_typo FROM msdb.dbo.backupset AS b";
    assert_eq!(
        check("BAD", bad),
        vec!["BAD: column first_lsn_typo is not in the catalog-column table".to_string()]
    );
    let bad = "SELECT x.a FROM msdb.dbo.no_such_table AS x";
    assert!(check("BAD2", bad)[0].contains("unknown object msdb.dbo.no_such_table"));
}

#[test]
fn every_query_names_its_snapshot_table() {
    for q in queries::ALL {
        assert_eq!(queries::table_of(q.sql), Some(q.table), "{}", q.name);
        assert!(
            CATALOG_COLUMNS.iter().any(|(t, _)| *t == q.table),
            "{}",
            q.table
        );
        assert!(!q.needs.is_empty());
    }
}
