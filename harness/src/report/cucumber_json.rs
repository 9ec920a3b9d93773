//! Cucumber JSON in the shape cucumber-jvm writes, valid against the
//! cucumber-jvm dialect of the cucumber-json-schema (draft-07, no field
//! outside it): one feature per file; for each scenario its background first
//! (an element of its own, with the background's line and its own id), then
//! the scenario with every step (those after a failing step `skipped`) and
//! its tags with `@`, the feature's and rule's included. Scenarios that did
//! not run are present, every step `skipped`, the reason in the description.
//!
//! Rendered from the [`RunRecord`] rather than by cucumber-rs's own JSON
//! writer, which puts the background after its scenario with the
//! scenario's id and line, drops the steps after a failure and leaves out
//! scenarios that were filtered; and because `report merge` must write the
//! same file from shard records. The schema has no place for a skip reason,
//! a retry or evidence: they go into the element's description and the
//! failing step's `error_message`.

use super::{Outcome, RunRecord, ScenarioRecord, StepRecord, StepStatus};
use serde_json::{json, Value};

pub const FILE: &str = "cucumber.json";

pub fn render(run: &RunRecord) -> String {
    let features: Vec<Value> = run.files().into_iter().map(|file| feature(run, file)).collect();
    serde_json::to_string_pretty(&Value::Array(features)).unwrap_or_else(|_| "[]".into())
}

fn feature(run: &RunRecord, file: &str) -> Value {
    let scenarios: Vec<&ScenarioRecord> = run.scenarios.iter().filter(|s| s.file == file).collect();
    let info = &scenarios[0].feature;
    // Gherkin puts a feature's tags on the lines above its keyword; the
    // record keeps no position for them, so they are placed on the line
    // right above, in order.
    let mut column = 1;
    let tags: Vec<Value> = info
        .tags
        .iter()
        .map(|t| {
            let tag = json!({ "name": format!("@{t}"), "type": "Tag",
                              "location": { "line": info.line.saturating_sub(1).max(1), "column": column } });
            column += t.len() + 2;
            tag
        })
        .collect();
    let mut elements = Vec::new();
    for s in scenarios {
        if let Some(bg) = &s.background {
            let steps: Vec<Value> = s.steps.iter().filter(|st| st.background).map(|st| step(s, st)).collect();
            elements.push(json!({
                "id": format!("{};background", scenario_id(s)),
                "line": bg.line,
                "type": "background",
                "keyword": bg.keyword,
                "name": bg.name,
                "description": "",
                "steps": steps,
            }));
        }
        elements.push(scenario(s));
    }
    json!({
        "uri": file,
        "id": slug(&info.name),
        "line": info.line,
        "keyword": info.keyword,
        "name": info.name,
        "description": info.description,
        "tags": tags,
        "elements": elements,
    })
}

/// Unique per scenario and Examples row: the feature, the scenario and its line.
fn scenario_id(s: &ScenarioRecord) -> String {
    format!("{};{};{}", slug(&s.feature.name), slug(&s.name), s.line)
}

fn scenario(s: &ScenarioRecord) -> Value {
    let steps: Vec<Value> = s.steps.iter().filter(|st| !st.background).map(|st| step(s, st)).collect();
    let mut element = json!({
        "id": scenario_id(s),
        "line": s.line,
        "type": "scenario",
        "keyword": s.keyword,
        "name": s.full_name(),
        "description": description(s),
        "tags": s.tags.iter().map(|t| json!({ "name": format!("@{t}") })).collect::<Vec<_>>(),
        "steps": steps,
    });
    if let Some(started) = s.started {
        element["start_timestamp"] =
            json!(chrono::DateTime::<chrono::Utc>::from(started).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    }
    // A failure before the first step (the scenario's set-up) is a failed
    // before hook, as cucumber-jvm reports one.
    if let Outcome::Failed { step, message } = &s.outcome {
        if !s.steps.iter().any(|st| st.status == StepStatus::Failed) {
            element["before"] = json!([{
                "match": { "location": step },
                "result": { "status": "failed", "duration": 0, "error_message": with_evidence(s, message) },
            }]);
        }
    }
    element
}

fn description(s: &ScenarioRecord) -> String {
    let mut lines = Vec::new();
    if let Outcome::Skipped { reason } = &s.outcome {
        lines.push(format!("Not run: {reason}"));
    }
    if s.attempts > 1 {
        let verdict = if s.flaky() { "passed" } else { "ended" };
        lines.push(format!("Flaky: {verdict} on attempt {} of {}.", s.attempts, s.attempts));
        lines.extend(s.earlier_failures.iter().map(|f| format!("Earlier attempt failed: {f}")));
    }
    lines.join("\n")
}

fn step(s: &ScenarioRecord, st: &StepRecord) -> Value {
    let mut result = json!({ "status": st.status.as_str(), "duration": st.duration.as_nanos() as u64 });
    if st.status == StepStatus::Failed {
        if let Outcome::Failed { message, .. } = &s.outcome {
            result["error_message"] = json!(with_evidence(s, message));
        }
    }
    json!({
        "keyword": format!("{} ", st.keyword),
        "line": st.line,
        "name": st.name,
        "match": { "location": format!("{}:{}", s.file, st.line) },
        "result": result,
    })
}

fn with_evidence(s: &ScenarioRecord, message: &str) -> String {
    if s.evidence.is_empty() {
        return message.to_owned();
    }
    let items: Vec<String> = s.evidence.iter().map(|e| format!("- {e}")).collect();
    format!("{message}\n\nEvidence:\n{}", items.join("\n"))
}

/// cucumber's id form: lower case, runs of anything but letters and digits as `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backgrounds_come_first_with_ids_of_their_own() {
        let run = super::super::fixtures::run();
        let doc: Value = serde_json::from_str(&render(&run)).unwrap();
        let mut ids = std::collections::BTreeSet::new();
        let mut scenarios = 0;
        for f in doc.as_array().unwrap() {
            let elements = f["elements"].as_array().unwrap();
            for pair in elements.chunks(2) {
                assert_eq!(pair[0]["type"], "background");
                assert_eq!(pair[1]["type"], "scenario");
                assert_ne!(pair[0]["line"], pair[1]["line"]);
                scenarios += 1;
            }
            for e in elements {
                assert!(ids.insert(e["id"].as_str().unwrap().to_owned()), "duplicate id {}", e["id"]);
            }
        }
        assert_eq!(scenarios, run.scenarios.len());
        assert_eq!(slug("Reset: on a Pixel 8 (API 34)"), "reset-on-a-pixel-8-api-34");
    }
}
