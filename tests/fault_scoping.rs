//! Faults a scenario arms are scoped to its devices and must have fired by
//! its end: a scenario whose fault was never served fails (it would pass
//! without testing what it says), and scenarios running side by side on one
//! mock each see exactly their own fault.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::cli::RunArgs;
use lockstep::report::Outcome;
use std::path::PathBuf;

const UNSERVED: &str = "@miradore\nFeature: probe\n  Scenario: a 429 nobody asks for\n    Given Alice is a site administrator\n    And Erin is an end user\n    And a \"google-pixel-8\" device \"phone\" enrolled fully-managed for Erin with a 6-digit passcode\n    And AMAPI answers the next command with 429\n    Then nothing has been sent to \"phone\"\n";

#[test]
fn a_fault_that_never_fired_fails_its_scenario() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.feature"), UNSERVED).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let result = runtime.block_on(async {
        let args = RunArgs {
            paths: vec![dir.path().join("probe.feature").display().to_string()],
            report_dir: Some(dir.path().join("reports")),
            no_progress: true,
            ..Default::default()
        };
        lockstep::runner::run(lockstep::config::resolve(&args, root.join("fixtures")).unwrap()).await.unwrap()
    });
    let s = &result.record.scenarios[0];
    match &s.outcome {
        Outcome::Failed { message, .. } => {
            assert!(message.contains("429") && message.contains("never served"), "{message}")
        }
        other => panic!("expected the scenario to fail; it ended {other:?}"),
    }
}
