//! `report.html`: one self-contained file (inline CSS and a few lines of
//! script, nothing fetched) for people rather than tools: the run's title
//! and provenance, totals, the API level x ownership grid and the
//! requirement x device-profile matrix coloured by result, every failure
//! with its steps and evidence, and the scenario list with filters by tag
//! and vendor. Without script everything shows; the script only filters.
//!
//! Hand-written rather than templated (askama, maud): one page, a few
//! tables, and escaping in one function.

use super::{Outcome, RunRecord, ScenarioRecord};
use crate::requirements::Requirement;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

pub const FILE: &str = "report.html";

/// The result of a cell of the grid or the matrix: the worst of its scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cell {
    Skipped,
    Passed,
    Failed,
}

impl Cell {
    fn of(s: &ScenarioRecord) -> Cell {
        match s.outcome {
            Outcome::Passed => Cell::Passed,
            Outcome::Failed { .. } => Cell::Failed,
            Outcome::Skipped { .. } => Cell::Skipped,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Cell::Passed => "passed",
            Cell::Failed => "failed",
            Cell::Skipped => "skipped",
        }
    }
}

/// Counts per cell: (worst result, passed, total).
#[derive(Default)]
struct Tally(BTreeMap<(String, String), (Option<Cell>, usize, usize)>);

impl Tally {
    fn add(&mut self, row: &str, col: &str, s: &ScenarioRecord) {
        let e = self.0.entry((row.to_owned(), col.to_owned())).or_default();
        e.0 = e.0.max(Some(Cell::of(s)));
        e.1 += usize::from(s.outcome == Outcome::Passed);
        e.2 += 1;
    }

