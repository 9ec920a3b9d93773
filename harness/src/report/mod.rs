//! What a run produced, and the files it writes. [`Recorder`] is the
//! cucumber writer that collects every scenario's outcome (and draws the
//! progress bar); each output format is its own module, fed the finished
//! [`RunRecord`]. Every string passes the run's redactor before it is kept.

pub mod junit;
pub mod markdown;
pub mod recorder;

pub use recorder::Recorder;

use std::time::Duration;

/// How one scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// One scenario (an outline's example row is a scenario of its own).
#[derive(Debug, Clone)]
pub struct ScenarioRecord {
    /// The feature file, relative to where the run started.
    pub file: String,
    pub feature: String,
    pub name: String,
    pub line: usize,
    pub tags: Vec<String>,
    pub steps: usize,
    pub duration: Duration,
    pub outcome: Outcome,
}

impl ScenarioRecord {
    /// `file:line`, where a reader finds the scenario.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// The requirement IDs this scenario is tagged with.
    pub fn requirements(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str).filter(|t| crate::requirements::looks_like_id(t))
    }
}

/// A feature file that could not be read or parsed.
#[derive(Debug, Clone)]
pub struct ParseFailure {
    pub message: String,
}

/// Everything a run learnt, in the order the features were read.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub seed: u64,
    pub features: usize,
    pub scenarios: Vec<ScenarioRecord>,
    pub parse_failures: Vec<ParseFailure>,
    pub duration: Duration,
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

    pub fn steps(&self) -> usize {
        self.scenarios.iter().map(|s| s.steps).sum()
    }

    /// The run passes when nothing failed and every file parsed.
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.parse_failures.is_empty()
    }
}
