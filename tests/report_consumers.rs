//! Every report, read by the tool its users feed it to: junit.xml against
//! the Jenkins xUnit plugin's JUnit schema (xmllint) and through two Python
//! JUnit readers (junitparser, xunitparser) whose counts must match
//! `tests=` with unique (classname, name) pairs; cucumber.json against the
//! cucumber-jvm dialect of the Cucumber JSON schema (Python jsonschema).
//! For an embedded passing run, a failing run (a negative control), a
//! `--target` run against an MDM the harness did not start, and a run split
//! in two and joined again with `lockstep report merge`.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCKSTEP_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = root().join(".venv/bin/python");
    assert!(
        venv.is_file(),
        "no Python for the report consumers: set LOCKSTEP_PYTHON, or run \
         `python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt` (what .ci/run does)"
    );
    venv
}

/// `lockstep ARGS`, from the repository root; returns its exit code and output.
fn lockstep(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep")).args(args).current_dir(root()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn run_into(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["run", "--no-progress", "--report-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    lockstep(&all)
}

/// What the consumers saw in `dir`, after checking it all holds.
fn consumed(dir: &Path) -> Value {
    let xsd = root().join("tests/fixtures/schemas/junit-10.xsd");
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(dir.join("junit.xml"))
        .output()
        .expect("xmllint (Debian's libxml2-utils, which .ci/run installs)");
    assert!(out.status.success(), "junit.xml is not valid: {}", String::from_utf8_lossy(&out.stderr));

    let out = Command::new(python())
        .arg(root().join("tests/consumers/check_reports.py"))
        .arg(dir)
        .arg(root().join("tests/fixtures/schemas/cucumber-jvm.json"))
        .output()
        .unwrap();
    let seen: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("the checker said: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "the consumers disagree: {}", seen["problems"]);
    seen
}

fn run_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

fn count(run: &Value, status: &str) -> u64 {
    run["scenarios"].as_array().unwrap().iter().filter(|s| s["outcome"]["status"] == status).count() as u64
}

#[test]
fn an_embedded_run_is_read_by_every_consumer() {
    let dir = tempfile::tempdir().unwrap();
    // Outlines across the device matrix, backgrounds, and @device
    // scenarios skipped by --device's absence... plus the firmware checks.
    let (code, out) = run_into(
        dir.path(),
        &["--seed", "5", "features/remote_lock", "features/reset_passcode/unsupported_devices.feature"],
    );
    assert_eq!(code, 0, "{out}");
    let seen = consumed(dir.path());
    let run = run_json(dir.path());
    let scenarios = run["scenarios"].as_array().unwrap().len() as u64;
    assert_eq!(seen["junit"]["tests"], scenarios);
    assert_eq!(seen["xunitparser"]["tests"], scenarios);
    assert_eq!(seen["cucumber"]["scenarios"], scenarios);
    assert_eq!(seen["cucumber"]["backgrounds"], scenarios, "every scenario of these files has a background");
    assert_eq!(std::fs::read_to_string(dir.path().join("rerun.txt")).unwrap(), "");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<property name=\"replay\" value=\"lockstep run --seed 5"), "{junit}");
}

#[test]
fn a_failing_run_carries_steps_evidence_and_a_rerun_list() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = run_into(
        dir.path(),
        &["--seed", "3", "--mdm-defect", "no-lock-after-reset", "features/reset_passcode/miradore_reset.feature"],
    );
    assert_eq!(code, 1, "the negative control fails: {out}");
    let seen = consumed(dir.path());
    let run = run_json(dir.path());
    let failed = count(&run, "failed");
    assert!(failed > 0);
    assert_eq!(seen["junit"]["failure"], failed);
    assert_eq!(seen["xunitparser"]["failures"], failed);
    assert!(seen["cucumber"]["steps"]["skipped"].as_u64().unwrap() > 0, "steps after a failure are present: {seen}");

    let rerun: Vec<String> =
        std::fs::read_to_string(dir.path().join("rerun.txt")).unwrap().lines().map(str::to_owned).collect();
    let failed_at: Vec<String> = run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"]["status"] == "failed")
        .map(|s| format!("{}:{}", s["file"].as_str().unwrap(), s["line"]))
        .collect();
    assert_eq!(rerun, failed_at);
    let first = run["scenarios"].as_array().unwrap().iter().find(|s| s["outcome"]["status"] == "failed").unwrap();
    let evidence = first["evidence"].as_array().unwrap();
    assert!(evidence.iter().any(|e| e.as_str().unwrap().starts_with("AMAPI #")), "{evidence:?}");
    assert!(evidence.iter().any(|e| e.as_str().unwrap().starts_with("MDM action")), "{evidence:?}");
    let title = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(title.starts_with("# Lockstep run [DEFECT no-lock-after-reset]"), "{title}");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<system-out>") && junit.contains("Evidence:"), "{junit}");
    assert!(junit.contains("[skipped] "), "the failure body lists the steps: {junit}");

    // The replay line reproduces the run: same outcomes, scenario by scenario.
    let replay_line = run["provenance"]["replay"].as_str().unwrap().to_owned();
    let again = tempfile::tempdir().unwrap();
    let words: Vec<&str> = replay_line.split(' ').skip(2).collect();
    let (code2, out2) = run_into(again.path(), &words);
    assert_eq!(code2, 1, "{out2}");
    let outcomes = |r: &Value| -> Vec<(String, String)> {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (format!("{}:{}", s["file"], s["line"]), s["outcome"]["status"].as_str().unwrap().to_owned()))
            .collect()
    };
    assert_eq!(outcomes(&run_json(again.path())), outcomes(&run));
}

