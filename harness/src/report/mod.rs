//! What a run produced, and the files it writes. [`Recorder`] is the
//! cucumber writer that collects every scenario's outcome (and draws the
//! progress bar); each output format is its own module, fed the finished
//! [`RunRecord`]. Every string passes the run's redactor before it is kept.

pub mod junit;
pub mod markdown;
pub mod recorder;

pub use recorder::{Progress, Recorder};

use crate::redact::Secrets;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The files a run writes into its report directory. A run removes them
/// all when it starts, so no file of an earlier run sits beside its own.
pub const OWNED: [&str; 5] = ["junit.xml", "cucumber.json", "summary.md", "rerun.txt", "lockstep.log"];

/// Remove the files a run owns (and any half-written temporary ones) from `dir`.
pub fn clear_owned(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if OWNED.contains(&name) || name.starts_with(".lockstep-") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Write `text` to `dir/name` through a temporary file renamed into place,
/// so a reader (or an interrupted run) never sees half a report.
pub fn write_atomically(dir: &Path, name: &str, text: &str) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let path = dir.join(name);
    let temp = dir.join(format!(".lockstep-{name}.partial"));
    std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &path)).map_err(|e| (path.clone(), e))?;
    Ok(path)
}

/// Every report but the Cucumber JSON (cucumber's own writer makes it), redacted.
pub fn write_all(
    dir: &Path,
    record: &RunRecord,
    catalogue: &[crate::requirements::Requirement],
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let outputs = [
        ("junit.xml", junit::render(record)),
        ("summary.md", markdown::render(record, catalogue)),
        ("rerun.txt", rerun(record)),
    ];
    outputs.into_iter().map(|(name, text)| write_atomically(dir, name, &secrets.redact(&text))).collect()
}

/// `rerun.txt`: the failed scenarios' `PATH:LINE`s, one a line, for
/// `lockstep run @reports/rerun.txt`.
pub fn rerun(record: &RunRecord) -> String {
    record
        .scenarios
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
        .map(|s| format!("{}\n", s.location()))
        .collect()
}

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
    /// Attempts made (1 without --retries); a pass after more than one is flaky.
    pub attempts: u32,
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
    /// SIGINT or SIGTERM stopped the run before every scenario had run.
    pub interrupted: bool,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::Requirement;

    /// A small run with one of each outcome.
    fn run() -> RunRecord {
        let scenario = |name: &str, line: usize, tags: &[&str], outcome: Outcome| ScenarioRecord {
            file: "features/reset_passcode/miradore_reset.feature".into(),
            feature: "Remote passcode reset".into(),
            name: name.into(),
            line,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            steps: 5,
            duration: Duration::from_millis(12),
            outcome,
            attempts: 1,
        };
        RunRecord {
            seed: 7,
            features: 1,
            scenarios: vec![
                scenario("Reset on a fully managed google-pixel-8", 32, &["miradore", "MIR-3"], Outcome::Passed),
                scenario(
                    "Only site administrators see the latest reset passcode",
                    57,
                    &["miradore", "MIR-5"],
                    Outcome::Failed {
                        step: "And Hana is refused the latest reset passcode of \"phone\" (line 64)".into(),
                        message: "Hana can see the latest reset passcode of \"phone\" <& friends>".into(),
                    },
                ),
                scenario(
                    "The reset must come within five minutes",
                    29,
                    &["intune", "INT-3", "virtual-time"],
                    Outcome::Skipped { reason: "needs the virtual clock".into() },
                ),
            ],
            parse_failures: vec![],
            duration: Duration::from_millis(40),
            interrupted: false,
        }
    }

    fn catalogue() -> Vec<Requirement> {
        ["MIR-3", "MIR-5", "INT-3"]
            .iter()
            .map(|id| Requirement { id: id.to_string(), title: format!("title of {id}"), android: true })
            .collect()
    }

    #[test]
    fn junit_golden() {
        insta::assert_snapshot!("junit", junit::render(&run()));
    }

    #[test]
    fn markdown_golden() {
        insta::assert_snapshot!("summary", markdown::render(&run(), &catalogue()));
    }

    #[test]
    fn requirement_tags_are_recognised() {
        let r = run();
        let ids: Vec<&str> = r.scenarios[0].requirements().collect();
        assert_eq!(ids, ["MIR-3"]);
        assert!(!r.succeeded());
        assert_eq!((r.passed(), r.failed(), r.skipped(), r.steps()), (1, 1, 1, 15));
    }
}
