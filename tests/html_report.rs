//! report.html in a real browser: the golden run (tests/fixtures/golden-run,
//! the report module's golden record) goes through `lockstep report merge`,
//! and headless Chromium (Debian's `chromium`, which .ci/run installs)
//! renders what it wrote. The golden is the DOM after the page's script ran
//! (`--dump-dom`), which is exact and does not depend on fonts; the
//! screenshot is checked for the picture itself: the grid's and matrix's
//! cells in their result colours, more passed than failed than skipped, as
//! the record has 4, 2 and 1 such cells.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    let c = std::env::var_os("LOCKSTEP_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "chromium".into());
    let found = Command::new(&c).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "no Chromium: install Debian's `chromium` (what .ci/run does) or set LOCKSTEP_CHROMIUM");
    c
}

fn python() -> PathBuf {
    std::env::var_os("LOCKSTEP_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        let venv = root().join(".venv/bin/python");
        assert!(venv.is_file(), "no Python: set LOCKSTEP_PYTHON or create .venv as .ci/run does");
        venv
    })
}

/// The golden run's reports, written by the command a user runs.
fn golden_reports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["report", "merge", "tests/fixtures/golden-run", "--into"])
        .arg(dir.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the golden run has a failure: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn headless(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn dom(dir: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", dir.join("report.html").display());
    let out = headless(profile.path()).arg("--dump-dom").arg(url).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_rendered_page_matches_its_golden_dom() {
    let dir = golden_reports();
    let page = dom(dir.path(), "");
    assert!(page.contains("6 of 6 scenarios shown"), "the page's script ran");
    assert!(!page.contains("http://") && !page.contains("https://"), "the page fetches nothing");
    insta::assert_snapshot!("report_dom", page);
}

#[test]
fn the_filters_hide_what_does_not_match() {
    let dir = golden_reports();
    let page = dom(dir.path(), "#vendor=miradore");
    assert!(page.contains("4 of 6 scenarios shown"), "the miradore feature's four: {page}");
    let page = dom(dir.path(), "#tag=PLAT-6");
    assert!(page.contains("1 of 6 scenarios shown"), "{page}");
    assert_eq!(page.matches("class=\"failure scenario hidden\"").count(), 1, "the failure is not PLAT-6's");
}

#[test]
fn the_screenshot_shows_the_grid_in_its_colours() {
    let dir = golden_reports();
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("report.png");
    let out = headless(profile.path())
        .args(["--window-size=1000,1300"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.path().join("report.html").display()))
        .output()
        .unwrap();
    assert!(out.status.success() && shot.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(python())
        .arg(root().join("tests/consumers/png_colours.py"))
        .arg(&shot)
        .args(["2e7d32", "c62828", "9e9e9e"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |c: &str| counts[c].as_u64().unwrap();
    let (passed, failed, skipped) = (n("2e7d32"), n("c62828"), n("9e9e9e"));
    assert!(skipped > 500, "a skipped cell is drawn: {counts}");
    assert!(failed > skipped && passed > failed, "4 passed, 2 failed, 1 skipped cells: {counts}");
}
