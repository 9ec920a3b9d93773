//! A short Markdown summary: how the run was made, totals, each failure
//! with where to look and its evidence, flaky scenarios, the skipped
//! scenarios with their reasons, and coverage per requirement.

use super::{Outcome, RunRecord};
use crate::requirements::Requirement;
use std::fmt::Write as _;

pub const FILE: &str = "summary.md";

pub fn render(run: &RunRecord, catalogue: &[Requirement]) -> String {
    let mut out = format!("# {}\n\n", run.title());
    let verdict = if run.interrupted {
        "INTERRUPTED"
    } else if run.succeeded() {
        "PASSED"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        out,
        "**{verdict}**: {} scenarios ({} passed, {} failed, {} skipped), {} steps, {} features, in {:.2} s. Seed {}.\n",
        run.scenarios.len(),
        run.passed(),
        run.failed(),
        run.skipped(),
        run.steps(),
        run.features,
        run.duration.as_secs_f64(),
        run.seed
    );
    let _ = writeln!(out, "Replay: `{}`\n", run.provenance.replay);
    out.push_str("| Provenance | |\n|---|---|\n");
    for (k, v) in run.provenance.pairs().into_iter().filter(|(k, _)| k != "replay") {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    out.push('\n');
    if !run.parse_failures.is_empty() {
        out.push_str("## Feature files that did not parse\n\n");
        for p in &run.parse_failures {
            let _ = writeln!(out, "- {}", p.message);
        }
        out.push('\n');
    }
    let failures: Vec<_> = run.scenarios.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).collect();
    if !failures.is_empty() {
        out.push_str("## Failures\n\n");
        for s in failures {
            if let Outcome::Failed { step, message } = &s.outcome {
                let _ = writeln!(
                    out,
                    "- **{}** ({})\n  - step: `{}`\n  - {}",
                    s.full_name(),
                    s.location(),
                    step,
                    one_line(message)
                );
                if !s.devices.is_empty() {
                    let _ = writeln!(out, "  - ran on {}", s.devices_text());
                }
                for e in &s.evidence {
                    let _ = writeln!(out, "  - evidence: {}", one_line(e));
                }
            }
        }
        out.push('\n');
    }
    let flaky: Vec<_> = run.scenarios.iter().filter(|s| s.flaky()).collect();
    if !flaky.is_empty() {
        out.push_str("## Flaky (passed after a retry)\n\n");
        for s in flaky {
            let _ = writeln!(out, "- {} ({}): passed on attempt {}", s.full_name(), s.location(), s.attempts);
            for f in &s.earlier_failures {
                let _ = writeln!(out, "  - earlier: {}", one_line(f));
            }
        }
        out.push('\n');
    }
    let skipped: Vec<_> = run.scenarios.iter().filter(|s| matches!(s.outcome, Outcome::Skipped { .. })).collect();
    if !skipped.is_empty() {
        out.push_str("## Skipped\n\n");
        for s in skipped {
            if let Outcome::Skipped { reason } = &s.outcome {
                let _ = writeln!(out, "- {} ({}): {}", s.full_name(), s.location(), reason);
            }
        }
        out.push('\n');
    }
    out.push_str("## Requirements\n\n| Requirement | Scenarios | Passed | Failed |\n|---|---:|---:|---:|\n");
    for r in catalogue.iter().filter(|r| r.android) {
        let tag = r.id.as_str();
        let of: Vec<_> = run.scenarios.iter().filter(|s| s.requirements().any(|t| t == tag)).collect();
        let passed = of.iter().filter(|s| s.outcome == Outcome::Passed).count();
        let failed = of.iter().filter(|s| matches!(s.outcome, Outcome::Failed { .. })).count();
        let _ = writeln!(out, "| {tag} | {} | {passed} | {failed} |", of.len());
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}
