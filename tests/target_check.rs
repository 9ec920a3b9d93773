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

/// `lockstep mdm serve` with `defects`, and the `--amapi-listen` address
/// the check must serve its mock at for that MDM.
fn serve_with_amapi(defects: &[&str]) -> (support::process::Server, String) {
    let (addr, amapi, smtp) = (support::ports::free_addr(), support::ports::free_addr(), support::ports::free_addr());
    let mut extra = Vec::new();
    for d in defects {
        extra.extend(["--defect", d]);
    }
    (support::process::mdm_serve(addr, amapi, smtp, &extra), amapi.to_string())
}

/// The lines of `text` that say FAIL.
fn fails(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("FAIL")).map(str::trim).collect()
}

#[test]
fn with_devices_the_reference_mdm_passes_the_role_and_multi_page_checks() {
    let (mdm, amapi) = serve_with_amapi(&[]);
    let (code, text) = check(&mdm.url, &["--amapi-listen", &amapi]);
    assert_eq!(code, Some(0), "{text}");
    for what in [
        "ok    enrollment: 3 devices for one end user",
        "ok    role rules: a site administrator's device page carries `security`",
        "ok    role rules: an administrator's device page has no `security`",
        "ok    role rules: a helpdesk user's device page has no `security`",
        "ok    role rules: a helpdesk user asking for GET /devices/{id}/security is refused with 403 FORBIDDEN",
        "ok    role rules: an end user asking for the console's page of their own device is refused with 403 FORBIDDEN",
        "ok    pagination: GET /devices?user_email=<one user's 3 devices>&page_size=1: 3 pages, each of the 3 entries once",
        "ok    pagination: GET /devices?user_email=<one user's 3 devices>&page_size=2: 2 pages, each of the 3 entries once",
        "ok    pagination: GET /actions?device_id=<a device with 2 actions>&page_size=1: 2 pages, each of the 2 entries once",
    ] {
        assert!(text.contains(what), "{what}:\n{text}");
    }
    // Without --amapi-listen these are named as not checked, never passed silently.
    let (code, text) = check(&mdm.url, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("(not checked: pass --amapi-listen ADDR"), "{text}");
    assert!(!text.contains("pagination: GET /devices?user_email=<one user's"), "{text}");
}

/// Each role rule of the device page, broken on its own by a defect switch
/// of the reference MDM, fails its check and only that, with the fix.
#[test]
fn each_broken_device_page_role_rule_fails_its_check() {
    for (defect, expected, fix) in [
        (
            "security-on-every-device-page",
            &[
                "FAIL  role rules: an administrator's device page: it carries `security` (the latest reset passcode)",
                "FAIL  role rules: a helpdesk user's device page: it carries `security` (the latest reset passcode)",
            ][..],
            "fix: leave the `security` key out of the device page for every role but site administrators",
        ),
        (
            "passcode-visible-to-helpdesk",
            &[
                "FAIL  role rules: a helpdesk user's device page: it carries `security` (the latest reset passcode)",
                "FAIL  role rules: a helpdesk user asking for GET /devices/{id}/security: it was allowed",
            ][..],
            "fix: refuse the latest reset passcode to every role but site administrators with 403 FORBIDDEN",
        ),
        (
            "device-page-for-end-users",
            &["FAIL  role rules: an end user asking for the console's page of their own device: it was allowed"][..],
            "fix: refuse end users the console's device page (403 FORBIDDEN)",
        ),
    ] {
        let (mdm, amapi) = serve_with_amapi(&[defect]);
        let (code, text) = check(&mdm.url, &["--amapi-listen", &amapi]);
        assert_eq!(code, Some(1), "{defect}:\n{text}");
        assert_eq!(fails(&text), expected, "{defect}:\n{text}");
        assert!(text.contains(fix), "{defect}:\n{text}");
    }
}

/// A shim with a pagination mistake (tests/fixtures/shims/broken_paging_shim.py,
/// the example shim with one change) in front of a conformant MDM fails the
/// multi-page checks, naming what it listed twice or never; the example
/// shim itself, the control, passes them.
#[test]
fn a_shim_that_breaks_pagination_fails_the_multi_page_checks() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Each shim in front of an MDM of its own: each check serves a mock of
    // its own, and one mock per MDM keeps this test about the shims.
    let shim = |script: &str, extra: &[&str]| {
        let (mdm, amapi) = serve_with_amapi(&[]);
        let listen = support::ports::free_addr();
        let mut python = Command::new(support::process::python());
        python.arg(root.join(script)).args(["--listen", &listen.to_string(), "--mdm", &mdm.url]).args(extra);
        (support::process::Server::start(python, format!("http://{listen}"), "/lockstep/v1/about"), mdm, amapi)
    };
    let (example, _mdm, amapi) = shim("docs/examples/driver_shim.py", &[]);
    let (code, text) = check(&example.url, &["--amapi-listen", &amapi]);
    assert_eq!(code, Some(0), "the example shim:\n{text}");
    assert!(text.contains("page_size=1: 3 pages, each of the 3 entries once"), "{text}");
    drop((example, _mdm));

    let (broken, _mdm, amapi) = shim("tests/fixtures/shims/broken_paging_shim.py", &["--mistake", "drops-page-token"]);
    let (code, text) = check(&broken.url, &["--amapi-listen", &amapi]);
    assert_eq!(code, Some(1), "{text}");
    let fails = fails(&text);
    // Its other failures are the foreign-token checks: the token never reaches the MDM.
    assert!(!fails.is_empty() && fails.iter().all(|l| l.starts_with("FAIL  pagination: ")), "{text}");
    assert!(
        text.contains("FAIL  pagination: GET /devices?user_email=<one user's 3 devices>&page_size=1: page 2 gave a next_page_token an earlier page gave"),
        "{text}"
    );
    assert!(text.contains("fix: give `next_page_token` on every page but the last"), "{text}");
    drop((broken, _mdm));

    let (broken, _mdm, amapi) = shim("tests/fixtures/shims/broken_paging_shim.py", &["--mistake", "repeats-last"]);
    let (code, text) = check(&broken.url, &["--amapi-listen", &amapi]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("  FAIL  pagination: GET /devices?user_email=<one user's 3 devices>&page_size=1: following next_page_token over 3 pages listed ")
            && l.contains("more than once; never listed ")),
        "{text}"
    );
}
