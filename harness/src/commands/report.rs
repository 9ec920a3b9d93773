//! `lockstep report merge DIR... [--into DIR]`: join the report directories
//! of a sharded run into the reports one unsharded run would have written.
//! Each DIR must hold the `run.json` its shard wrote; the merged record
//! writes every report (JUnit, Cucumber JSON, summary, rerun.txt, run.json)
//! and the shards' logs one after another in `lockstep.log`. Exit code as a
//! single run's: 0 all passed, 1 a scenario failed, 2 the shards cannot be
//! read or do not belong together, 4 nothing ran.

use crate::cli::ReportMergeArgs;
use crate::redact::Secrets;
use crate::report::{self, run_json, Outcome, Provenance, RunRecord, ScenarioRecord};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{path}: {source} (each DIR must be the --report-dir of one shard)")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: run_json::ReadError },
    #[error("{path} ran with seed {found}, the first shard with {expected}: not shards of one run")]
    Seed { path: PathBuf, found: u64, expected: u64 },
    #[error("{path} ran suite {found}, the first shard {expected}: not shards of one run")]
    Suite { path: PathBuf, found: String, expected: String },
    #[error("{location} ran in more than one shard ({path} and an earlier one)")]
    Twice { location: String, path: PathBuf },
    #[error("nothing to merge: give the shards' report directories")]
    Empty,
}

pub fn execute(args: &ReportMergeArgs, fixtures: &Path) -> u8 {
    let into = args.into.clone().unwrap_or_else(|| PathBuf::from("reports"));
    let shards = match read_shards(&args.dirs) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let merged = match merge(&shards) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let catalogue = match crate::requirements::load(&fixtures.join("requirements.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: requirement catalogue: {e}");
            return crate::EXIT_CONFIG;
        }
    };
    let written = report::clear_owned(&into)
        .and_then(|()| report::write_all(&into, &merged, &catalogue, &Secrets::default()))
        .and_then(|mut written| {
            written.push(join_logs(&args.dirs, &into)?);
            Ok(written)
        });
    match written {
        Ok(paths) => {
            println!(
                "merged {} shards: {} scenarios ({} passed, {} failed, {} skipped)",
                shards.len(),
                merged.scenarios.len(),
                merged.passed(),
                merged.failed(),
                merged.skipped()
            );
            for p in paths {
                println!("report: {}", p.display());
            }
            merged.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            crate::EXIT_CONFIG
        }
    }
}

/// Each directory's run record, with where it came from.
pub fn read_shards(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, RunRecord)>, MergeError> {
    dirs.iter()
        .map(|dir| {
            let path = dir.join(run_json::FILE);
            let text =
                std::fs::read_to_string(&path).map_err(|source| MergeError::Read { path: path.clone(), source })?;
            let record = run_json::parse(&text).map_err(|source| MergeError::Parse { path: path.clone(), source })?;
            Ok((path, record))
        })
        .collect()
}

/// The record one unsharded run would have made. Shards must share seed and
/// suite; a scenario that ran in two shards is an error; one that one shard
/// ran and another listed as skipped counts as run.
pub fn merge(shards: &[(PathBuf, RunRecord)]) -> Result<RunRecord, MergeError> {
    let Some((_, first)) = shards.first() else { return Err(MergeError::Empty) };
    let mut scenarios: Vec<ScenarioRecord> = Vec::new();
    let mut parse_failures = Vec::new();
    for (path, r) in shards {
        if r.seed != first.seed {
            return Err(MergeError::Seed { path: path.clone(), found: r.seed, expected: first.seed });
        }
        if r.provenance.suite != first.provenance.suite {
            return Err(MergeError::Suite {
                path: path.clone(),
                found: r.provenance.suite.clone(),
                expected: first.provenance.suite.clone(),
            });
        }
        for s in &r.scenarios {
            let skipped = |x: &ScenarioRecord| matches!(x.outcome, Outcome::Skipped { .. });
            match scenarios.iter_mut().find(|x| x.location() == s.location()) {
                None => scenarios.push(s.clone()),
                Some(x) if skipped(x) => *x = s.clone(),
                Some(_) if skipped(s) => {}
                Some(_) => return Err(MergeError::Twice { location: s.location(), path: path.clone() }),
            }
        }
        for p in &r.parse_failures {
            if !parse_failures.contains(p) {
                parse_failures.push(p.clone());
            }
        }
    }
    scenarios.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let provenance = Provenance::merge(shards.iter().map(|(_, r)| &r.provenance));
    let end = shards.iter().map(|(_, r)| r.provenance.started + r.duration).max().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(RunRecord {
        seed: first.seed,
        features: shards.iter().map(|(_, r)| r.features).max().unwrap_or(0),
        scenarios,
        parse_failures,
        duration: end.duration_since(provenance.started).unwrap_or(Duration::ZERO),
        interrupted: shards.iter().any(|(_, r)| r.interrupted),
        provenance,
    })
}

/// The shards' logs, one after another, each under a line naming its shard.
fn join_logs(dirs: &[PathBuf], into: &Path) -> Result<PathBuf, report::WriteError> {
    let mut joined = String::new();
    for dir in dirs {
        let log = std::fs::read_to_string(dir.join(report::files::LOG)).unwrap_or_default();
        joined.push_str(&format!("=== shard {} ===\n{log}", dir.display()));
        if !joined.ends_with('\n') {
            joined.push('\n');
        }
    }
    report::files::write_atomically(into, report::files::LOG, &joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    /// The golden run cut into two shards, as `--shard 1/2` and `2/2` would.
    fn two_shards() -> (RunRecord, Vec<(PathBuf, RunRecord)>) {
        let mut whole = fixtures::run();
        whole.scenarios.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        let cut = |i: usize| {
            let mut r = whole.clone();
            r.scenarios = whole.scenarios.iter().skip(i).step_by(2).cloned().collect();
            r.provenance.flags.push(("shard".into(), format!("{}/2", i + 1)));
            r.provenance.shards = vec![format!("{}/2", i + 1)];
            (PathBuf::from(format!("shard{i}")), r)
        };
        let shards = vec![cut(0), cut(1)];
        (whole, shards)
    }

    #[test]
    fn shards_merge_into_the_whole_run() {
        let (whole, shards) = two_shards();
        let merged = merge(&shards).unwrap();
        assert_eq!(merged.scenarios, whole.scenarios);
        assert_eq!(merged.provenance.shards, ["1/2", "2/2"]);
        assert_eq!(merged.exit_code(), whole.exit_code());
        assert_eq!(report::rerun::render(&merged), report::rerun::render(&whole));
    }

    #[test]
    fn shards_of_different_runs_do_not_merge() {
        let (_, mut shards) = two_shards();
        shards[1].1.seed = 8;
        assert!(matches!(merge(&shards), Err(MergeError::Seed { .. })));
        let (_, mut shards) = two_shards();
        let again = shards[0].1.scenarios[0].clone();
        shards[1].1.scenarios.push(again);
        assert!(matches!(merge(&shards), Err(MergeError::Twice { .. })));
        assert!(matches!(merge(&[]), Err(MergeError::Empty)));
    }
}
