//! JUnit XML for CI, built with quick-junit and valid against the Jenkins
//! xUnit plugin's JUnit schema (junit-10.xsd): one `<testsuite>` per feature
//! file (grouped by file wherever its scenarios sit in the record), one
//! `<testcase>` per scenario. `classname` is the file's path without
//! `features/` and `.feature` and without dots (Jenkins splits the package
//! at the last dot); `name` is the scenario's name with its Examples row's
//! values, so outline rows never share (classname, name), and any pair that
//! still repeats gets the line. A failure carries its step as `message`, its
//! kind as `type` and the step list with statuses as its body; its evidence
//! goes to `<system-out>`. A scenario that passed after a retry is a
//! success with `<flakyFailure>`s. Suites carry `timestamp`, `hostname`,
//! their wall time (first start to last end, not the sum of concurrent
//! scenarios); the first suite carries the run's provenance as properties
//! (only the first: xunitparser keeps one property table for the whole
//! file and rejects a name seen twice).
//!
//! Two things quick-junit writes that the schema lacks are adjusted: it puts
//! a `disabled` count on every `<testsuite>` (the schema has `skipped`
//! instead, which is set), and the schema has no `file`/`line` on
//! `<testcase>`, so the location goes into the body and `<system-out>`.

use super::{Outcome, RunRecord, ScenarioRecord, StepStatus};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

pub const FILE: &str = "junit.xml";

pub fn render(run: &RunRecord) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new(run.title());
    report.set_time(run.duration);
    let names = case_names(run);
    for file in run.files() {
        let cases: Vec<(usize, &ScenarioRecord)> =
            run.scenarios.iter().enumerate().filter(|(_, s)| s.file == file).collect();
        let feature = &cases[0].1.feature.name;
        let mut suite = TestSuite::new(format!("{feature} ({file})"));
        suite.extra.insert("file".into(), file.into());
        suite.extra.insert("hostname".into(), run.provenance.host.as_str().into());
        suite.extra.insert(
            "skipped".into(),
            cases.iter().filter(|(_, s)| matches!(s.outcome, Outcome::Skipped { .. })).count().to_string().into(),
        );
        let (start, wall) = wall_time(cases.iter().map(|(_, s)| *s));
        suite.set_timestamp(chrono::DateTime::<chrono::Utc>::from(start.unwrap_or(run.provenance.started)));
        suite.set_time(wall);
        if report.test_suites.is_empty() {
            suite.add_properties(run.provenance.pairs().into_iter().map(|(k, v)| Property::new(k, v)));
        }
        for (i, s) in cases {
            suite.add_test_case(case(s, &names[i]));
        }
        report.add_test_suite(suite);
    }
    if !run.parse_failures.is_empty() {
        let mut suite = TestSuite::new("feature files that did not parse");
        suite.extra.insert("skipped".into(), "0".into());
        for (i, p) in run.parse_failures.iter().enumerate() {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(p.message.as_str()).set_type("parse error");
            let mut case = TestCase::new(format!("parse error {}", i + 1), status);
            case.set_classname("features");
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    Ok(without_disabled(&report.to_string()?))
}

fn case(s: &ScenarioRecord, name: &str) -> TestCase {
    let status = match &s.outcome {
        Outcome::Passed => {
            TestCaseStatus::Success { flaky_runs: s.earlier_failures.iter().map(|f| rerun(f)).collect() }
        }
        Outcome::Failed { step, message } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let body = format!("{}\n\n{}\nat {}", message, s.step_list(), s.location());
            status.set_message(step.as_str()).set_type(failure_type(s)).set_description(body);
            if let TestCaseStatus::NonSuccess { reruns, .. } = &mut status {
                reruns.extend(s.earlier_failures.iter().map(|f| rerun(f)));
            }
            status
        }
        Outcome::Skipped { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str()).set_type("not run");
            status
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(classname(&s.file));
    case.set_time(s.duration);
    if matches!(s.outcome, Outcome::Failed { .. }) {
        let mut out = format!("{} at {}\n", s.full_name(), s.location());
        if !s.devices.is_empty() {
            out.push_str(&format!("ran on {}\n", s.devices_text()));
        }
        if !s.evidence.is_empty() {
            out.push_str("\nEvidence:\n");
            for e in &s.evidence {
                out.push_str(&format!("- {e}\n"));
            }
        }
        case.set_system_out(out);
    }
    case
}

fn rerun(failure: &str) -> TestRerun {
    let mut r = TestRerun::new(NonSuccessKind::Failure);
    r.set_message(failure).set_type("earlier attempt failed");
    r
}

/// What kind of failure: a step that did not hold, or the scenario's set-up.
fn failure_type(s: &ScenarioRecord) -> &'static str {
    if s.steps.iter().any(|st| st.status == StepStatus::Failed) {
        "step failed"
    } else {
        "scenario set-up failed"
    }
}

/// Each scenario's test case name, unique within its classname.
fn case_names(run: &RunRecord) -> Vec<String> {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &run.scenarios {
        *seen.entry((classname(&s.file), s.full_name())).or_default() += 1;
    }
    run.scenarios
        .iter()
        .map(|s| {
            let name = s.full_name();
            if seen[&(classname(&s.file), name.clone())] > 1 {
                format!("{name} (line {})", s.line)
            } else {
                name
            }
        })
        .collect()
}

/// When the first scenario started, and the wall time until the last ended.
fn wall_time<'a>(scenarios: impl Iterator<Item = &'a ScenarioRecord>) -> (Option<SystemTime>, Duration) {
    let spans: Vec<(SystemTime, SystemTime)> =
        scenarios.filter_map(|s| s.started.map(|t| (t, t + s.duration))).collect();
    let start = spans.iter().map(|(s, _)| *s).min();
    let end = spans.iter().map(|(_, e)| *e).max();
    match (start, end) {
        (Some(s), Some(e)) => (Some(s), e.duration_since(s).unwrap_or(Duration::ZERO)),
        _ => (None, Duration::ZERO),
    }
}

/// `features/reset_passcode/miradore_reset.feature` -> `reset_passcode/miradore_reset`.
fn classname(file: &str) -> String {
    let trimmed = file.strip_prefix("features/").unwrap_or(file);
    trimmed.strip_suffix(".feature").unwrap_or(trimmed).replace('\\', "/").replace('.', "_")
}

/// quick-junit's XML without the `disabled` attribute it writes on every
/// `<testsuite>` start tag, which the Jenkins schema does not allow. Start
/// tags are alone on their line (quick-junit indents), and text cannot
/// begin with `<` (it is escaped), so only those tags are touched.
fn without_disabled(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    for line in xml.split_inclusive('\n') {
        if line.trim_start().starts_with("<testsuite ") {
            if let Some(at) = line.find(" disabled=\"") {
                let rest = &line[at + " disabled=\"".len()..];
                let end = rest.find('"').map_or(rest.len(), |e| e + 1);
                out.push_str(&line[..at]);
                out.push_str(&rest[end..]);
                continue;
            }
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_unique_and_suites_grouped_by_file() {
        let run = super::super::fixtures::run();
        let xml = render(&run).unwrap();
        assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
        assert!(!xml.contains("disabled="), "{xml}");
        let names = case_names(&run);
        let pairs: std::collections::BTreeSet<_> =
            run.scenarios.iter().zip(&names).map(|(s, n)| (classname(&s.file), n.clone())).collect();
        assert_eq!(pairs.len(), run.scenarios.len());
        assert_eq!(classname("features/a.b/c.feature"), "a_b/c");
    }
}
