//! `lockstep devices`: the listing, its filters, its JSON, and its errors on
//! malformed profiles.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output};

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("lockstep runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_listing_snapshot() {
    let out = lockstep(&["devices", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!("devices_json", stdout(&out));
}

#[test]
fn filters_by_api_level_and_ownership() {
    let out = lockstep(&["devices", "--json", "--api", "34"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["acme-a14-no-lockout", "acme-a14-stale-keyguard", "google-pixel-8"]);

    let out = lockstep(&["devices", "--json", "--api", "35"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let slots = v.as_array().unwrap().iter().find(|d| d["name"] == "acme-a15-weaver-slots").unwrap();
    assert_eq!(slots["quirks"], serde_json::json!(["escrow-token-slots=4"]));

    let out = lockstep(&["devices", "--json", "--ownership", "work-profile-company-owned"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v.as_array().unwrap().iter().all(|d| d["api_level"].as_u64().unwrap() >= 26));
    assert!(!v.as_array().unwrap().is_empty());
}

#[test]
fn the_table_names_every_profile_and_its_quirks() {
    let out = lockstep(&["devices"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("google-pixel-8"), "{text}");
    assert!(text.contains("pin-length-refresh-on-restart (negative control of google-pixel-8"), "{text}");
    assert!(text.contains("max-pin-length=6 (negative control of google-pixel-3; breaks PLAT-5 MIR-9)"), "{text}");
    assert!(text.contains("escrow-disabled (negative control of google-pixel-5"), "{text}");
}

#[test]
fn bad_ownership_is_a_usage_error() {
    let out = lockstep(&["devices", "--ownership", "kiosk"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected one of: fully-managed"), "{}", stderr(&out));
}

fn with_profile(name: &str, text: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("devices")).unwrap();
    std::fs::write(dir.path().join("devices").join(name), text).unwrap();
    let out = lockstep(&["devices", "--fixtures", dir.path().to_str().unwrap()]);
    (dir, out)
}

#[test]
fn a_malformed_profile_names_file_line_and_field() {
    let good =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devices/google-pixel-8.toml"))
            .unwrap();

    let (_d, out) = with_profile("bad-api.toml", &good.replace("api_level = 34", "api_level = 99"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad-api.toml:5: field `api_level`: 99 is not an API level"), "{err}");

    let (_d, out) = with_profile("typo.toml", &good.replace("encryption =", "encrypton ="));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("typo.toml:8") && err.contains("unknown field `encrypton`"), "{err}");

    let (_d, out) = with_profile("broken.toml", "manufacturer = \"Acme\"\nmodel = ");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.toml:2"), "{}", stderr(&out));

    let orphan = format!(
        "{}\n[conformance]\nnegative_control_of = \"nowhere\"\nbreaks = [\"PLAT-6\"]\n",
        good.replace("\"immediate\"", "\"on-restart\"")
    );
    let (_d, out) = with_profile("orphan.toml", &orphan);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("field `conformance.negative_control_of`") && err.contains("`nowhere`"), "{err}");
}
