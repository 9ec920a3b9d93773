//! The embedded suite at ten times its size, timed: `cargo bench --bench suite`.
//!
//! The suite has some 180 scenarios; this makes a selection of more than
//! 1,000 by copying `features/` into a scratch directory as many times as it
//! takes (`--copies N`, default 6), then runs `lockstep run` on it twice, side
//! by side: at the default concurrency and with `--concurrency 1`. Every copy
//! is a scenario of its own with its own stack, as in any run; nothing is
//! shared between them. It prints, for each run, the scenarios that ran, the
//! wall time of the whole command and the runner's own clock, scenarios per
//! second and the cost of one scenario (wall time over scenarios).
//!
//! It fails when a scenario fails (a fast wrong answer is worth nothing); it
//! never fails on a time. Further arguments: `--copies N`, `--seed N`,
//! `--only default|serial`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Timed {
    label: &'static str,
    ran: usize,
    passed: usize,
    skipped: usize,
    wall: Duration,
    runner: Duration,
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn run(label: &'static str, suite: &Path, reports: &Path, seed: u64, extra: &[&str]) -> Result<Timed, String> {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["run", "--no-progress", "--seed", &seed.to_string(), "--report-dir"])
        .arg(reports)
        .args(extra)
        .arg(suite)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot start lockstep: {e}"))?;
    let wall = started.elapsed();
    let text = std::fs::read_to_string(reports.join(lockstep::report::run_json::FILE))
        .map_err(|e| format!("{label}: no run.json in {}: {e}", reports.display()))?;
    let record = lockstep::report::run_json::parse(&text).map_err(|e| format!("{label}: {e}"))?;
    if !status.success() || record.failed() > 0 {
        return Err(format!(
            "{label}: {} scenario(s) failed (exit {status}); see {}",
            record.failed(),
            reports.display()
        ));
    }
    let (passed, skipped) = (record.passed(), record.skipped());
    Ok(Timed { label, ran: passed + record.failed(), passed, skipped, wall, runner: record.duration })
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut copies, mut seed, mut only) = (6usize, 5u64, None::<String>);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--copies" => copies = args.next().and_then(|n| n.parse().ok()).ok_or("--copies takes a number")?,
            "--seed" => seed = args.next().and_then(|n| n.parse().ok()).ok_or("--seed takes a number")?,
            "--only" => only = args.next(),
            // `cargo bench` passes --bench; libtest's other flags mean nothing here.
            _ => {}
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = root.join("target").join("bench-suite");
    let _ = std::fs::remove_dir_all(&scratch);
    let suite = scratch.join("features");
    for i in 1..=copies {
        copy_tree(&root.join("features"), &suite.join(format!("copy-{i:02}")))
            .map_err(|e| format!("cannot copy features/: {e}"))?;
    }
    let mut results = Vec::new();
    if only.as_deref() != Some("serial") {
        results.push(run("default concurrency", &suite, &scratch.join("reports-default"), seed, &[])?);
    }
    if only.as_deref() != Some("default") {
        results.push(run("--concurrency 1", &suite, &scratch.join("reports-serial"), seed, &["--concurrency", "1"])?);
    }
    println!("{copies} copies of features/ ({} scenarios skipped on the embedded target)", results[0].skipped);
    for t in &results {
        let per = t.wall.as_secs_f64() / t.ran.max(1) as f64;
        println!(
            "{:<20} {:>5} scenarios passed in {:>6.2} s wall ({:>6.2} s on the runner's clock): {:>7.1} scenarios/s, {:>6.2} ms a scenario",
            t.label,
            t.passed,
            t.wall.as_secs_f64(),
            t.runner.as_secs_f64(),
            t.ran as f64 / t.wall.as_secs_f64(),
            per * 1000.0
        );
    }
    Ok(())
}
