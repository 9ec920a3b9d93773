//! `lockstep target check URL`: a conformant MDM passes every check (exit
//! 0); the same MDM with one driver-protocol defect switched on fails, exit
//! 1, naming the check and the fix. A shim that is not there is exit 1 too,
//! and a URL that is not one is exit 2.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod support;
use std::process::Command;

fn check(url: &str, extra: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["target", "check", url])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn serve(defects: &[&str]) -> support::process::Server {
    let (addr, amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr(), support::ports::free_addr());
    let mut extra = Vec::new();
    for d in defects {
        extra.extend(["--defect", d]);
    }
    support::process::mdm_serve(addr, amapi, smtp, &extra)
}

#[test]
fn the_reference_mdm_passes_every_check() {
    let mdm = serve(&[]);
    let (code, text) = check(&mdm.url, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    for what in [
        "GET /about: vendor profile `miradore`",
        "error envelope: an unknown endpoint: 404 NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "GET /devices without a session: 401 UNAUTHENTICATED",
        "JSON array for a body: 400 INVALID_ARGUMENT",
        "role rules: a helpdesk user locking a device is refused with 403 FORBIDDEN",
        "role rules: an end user reading the console's device list is refused with 403 FORBIDDEN",
        "pagination: GET /devices with page_size=0: 400 INVALID_ARGUMENT",
        "pagination: GET /actions with a page_token the MDM never gave: 400 INVALID_ARGUMENT",
        "the ended session's token is refused with 401 UNAUTHENTICATED",
        "failed; the shim is ready",
    ] {
        assert!(text.contains(what), "{what}:\n{text}");
    }
}

#[test]
fn a_session_that_outlives_sign_out_fails_the_check_with_its_fix() {
    let mdm = serve(&["sign-out-keeps-session"]);
    let (code, text) = check(&mdm.url, &[]);
    assert_eq!(code, Some(1), "{text}");
    let fails: Vec<&str> = text.lines().filter(|l| l.contains("FAIL")).collect();
    assert_eq!(
        fails,
        ["  FAIL  DELETE /sessions/current: after sign-out the token still answers GET /sessions/current with 200"],
        "{text}"
    );
    assert!(text.contains("fix: end the session: refuse its token with 401 UNAUTHENTICATED"), "{text}");
}

#[test]
fn a_helpdesk_user_allowed_to_act_fails_the_role_rules() {
    let mdm = serve(&["helpdesk-may-act"]);
    let (code, text) = check(&mdm.url, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  role rules: a helpdesk user locking a device: refused with 404 NOT_FOUND"), "{text}");
    assert_eq!(text.matches("FAIL").count(), 1, "{text}");
}

#[test]
fn no_shim_is_exit_1_naming_the_transport_failure_and_a_bad_url_is_exit_2() {
    let nothing = support::ports::free_addr();
    let (code, text) = check(&format!("http://{nothing}"), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  GET /about: GET /about (") && text.contains("connection refused"), "{text}");
    let (code, text) = check("localhost:8080", &[]);
    assert_eq!(code, Some(2), "{text}");
}
