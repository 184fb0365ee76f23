//! The import rules of ARCHITECTURE.md, checked on the source: layers only
//! point down, and the modules of `src/app` import each other without a
//! cycle. Reads `crate::`, `super::` and `self::` paths (grouped `use`s
//! included) outside comments and `#[cfg(test)]` modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root: `["app", "view", "detail"]`.
type ModPath = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: ModPath = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The text that counts: no comments, no test modules.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Other,
}

fn tokens(code: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
            continue;
        }
        if c == '"' {
            // Skip string literals (escapes included).
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(Tok::Other);
            continue;
        }
        match c {
            ':' if chars.get(i + 1) == Some(&':') => {
                out.push(Tok::Colons);
                i += 2;
                continue;
            }
            '{' => out.push(Tok::Open),
            '}' => out.push(Tok::Close),
            ',' => out.push(Tok::Comma),
            c if c.is_whitespace() => {}
            _ => out.push(Tok::Other),
        }
        i += 1;
    }
    out
}

/// Reads `a::b::{c, d::e}` from `toks[*i]` on; every full path it names.
fn path_tree(toks: &[Tok], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match toks.get(*i) {
            Some(Tok::Ident(name)) => {
                path.push(name.clone());
                *i += 1;
            }
            Some(Tok::Open) => {
                *i += 1;
                loop {
                    match toks.get(*i) {
                        Some(Tok::Close) => {
                            *i += 1;
                            break;
                        }
                        Some(Tok::Comma) => *i += 1,
                        None => break,
                        _ => {
                            let before = *i;
                            path_tree(toks, i, path.clone(), out);
                            if *i == before {
                                *i += 1;
                            }
                        }
                    }
                }
                return;
            }
            _ => break,
        }
        if toks.get(*i) == Some(&Tok::Colons) {
            *i += 1;
        } else {
            break;
        }
    }
    out.push(path);
}

/// Every `crate::`/`super::`/`self::` path of a file, resolved to segments
/// below the crate root.
fn paths_of(module: &ModPath, code: &str) -> Vec<ModPath> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let head = match &toks[i] {
            Tok::Ident(w) if ["crate", "super", "self"].contains(&w.as_str()) => w.clone(),
            _ => {
                i += 1;
                continue;
            }
        };
        let preceded_by_colons = i > 0 && toks[i - 1] == Tok::Colons;
        if preceded_by_colons || toks.get(i + 1) != Some(&Tok::Colons) {
            i += 1;
            continue;
        }
        let mut base: ModPath = match head.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            _ => module[..module.len().saturating_sub(1)].to_vec(),
        };
        i += 2;
        while toks.get(i) == Some(&Tok::Ident("super".into()))
            && toks.get(i + 1) == Some(&Tok::Colons)
        {
            base.pop();
            i += 2;
        }
        let mut found = Vec::new();
        path_tree(&toks, &mut i, Vec::new(), &mut found);
        out.extend(found.into_iter().map(|tail| {
            let mut p = base.clone();
            p.extend(tail);
            p
        }));
    }
    out
}

/// The module graph of `src/`: each module and the modules it imports.
fn graph() -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let mut targets = BTreeSet::new();
        for path in paths_of(&module, &code) {
            // The longest prefix that is a module of the crate.
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
                .unwrap_or_default();
            if target != module && !target.is_empty() {
                targets.insert(target);
            }
        }
        graph.insert(module, targets);
    }
    graph
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a ModPath) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.graph[v] {
                if !self.graph.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

fn top(path: &ModPath) -> &str {
    path.first().map(String::as_str).unwrap_or("")
}

#[test]
fn the_modules_of_app_import_each_other_without_a_cycle() {
    let app: BTreeMap<ModPath, BTreeSet<ModPath>> = graph()
        .into_iter()
        .filter(|(m, _)| top(m) == "app" && m.len() > 1)
        .map(|(m, targets)| {
            let inside = targets
                .into_iter()
                .filter(|t| top(t) == "app" && t.len() > 1)
                .collect();
            (m, inside)
        })
        .collect();
    assert!(app.len() > 10, "src/app was not read: {:?}", app.keys());
    let found = cycles(&app);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" ⇄ ")
        })
        .collect();
    assert!(found.is_empty(), "import cycles inside src/app: {shown:#?}");
}

#[test]
fn layers_only_point_down() {
    // (layer, what it must never import), as ARCHITECTURE.md draws them.
    let above_app = ["app", "ui", "console", "cli", "monitor"];
    let mut rules: Vec<(&str, Vec<&str>)> = [
        "analysis",
        "snapshot",
        "tsql",
        "sqlserver",
        "blob",
        "config",
        "headers",
        "demo",
        "text",
        "theme",
    ]
    .iter()
    .map(|layer| (*layer, above_app.to_vec()))
    .collect();
    // Sources produce the model; only what reads them may judge them.
    for source in [
        "sqlserver",
        "snapshot",
        "headers",
        "demo",
        "archive",
        "blob",
        "config",
    ] {
        rules.push((source, vec!["analysis"]));
    }
    rules.push(("tsql", vec!["analysis"]));
    rules.push(("app", vec!["ui", "console", "cli"]));
    rules.push(("ui", vec!["console", "cli"]));
    let graph = graph();
    let mut wrong = Vec::new();
    for (module, targets) in &graph {
        for target in targets {
            let (from, to) = (top(module), top(target));
            let model_reaches_out = from == "model" && to != "model";
            let forbidden = rules
                .iter()
                .any(|(layer, never)| *layer == from && never.contains(&to));
            if model_reaches_out || forbidden {
                wrong.push(format!(
                    "{} imports {}",
                    module.join("::"),
                    target.join("::")
                ));
            }
        }
    }
    assert!(
        graph.len() > 50,
        "src was not read: {} modules",
        graph.len()
    );
    assert!(wrong.is_empty(), "upward imports: {wrong:#?}");
}

#[test]
fn the_reader_sees_grouped_and_relative_imports() {
    let module: ModPath = vec!["app".into(), "storage".into()];
    let code = "use super::{state::App, view::{Filter, View}};\nuse crate::blob::x;\n\
                // use crate::ui::nothing;\nfn f() { super::super::model::Lsn::MAX; }";
    let paths = paths_of(&module, &code_of(code));
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        [
            "app::state::App",
            "app::view::Filter",
            "app::view::View",
            "blob::x",
            "model::Lsn::MAX"
        ]
    );
}
