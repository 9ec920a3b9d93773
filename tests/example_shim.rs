//! docs/integrating.md, run: the example shim (docs/examples/driver_shim.py,
//! Python standard library only) in front of `lockstep mdm serve`, checked
//! with `lockstep target check` and driven with `lockstep run --target`.
//! Python is `LOCKSTEP_PYTHON` (.ci/run's venv), else `python3`.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use std::path::PathBuf;
use std::process::Command;

fn lockstep(root: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn shim(root: &std::path::Path, mdm: &str) -> support::process::Server {
    let listen = support::ports::free_addr();
    let mut python = Command::new(support::process::python());
    python.arg(root.join("docs/examples/driver_shim.py")).args(["--listen", &listen.to_string(), "--mdm", mdm]);
    support::process::Server::start(python, format!("http://{listen}"), "/lockstep/v1/about")
}

#[test]
fn the_example_shim_passes_the_check_and_the_reset_suite() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (mdm_addr, amapi, smtp) =
        (support::ports::free_addr(), support::ports::free_addr(), support::ports::free_addr());
    let mdm = support::process::mdm_serve(mdm_addr, amapi, smtp, &[]);
    let shim = shim(&root, &mdm.url);

    let (code, text) = lockstep(&root, &["target", "check", &shim.url]);
    assert_eq!(code, Some(0), "{text}");

    // The mock pushes Pub/Sub straight to the MDM (--push-endpoint), as a
    // vendor's Pub/Sub push goes to its product, not to its shim.
    let reports = tempfile::tempdir().unwrap();
    let push = format!("{}/amapi/pubsub", mdm.url);
    let (code, text) = lockstep(
        &root,
        &[
            "run",
            "features/reset_passcode",
            "--no-progress",
            "--target",
            &shim.url,
            "--amapi-listen",
            &amapi.to_string(),
            "--smtp-listen",
            &smtp.to_string(),
            "--push-endpoint",
            &push,
            "--report-dir",
            &reports.path().display().to_string(),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("Pub/Sub push     {push} <- the mock POSTs")), "{text}");
    assert!(!text.contains("chosen at random"), "both addresses were given: {text}");
    let passed: usize = text
        .lines()
        .find_map(|l| l.split(" passed").next().and_then(|s| s.rsplit('(').next()).and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    assert!(passed >= 15, "{text}");
}

/// The negative control: the same shim in front of an MDM with a
/// driver-protocol defect fails the check, so the check is not a formality
/// the shim passes whatever is behind it.
#[test]
fn the_example_shim_in_front_of_a_broken_mdm_fails_the_check() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (mdm_addr, amapi, smtp) =
        (support::ports::free_addr(), support::ports::free_addr(), support::ports::free_addr());
    let mdm = support::process::mdm_serve(mdm_addr, amapi, smtp, &["--defect", "sign-out-keeps-session"]);
    let shim = shim(&root, &mdm.url);
    let (code, text) = lockstep(&root, &["target", "check", &shim.url]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  DELETE /sessions/current"), "{text}");
}
