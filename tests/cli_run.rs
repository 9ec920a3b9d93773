//! `lockstep run` on bad input: an unknown step fails the run (exit 1) and
//! names the step; a feature file that does not parse is a configuration
//! error (exit 2) naming the file and line; a bad flag is a usage error.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use std::process::{Command, Output};

fn run_on(feature: &str, extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.feature");
    std::fs::write(&path, feature).unwrap();
    let reports = dir.path().join("reports");
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "--no-progress", "--report-dir", reports.to_str().unwrap(), path.to_str().unwrap()])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (dir, out)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn an_unknown_step_fails_the_run() {
    let (_d, out) = run_on(
        "Feature: probe\n  Scenario: a step nobody wrote\n    Given Alice is a site administrator\n    When Alice juggles three phones\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("When Alice juggles three phones (line 4)"), "{t}");
    assert!(t.contains("no step definition matches"), "{t}");
}

#[test]
fn a_feature_that_does_not_parse_names_file_and_line() {
    let (_d, out) =
        run_on("Feature: probe\n  Scenario: fine\n    Given Alice is a site administrator\n  Scenarioo broken\n", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    let named = regex::Regex::new(r"probe\.feature:\d+:\d+: this feature file does not parse").unwrap();
    assert!(named.is_match(&t), "{t}");
}

#[test]
fn a_passing_probe_exits_zero_and_writes_reports() {
    let (dir, out) =
        run_on("Feature: probe\n  Scenario: people\n    Given Alice is a site administrator\n", &["--seed", "7"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("seed 7"));
    for f in ["junit.xml", "cucumber.json", "summary.md"] {
        assert!(dir.path().join("reports").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    let (_d, out) = run_on("Feature: probe\n", &["--tags", "@a and and"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let (_d, out) = run_on("Feature: probe\n", &["--target", "ftp://x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--target"), "{}", text(&out));
}
