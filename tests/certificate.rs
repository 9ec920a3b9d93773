//! `lockstep certify`: the certificate names the device that was certified
//! in every check, says SIMULATED for a simulated one, lists a harness
//! limitation (no `locksettings` over adb before Android 8.0) as not
//! applicable rather than a firmware failure, and ships a SHA-256 manifest
//! that `sha256sum -c` accepts.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn certify(device: &str, dir: &Path) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["certify", "--device", device, "--report-dir"])
        .arg(dir)
        .current_dir(root())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let json =
        std::fs::read_to_string(dir.join("certificate.json")).unwrap_or_else(|_| panic!("no certificate: {text}"));
    (out.status.code().unwrap_or(-1), serde_json::from_str(&json).unwrap(), text)
}

fn manifest_checks(dir: &Path) {
    let out = Command::new("sha256sum").args(["-c", "SHA256SUMS"]).current_dir(dir).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    for f in ["certificate.json", "certificate.md", "junit.xml", "lockstep.log"] {
        assert!(text.contains(&format!("{f}: OK")), "{f} is in the manifest: {text}");
    }
}

#[test]
fn a_simulated_device_is_certified_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let (code, c, out) = certify("profile:samsung-galaxy-s22", dir.path());
    assert_eq!(code, 0, "{out}");
    let title = c["title"].as_str().unwrap();
    assert!(title.contains("SIMULATED"), "{title}");
    let model = c["device"]["model"].as_str().unwrap();
    let checks = c["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    for check in checks {
        let name = check["name"].as_str().unwrap();
        assert!(name.ends_with(model) && !name.contains("google-pixel-8"), "{name}");
        assert_eq!(check["result"], "pass", "{check}");
    }
    for key in ["android_version", "api_level", "build_id", "security_patch", "build_fingerprint"] {
        assert!(!c["device"][key].is_null(), "{key}");
    }
    let fingerprint = c["device"]["build_fingerprint"].as_str().unwrap();
    assert!(
        fingerprint.starts_with("samsung/samsung-galaxy-s22/") && fingerprint.ends_with(":user/release-keys"),
        "{fingerprint}"
    );
    for key in ["tool", "suite", "date", "replay"] {
        assert!(!c[key].as_str().unwrap().is_empty(), "{key}");
    }
    manifest_checks(dir.path());
}

#[test]
fn no_locksettings_before_android_8_is_not_a_firmware_failure() {
    let port = support::ports::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut sim = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["sim", "serve", "--profile", "motorola-nexus-6", "--adb", &addr])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The banner says it listens.
    let mut banner = String::new();
    let mut stdout = std::io::BufReader::new(sim.stdout.take().unwrap());
    while !banner.contains("listening") {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0, "sim serve ended: {banner}");
        banner.push_str(&line);
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, c, out) = certify(&format!("tcp:{addr}"), dir.path());
    let _ = sim.kill();
    let _ = sim.wait();
    assert_eq!(code, 4, "no check applied, none failed: {out}");
    assert_eq!(c["verdict"], "incomplete");
    assert!(!c["title"].as_str().unwrap().contains("SIMULATED"), "reached over adb, it is certified as a device");
    let fingerprint = c["device"]["build_fingerprint"].as_str().unwrap_or_default();
    assert!(fingerprint.starts_with("google/motorola-nexus-6/"), "read over adb: {fingerprint:?}");
    for check in c["checks"].as_array().unwrap() {
        assert_eq!(check["result"], "not-applicable", "{check}");
        assert!(check["reason"].as_str().unwrap().contains("harness limitation"), "{check}");
    }
    let md = std::fs::read_to_string(dir.path().join("certificate.md")).unwrap();
    assert!(!md.contains("FAIL"), "{md}");
    manifest_checks(dir.path());
}
