//! `check` carries the rule findings: text, JSON (with instance findings)
//! and Markdown for a ticket.

use crate::support::bin::run;
use crate::support::NOW;

use serde_json::Value;

#[test]
fn check_json_lists_rule_findings_with_rows_and_sql() {
    let out = run(&["check", "--demo", "--now", NOW, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "log shipping beside Managed Backup is critical"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let ls = findings
        .iter()
        .find(|f| f["id"] == "interop.log_shipping")
        .expect("log shipping finding");
    assert_eq!(ls["severity"], "critical");
    assert_eq!(ls["database"], "Inventory");
    assert!(ls["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["table"] == "msdb.dbo.sysjobs"));
    assert!(ls["sql"]
        .as_str()
        .unwrap()
        .contains("N'LSBackup_Inventory'"));
    for i in v["instances"].as_array().unwrap() {
        assert!(i["findings"].is_array());
    }
}

#[test]
fn check_markdown_is_ready_for_a_ticket() {
    let out = run(&["check", "--demo", "--now", NOW, "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# chainwatch check: CRITICAL"), "{text}");
    assert!(text.contains("## CRIT · SQL16\\\\PROD · Inventory · `interop.log_shipping`"));
    assert!(text.contains("```sql\nEXEC msdb.managed_backup.sp_backup_on_demand @database_name = N'Orders', @type = N'Log';"));
    assert!(text.contains("- Backup sets: #"));
    assert!(text.contains("- Row: msdb.dbo.sysmaintplan\\_plans"));
}

#[test]
fn check_text_prints_instance_findings() {
    let out = run(&["check", "--demo", "--now", NOW]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("CRITICAL"), "{text}");
    assert!(text.contains("interop.maint_plan_copy_only"));
    assert!(text.contains("row: msdb.dbo.log_shipping_primary_databases row 0"));
}
