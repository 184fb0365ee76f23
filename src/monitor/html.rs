//! `serve`'s `/`: a small status page without scripts or external
//! resources — instances, the worst databases and their RPO. Every name
//! is HTML-escaped (instance and database names are outside input).

use std::fmt::Write;

use super::answers::Answers;
use crate::model::time::human_age;

/// `&`, `<`, `>`, `"` and `'` as entities.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

/// Databases listed, worst first.
const WORST: usize = 25;
const WORDS: [&str; 4] = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"30\"><title>{}</title>\n<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .6em;text-align:left}}.s1{{background:#fe8}}.s2{{background:#f99}}.s3{{background:#ccc}}</style></head><body>\n",
        escape(title)
    )
}

pub fn waiting(instances: usize) -> String {
    let mut s = head("chainwatch: collecting");
    let _ = writeln!(
        s,
        "<h1>chainwatch</h1><p>The first collection of {instances} instance(s) has not finished yet.</p></body></html>"
    );
    s
}

pub fn status_page(a: &Answers) -> String {
    let word = WORDS[usize::from(a.status.min(3))];
    let mut s = head(&format!("chainwatch: {word}"));
    let _ = writeln!(
        s,
        "<h1>chainwatch: <span class=\"s{}\">{word}</span></h1><p>{} databases on {} instances, judged {}. <a href=\"/metrics\">/metrics</a></p>",
        a.status,
        a.databases.len(),
        a.instances.len(),
        a.now.format("%Y-%m-%d %H:%M:%S UTC")
    );
    s.push_str("<h2>Instances</h2>\n<table><tr><th>instance</th><th>collection</th><th>data age</th><th>databases</th></tr>\n");
    for i in &a.instances {
        let _ = writeln!(
            s,
            "<tr class=\"s{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if i.up { 0 } else { 3 },
            escape(&i.instance),
            escape(&i.status),
            i.data_age_seconds
                .map(|x| human_age(chrono::Duration::seconds(x)))
                .unwrap_or_else(|| "never collected".into()),
            i.databases
        );
    }
    s.push_str("</table>\n<h2>Worst databases</h2>\n<table><tr><th>instance</th><th>database</th><th>state</th><th>RPO</th><th>findings</th></tr>\n");
    let mut dbs: Vec<_> = a.databases.iter().collect();
    let rank = |st: u8| match st {
        2 => 3,
        1 => 2,
        3 => 1,
        _ => 0,
    };
    dbs.sort_by_key(|d| {
        (
            std::cmp::Reverse(rank(d.status)),
            std::cmp::Reverse(d.rpo_seconds),
        )
    });
    for d in dbs.iter().take(WORST) {
        let rules: Vec<String> = d
            .findings
            .keys()
            .filter(|(sev, _)| *sev != crate::analysis::Severity::Info)
            .map(|(sev, r)| format!("{} {}", sev.label(), r))
            .collect();
        let _ = writeln!(
            s,
            "<tr class=\"s{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.status,
            escape(&d.instance),
            escape(&d.database),
            escape(&super::prometheus::state_label(d)),
            d.rpo_seconds
                .map(|x| human_age(chrono::Duration::seconds(x)))
                .unwrap_or_else(|| "none recoverable".into()),
            escape(&rules.join(", "))
        );
    }
    if dbs.len() > WORST {
        let _ = writeln!(
            s,
            "</table><p>… and {} more (all in /metrics)</p>",
            dbs.len() - WORST
        );
    } else {
        s.push_str("</table>\n");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped() {
        assert_eq!(
            super::escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
