//! Negative controls: for each defect switch of the reference MDM and each
//! non-conforming device profile, the suite fails, and the scenarios that
//! fail are exactly those that check the broken behaviour. A check that
//! cannot fail is worth nothing; this table is the proof that each can.
//!
//! When a scenario is added that exercises one of these behaviours, add it
//! to its row: the test then fails until the table says what the suite does.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use lockstep::cli::RunArgs;
use lockstep::report::Outcome;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// How the stack is broken for one run.
enum Break {
    Defect(&'static str),
    Swap(&'static str),
}

const RESET_MATRIX: [&str; 11] = [
    "motorola-nexus-6",
    "lge-nexus-5x",
    "google-pixel-c",
    "google-pixel",
    "google-pixel-3",
    "google-pixel-4",
    "google-pixel-5",
    "samsung-galaxy-s22",
    "google-pixel-7",
    "google-pixel-8",
    "google-pixel-9",
];

fn table() -> Vec<(Break, Vec<String>)> {
    let resets: Vec<String> = RESET_MATRIX.iter().map(|p| format!("Reset on a fully managed {p}")).collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (
            Break::Swap("google-pixel-8=acme-a14-stale-keyguard"),
            s(&[
                "Reset from 6 to 8 digits on google-pixel-8",
                "Reset from 10 to 8 digits on google-pixel-8",
                "Reset in Direct Boot on google-pixel-8",
                "The lock screen takes a new 8-digit PIN set in Settings on google-pixel-8",
                "A reset answered \"too many requests\" is retried and reaches the device once",
                "Wrong passcodes are counted and the new one still unlocks google-pixel-8",
            ]),
        ),
        (Break::Swap("google-pixel-4=acme-a10-no-direct-boot-reset"), s(&["Reset in Direct Boot on google-pixel-4"])),
        (
            Break::Swap("google-pixel-7=acme-a13-lock-screen-off-only"),
            s(&["Locking a fully managed google-pixel-7", "Reset on a fully managed google-pixel-7"]),
        ),
        // issue 13: the quirks as profile fields, and their controls.
        (
            Break::Swap("google-pixel-5=acme-a11-escrow-disabled"),
            s(&[
                "Reset in Direct Boot on google-pixel-5",
                "A reset token set while a passcode exists becomes active at the first unlock on google-pixel-5",
                "An active reset token outlives the passcode removed in Settings on google-pixel-5",
                "Reset on a fully managed google-pixel-5",
                "Reset from the portal on a fully managed google-pixel-5",
                "New work passcode on a work-profile-personal google-pixel-5",
            ]),
        ),
        (
            Break::Swap("samsung-galaxy-s22=acme-a12-reset-without-effect"),
            s(&[
                "Reset in Direct Boot on samsung-galaxy-s22",
                "A token reset with LOCK_NOW on samsung-galaxy-s22 changes the passcode and is recorded",
                "Clearing the passcode through AMAPI on samsung-galaxy-s22",
                "A device policy of numeric-complex passcodes of at least 4 characters takes a new passcode of 6 digits on samsung-galaxy-s22",
                "A device policy of complexity-high passcodes takes a new passcode of 8 digits on samsung-galaxy-s22",
                "A device policy of complex passcodes of at least 6 characters takes a new passcode of 6 characters with a symbol and an upper-case letter on samsung-galaxy-s22",
                "Reset on a fully managed samsung-galaxy-s22",
                "A dedicated device is locked after the reset too",
                "New work passcode on a work-profile-company-owned samsung-galaxy-s22",
            ]),
        ),
        (
            Break::Swap("google-pixel-3=acme-a9-short-pin-pad"),
            s(&["Reset in Direct Boot on google-pixel-3", "Reset on a fully managed google-pixel-3"]),
        ),
        (
            Break::Swap("google-pixel-9=acme-a15-weaver-slots"),
            s(&["Renewing the reset token does not wear out the lock screen on google-pixel-9"]),
        ),
        (
            Break::Swap("google-pixel-9=acme-a15-evict-ignored"),
            s(&[
                "Locking a work-profile-personal google-pixel-9 evicts the work profile key",
                "Locking a work-profile-company-owned google-pixel-9 evicts the work profile key",
            ]),
        ),
        (
            Break::Swap("google-pixel-7=acme-a13-ignores-policy"),
            s(&[
                "The device holds its passcode to a policy set after enrollment on google-pixel-7",
                "Android 11+ refuses a minimum length the quality does not use on google-pixel-7",
                "A device policy of numeric-complex passcodes of at least 4 characters refuses a new passcode of 6 repeated digits on google-pixel-7",
                "A device policy of complexity-high passcodes refuses a new passcode of 6 digits on google-pixel-7",
                "A device policy of alphabetic passcodes of at least 6 characters refuses a new passcode of 8 digits on google-pixel-7",
                "A complex policy names the classes a new passcode needs on google-pixel-7",
            ]),
        ),
        (
            Break::Swap("google-pixel-4=acme-a10-answers-while-locked"),
            s(&["Before the first unlock google-pixel-4 will not say whether its passcode is sufficient"]),
        ),
        (Break::Defect("six-digit-passcode"), resets.clone()),
        (
            Break::Defect("no-reauth-check"),
            s(&[
                "The reset must come within five minutes of signing in again",
                "A session from before the request is not enough",
            ]),
        ),
        (
            Break::Defect("no-lock-after-reset"),
            resets
                .iter()
                .cloned()
                .chain(s(&[
                    "A dedicated device is locked after the reset too",
                    "New work passcode on a work-profile-personal google-pixel",
                    "New work passcode on a work-profile-personal google-pixel-5",
                    "New work passcode on a work-profile-personal google-pixel-9",
                    "New work passcode on a work-profile-company-owned google-pixel-4",
                    "New work passcode on a work-profile-company-owned samsung-galaxy-s22",
                ]))
                .collect(),
        ),
        (
            Break::Defect("duplicate-command-after-429"),
            s(&["A reset answered \"too many requests\" is retried and reaches the device once"]),
        ),
        (Break::Defect("passcode-visible-to-helpdesk"), s(&["Only site administrators see the latest reset passcode"])),
        (Break::Defect("no-mail-to-user"), s(&["The passcode goes to the device user too when asked"])),
        // Only an MDM that crashes shows it: its failing scenario is the
        // @docker one, run against the container in tests/docker_target.rs;
        // in the embedded suite it must break nothing.
        (Break::Defect("reissues-after-restart"), s(&[])),
        (
            Break::Defect("ignores-work-profile-policy"),
            s(&[
                "Without a policy the new passcode need only meet Android's minimum on google-pixel-7",
                "Without a policy the new passcode need only meet Android's minimum on google-pixel-8",
                "With a policy each requirement shows whether it is met",
                "With a policy a new passcode is required",
            ]),
        ),
    ]
}

#[test]
fn each_defect_fails_exactly_the_scenarios_that_check_it() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut mismatches = Vec::new();
    for (broken, expected) in table() {
        let reports = tempfile::tempdir().unwrap();
        let mut args = RunArgs {
            paths: vec![root.join("features").display().to_string()],
            seed: Some(5),
            report_dir: Some(reports.path().to_owned()),
            no_progress: true,
            ..Default::default()
        };
        let label = match broken {
            Break::Defect(d) => {
                args.mdm_defect = vec![d.parse().unwrap()];
                format!("--mdm-defect {d}")
            }
            Break::Swap(s) => {
                args.swap_profile = vec![s.to_owned()];
                format!("--swap-profile {s}")
            }
        };
        let config = lockstep::config::resolve(&args, root.join("fixtures")).unwrap();
        let result = runtime.block_on(lockstep::runner::run(config)).unwrap();
        let failed: BTreeSet<String> = result
            .record
            .scenarios
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .map(|s| s.name.clone())
            .collect();
        let expected: BTreeSet<String> = expected.into_iter().collect();
        if failed != expected {
            mismatches.push(format!(
                "{label}:\n  failed but not expected: {:?}\n  expected but passed: {:?}",
                failed.difference(&expected).collect::<Vec<_>>(),
                expected.difference(&failed).collect::<Vec<_>>()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
