//! `lockstep run` and `lockstep list` as a CI gate sees them: every bad input
//! exits 2 naming the known values (or the file, line and column) before any
//! scenario runs; nothing selected exits 4; `PATH:LINE` and rerun files
//! select exactly what they name; shards split the selection into disjoint
//! parts; SIGINT leaves complete reports marked interrupted and exits 130;
//! off a terminal each scenario is a line as it ends.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSING: &str = "Feature: probe\n  Scenario: people\n    Given Alice is a site administrator\n";

fn lockstep(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep")).args(args).current_dir(dir).env("NO_COLOR", "1").output().unwrap()
}

/// A scratch directory with the feature files given, run from inside it so
/// paths print relative; fixtures come from the checkout.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn fixtures() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").display().to_string()
}

fn run_in(dir: &Path, extra: &[&str]) -> Output {
    let fixtures = fixtures();
    let mut args = vec!["--fixtures", fixtures.as_str(), "run", "--no-progress"];
    if !extra.contains(&"--report-dir") {
        args.extend(["--report-dir", "reports"]);
    }
    args.extend_from_slice(extra);
    lockstep(dir, &args)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn an_unknown_step_fails_the_run() {
    let dir = project(&[(
        "probe.feature",
        "Feature: probe\n  Scenario: a step nobody wrote\n    Given Alice is a site administrator\n    When Alice juggles three phones\n",
    )]);
    let out = run_in(dir.path(), &["probe.feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("When Alice juggles three phones (line 4)"), "{t}");
    assert!(t.contains("no step definition matches"), "{t}");
}

#[test]
fn a_passing_probe_exits_zero_and_writes_reports() {
    let dir = project(&[("probe.feature", PASSING)]);
    let out = run_in(dir.path(), &["probe.feature", "--seed", "7"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("seed 7"));
    assert!(text(&out).contains("1 feature, 1 scenario (1 passed, 0 failed, 0 skipped)"), "{}", text(&out));
    for f in ["junit.xml", "cucumber.json", "summary.md", "rerun.txt"] {
        assert!(dir.path().join("reports").join(f).is_file(), "{f} missing");
    }
}

/// Each typo exits 2, before any scenario runs, naming what it could have been.
#[test]
fn every_flag_is_checked_against_the_known_values() {
    let dir = project(&[("probe.feature", PASSING)]);
    let cases: &[(&[&str], &[&str])] = &[
        (&["--vendor", "nosuch"], &["--vendor", "nosuch", "intune, iru, miradore"]),
        (&["--vendor", "Miradore"], &["Miradore", "miradore"]),
        (&["--mdm-defect", "nosuch"], &["nosuch", "six-digit-passcode", "no-mail-to-user"]),
        (&["--swap-profile", "google-pixel-8=nosuch"], &["substitute", "nosuch", "google-pixel-8, google-pixel-9"]),
        (&["--swap-profile", "nosuch=google-pixel-8"], &["twin", "nosuch", "acme-a14-stale-keyguard"]),
        (&["--swap-profile", "google-pixel-8"], &["TWIN=SUBSTITUTE"]),
        (&["--device", "profile:nosuch"], &["--device", "nosuch", "google-pixel-8"]),
        (&["--device", "usb:1"], &["adb:SERIAL, tcp:HOST:PORT, profile:NAME"]),
        (&["--tags", "@a and and"], &["--tags"]),
        (&["--name", "(unclosed"], &["--name"]),
        (&["--shard", "4/3"], &["--shard", "I/N"]),
        (&["--target", "ftp://x"], &["--target"]),
        (&["--concurrency", "0"], &["--concurrency"]),
        (&["nosuch.feature"], &["nosuch.feature", "no such"]),
        (&["@nosuch.txt"], &["nosuch.txt", "rerun file"]),
    ];
    for (args, wanted) in cases {
        let mut all = vec!["probe.feature"];
        all.extend_from_slice(args);
        let out = run_in(dir.path(), &all);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
        for w in *wanted {
            assert!(t.contains(w), "{args:?} should mention `{w}`: {t}");
        }
        assert!(!t.contains("PASS "), "{args:?} ran a scenario: {t}");
    }
    let out = lockstep(dir.path(), &["run", "--fixtures", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a fixtures directory"), "{}", text(&out));
}

#[test]
fn a_broken_fixture_is_named_with_file_line_and_field() {
    let fixtures = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for sub in ["devices", "vendors", "fleets"] {
        std::fs::create_dir_all(fixtures.path().join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, fixtures.path().join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(src.join("requirements.toml"), fixtures.path().join("requirements.toml")).unwrap();
    let vendor = fixtures.path().join("vendors/intune.toml");
    let broken = std::fs::read_to_string(&vendor).unwrap() + "\n[nonsense]\nfield = 1\n";
    std::fs::write(&vendor, broken).unwrap();
    let dir = project(&[("probe.feature", PASSING)]);
    let f = fixtures.path().display().to_string();
    let out = lockstep(dir.path(), &["--fixtures", &f, "run", "--no-progress", "probe.feature"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("intune.toml:"), "{}", text(&out));
}

/// Held to the Gherkin grammar: the error names the line the offending token
/// is on, and its column.
#[test]
fn gherkin_grammar_errors_name_line_and_column() {
    let cases = [
        ("Feature: probe\n  Given a step in the description\n", "probe.feature:2:3:", "outside any scenario"),
        ("Feature: probe\n  Scenaro: misspelt\n    Given Alice is a site administrator\n", "probe.feature:2:3:", "misspelt `Scenario:`"),
        (
            "Feature: probe\n  Scenario Outline: rows <a>\n    Given Alice is a site administrator\n    Examples:\n      | a | b |\n      | 1 |\n",
            "probe.feature:6:7:",
            "1 cell",
        ),
        ("Feature: probe\n  Scenario Outline: no rows <a>\n    Given Alice is a site administrator\n", "probe.feature:2:3:", "without `Examples:`"),
        ("Feature: probe\n  Scenario: s\n    Given Alice is a site administrator\n  Scenarioo broken\n", "probe.feature:4:3:", "Scenario:"),
    ];
    for (feature, at, why) in cases {
        let dir = project(&[("probe.feature", feature)]);
        let out = run_in(dir.path(), &["probe.feature"]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{feature}: {t}");
        assert!(t.contains(at), "{feature}: wanted {at} in {t}");
        assert!(t.contains(why), "{feature}: wanted `{why}` in {t}");
    }
}

#[test]
fn nothing_selected_is_exit_4_unless_allowed() {
    let dir = project(&[("probe.feature", PASSING)]);
    let out = run_in(dir.path(), &["probe.feature", "--tags", "@Firmware"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("nothing to run"), "{}", text(&out));
    assert!(text(&out).contains("--tags @Firmware left out 1"), "{}", text(&out));
    let out = run_in(dir.path(), &["probe.feature", "--tags", "@Firmware", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A file with no scenarios at all, and a selection that only skips.
    let dir = project(&[("empty.feature", "Feature: nothing here yet\n")]);
    let out = run_in(dir.path(), &["empty.feature"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
}

fn listed(dir: &Path, extra: &[&str]) -> Vec<String> {
    let fixtures = fixtures();
    let mut args = vec!["--fixtures", fixtures.as_str(), "list", "--json"];
    args.extend_from_slice(extra);
    let out = lockstep(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().iter().map(|e| e["location"].as_str().unwrap().to_owned()).collect()
}

const OUTLINE: &str = "Feature: rows\n\n  Scenario: plain\n    Given Alice is a site administrator\n\n  Scenario Outline: row <n>\n    Given <who> is a site administrator\n\n    Examples:\n      | n | who   |\n      | 1 | Alice |\n      | 2 | Bob   |\n      | 3 | Carol |\n";

#[test]
fn path_line_selects_exactly_what_failures_print() {
    let dir = project(&[("rows.feature", OUTLINE)]);
    assert_eq!(
        listed(dir.path(), &["rows.feature"]),
        ["rows.feature:3", "rows.feature:11", "rows.feature:12", "rows.feature:13"]
    );
    assert_eq!(listed(dir.path(), &["rows.feature:12"]), ["rows.feature:12"]);
    assert_eq!(listed(dir.path(), &["rows.feature:13:3"]), ["rows.feature:3", "rows.feature:13"]);
    // The outline's own line, or a step inside it: every row.
    assert_eq!(listed(dir.path(), &["rows.feature:7"]), ["rows.feature:11", "rows.feature:12", "rows.feature:13"]);
    // A line that names nothing is an error naming the lines that would.
    let out = lockstep(dir.path(), &["--fixtures", &fixtures(), "list", "rows.feature:2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("rows.feature:2: no scenario or Examples row at line 2"), "{}", text(&out));
    // And `run` runs exactly that row, printing the location it was given.
    let out = run_in(dir.path(), &["rows.feature:12"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("PASS ") && t.contains("rows.feature:12 row 2"), "{t}");
    assert!(t.contains("1 scenario (1 passed"), "{t}");
}

#[test]
fn name_filter_and_dry_run() {
    let dir = project(&[("rows.feature", OUTLINE)]);
    assert_eq!(listed(dir.path(), &["rows.feature", "--name", "^row [13]$"]), ["rows.feature:11", "rows.feature:13"]);
    let out = run_in(dir.path(), &["rows.feature", "--dry-run", "--name", "plain"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("run  rows.feature:3 plain"), "{}", text(&out));
    assert!(!dir.path().join("reports/junit.xml").exists(), "a dry run runs nothing");
}

#[test]
fn a_rerun_file_runs_the_failures_again() {
    let failing = "Feature: mixed\n  Scenario: fine\n    Given Alice is a site administrator\n  Scenario: broken\n    Given Alice juggles\n";
    let dir = project(&[("mixed.feature", failing)]);
    let out = run_in(dir.path(), &["mixed.feature"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let rerun = std::fs::read_to_string(dir.path().join("reports/rerun.txt")).unwrap();
    assert_eq!(rerun, "mixed.feature:4\n");
    std::fs::copy(dir.path().join("reports/rerun.txt"), dir.path().join("again.txt")).unwrap();
    assert_eq!(listed(dir.path(), &["@again.txt"]), ["mixed.feature:4"]);
    let out = run_in(dir.path(), &["@again.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("1 scenario (0 passed, 1 failed"), "{}", text(&out));
}

#[test]
fn shards_are_disjoint_and_whole() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let all = listed(root, &["features"]);
    assert!(all.len() > 50);
    let mut union = Vec::new();
    for i in 1..=3 {
        let part = listed(root, &["features", "--shard", &format!("{i}/3")]);
        assert!(!part.is_empty(), "shard {i}/3 is empty");
        assert!(part.iter().all(|p| !union.contains(p)), "shard {i}/3 overlaps an earlier one");
        union.extend(part);
    }
    union.sort();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(union, sorted);
    // Stable when other files change: a shard of one directory is the same
    // part of that directory whether or not other directories are selected.
    let alone = listed(root, &["features/remote_lock", "--shard", "2/3"]);
    let within = listed(root, &["features", "--shard", "2/3"]);
    let within: Vec<&String> = within.iter().filter(|l| l.starts_with("features/remote_lock/")).collect();
    assert_eq!(alone.iter().collect::<Vec<_>>(), within);
}

/// Off a terminal, one line per scenario as it ends, then the summary.
#[test]
fn the_console_off_a_terminal() {
    let feature = "Feature: console\n  Scenario: fine\n    Given Alice is a site administrator\n  Scenario: broken\n    Given Alice is a site administrator\n    When Alice juggles three phones\n";
    let dir = project(&[("console.feature", feature)]);
    let out = run_in(dir.path(), &["console.feature", "--seed", "3", "--concurrency", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+\.\d\ds", "[time]");
    settings.add_filter(r"in \d+\.\d\d s", "in [time] s");
    settings.add_filter(r"\[step defined at [^\]]*\]", "[step defined at ...]");
    settings.bind(|| insta::assert_snapshot!("console_off_tty", stdout));
}

/// SIGINT mid-run: no new scenarios, every report written and marked
/// interrupted, none of the previous run's files left, exit 130.
#[cfg(unix)]
#[test]
fn sigint_leaves_complete_interrupted_reports() {
    use std::io::{BufRead as _, BufReader};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let reports = tempfile::tempdir().unwrap();
    // A previous run's files, which must not survive beside this run's.
    std::fs::write(reports.path().join("rerun.txt"), "features/old.feature:1\n").unwrap();
    std::fs::write(reports.path().join("junit.xml"), "stale").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "--no-progress", "--concurrency", "1", "--seed", "11", "--report-dir"])
        .arg(reports.path())
        .arg("features")
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let first_pass = line.starts_with("PASS ");
        seen.push(line);
        if first_pass {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.starts_with("PASS ")), "the run printed no scenario line: {seen:?}");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let all = [seen, rest].concat().join("\n");
    assert_eq!(status.code(), Some(130), "{all}");
    assert!(all.contains("INTERRUPTED"), "{all}");
    let passes = all.lines().filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL ")).count();
    assert!(passes < 90, "the run went on after SIGINT: {passes} scenarios ended");
    let summary = std::fs::read_to_string(reports.path().join("summary.md")).unwrap();
    assert!(summary.contains("nterrupted"), "{summary}");
    assert!(summary.contains("not run: the run was interrupted"), "{summary}");
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml") && junit.trim_end().ends_with("</testsuites>"), "{junit}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.path().join("cucumber.json")).unwrap()).unwrap();
    assert!(json.is_array());
    assert_eq!(std::fs::read_to_string(reports.path().join("rerun.txt")).unwrap(), "", "the old rerun file survived");
    let leftovers: Vec<String> = std::fs::read_dir(reports.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// `--retries N` tries a failed scenario again; one that never passes is a
/// failure that says how often it was tried. Off by default.
#[test]
fn retries_try_a_failure_again() {
    // A step that fails for real (an unmatched step is never retried).
    let broken =
        "Feature: b\n  Scenario: broken\n    Given Alice is a site administrator\n    When Alice locks \"phone\"\n";
    let dir = project(&[("broken.feature", broken)]);
    let out = run_in(dir.path(), &["broken.feature", "--retries", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("(failed 3 attempts)"), "{}", text(&out));
    let out = run_in(dir.path(), &["broken.feature"]);
    assert!(!text(&out).contains("attempts"), "{}", text(&out));
}

/// Shards 1/3, 2/3 and 3/3 of a run, each its own process and report
/// directory: disjoint, together the whole run, and `report merge` of them
/// gives the totals and the exit code of one unsharded run.
#[test]
fn three_shards_merge_into_one_run() {
    let mut feature = String::from("Feature: many\n");
    for i in 1..=9 {
        feature.push_str(&format!("  Scenario: passing {i}\n    Given Alice is a site administrator\n"));
    }
    feature.push_str("  Scenario: failing\n    Given Alice is a site administrator\n    When Alice locks \"phone\"\n");
    let dir = project(&[("many.feature", &feature)]);
    let whole = run_in(dir.path(), &["many.feature", "--seed", "9", "--report-dir", "whole"]);
    assert_eq!(whole.status.code(), Some(1), "{}", text(&whole));
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let out = run_in(
            dir.path(),
            &[
                "many.feature",
                "--seed",
                "9",
                "--allow-empty",
                "--shard",
                &format!("{i}/3"),
                "--report-dir",
                &format!("shard-{i}"),
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
        let run: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(format!("shard-{i}/run.json"))).unwrap())
                .unwrap();
        let text = run.to_string();
        for n in 1..=9 {
            let name = format!("\"passing {n}\"");
            if text.contains(&name) {
                assert!(!seen.contains(&name), "{name} ran in two shards");
                seen.push(name);
            }
        }
    }
    assert_eq!(seen.len(), 9, "the shards together miss a scenario: {seen:?}");
    let fixtures = fixtures();
    let merged = lockstep(
        dir.path(),
        &["--fixtures", &fixtures, "report", "merge", "shard-1", "shard-2", "shard-3", "--into", "merged"],
    );
    assert_eq!(merged.status.code(), whole.status.code(), "{}", text(&merged));
    let totals = |d: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(d).join("run.json")).unwrap()).unwrap();
        let scenarios = v["scenarios"].as_array().unwrap().clone();
        let status = |s: &str| scenarios.iter().filter(|x| x["outcome"]["status"] == s).count();
        (scenarios.len(), status("passed"), status("failed"), status("skipped"))
    };
    assert_eq!(totals("merged"), totals("whole"));
    assert_eq!(totals("whole"), (10, 9, 1, 0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("merged/rerun.txt")).unwrap(),
        std::fs::read_to_string(dir.path().join("whole/rerun.txt")).unwrap()
    );
}

/// Colour only where it is wanted: CLICOLOR_FORCE turns it on off a
/// terminal, NO_COLOR turns it off even then.
#[test]
fn colour_follows_clicolor_and_no_color() {
    let dir = project(&[("probe.feature", PASSING)]);
    let fixtures = fixtures();
    let args = ["--fixtures", fixtures.as_str(), "run", "--no-progress", "--report-dir", "reports", "probe.feature"];
    let run = |env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lockstep"));
        cmd.args(args).current_dir(dir.path()).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\u{1b}[32mPASS\u{1b}[0m"), "{forced:?}");
    assert!(!run(&[]).contains('\u{1b}'), "colour off a terminal");
    assert!(!run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'), "NO_COLOR wins");
}

/// Every scenario's stack runs inside a tracing span named after it, so
/// what the MDM and the mock log is tied to one scenario in lockstep.log,
/// and the MDM's action ids differ between scenarios.
#[test]
fn the_log_ties_each_line_to_its_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "--no-progress", "--seed", "4", "--report-dir"])
        .arg(reports.path())
        .args(["features/remote_lock/remote_lock.feature:21:27"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let log = std::fs::read_to_string(reports.path().join("lockstep.log")).unwrap();
    let mdm: Vec<&str> = log.lines().filter(|l| l.contains("reference_mdm")).collect();
    assert!(!mdm.is_empty(), "the MDM logged nothing: {log}");
    for at in ["remote_lock.feature:21", "remote_lock.feature:27"] {
        assert!(
            mdm.iter().any(|l| l.contains(&format!("scenario{{at=features/remote_lock/{at} "))),
            "no MDM line under the span of {at}: {log}"
        );
    }
    assert!(mdm.iter().all(|l| l.contains("scenario{at=")), "an MDM line outside any scenario: {log}");
    let ids: std::collections::BTreeSet<&str> =
        log.split_whitespace().filter_map(|w| w.strip_prefix("action=")).collect();
    assert!(ids.len() >= 2, "every scenario's action ids are the same: {ids:?}");
}
