//! The negative-control table: for each defect switch of the reference MDM
//! and each non-conforming device profile, the scenarios of the suite that
//! fail, and only those. tests/negative_controls.rs holds the embedded
//! suite to it; tests/external_target.rs holds the suite against
//! `lockstep mdm serve` as an external target to it.
//!
//! When a scenario is added that exercises one of these behaviours, add it
//! to its row: both tests then fail until the table says what the suite does.

#![allow(dead_code)] // each test crate uses what it needs

/// How the stack is broken for one run.
pub(crate) enum Break {
    Defect(&'static str),
    Swap(&'static str),
}

/// The rows of the `@matrix-fully-managed` and `@matrix-dedicated` reset
/// outlines (tests/matrix_outlines.rs holds them to fixtures/devices).
pub(crate) const RESET_MATRIX: [&str; 13] = [
    "motorola-nexus-6",
    "lge-nexus-5x",
    "google-pixel-c",
    "samsung-galaxy-s7",
    "google-pixel",
    "google-pixel-3",
    "google-pixel-4",
    "nokia-7-plus",
    "google-pixel-5",
    "samsung-galaxy-s22",
    "google-pixel-7",
    "google-pixel-8",
    "google-pixel-9",
];

pub(crate) fn table() -> Vec<(Break, Vec<String>)> {
    let resets: Vec<String> = RESET_MATRIX
        .iter()
        .flat_map(|p| [format!("Reset on a fully managed {p}"), format!("Reset on a dedicated {p}")])
        .collect();
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
                "Reset on a dedicated google-pixel-8",
                "The lock screen of google-pixel-8 auto-confirms a new 8-digit passcode after a 6-digit one",
                "The lock screen of google-pixel-8 auto-confirms a new 8-digit passcode after a 10-digit one",
            ]),
        ),
        (Break::Swap("google-pixel-4=acme-a10-no-direct-boot-reset"), s(&["Reset in Direct Boot on google-pixel-4"])),
        (
            Break::Swap("google-pixel-8=acme-a14-no-lockout"),
            s(&["Five wrong passcodes lock google-pixel-8 out for 30 seconds, against the right one too"]),
        ),
        (
            Break::Swap("google-pixel-7=acme-a13-lock-screen-off-only"),
            s(&[
                "Locking a fully managed google-pixel-7",
                "Reset on a fully managed google-pixel-7",
                "Reset on a dedicated google-pixel-7",
            ]),
        ),
        // issue 13: the quirks as profile fields, and their controls.
        (
            Break::Swap("google-pixel-5=acme-a11-escrow-disabled"),
            s(&[
                "Reset in Direct Boot on google-pixel-5",
                "A reset token set while a passcode exists becomes active at the first unlock on google-pixel-5",
                "An active reset token outlives the passcode removed in Settings on google-pixel-5",
                "Reset on a fully managed google-pixel-5",
                "Reset on a dedicated google-pixel-5",
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
                "Reset on a dedicated samsung-galaxy-s22",
                "A dedicated device is locked after the reset too",
                "New work passcode on a work-profile-company-owned samsung-galaxy-s22",
            ]),
        ),
        (
            Break::Swap("google-pixel-3=acme-a9-short-pin-pad"),
            s(&[
                "Reset in Direct Boot on google-pixel-3",
                "Reset on a fully managed google-pixel-3",
                "Reset on a dedicated google-pixel-3",
                // Enrolled with an 8-digit passcode, which its 6-digit PIN pad cannot take.
                "Settings on google-pixel-3 refuses a passcode shorter than the policy the MDM sent",
            ]),
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
                "Settings on google-pixel-7 refuses a passcode shorter than the policy the MDM sent",
                "A passcode set before the policy counts as not sufficient on google-pixel-7 until it is replaced",
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
            s(&[
                "A reset answered \"too many requests\" is retried and reaches the device once",
                "A streak of 429 longer than one round of retries still ends in one reset",
            ]),
        ),
        (
            Break::Defect("passcode-visible-to-helpdesk"),
            s(&[
                "Only site administrators see the latest reset passcode",
                "The device page shows each role what it may see",
            ]),
        ),
        (Break::Defect("no-mail-to-user"), s(&["The passcode goes to the device user too when asked"])),
        // Only an MDM that crashes shows it: its failing scenario is the
        // @docker one, run against the container in tests/docker_target.rs;
        // in the embedded suite it must break nothing.
        (
            Break::Defect("numeric-complex-as-numeric"),
            s(&["A numeric-complex policy refuses repeated and ordered digits, and only those"]),
        ),
        (Break::Defect("digits-only-sequences"), s(&["Under a complexity policy a repeated letter is a sequence too, and the policy's own length does not count"])),
        (
            Break::Defect("letter-enough-for-alphanumeric"),
            s(&["An alphanumeric policy wants a digit as well as a letter"]),
        ),
        (Break::Defect("alphabetic-as-numeric"), s(&["An alphabetic policy wants a letter"])),
        (Break::Defect("ignores-complex-minima"), s(&["A complex policy lists each minimum it sets, and checks each"])),
        (
            Break::Defect("portal-shows-console-resets"),
            s(&["The portal shows the user's own latest reset, not an administrator's"]),
        ),
        (Break::Defect("reissues-after-restart"), s(&[])),
        (
            Break::Defect("ignores-work-profile-policy"),
            s(&[
                "Without a policy the new passcode need only meet Android's minimum on google-pixel-7",
                "Without a policy the new passcode need only meet Android's minimum on google-pixel-8",
                "With a policy each requirement shows whether it is met",
                "With a policy a new passcode is required",
                // The reset dialog's reading of each policy quality (it lists no rules at all).
                "A numeric-complex policy refuses repeated and ordered digits, and only those",
                "Under a complexity policy a repeated letter is a sequence too, and the policy's own length does not count",
                "An alphanumeric policy wants a digit as well as a letter",
                "An alphabetic policy wants a letter",
                "A complex policy lists each minimum it sets, and checks each",
            ]),
        ),
        // issue 14: the fault paths of the action pipeline.
        (
            Break::Defect("no-retry-after-5xx"),
            s(&[
                "A server error before the command was taken is retried",
                "A command carried out whose answer was lost is not sent again",
                "A reset AMAPI never accepts fails once its command would have expired, not before",
            ]),
        ),
        (
            Break::Defect("reissues-after-lost-answer"),
            s(&["A command carried out whose answer was lost is not sent again"]),
        ),
        (
            Break::Defect("retries-400"),
            s(&[
                "A command AMAPI refuses with 400 fails at once and is not retried",
                "The portal tells the user when the reset did not succeed",
            ]),
        ),
        (
            Break::Defect("no-expiry-handling"),
            s(&["A reset AMAPI never accepts fails once its command would have expired, not before"]),
        ),
        (
            Break::Defect("gives-up-after-one-429-round"),
            s(&["A streak of 429 longer than one round of retries still ends in one reset"]),
        ),
        (
            Break::Defect("fails-action-when-poll-fails"),
            s(&[
                "An outage until the command expires leaves the action waiting, not failed",
                "A lost notification while the operation cannot be read either",
            ]),
        ),
        (
            Break::Defect("no-portal-failure-notice"),
            s(&["The portal tells the user when the reset did not succeed"]),
        ),
        (
            Break::Defect("no-portal-success-notice"),
            s(&["The portal confirms once the user has set a new passcode"]),
        ),
        (
            Break::Defect("batch-widens-to-user-devices"),
            s(&["Reset the passcodes of devices picked from a list, and only those"]),
        ),
        // issue 10: reasons by code, and the driver-protocol behaviour never exercised before.
        (
            Break::Defect("generic-reason-code"),
            s(&[
                "Android 7.0 cannot reset before the first unlock",
                "A legacy device admin google-pixel-c on Android 7 refuses the reset, for its management mode",
                "A legacy device admin samsung-galaxy-s7 on Android 7 refuses the reset, for its management mode",
            ]),
        ),
        (Break::Defect("device-page-for-end-users"), s(&["The device page shows each role what it may see"])),
        (Break::Defect("security-on-every-device-page"), s(&["The device page shows each role what it may see"])),
        (Break::Defect("helpdesk-may-act"), s(&["A helpdesk user may not reset or lock"])),
        (
            Break::Defect("passcode-before-completion"),
            s(&["The new passcode is not shown until the device has taken it"]),
        ),
        (Break::Defect("cancel-only-locally"), s(&["A reset cancelled before the device takes it never reaches it"])),
        (Break::Defect("sign-out-keeps-session"), s(&["Signing out ends the session"])),
        (Break::Defect("action-filters-ignored"), s(&["The action log and the device list filter as asked"])),
        (Break::Defect("device-filter-ignored"), s(&["The action log and the device list filter as asked"])),
        (
            Break::Defect("sessions-never-expire"),
            s(&["A session ends when it outlives the MDM's session lifetime"]),
        ),
    ]
}
