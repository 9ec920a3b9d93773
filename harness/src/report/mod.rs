//! What a run produced, and the files it writes. [`Recorder`] is the
//! cucumber writer that collects every scenario's outcome (and tells the
//! console); each output format is its own module, rendered from the
//! finished [`RunRecord`] alone, so `lockstep report merge` can write from
//! shard records exactly what a single run writes. Every string passes the
//! run's redactor before it is kept, and every file again on its way out.

pub mod certificate;
pub mod cucumber_json;
pub mod files;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod provenance;
pub mod recorder;
pub mod rerun;
pub mod run_json;

pub use files::{clear_owned, write_all, WriteError};
pub use provenance::Provenance;
pub use recorder::{EvidenceLocker, Progress, Recorder};

use cucumber::gherkin;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    /// The failing step and what went wrong.
    Failed {
        step: String,
        message: String,
    },
    /// Not run, and why (printed; never a silent skip).
    Skipped {
        reason: String,
    },
}

/// How one step ended. A step after a failing one is `Skipped`, and so is
/// every step of a scenario that was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}

/// One step of a scenario, background steps first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// `Given`, `When`, `Then`, `And`, `But`, `*`, as written.
    pub keyword: String,
    pub name: String,
    pub line: usize,
    /// Whether the step belongs to the feature's (or rule's) background.
    pub background: bool,
    pub status: StepStatus,
    pub duration: Duration,
}

impl StepRecord {
    /// `Given Alice is a site administrator (line 9)`.
    pub fn text(&self) -> String {
        format!("{} {} (line {})", self.keyword.trim(), self.name, self.line)
    }
}

/// The feature a scenario belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureInfo {
    pub keyword: String,
    pub name: String,
    pub line: usize,
    pub description: String,
    /// The feature's own tags, without `@`.
    pub tags: Vec<String>,
}

/// The background a scenario's first steps come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundInfo {
    pub keyword: String,
    pub name: String,
    pub line: usize,
}

/// The Examples row an outline's scenario was expanded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleRow {
    /// Column name and value, in table order.
    pub values: Vec<(String, String)>,
}

/// A device a scenario ran on, as the device itself reported (so a swapped
/// profile shows as what really ran).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The scenario's name for it, e.g. `phone`.
    pub alias: String,
    pub profile: String,
    pub api_level: u8,
    pub ownership: String,
}

/// One scenario (an outline's example row is a scenario of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    /// The feature file, relative to where the run started.
    pub file: String,
    pub feature: FeatureInfo,
    pub rule: Option<String>,
    pub keyword: String,
    pub name: String,
    /// The scenario's line, or its Examples row's line for an outline row.
    pub line: usize,
    pub example: Option<ExampleRow>,
    /// Feature, rule, scenario and Examples tags, without `@`.
    pub tags: Vec<String>,
    pub background: Option<BackgroundInfo>,
    pub steps: Vec<StepRecord>,
    /// When its (last) attempt started; `None` for a scenario not run.
    pub started: Option<SystemTime>,
    pub duration: Duration,
    /// How many times it ran: 1 normally, more after retries, 0 when skipped.
    pub attempts: u32,
    pub outcome: Outcome,
    /// The failures of earlier attempts of a retried scenario.
    pub earlier_failures: Vec<String>,
    /// What the harness saw around a failure: AMAPI journal excerpt, MDM
    /// action log, device state, mail subjects. Empty when it passed.
    pub evidence: Vec<String>,
    /// The devices it ran on; empty when it did not run.
    #[serde(default)]
    pub devices: Vec<DeviceRecord>,
}