#[test]
fn a_target_run_is_read_by_every_consumer() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr());
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(async {
        let mdm = reference_mdm::serve(support::external::mdm_config(amapi, smtp, "miradore")).await.unwrap();
        let args = [
            "--target".to_owned(),
            mdm.base_url.clone(),
            "--amapi-listen".to_owned(),
            amapi.to_string(),
            "--smtp-listen".to_owned(),
            smtp.to_string(),
            "features/reset_passcode".to_owned(),
        ];
        let dir_path = dir.path().to_owned();
        let (code, out) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_into(&dir_path, &args)
        })
        .await
        .unwrap();
        mdm.shutdown().await;
        assert_eq!(code, 0, "{out}");
    });
    let seen = consumed(dir.path());
    let run = run_json(dir.path());
    let skipped = count(&run, "skipped");
    assert!(skipped > 0, "other vendors' scenarios are listed as skipped");
    assert_eq!(seen["junit"]["skipped"], skipped);
    assert_eq!(seen["xunitparser"]["skipped"], skipped);
    assert!(run["provenance"]["flags"].as_array().unwrap().iter().any(|f| f[0] == "target" && f[1] != "embedded"));
}

#[test]
fn a_run_split_in_two_merges_into_what_one_run_writes() {
    let (a, b, whole, merged) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (f1, f2) = ("features/remote_lock", "features/reset_passcode/miradore_reset.feature");
    let defect = ["--seed", "9", "--mdm-defect", "no-lock-after-reset"];
    let with = |paths: &[&'static str]| defect.iter().copied().chain(paths.iter().copied()).collect::<Vec<_>>();
    assert_eq!(run_into(a.path(), &with(&[f1])).0, 0);
    assert_eq!(run_into(b.path(), &with(&[f2])).0, 1);
    assert_eq!(run_into(whole.path(), &with(&[f1, f2])).0, 1);
    let (code, out) = lockstep(&[
        "report",
        "merge",
        a.path().to_str().unwrap(),
        b.path().to_str().unwrap(),
        "--into",
        merged.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "merge exits as the whole run did: {out}");
    let (seen_merged, seen_whole) = (consumed(merged.path()), consumed(whole.path()));
    assert_eq!(seen_merged["junit"], seen_whole["junit"]);
    assert_eq!(seen_merged["cucumber"]["scenarios"], seen_whole["cucumber"]["scenarios"]);
    let sorted_lines = |d: &Path| {
        let mut l: Vec<String> =
            std::fs::read_to_string(d.join("rerun.txt")).unwrap().lines().map(str::to_owned).collect();
        l.sort();
        l
    };
    assert_eq!(sorted_lines(merged.path()), sorted_lines(whole.path()));
    for f in ["junit.xml", "cucumber.json", "summary.md", "rerun.txt", "run.json", "lockstep.log"] {
        assert!(merged.path().join(f).is_file(), "{f} missing from the merged reports");
    }
    let (code, out) =
        lockstep(&["report", "merge", a.path().to_str().unwrap(), "--into", merged.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = lockstep(&["report", "merge", "/nonexistent/shard"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("run.json"), "{out}");
}

#[test]
fn a_run_clears_the_previous_runs_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_into(
            dir.path(),
            &["--mdm-defect", "no-lock-after-reset", "features/reset_passcode/miradore_reset.feature"]
        )
        .0,
        1
    );
    assert!(!std::fs::read_to_string(dir.path().join("rerun.txt")).unwrap().is_empty());
    std::fs::write(dir.path().join("certificate.json"), "{}").unwrap();
    std::fs::write(dir.path().join("mine.txt"), "kept").unwrap();
    assert_eq!(run_into(dir.path(), &["features/remote_lock"]).0, 0);
    assert_eq!(std::fs::read_to_string(dir.path().join("rerun.txt")).unwrap(), "");
    assert!(!dir.path().join("certificate.json").exists(), "a certificate of another run is not left beside this one");
    assert!(dir.path().join("mine.txt").exists());
}

#[test]
fn a_swapped_run_says_so_and_names_the_device_that_really_ran() {
    let dir = tempfile::tempdir().unwrap();
    let swap = "google-pixel-8=acme-a14-stale-keyguard";
    let (code, out) = run_into(dir.path(), &["--swap-profile", swap, "features/firmware/device_checks.feature"]);
    assert_eq!(code, 1, "the stale keyguard fails a check: {out}");
    consumed(dir.path());
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.starts_with(&format!("# Lockstep run [SWAPPED {swap}]")), "{summary}");
    assert!(summary.contains("ran on phone: acme-a14-stale-keyguard"), "{summary}");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains(&format!("<testsuites name=\"Lockstep run [SWAPPED {swap}]\"")), "{junit}");
    assert!(junit.contains("ran on phone: acme-a14-stale-keyguard"), "{junit}");
}

#[test]
fn a_retried_scenario_is_reported_with_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let feature = dir.path().join("probe.feature");
    // cucumber-rs retries a scenario tagged @retry(N) that failed; an
    // unknown step it sees as skipped, so that one runs once.
    std::fs::write(
        &feature,
        "Feature: probe\n  @retry(1)\n  Scenario: fails on every attempt\n    Given Alice is a site administrator\n    Then \"phone\" is locked\n\n  @retry(1)\n  Scenario: an unknown step\n    When Alice juggles three phones\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let (code, out) = run_into(&reports, &[feature.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    consumed(&reports);
    let run = run_json(&reports);
    let attempts: Vec<u64> =
        run["scenarios"].as_array().unwrap().iter().map(|s| s["attempts"].as_u64().unwrap()).collect();
    assert_eq!(attempts, [2, 1], "{run}");
    assert_eq!(run["scenarios"][0]["earlier_failures"].as_array().unwrap().len(), 1);
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<rerunFailure ").count(), 1, "{junit}");
}
