//! Negative controls: for each defect switch of the reference MDM and each
//! non-conforming device profile, the suite fails, and the scenarios that
//! fail are exactly those that check the broken behaviour. A check that
//! cannot fail is worth nothing; this table is the proof that each can.
//!
//! The table is tests/support/negative_table.rs, shared with
//! tests/external_target.rs (the same suite against an external MDM).

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::cli::RunArgs;
use lockstep::report::Outcome;
use std::collections::BTreeSet;
use std::path::PathBuf;

mod support;
use support::negative_table::{table, Break};

#[test]
fn each_defect_fails_exactly_the_scenarios_that_check_it() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut mismatches = Vec::new();
    for (broken, expected) in table() {
        let reports = tempfile::tempdir().unwrap();
        let mut args = RunArgs {
            paths: vec![root.join("features").display().to_string()],
            seed: Some(5),
            report_dir: Some(reports.path().to_owned()),
            no_progress: true,
            ..Default::default()
        };
        let label = match broken {
            Break::Defect(d) => {
                args.mdm_defect = vec![d.parse().unwrap()];
                format!("--mdm-defect {d}")
            }
            Break::Swap(s) => {
                args.swap_profile = vec![s.to_owned()];
                format!("--swap-profile {s}")
            }
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let result = runtime.block_on(lockstep::runner::run(config)).unwrap();
        let failed: BTreeSet<String> = result
            .record
            .scenarios
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .map(|s| s.name.clone())
            .collect();
        let expected: BTreeSet<String> = expected.into_iter().collect();
        if failed != expected {
            mismatches.push(format!(
                "{label}:\n  failed but not expected: {:?}\n  expected but passed: {:?}",
                failed.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&failed).collect::<Vec<_>>()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