impl ScenarioRecord {
    /// A scenario about to run (or never run): every step present, skipped.
    /// `file` is the feature's path as reports show it.
    pub fn new(
        file: &str,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> ScenarioRecord {
        let background = rule.and_then(|r| r.background.as_ref()).or(feature.background.as_ref());
        let mut steps: Vec<StepRecord> = Vec::new();
        for bg in feature.background.iter().chain(rule.and_then(|r| r.background.as_ref())) {
            steps.extend(bg.steps.iter().map(|s| step_record(s, true)));
        }
        steps.extend(scenario.steps.iter().map(|s| step_record(s, false)));
        ScenarioRecord {
            file: file.to_owned(),
            feature: FeatureInfo {
                keyword: feature.keyword.clone(),
                name: feature.name.clone(),
                line: feature.position.line,
                description: feature.description.clone().unwrap_or_default().trim().to_owned(),
                tags: feature.tags.clone(),
            },
            rule: rule.map(|r| r.name.clone()),
            keyword: scenario.keyword.clone(),
            name: scenario.name.clone(),
            // The suite gave every expanded Examples row its own line
            // before cucumber saw it (crate::suite).
            line: scenario.position.line,
            example: example_row(scenario),
            tags: crate::suite::scenario_tags(&feature.tags, rule, scenario),
            background: background.map(|b| BackgroundInfo {
                keyword: b.keyword.clone(),
                name: b.name.clone(),
                line: b.position.line,
            }),
            steps,
            started: None,
            duration: Duration::ZERO,
            attempts: 0,
            outcome: Outcome::Passed,
            earlier_failures: Vec::new(),
            evidence: Vec::new(),
            devices: Vec::new(),
        }
    }

    /// A scenario the run will not run, and why.
    pub fn skipped(
        file: &str,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        reason: String,
    ) -> ScenarioRecord {
        ScenarioRecord { outcome: Outcome::Skipped { reason }, ..ScenarioRecord::new(file, feature, rule, scenario) }
    }

    /// `file:line`, where a reader finds the scenario (the Examples row of an
    /// outline's row): the scenario's identity in every report and in rerun.txt.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The requirement IDs this scenario is tagged with.
    pub fn requirements(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str).filter(|t| crate::requirements::looks_like_id(t))
    }

    /// The name with the Examples row's values, which tells outline rows
    /// apart even when the name leaves a column out.
    pub fn full_name(&self) -> String {
        match &self.example {
            Some(row) if !row.values.is_empty() => {
                let values: Vec<String> = row.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} [{}]", self.name, values.join(", "))
            }
            _ => self.name.clone(),
        }
    }

    /// Passed, but only after a retry.
    pub fn flaky(&self) -> bool {
        self.outcome == Outcome::Passed && self.attempts > 1
    }

    /// The steps that ran (passed or failed).
    pub fn steps_run(&self) -> usize {
        self.steps.iter().filter(|s| s.status != StepStatus::Skipped).count()
    }

    /// The step list with each step's status, one a line.
    pub fn step_list(&self) -> String {
        self.steps.iter().map(|s| format!("[{}] {}\n", s.status.as_str(), s.text())).collect()
    }

    /// `phone: acme-a14-stale-keyguard (API 34, fully-managed)`, what it ran
    /// on (under a swap, not the profile its name says).
    pub fn devices_text(&self) -> String {
        let each: Vec<String> = self
            .devices
            .iter()
            .map(|d| format!("{}: {} (API {}, {})", d.alias, d.profile, d.api_level, d.ownership))
            .collect();
        each.join("; ")
    }

    /// The device profiles it ran on, or (not run) the profiles its steps name.
    pub fn profiles(&self) -> Vec<String> {
        let mut out: Vec<String> = self.devices.iter().map(|d| d.profile.clone()).collect();
        if out.is_empty() {
            for st in &self.steps {
                if let Some(rest) = st.name.strip_prefix("a \"") {
                    if let Some((profile, tail)) = rest.split_once('"') {
                        if tail.starts_with(" device") {
                            out.push(profile.to_owned());
                        }
                    }
                }
            }
        }
        out.dedup();
        out
    }

    /// The vendor profile tag the scenario carries, if any.
    pub fn vendor(&self) -> Option<&str> {
        self.tags.iter().map(String::as_str).find(|t| crate::tags::VENDORS.contains(t))
    }
}

fn step_record(step: &gherkin::Step, background: bool) -> StepRecord {
    StepRecord {
        keyword: step.keyword.trim().to_owned(),
        name: step.value.clone(),
        line: step.position.line,
        background,
        status: StepStatus::Skipped,
        duration: Duration::ZERO,
    }
}

fn example_row(scenario: &gherkin::Scenario) -> Option<ExampleRow> {
    let [example] = scenario.examples.as_slice() else { return None };
    let table = example.table.as_ref()?;
    let (header, row) = (table.rows.first()?, table.rows.get(1)?);
    Some(ExampleRow { values: header.iter().cloned().zip(row.iter().cloned()).collect() })
}

/// A feature file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseFailure {
    pub message: String,
}

