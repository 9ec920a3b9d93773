//! The shipped device matrix: every profile parses, the matrix covers the
//! API levels Lockstep promises, and each negative control differs from its
//! conforming twin exactly where it should, in its file and in behaviour.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use android_sim::{Agent, AgentCommand, CredentialHolder, DeviceProfile, Entry, Ownership, ResetFlags};
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn all() -> Vec<DeviceProfile> {
    DeviceProfile::load_dir(&fixtures_dir()).expect("every shipped profile is valid")
}

#[test]
fn matrix_covers_the_promised_api_levels() {
    let levels: BTreeSet<u8> = all().iter().filter(|p| !p.is_negative_control()).map(|p| p.api_level).collect();
    for api in [21, 23, 24, 26, 28, 29, 30, 31, 33, 34, 35] {
        assert!(levels.contains(&api), "no conforming profile for API {api}");
    }
    for mode in Ownership::ALL {
        assert!(all().iter().any(|p| p.supports(mode)), "no profile supports {mode}");
    }
}

/// Flatten a TOML document into `dotted.key -> value` pairs.
fn flat(path: &str) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&key, v, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let text = std::fs::read_to_string(fixtures_dir().join(format!("{path}.toml"))).unwrap();
    let mut out = BTreeMap::new();
    walk("", &text.parse::<toml::Table>().unwrap().into(), &mut out);
    out
}

/// Each negative control and the one setting that breaks it.
const NEGATIVE_CONTROLS: [(&str, &str); 11] = [
    ("acme-a14-stale-keyguard", "keyguard.pin_length_refresh"),
    ("acme-a10-no-direct-boot-reset", "quirks.refuses_direct_boot_reset"),
    ("acme-a13-lock-screen-off-only", "quirks.lock_turns_screen_off_only"),
    ("acme-a11-escrow-disabled", "quirks.escrow_disabled"),
    ("acme-a12-reset-without-effect", "quirks.reset_succeeds_without_effect"),
    ("acme-a9-short-pin-pad", "quirks.max_pin_length"),
    ("acme-a15-weaver-slots", "quirks.escrow_token_slots"),
    ("acme-a15-evict-ignored", "quirks.ignores_evict_flag"),
    ("acme-a13-ignores-policy", "quirks.ignores_password_policy"),
    ("acme-a10-answers-while-locked", "quirks.answers_while_locked"),
    ("acme-a14-no-lockout", "quirks.no_lockout"),
];

#[test]
fn negative_controls_differ_from_their_twin_only_in_their_quirk() {
    let shipped: BTreeSet<String> = all().into_iter().filter(|p| p.is_negative_control()).map(|p| p.name).collect();
    let listed: BTreeSet<String> = NEGATIVE_CONTROLS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(shipped, listed, "every negative control is listed here with its quirk");
    let identity = ["manufacturer", "brand", "model"];
    for (name, quirk) in NEGATIVE_CONTROLS {
        let broken = fixture(name);
        let twin = broken.conformance.negative_control_of.clone().unwrap();
        let (a, b) = (flat(name), flat(&twin));
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let differing: BTreeSet<&str> = keys
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(String::as_str)
            .filter(|k| !identity.contains(k) && !k.starts_with("conformance."))
            .collect();
        assert_eq!(differing, BTreeSet::from([quirk]), "{name} vs {twin}");
    }
}

/// Three device-side checks, the way the suite makes them.
fn keyguard_takes_a_new_length(p: &Arc<DeviceProfile>) -> bool {
    let mut d = in_use(p.clone(), Ownership::FullyManaged, Some("135790"));
    reset(&mut d, "86420864", ResetFlags::default());
    d.press_power();
    d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0) == Entry::Unlocked
}

fn resets_in_direct_boot(p: &Arc<DeviceProfile>) -> bool {
    let mut d = in_use(p.clone(), Ownership::FullyManaged, Some("135790"));
    d.reboot();
    code(&reset(&mut d, "86420864", ResetFlags::default())) == "DONE"
}

fn lock_engages_keyguard(p: &Arc<DeviceProfile>) -> bool {
    let mut d = in_use(p.clone(), Ownership::FullyManaged, Some("135790"));
    Agent::on(&mut d).apply(&AgentCommand::Lock, T0);
    d.is_locked(CredentialHolder::DeviceUser)
}

#[test]
fn each_negative_control_fails_exactly_its_own_check() {
    type Check = fn(&Arc<DeviceProfile>) -> bool;
    let checks: [(&str, Check); 3] = [
        ("acme-a14-stale-keyguard", keyguard_takes_a_new_length),
        ("acme-a10-no-direct-boot-reset", resets_in_direct_boot),
        ("acme-a13-lock-screen-off-only", lock_engages_keyguard),
    ];
    // The quirks added with issue 13 are checked against their twins in
    // tests/quirks.rs; these three checks are the device-side scenarios'.
    for (name, _) in checks {
        let broken = fixture(name);
        let twin = fixture(broken.conformance.negative_control_of.as_deref().unwrap());
        for (owner, check) in checks {
            assert!(check(&twin), "twin of {name} fails the check meant for {owner}");
            assert_eq!(check(&broken), owner != name, "{name} on the check meant for {owner}");
        }
    }
}
