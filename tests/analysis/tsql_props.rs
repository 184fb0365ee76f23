//! Property tests of the server-changing scripts: whatever the database,
//! file, path and credential names (brackets, quotes, `;`, `--`, `/*`,
//! newlines, unicode, 128 characters), the script holds exactly the
//! intended statements and every name reads back unchanged with our own
//! tokenizer (`tsql::lex`; sqlparser cannot parse RESTORE).

use crate::support::plan::step;
use chainwatch::analysis::{RestorePlan, Target};
use chainwatch::model::Lsn;
use chainwatch::sqlserver::exec::check_batch;
use chainwatch::tsql::lex::{statements, tokens, Token};
use chainwatch::tsql::{restore_batches, BatchKind, Reauthorize, RestoreOptions};
use proptest::prelude::*;

/// Text built from the characters that break naive quoting (line breaks
/// and `$(`, which sqlcmd acts on, are refused: see the last test).
fn hostile(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "]",
        "[",
        "'",
        "''",
        ";",
        "--",
        "/*",
        "*/",
        "\t",
        "$",
        "(",
        " ",
        "N'",
        "é",
        "名",
        "🙂",
        "GO",
        "DROP DATABASE x",
        "a",
        "Z",
        "_",
        "0",
        "\\",
        "\"",
    ]);
    prop::collection::vec(pieces, 1..40).prop_map(move |v| {
        let s: String = v.concat();
        s.chars().take(max).collect::<String>().replace("$(", "$ (")
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile(128),
        Just("x".repeat(128)),
        Just("]".repeat(128)),
        Just("'".repeat(128)),
    ]
    .prop_filter("non-empty", |s| !s.is_empty())
}

