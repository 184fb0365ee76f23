//! What `y` copies: the selection in the current view as plain,
//! tab-separated text, and the OSC 52 sequence that carries it to the
//! terminal's clipboard (even over SSH).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::rows;
use super::state::App;
use super::view::detail::DetailTab;
use super::view::{Popup, View};

impl App {
    /// The text `y` copies in the current state: plain, tab-separated.
    pub fn copy_text(&self) -> Option<String> {
        use crate::text::utc_opt;
        let item_text = |t: &crate::analysis::TimelineItem| {
            format!(
                "#{}\t{}\tfinished {}\tLSN {} -> {}\t{}\t{}",
                t.backup_set_id,
                t.backup_type.label(),
                utc_opt(t.finish),
                t.first_lsn.map(|l| l.to_string()).unwrap_or_default(),
                t.last_lsn.map(|l| l.to_string()).unwrap_or_default(),
                t.producer,
                t.files.join(" ")
            )
        };
        if let Some(popup) = &self.popup {
            let db = self.evidence_database();
            return Some(match popup {
                Popup::Evidence {
                    title,
                    ids,
                    finding,
                    ..
                } => {
                    let place = match (db, finding) {
                        (Some(db), _) => format!("{} › {}", db.instance, db.database.name),
                        (None, Some(f)) => f.instance.clone(),
                        (None, None) => String::new(),
                    };
                    let mut lines = vec![format!("{place}: {title}")];
                    if let Some(f) = finding {
                        lines.push(f.explanation.clone());
                        lines.push(format!("Remedy: {}", f.remedy));
                        for r in &f.rows {
                            lines.push(format!("{}\t{}", r.table, r.text));
                        }
                        if let Some(sql) = &f.sql {
                            lines.push(sql.clone());
                        }
                    }
                    for id in ids {
                        match db.and_then(|db| db.timeline.iter().find(|t| t.backup_set_id == *id))
                        {
                            Some(t) => lines.push(item_text(t)),
                            None => lines.push(format!("#{id}\tnot in this database's history")),
                        }
                    }
                    lines.join("\n")
                }
                Popup::Plan { title, plan, .. } => match plan {
                    Ok(p) => {
                        let mut lines = vec![title.clone(), p.reason.clone()];
                        for (n, s) in p.steps.iter().enumerate() {
                            lines.push(format!(
                                "{}. {} #{} {}",
                                n + 1,
                                s.kind,
                                s.backup_set_id,
                                s.files.join(" ")
                            ));
                        }
                        lines.join("\n")
                    }
                    Err(e) => format!("{title}\n{e}"),
                },
            });
        }
        match self.view {
            View::Storage => self.storage_copy_text(),
            View::Findings => self.findings_copy_text(),
            View::Databases => {
                let d = self.selected_database()?;
                Some(format!(
                    "{}\t{}\t{}\t{}",
                    d.instance,
                    d.database.name,
                    d.health.state.label(),
                    crate::text::severity_label(d.worst_severity())
                ))
            }
            View::Detail => {
                let d = self.detail.as_ref()?;
                let db = self.detail_database()?;
                let row = *d.rows.get(d.selected[d.tab.index()])?;
                let head = format!("{} › {}", db.instance, db.database.name);
                Some(match d.tab {
                    DetailTab::Findings => {
                        let issue = rows::issue(db, row)?;
                        let ids: Vec<String> =
                            issue.evidence().iter().map(|i| format!("#{i}")).collect();
                        format!(
                            "{head}\t{}\t{}\tevidence {}",
                            issue.label(),
                            issue.title(),
                            ids.join(" ")
                        )
                    }
                    DetailTab::Backups => format!("{head}\t{}", item_text(db.timeline.get(row)?)),
                    DetailTab::Windows => {
                        let w = db.windows.get(row)?;
                        format!(
                            "{head}\trecoverable {} -> {}\tLSN {} -> {}",
                            utc_opt(Some(w.from)),
                            utc_opt(Some(w.to)),
                            w.from_lsn,
                            w.to_lsn
                        )
                    }
                })
            }
        }
    }
}

/// The OSC 52 sequence that puts `text` in the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", STANDARD.encode(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_standard_padded_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
        assert_eq!(osc52("foob"), "\x1b]52;c;Zm9vYg==\x07");
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
    }
}
