//! The three defects of issue 13, each pinned across API levels and both
//! work-profile modes.
#![allow(clippy::unwrap_used)]

mod common;

use android_sim::{
    Admin, Agent, AgentCommand, CommandOutcome, CredentialHolder, Device, Entry, Ownership, Passcode, Refusal,
    ResetFlags, RunState, TokenState, Verification,
};
use common::*;

const WORK_MODES: [Ownership; 2] = [Ownership::WorkProfilePersonal, Ownership::WorkProfileCompanyOwned];

/// A work-profile device after a restart: the device user has a passcode,
/// the profile shares it, neither has been unlocked since boot.
fn restarted(profile: std::sync::Arc<android_sim::DeviceProfile>, mode: Ownership, device: &Passcode) -> Device {
    let mut d = device_with(profile, mode, device);
    d.reboot();
    d
}

#[test]
fn verifying_the_device_credential_brings_up_a_unified_work_profile_as_the_lock_screen_does() {
    let device = Passcode::new("246813");
    let mut checked = 0;
    for mode in WORK_MODES {
        for profile in conforming(mode).into_iter().filter(|p| p.encryption == android_sim::Encryption::FileBased) {
            let label = format!("{} {mode}", profile.name);
            let mut by_keyguard = restarted(profile.clone(), mode, &device);
            let mut by_verify = restarted(profile.clone(), mode, &device);
            assert_eq!(by_verify.run_state(CredentialHolder::WorkProfile), Some(RunState::RunningLocked), "{label}");

            assert_eq!(by_keyguard.enter_passcode(CredentialHolder::DeviceUser, &device, T0), Entry::Unlocked);
            assert_eq!(by_verify.verify_credential(CredentialHolder::DeviceUser, &device, T0), Verification::Verified);
            for holder in [CredentialHolder::DeviceUser, CredentialHolder::WorkProfile] {
                assert_eq!(by_verify.run_state(holder), Some(RunState::RunningUnlocked), "{label} {holder:?}");
                assert_eq!(by_verify.run_state(holder), by_keyguard.run_state(holder), "{label} {holder:?}");
                assert_eq!(by_verify.token_state(holder), by_keyguard.token_state(holder), "{label} {holder:?}");
            }
            // Verifying leaves the lock screen up; entering it does not.
            assert!(by_verify.is_locked(CredentialHolder::DeviceUser), "{label}");
            assert!(!by_keyguard.is_locked(CredentialHolder::DeviceUser), "{label}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} profiles checked");
}

#[test]
fn a_token_reset_of_a_still_locked_work_profile_puts_up_its_own_challenge() {
    let device = Passcode::new("246813");
    let work = Passcode::new("k7m2x9q4");
    let mut checked = 0;
    for mode in WORK_MODES {
        for profile in conforming(mode)
            .into_iter()
            .filter(|p| p.api_level >= 26 && p.encryption == android_sim::Encryption::FileBased)
        {
            for require_entry in [false, true] {
                let label = format!("{} {mode} require_entry={require_entry}", profile.name);
                let mut d = device_with(profile.clone(), mode, &device);
                // The first unlock activates the profile's token; then a restart.
                assert_eq!(unlock(&mut d, &device), Entry::Unlocked, "{label}");
                assert_eq!(d.token_state(CredentialHolder::WorkProfile), TokenState::Active, "{label}");
                d.reboot();
                let reset = AgentCommand::ResetPassword {
                    new_password: Some(work.clone()),
                    flags: ResetFlags { require_entry, ..Default::default() },
                };
                assert_eq!(Agent::on(&mut d).apply(&reset, T0), CommandOutcome::Done, "{label}");
                assert!(d.separate_work_challenge(), "{label}");
                assert!(d.is_locked(CredentialHolder::WorkProfile), "{label}: the work challenge is up");
                assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &device, T0), Entry::Unlocked, "{label}");
                assert!(d.is_locked(CredentialHolder::WorkProfile), "{label}: still locked after the device unlock");
                assert_eq!(d.run_state(CredentialHolder::WorkProfile), Some(RunState::RunningLocked), "{label}");
                assert_eq!(d.enter_passcode(CredentialHolder::WorkProfile, &work, T0), Entry::Unlocked, "{label}");
                assert_eq!(d.run_state(CredentialHolder::WorkProfile), Some(RunState::RunningUnlocked), "{label}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "only {checked} cases checked");
}

#[test]
fn a_device_admin_clearing_an_existing_passcode_is_refused_for_the_empty_password() {
    let device = Passcode::new("246813");
    // (ownership, caller): the agent as a legacy admin, and another admin
    // app on both work-profile modes.
    let callers = [
        (Ownership::LegacyDeviceAdmin, Admin::Agent),
        (Ownership::WorkProfilePersonal, Admin::OtherAdmin),
        (Ownership::WorkProfileCompanyOwned, Admin::OtherAdmin),
    ];
    let mut checked = 0;
    for (mode, admin) in callers {
        for profile in conforming(mode) {
            let api = profile.api_level;
            let mut d = device_with(profile.clone(), mode, &device);
            let got = d.reset_password(admin, None, ResetFlags::default());
            let want = match api {
                21..=23 => Ok(()),
                24..=29 => Err(Refusal::CannotClearPassword),
                _ => Err(Refusal::DeviceAdminCannotReset),
            };
            assert_eq!(got, want, "{} {mode} api {api}", profile.name);
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} cases checked");
}
