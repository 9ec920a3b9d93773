//! JUnit XML for CI: one `<testsuite>` per feature file, one `<testcase>`
//! per scenario, with `classname` and `file` set (cucumber's own writer sets
//! neither, which confuses Jenkins).

use super::{Outcome, RunRecord};
use std::fmt::Write as _;

pub fn render(run: &RunRecord) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"lockstep\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        run.scenarios.len(),
        run.failed(),
        run.skipped(),
        run.duration.as_secs_f64()
    );
    let mut files: Vec<&str> = run.scenarios.iter().map(|s| s.file.as_str()).collect();
    files.dedup();
    for file in files {
        let cases: Vec<_> = run.scenarios.iter().filter(|s| s.file == file).collect();
        let failures = cases.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).count();
        let skipped = cases.iter().filter(|s| matches!(s.outcome, Outcome::Skipped { .. })).count();
        let feature = cases.first().map_or("", |s| s.feature.as_str());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            esc(feature),
            cases.len(),
            cases.iter().map(|s| s.duration.as_secs_f64()).sum::<f64>()
        );
        for s in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                esc(&classname(file)),
                esc(&s.name),
                esc(file),
                s.line,
                s.duration.as_secs_f64()
            );
            match &s.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failed { step, message } => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        esc(step),
                        esc(message)
                    );
                }
                Outcome::Skipped { reason } => {
                    let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", esc(reason));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    for p in &run.parse_failures {
        let _ = writeln!(
            out,
            "  <testsuite name=\"parse errors\" tests=\"1\" failures=\"1\">\n    <testcase classname=\"features\" name=\"parse\">\n      <failure message=\"{}\"/>\n    </testcase>\n  </testsuite>",
            esc(&p.message)
        );
    }
    out.push_str("</testsuites>\n");
    out
}

/// `features/reset_passcode/miradore_reset.feature` -> `reset_passcode.miradore_reset`.
fn classname(file: &str) -> String {
    let trimmed = file.strip_prefix("features/").unwrap_or(file);
    trimmed.strip_suffix(".feature").unwrap_or(trimmed).replace(['/', '\\'], ".")
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