fn strs(stmt: &[Token]) -> Vec<String> {
    stmt.iter()
        .filter_map(|t| match t {
            Token::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_name_round_trips_and_only_intended_statements(
        db in name(),
        target in prop::option::of(name()),
        moves in prop::collection::vec((hostile(128), hostile(260)), 0..4),
        logs in 0usize..5,
        path in hostile(200),
        credential in prop::option::of(name()),
        reauth in prop::option::of(name()),
        with_copy in any::<bool>(),
        mark in prop::option::of((name(), hostile(30))),
        safety in (any::<bool>(), any::<bool>(), any::<bool>(), prop::option::of((hostile(200), any::<bool>(), any::<bool>()))),
    ) {
        let url = |n: usize| format!("https://acct.blob.core.windows.net/c/{path}_{n}.log");
        let mut steps = vec![step("full", 1, format!("D:\\b\\{path}.bak"))];
        for i in 0..logs {
            steps.push(step("log", 10 + i as i64, url(i)));
        }
        if mark.is_some() && logs > 0 {
            steps.last_mut().unwrap().stop_at_lsn = "1099".parse::<Lsn>().ok();
        }
        let plan = RestorePlan {
            reason: format!("plan for {db}"),
            ..RestorePlan::of_steps(Target::Latest, steps)
        };
        let options = RestoreOptions {
            target_name: target.clone(),
            replace: target.is_none(),
            moves: moves.clone(),
            stats: Some(5),
            credential: credential.clone(),
            stop_mark: mark.clone().map(|(name, after)| chainwatch::tsql::StopMark {
                name,
                after_local: Some(after),
            }),
            reauthorize: reauth.clone().map(|c| Reauthorize {
                credential: Some(c.clone()),
                candidates: vec![c],
                with_copy,
                azure_server: None,
                azure_database: None,
                unreadable: None,
            }),
            verify_first: false,
            single_user: false,
            tail_log: None,
            checkdb: false,
            without_checksums: Vec::new(),
        };
        let script = restore_batches(&db, &plan, &options).unwrap();
        let name = target.clone().unwrap_or(db.clone());

        // The whole text: exactly one statement per restore step, the
        // recovery, and USE + EXEC for the reauthorize step.
        let toks = tokens(&script.text()).unwrap();
        let stmts = statements(&toks);
        let expected = 1 + logs + 1 + if reauth.is_some() { 2 } else { 0 };
        prop_assert_eq!(stmts.len(), expected);
        for (i, s) in stmts.iter().enumerate() {
            let first = match &s[0] { Token::Word(w) => w.clone(), other => format!("{other:?}") };
            let want = if i <= logs + 1 { "RESTORE" } else if i == logs + 2 { "USE" } else { "EXEC" };
            prop_assert_eq!(first, want);
        }
        // Every RESTORE names the database, quoted, unchanged.
        for s in &stmts[..logs + 2] {
            prop_assert_eq!(&s[2], &Token::Ident(name.clone()));
        }
        // MOVE pairs in order, on the first statement only.
        let first = stmts[0];
        let mut pairs = Vec::new();
        for w in first.windows(4) {
            if let [Token::Word(m), Token::Str(l), Token::Word(to), Token::Str(p)] = w {
                if m == "MOVE" && to == "TO" {
                    pairs.push((l.clone(), p.clone()));
                }
            }
        }
        prop_assert_eq!(pairs, moves.clone());
        // Backup files come back exactly.
        prop_assert_eq!(&strs(first)[0], &format!("D:\\b\\{path}.bak"));
        for i in 0..logs {
            prop_assert_eq!(&strs(stmts[1 + i])[0], &url(i));
        }
        // A marked transaction: every log stops at the mark's name, AFTER its time.
        if let (Some((m, after)), true) = (&mark, logs > 0) {
            for i in 0..logs {
                let s = stmts[1 + i];
                let at = s.iter().position(|t| *t == Token::Word("STOPATMARK".into())).unwrap();
                prop_assert_eq!(&s[at + 2], &Token::Str(m.clone()));
                prop_assert_eq!(&s[at + 3], &Token::Word("AFTER".into()));
                prop_assert_eq!(&s[at + 4], &Token::Str(after.clone()));
            }
        }
        // The storage-key credential, when given, is on every RESTORE ... FROM.
        if let Some(c) = &credential {
            for s in &stmts[..logs + 1] {
                prop_assert!(strs(s).contains(c));
            }
        }
        // Reauthorize: the database and credential round-trip, @with_copy as a bit.
        if let Some(c) = &reauth {
            prop_assert_eq!(&stmts[logs + 2][1], &Token::Ident(name.clone()));
            let exec = stmts[logs + 3];
            prop_assert_eq!(strs(exec), vec![c.clone()]);
            prop_assert!(exec.contains(&Token::Number(u8::from(with_copy).to_string())));
        }
        // Each batch alone is what the executor sends: it passes its guard.
        for b in &script.batches {
            prop_assert!(check_batch(&b.sql).is_ok(), "{}", b.sql);
            let n = statements(&tokens(&b.sql).unwrap()).len();
            prop_assert_eq!(n, if b.kind == BatchKind::Reauthorize { 2 } else { 1 });
        }

        // The safety steps add a fixed number of statements whatever the
        // names, each naming the database quoted and passing the guard.
        let (verify_first, single_user, checkdb, tail) = safety;
        let tail_log = tail.clone().map(|(file, no_truncate, restore_it)| chainwatch::tsql::TailLog {
            file: format!("https://acct.blob.core.windows.net/c/{file}.trn"),
            no_truncate,
            restore_it,
            keeps: file,
        });
        let safe = restore_batches(&db, &plan, &RestoreOptions {
            verify_first,
            single_user,
            checkdb,
            tail_log: tail_log.clone(),
            ..options.clone()
        }).unwrap();
        let stops = mark.is_some() && logs > 0;
        let tail_restored = tail_log.as_ref().is_some_and(|t| t.restore_it) && !stops;
        let extra = if verify_first { 1 + logs } else { 0 }
            + if single_user { 2 } else { 0 }
            + usize::from(checkdb)
            + usize::from(tail_log.is_some())
            + usize::from(tail_restored);
        let safe_toks = tokens(&safe.text()).unwrap();
        let safe_stmts = statements(&safe_toks);
        prop_assert_eq!(safe_stmts.len(), expected + extra);
        for s in &safe_stmts {
            match &s[0] {
                Token::Word(w) if w == "ALTER" => prop_assert_eq!(&s[2], &Token::Ident(name.clone())),
                Token::Word(w) if w == "BACKUP" => {
                    prop_assert_eq!(&s[2], &Token::Ident(name.clone()));
                    prop_assert_eq!(&strs(s)[0], &tail_log.as_ref().unwrap().file);
                }
                Token::Word(w) if w == "DBCC" => prop_assert_eq!(&s[3], &Token::Ident(name.clone())),
                _ => {}
            }
        }
        for b in &safe.batches {
            prop_assert!(check_batch(&b.sql).is_ok(), "{}", b.sql);
            let n = statements(&tokens(&b.sql).unwrap()).len();
            prop_assert_eq!(n, if b.kind == BatchKind::Reauthorize { 2 } else { 1 });
        }
    }
}

#[test]
fn names_over_128_characters_are_refused() {
    let plan = RestorePlan::of_steps(Target::Latest, vec![step("full", 1, "D:\\x.bak".into())]);
    assert!(restore_batches(&"x".repeat(129), &plan, &RestoreOptions::default()).is_err());
    assert!(restore_batches(
        "ok",
        &plan,
        &RestoreOptions {
            target_name: Some("y".repeat(129)),
            ..RestoreOptions::default()
        }
    )
    .is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Command-line sqlcmd would act on a line break in a name (a new line
    /// `GO`, `!! cmd`, `:r file`) and on `$(var)` anywhere: such a name or
    /// path is refused with the reason, never written into the script.
    #[test]
    fn a_line_break_or_sqlcmd_variable_in_any_name_is_refused(
        name in name(),
        at in 0usize..128,
        bad in prop::sample::select(vec!["\n", "\r\n", "\r", "\nGO\n", "\n!! calc\n", "\n:r x.sql\n", "$(SQLCMDUSER)"]),
        which in 0usize..5,
    ) {
        let cut = name.char_indices().nth(at).map_or(name.len(), |(i, _)| i);
        let evil = format!("{}{bad}{}", &name[..cut], &name[cut..]);
        let plan = RestorePlan::of_steps(Target::Latest, vec![step("full", 1, if which == 1 { evil.clone() } else { "D:\\b\\x.bak".into() })]);
        let options = RestoreOptions {
            target_name: (which == 0).then(|| evil.clone()),
            moves: if which == 2 { vec![("data".into(), evil.clone())] } else { vec![] },
            credential: (which == 3).then(|| evil.clone()),
            tail_log: Some(chainwatch::tsql::TailLog {
                file: if which == 4 { evil.clone() } else { "E:\\t.trn".into() },
                no_truncate: false,
                restore_it: true,
                keeps: evil.clone(),
            }),
            verify_first: true,
            single_user: true,
            checkdb: true,
            ..RestoreOptions::default()
        };
        let err = restore_batches("Sales", &plan, &options).unwrap_err();
        prop_assert!(matches!(err, chainwatch::tsql::QuoteError::LineBreak | chainwatch::tsql::QuoteError::SqlcmdVariable), "{err}");
    }
}

/// Database names aimed at the catalog queries' placeholders: the text of
/// the placeholders themselves, quotes, brackets and line breaks (these go
/// over TDS, never through sqlcmd).
fn catalog_name() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "{db}",
        "{db_name}",
        "{after_id}",
        "'",
        "]",
        "[",
        ";",
        "--",
        "/*",
        "*/",
        "\n",
        "\r\n",
        "N'",
        "+N'x' AS database_name, 1 AS a FROM sys.objects; DROP DATABASE victim; SELECT N'",
        "é",
        "a",
        "0",
    ]);
    prop::collection::vec(pieces, 1..12)
        .prop_map(|v| v.concat().chars().take(128).collect::<String>())
        .prop_filter("non-empty", |s| !s.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every per-database catalog query stays one SELECT whatever the name,
    /// and the name reads back as its literal: `{db}` or `{db_name}` inside
    /// a name is never filled in again (Microsoft's parser checks the same
    /// in CI; this runs everywhere, with sqlparser and our own tokenizer).
    #[test]
    fn no_database_name_changes_a_catalog_query(db in catalog_name()) {
        use chainwatch::sqlserver::queries::{self, Scope};
        use sqlparser::dialect::MsSqlDialect;
        use sqlparser::parser::Parser;
        let per_database: Vec<_> = queries::ALL
            .iter()
            .filter(|q| matches!(q.scope, Scope::PerDatabase | Scope::PerManagedDatabase))
            .collect();
        prop_assert!(per_database.len() >= 4, "{}", per_database.len());
        for q in per_database {
            let sql = queries::render(q.sql, 0, 30, Some(&db)).unwrap();
            let parsed = Parser::parse_sql(&MsSqlDialect {}, &sql)
                .unwrap_or_else(|e| panic!("{}: {e}\n{sql}", q.name));
            prop_assert_eq!(parsed.len(), 1, "{}: {}", q.name, sql);
            let toks = tokens(&sql).unwrap();
            let ours = statements(&toks);
            prop_assert_eq!(ours.len(), 1, "{}: {}", q.name, sql);
            if sql.contains("AS database_name") {
                prop_assert!(strs(ours[0]).contains(&db), "{}: {:?} not a literal in {}", q.name, db, sql);
            }
        }
    }
}