/// Everything a run learnt, in the order the features were read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub seed: u64,
    pub features: usize,
    pub scenarios: Vec<ScenarioRecord>,
    pub parse_failures: Vec<ParseFailure>,
    pub duration: Duration,
    /// SIGINT or SIGTERM stopped the run before every scenario had run.
    pub interrupted: bool,
    pub provenance: Provenance,
}

impl RunRecord {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.scenarios.iter().filter(|s| f(&s.outcome)).count()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| *o == Outcome::Passed)
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped { .. }))
    }

    /// Steps that ran, over every scenario.
    pub fn steps(&self) -> usize {
        self.scenarios.iter().map(ScenarioRecord::steps_run).sum()
    }

    /// The run passes when nothing failed and every file parsed.
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.parse_failures.is_empty()
    }

    /// The exit code of `lockstep run` for this record: 130 interrupted, 2 a
    /// feature file did not parse, 1 a scenario failed, 4 nothing ran, 0 all passed.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            crate::EXIT_INTERRUPTED
        } else if !self.parse_failures.is_empty() {
            crate::EXIT_CONFIG
        } else if self.failed() > 0 {
            crate::EXIT_FAILED
        } else if self.passed() == 0 {
            crate::EXIT_NOTHING
        } else {
            crate::EXIT_OK
        }
    }

    /// The report title: what ran, with any swap or defect in force.
    pub fn title(&self) -> String {
        let mut title = String::from("Lockstep run");
        for mark in self.provenance.marks() {
            title.push_str(&format!(" [{mark}]"));
        }
        title
    }

    /// The feature files in the order they were first seen, each once.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = Vec::new();
        for s in &self.scenarios {
            if !files.contains(&s.file.as_str()) {
                files.push(&s.file);
            }
        }
        files
    }
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use super::fixtures::{catalogue, run};
    use super::*;

    #[test]
    fn junit_golden() {
        insta::assert_snapshot!("junit", junit::render(&run()).unwrap());
    }

    #[test]
    fn markdown_golden() {
        insta::assert_snapshot!("summary", markdown::render(&run(), &catalogue()));
    }

    #[test]
    fn cucumber_json_golden() {
        insta::assert_snapshot!("cucumber_json", cucumber_json::render(&run()));
    }

    #[test]
    fn html_golden() {
        insta::assert_snapshot!("html", html::render(&run(), &catalogue()));
    }

    /// tests/fixtures/golden-run/run.json is this module's golden run, for
    /// the tests that feed a known record to the whole command (HTML in
    /// Chromium): `report merge` of that directory writes its reports.
    #[test]
    fn the_golden_run_json_fixture_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden-run/run.json");
        let text = run_json::render(&run()).unwrap();
        if std::env::var_os("LOCKSTEP_UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == text, "{} is stale: rerun with LOCKSTEP_UPDATE_FIXTURES=1", path.display());
    }

    #[test]
    fn rerun_golden() {
        insta::assert_snapshot!("rerun", rerun::render(&run()));
    }

    #[test]
    fn requirement_tags_are_recognised() {
        let r = run();
        let ids: Vec<&str> = r.scenarios[0].requirements().collect();
        assert_eq!(ids, ["MIR-3"]);
        assert!(!r.succeeded());
        assert_eq!(r.exit_code(), 1);
        assert_eq!((r.passed(), r.failed(), r.skipped()), (3, 1, 2));
    }

    #[test]
    fn outline_rows_get_their_own_line_and_values() {
        let text = "Feature: f\n  Scenario Outline: reset on <profile>\n    Given a device <profile>\n\n    Examples:\n\n      | profile | api |\n      | a       | 21  |\n      | b       | 35  |\n";
        // The suite gives each expanded row its own line before reports see it.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.feature"), text).unwrap();
        let suite = crate::suite::load(&[dir.path().join("f.feature")], dir.path()).unwrap();
        let expanded = suite.files[0].feature.clone();
        let rows: Vec<ScenarioRecord> =
            expanded.scenarios.iter().map(|s| ScenarioRecord::new("f.feature", &expanded, None, s)).collect();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [8, 9]);
        assert_eq!(rows[1].full_name(), "reset on b [profile=b, api=35]");
        assert!(rows.iter().all(|r| r.steps.len() == 1 && r.steps[0].status == StepStatus::Skipped));
    }
}
