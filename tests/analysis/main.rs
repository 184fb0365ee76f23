//! The library's analysis on built and demo data, in one test binary: log
//! chains, restore plans and their properties, one answer from every output
//! (agreement), the demo estate and its scenarios, the interoperability
//! rules, the snapshot loader, the fuzz corpus, the T-SQL scripts (our
//! properties, Microsoft's parser), and the source's own import rules.

#[path = "../support/mod.rs"]
mod support;

mod agreement;
mod chain;
mod demo_findings;
mod demo_generator;
mod demo_ops;
mod demo_scenarios;
mod fuzz_corpus;
mod layers;
mod plan;
mod props;
mod rules_demo;
mod rules_edited;
mod snapshot_loader;
mod tsql_msparse;
mod tsql_props;
