//! Each firmware quirk against its conforming twin: for every negative-
//! control profile in fixtures/devices, the behaviour its quirk names holds
//! on the twin and fails on the profile. A quirk without a check here fails
//! the test.
#![allow(clippy::unwrap_used)]

mod common;

use android_sim::{
    Admin, Agent, AgentCommand, CommandOutcome, CredentialHolder, DeviceProfile, Entry, LockFlags, Ownership,
    PasswordPolicy, PasswordQuality, PolicyScope, ResetFlags, RunState,
};
use common::*;
use std::sync::Arc;

const H: CredentialHolder = CredentialHolder::DeviceUser;
const W: CredentialHolder = CredentialHolder::WorkProfile;

fn reset_to(d: &mut android_sim::Device, new: &str) -> CommandOutcome {
    Agent::on(d).apply(&AgentCommand::ResetPassword { new_password: Some(pass(new)), flags: ResetFlags::default() }, T0)
}

/// Whether `profile` behaves as the platform does for the named quirk.
fn conforms(quirk: &str, profile: Arc<DeviceProfile>) -> bool {
    let fm = Ownership::FullyManaged;
    match quirk {
        "pin-length-refresh-on-restart" => {
            let mut d = in_use(profile, fm, Some("135802"));
            reset_to(&mut d, "80357913");
            unlock(&mut d, &pass("80357913")) == Entry::Unlocked
        }
        "refuses-direct-boot-reset" => {
            let mut d = in_use(profile, fm, Some("135802"));
            d.reboot();
            reset_to(&mut d, "80357913") == CommandOutcome::Done
        }
        "lock-turns-screen-off-only" => {
            let mut d = in_use(profile, fm, Some("135802"));
            d.lock_now(Admin::Agent);
            d.is_locked(H)
        }
        "escrow-disabled" => in_use(profile, fm, Some("135802")).token_state(H) == android_sim::TokenState::Active,
        "reset-succeeds-without-effect" => {
            let mut d = in_use(profile, fm, Some("135802"));
            reset_to(&mut d, "80357913") == CommandOutcome::Done && unlock(&mut d, &pass("80357913")) == Entry::Unlocked
        }
        "max-pin-length" => {
            let mut d = in_use(profile, fm, Some("135802"));
            reset_to(&mut d, "8035791324");
            unlock(&mut d, &pass("8035791324")) == Entry::Unlocked
        }
        "escrow-token-slots" => {
            let mut d = in_use(profile, fm, Some("135802"));
            for _ in 0..8 {
                Agent::on(&mut d).provision();
                if unlock(&mut d, &pass("135802")) != Entry::Unlocked {
                    return false;
                }
            }
            true
        }
        "ignores-password-policy" => {
            let mut d = in_use(profile, fm, Some("135802"));
            d.assign_password_policies(vec![PasswordPolicy {
                quality: PasswordQuality::Alphanumeric,
                minimum_length: 8,
                scope: PolicyScope::ScopeDevice,
                ..Default::default()
            }]);
            d.is_active_password_sufficient(H) == Ok(false) && reset_to(&mut d, "80357913") != CommandOutcome::Done
        }
        "ignores-evict-flag" => {
            let mut d = in_use(profile, Ownership::WorkProfilePersonal, Some("135802"));
            d.lock_now_with(Admin::Agent, LockFlags { evict_credential_key: true }).unwrap();
            d.run_state(W) == Some(RunState::RunningLocked)
        }
        "answers-while-locked" => {
            let mut d = in_use(profile, fm, Some("135802"));
            d.reboot();
            d.is_active_password_sufficient(H).is_err()
        }
        "no-lockout" => {
            let mut d = in_use(profile, fm, Some("135802"));
            for _ in 0..5 {
                unlock(&mut d, &pass("970531"));
            }
            matches!(unlock(&mut d, &pass("135802")), Entry::LockedOut { .. })
        }
        other => panic!("quirk `{other}` has no check in tests/quirks.rs"),
    }
}

#[test]
fn every_quirk_departs_from_its_conforming_twin() {
    let all = profiles();
    let mut checked = 0;
    for nc in all.iter().filter(|p| p.is_negative_control()) {
        let twin_name = nc.conformance.negative_control_of.as_deref().unwrap();
        let twin = all.iter().find(|p| p.name == twin_name).unwrap();
        assert!(twin.quirk_names().is_empty(), "{twin_name} is conforming");
        for quirk in nc.quirk_names() {
            assert!(conforms(quirk, twin.clone()), "{twin_name} conforms on {quirk}");
            assert!(!conforms(quirk, nc.clone()), "{} departs on {quirk}", nc.name);
            checked += 1;
        }
    }
    assert!(checked >= 11, "only {checked} quirks checked");
}
