//! `rerun.txt`: the failed scenarios, one `PATH:LINE` a line (the Examples
//! row's line for an outline row), for `lockstep run @reports/rerun.txt`.
//! Empty when nothing failed.

use super::{Outcome, RunRecord};

pub const FILE: &str = "rerun.txt";

pub fn render(run: &RunRecord) -> String {
    run.scenarios
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
        .map(|s| format!("{}\n", s.location()))
        .collect()
}