    fn table(
        &self,
        id: &str,
        corner: &str,
        rows: &[String],
        cols: &[String],
        row_label: impl Fn(&str) -> String,
    ) -> String {
        let mut out = format!("<table class=\"grid\" id=\"{id}\"><thead><tr><th>{}</th>", esc(corner));
        for c in cols {
            let _ = write!(out, "<th>{}</th>", esc(c));
        }
        out.push_str("</tr></thead><tbody>");
        for r in rows {
            let _ = write!(out, "<tr><th>{}</th>", row_label(r));
            for c in cols {
                match self.0.get(&(r.clone(), c.clone())) {
                    Some((Some(cell), passed, total)) => {
                        let _ = write!(
                            out,
                            "<td class=\"{}\" title=\"{passed} of {total} passed\">{passed}/{total}</td>",
                            cell.class()
                        );
                    }
                    _ => out.push_str("<td class=\"none\"></td>"),
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }
}

pub fn render(run: &RunRecord, catalogue: &[Requirement]) -> String {
    let title = esc(&run.title());
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let verdict = if run.interrupted {
        "interrupted"
    } else if run.succeeded() {
        "passed"
    } else {
        "failed"
    };
    let _ = writeln!(
        out,
        "<p id=\"totals\" class=\"{verdict}\"><b>{}</b>: {} scenarios, <span class=\"n-passed\">{}</span> passed, <span class=\"n-failed\">{}</span> failed, <span class=\"n-skipped\">{}</span> skipped, in {:.2} s.</p>",
        verdict.to_uppercase(),
        run.scenarios.len(),
        run.passed(),
        run.failed(),
        run.skipped(),
        run.duration.as_secs_f64()
    );
    out.push_str("<details id=\"provenance\"><summary>How this run was made</summary><table>");
    for (k, v) in run.provenance.pairs() {
        let _ = write!(out, "<tr><th>{}</th><td><code>{}</code></td></tr>", esc(&k), esc(&v));
    }
    out.push_str("</table></details>\n");

    // API level x ownership.
    let mut grid = Tally::default();
    let mut levels = BTreeSet::new();
    let mut modes = BTreeSet::new();
    for s in &run.scenarios {
        for d in &s.devices {
            grid.add(&format!("{:02}", d.api_level), &d.ownership, s);
            levels.insert(format!("{:02}", d.api_level));
            modes.insert(d.ownership.clone());
        }
    }
    let (levels, modes): (Vec<String>, Vec<String>) = (levels.into_iter().collect(), modes.into_iter().collect());
    out.push_str("<h2>API level &times; ownership mode</h2>\n");
    out.push_str(&grid.table("api-grid", "API", &levels, &modes, |r| r.trim_start_matches('0').to_owned()));

    // Requirement x device profile.
    let mut matrix = Tally::default();
    let mut profiles = BTreeSet::new();
    for s in &run.scenarios {
        let ps = s.profiles();
        let ps = if ps.is_empty() { vec!["(no device)".to_owned()] } else { ps };
        for r in s.requirements() {
            for p in &ps {
                matrix.add(r, p, s);
                profiles.insert(p.clone());
            }
        }
    }
    let requirements: Vec<String> = catalogue
        .iter()
        .filter(|r| r.android)
        .map(|r| r.id.clone())
        .chain(run.scenarios.iter().flat_map(|s| s.requirements().map(str::to_owned)))
        .fold(Vec::new(), |mut acc, r| {
            if !acc.contains(&r) {
                acc.push(r);
            }
            acc
        });
    let titles: BTreeMap<&str, &str> = catalogue.iter().map(|r| (r.id.as_str(), r.title.as_str())).collect();
    let profiles: Vec<String> = profiles.into_iter().collect();
    out.push_str("\n<h2>Requirement &times; device profile</h2>\n");
    out.push_str(&matrix.table("requirement-matrix", "Requirement", &requirements, &profiles, |r| {
        format!("<span title=\"{}\">{}</span>", esc(titles.get(r).copied().unwrap_or("")), esc(r))
    }));

    // Filters.
    let tags: BTreeSet<&str> = run.scenarios.iter().flat_map(|s| s.tags.iter().map(String::as_str)).collect();
    let vendors: BTreeSet<&str> = run.scenarios.iter().filter_map(ScenarioRecord::vendor).collect();
    out.push_str("\n<h2>Scenarios</h2>\n<form id=\"filters\"><label>Tag <select id=\"tag-filter\"><option value=\"\">all</option>");
    for t in &tags {
        let _ = write!(out, "<option>{}</option>", esc(t));
    }
    out.push_str("</select></label> <label>Vendor <select id=\"vendor-filter\"><option value=\"\">all</option>");
    for v in &vendors {
        let _ = write!(out, "<option>{}</option>", esc(v));
    }
    out.push_str("</select></label> <span id=\"shown\"></span></form>\n");

    // Failures first, then every scenario.
    let failures: Vec<&ScenarioRecord> =
        run.scenarios.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).collect();
    if !failures.is_empty() {
        out.push_str("<h3>Failures</h3>\n");
        for s in failures {
            let Outcome::Failed { step, message } = &s.outcome else { continue };
            let _ = write!(
                out,
                "<details open class=\"failure scenario\" {}><summary>{} <small>{}</small></summary><p>Step: <code>{}</code></p><pre>{}</pre><pre class=\"steps\">{}</pre>",
                data(s),
                esc(&s.full_name()),
                esc(&s.location()),
                esc(step),
                esc(message),
                esc(&s.step_list())
            );
            if !s.evidence.is_empty() {
                out.push_str("<h4>Evidence</h4><ul class=\"evidence\">");
                for e in &s.evidence {
                    let _ = write!(out, "<li><code>{}</code></li>", esc(e));
                }
                out.push_str("</ul>");
            }
            out.push_str("</details>\n");
        }
    }
    out.push_str("<table id=\"scenario-table\"><thead><tr><th>Result</th><th>Scenario</th><th>Where</th><th>Devices</th><th>Tags</th></tr></thead><tbody>\n");
    for s in &run.scenarios {
        let result = match &s.outcome {
            Outcome::Passed if s.flaky() => "passed (flaky)".to_owned(),
            Outcome::Passed => "passed".to_owned(),
            Outcome::Failed { .. } => "failed".to_owned(),
            Outcome::Skipped { reason } => format!("skipped: {reason}"),
        };
        let devices: Vec<String> =
            s.devices.iter().map(|d| format!("{} (API {}, {})", d.profile, d.api_level, d.ownership)).collect();
        let _ = writeln!(
            out,
            "<tr class=\"scenario {}\" {}><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            Cell::of(s).class(),
            data(s),
            esc(&result),
            esc(&s.full_name()),
            esc(&s.location()),
            esc(&devices.join(", ")),
            esc(&s.tags.iter().map(|t| format!("@{t}")).collect::<Vec<_>>().join(" "))
        );
    }
    out.push_str("</tbody></table>\n");
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

/// The attributes the filters read.
fn data(s: &ScenarioRecord) -> String {
    format!("data-tags=\" {} \" data-vendor=\"{}\"", esc(&s.tags.join(" ")), esc(s.vendor().unwrap_or("")))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}\
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}\
.grid td{text-align:center;min-width:3.5em;font-weight:bold;color:#fff}\
td.passed,.grid td.passed{background:#2e7d32}td.failed,.grid td.failed{background:#c62828}\
td.skipped,.grid td.skipped{background:#9e9e9e}td.none{background:#f4f4f4}\
tr.scenario.passed td:first-child{color:#2e7d32}tr.scenario.failed td:first-child{color:#c62828}\
tr.scenario.skipped td:first-child{color:#757575}\
#totals.passed b{color:#2e7d32}#totals.failed b{color:#c62828}\
details.failure{border-left:4px solid #c62828;padding:.3em .8em;margin:.6em 0;background:#fff5f5}\
pre{white-space:pre-wrap;margin:.3em 0}.hidden{display:none}";

/// Filters by tag and vendor: hide scenarios (rows and failures) that do
/// not match. The page's address can preset them: `report.html#tag=PLAT-6&vendor=intune`.
const SCRIPT: &str = "(function(){var t=document.getElementById('tag-filter'),v=document.getElementById('vendor-filter'),\
n=document.getElementById('shown');function apply(){var shown=0,all=document.querySelectorAll('tr.scenario');\
document.querySelectorAll('.scenario').forEach(function(e){var ok=(!t.value||e.dataset.tags.indexOf(' '+t.value+' ')>=0)\
&&(!v.value||e.dataset.vendor===v.value);e.classList.toggle('hidden',!ok);if(ok&&e.tagName==='TR')shown++;});\
n.textContent=shown+' of '+all.length+' scenarios shown';}\
new URLSearchParams(location.hash.slice(1)).forEach(function(val,key){if(key==='tag')t.value=val;if(key==='vendor')v.value=val;});\
t.onchange=apply;v.onchange=apply;apply();})();";
