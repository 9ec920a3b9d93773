//! Each platform rule (PLAT-1..8) observed through the agent and the person
//! holding the phone, table-driven across API levels and ownership modes.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use android_sim::{
    platform, Admin, Agent, AgentCommand, BootState, CredentialHolder, Entry, Ownership, Refusal, ResetFlags,
    TokenState,
};
use common::*;
use Ownership::*;

const NO_FLAGS: ResetFlags =
    ResetFlags { require_entry: false, do_not_ask_credentials_on_boot: false, lock_now: false };
const LOCK_NOW: ResetFlags = ResetFlags { require_entry: false, do_not_ask_credentials_on_boot: false, lock_now: true };

fn apis() -> impl Iterator<Item = u8> {
    platform::LOWEST_API..=platform::HIGHEST_API
}

/// PLAT-1: from API 24 only an owner can change an existing passcode.
#[test]
fn plat1_who_may_change_an_existing_passcode() {
    for api in apis() {
        for mode in Ownership::ALL {
            let profile = generic(api, typical(api));
            if !profile.supports(mode) {
                continue;
            }
            let mut d = in_use(profile, mode, Some("135790"));
            let got = code(&reset(&mut d, "86420864", NO_FLAGS));
            let want = match mode {
                LegacyDeviceAdmin if api >= 24 => "MANAGEMENT_MODE",
                WorkProfilePersonal | WorkProfileCompanyOwned if api <= 23 => "MANAGEMENT_MODE",
                _ => "DONE",
            };
            assert_eq!(got, want, "api {api} {mode}");
        }
    }
}

/// PLAT-1: a legacy admin may still set a first passcode on API 24-29, not from 30.
#[test]
fn plat1_legacy_admin_without_a_passcode() {
    for api in apis() {
        let mut d = in_use(generic(api, typical(api)), LegacyDeviceAdmin, None);
        let want = if api >= 30 { "MANAGEMENT_MODE" } else { "DONE" };
        assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), want, "api {api}");
    }
}

/// PLAT-2: the token set at enrollment waits for an unlock when a passcode exists.
#[test]
fn plat2_pending_token_activates_at_unlock() {
    for api in 26..=platform::HIGHEST_API {
        for mode in [FullyManaged, Dedicated, WorkProfilePersonal, WorkProfileCompanyOwned] {
            let holder = managed_holder(mode);
            let mut d = android_sim::Device::new(generic(api, typical(api)), mode, 7).unwrap();
            d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(&pass("135790")), T0).unwrap();
            Agent::on(&mut d).provision();
            assert_eq!(d.token_state(holder), TokenState::Pending, "api {api} {mode}");
            let before = d.clone();
            assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "UNKNOWN", "api {api} {mode}");
            assert_eq!(d, before, "a failed reset changes nothing");
            d.press_power();
            assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0), Entry::Unlocked);
            assert_eq!(d.token_state(holder), TokenState::Active, "api {api} {mode}");
            assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "DONE", "api {api} {mode}");
        }
    }
}

/// PLAT-2: without a passcode the token is active at once; a pending token
/// dies with a reboot, an active one survives it.
#[test]
fn plat2_token_lifetime_across_reboots() {
    for api in 26..=platform::HIGHEST_API {
        let mut fresh = android_sim::Device::new(generic(api, typical(api)), FullyManaged, 7).unwrap();
        Agent::on(&mut fresh).provision();
        assert_eq!(fresh.token_state(CredentialHolder::DeviceUser), TokenState::Active, "api {api}");

        let mut d = android_sim::Device::new(generic(api, typical(api)), FullyManaged, 7).unwrap();
        d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(&pass("135790")), T0).unwrap();
        Agent::on(&mut d).provision();
        d.reboot();
        assert_eq!(d.token_state(CredentialHolder::DeviceUser), TokenState::None, "api {api}");
        d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0);
        assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "UNKNOWN", "api {api}: no token after reboot");

        let mut d = in_use(generic(api, typical(api)), FullyManaged, Some("135790"));
        d.reboot();
        assert_eq!(d.token_state(CredentialHolder::DeviceUser), TokenState::Active, "api {api}");
    }
}

/// PLAT-3: reset before the first unlock after a reboot.
#[test]
fn plat3_direct_boot_per_api_and_encryption() {
    use android_sim::Encryption::*;
    for api in apis() {
        for enc in [FileBased, FullDisk] {
            if (enc == FileBased && !platform::file_based_encryption_exists(api))
                || (enc == FullDisk && !platform::full_disk_encryption_exists(api))
            {
                continue;
            }
            let mut d = in_use(generic(api, enc), FullyManaged, Some("135790"));
            d.reboot();
            let got = code(&reset(&mut d, "86420864", NO_FLAGS));
            let want = match (enc, api) {
                (FullDisk, _) => "WAITING_NOT_RUNNING",
                (FileBased, 24..=25) => "UNSUPPORTED",
                (FileBased, _) => "DONE",
            };
            assert_eq!(got, want, "api {api} {enc:?}");
            if got == "DONE" {
                assert!(d.is_locked(CredentialHolder::DeviceUser), "api {api}: a new passcode leaves the user locked");
                assert!(d.in_direct_boot(CredentialHolder::DeviceUser));
                assert_ne!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0), Entry::Unlocked);
                assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0), Entry::Unlocked);
                assert!(!d.in_direct_boot(CredentialHolder::DeviceUser));
            }
            if got == "WAITING_NOT_RUNNING" {
                assert_eq!(d.boot_state(), BootState::AwaitingBootPassword);
                assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0), Entry::Unlocked);
                assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "DONE", "api {api}: runs once booted");
            }
        }
    }
}

/// PLAT-3: clearing the passcode in Direct Boot unlocks the user.
#[test]
fn plat3_clearing_in_direct_boot_unlocks() {
    let mut d = in_use(fixture("google-pixel-4"), FullyManaged, Some("135790"));
    d.reboot();
    assert_eq!(code(&reset(&mut d, "", NO_FLAGS)), "DONE");
    assert!(!d.is_locked(CredentialHolder::DeviceUser));
    assert!(!d.in_direct_boot(CredentialHolder::DeviceUser));
}

/// PLAT-4: on work-profile devices only the work challenge is reset, and it
/// becomes separate from the device lock.
#[test]
fn plat4_work_profile_reset_touches_only_the_work_challenge() {
    for api in 26..=platform::HIGHEST_API {
        for mode in [WorkProfilePersonal, WorkProfileCompanyOwned] {
            let mut d = in_use(generic(api, typical(api)), mode, Some("135790"));
            assert!(!d.separate_work_challenge());
            assert_eq!(code(&reset(&mut d, "86420864", LOCK_NOW)), "DONE", "api {api} {mode}");
            assert!(d.separate_work_challenge(), "api {api} {mode}");
            // The device lock is what it was.
            d.press_power();
            d.press_power();
            assert_eq!(
                d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0),
                Entry::Unlocked,
                "api {api} {mode}"
            );
            assert!(d.is_locked(CredentialHolder::WorkProfile), "api {api} {mode}");
            assert_eq!(d.enter_passcode(CredentialHolder::WorkProfile, &pass("86420864"), T0), Entry::Unlocked);
            // Escrow on the personal user is disabled.
            assert_eq!(
                d.set_reset_password_token(Admin::Agent, CredentialHolder::DeviceUser, &d.agent_token_value()),
                Err(Refusal::EscrowDisabled)
            );
        }
    }
}

/// PLAT-5: minimum 4; numeric under 6 fails on Android 14+; policy applies.
#[test]
fn plat5_lengths_and_policy() {
    for api in 26..=platform::HIGHEST_API {
        let mut d = in_use(generic(api, typical(api)), FullyManaged, Some("135790"));
        let before = d.clone();
        assert_eq!(code(&reset(&mut d, "159", NO_FLAGS)), "INVALID_VALUE", "api {api}");
        assert_eq!(code(&reset(&mut d, "a1b", NO_FLAGS)), "INVALID_VALUE", "api {api}");
        let five = code(&reset(&mut d, "15937", NO_FLAGS));
        assert_eq!(five, if api >= 34 { "INVALID_VALUE" } else { "DONE" }, "api {api}");
        if five != "DONE" {
            assert_eq!(d, before, "api {api}: nothing changed");
        }
        assert_eq!(code(&reset(&mut d, "k3x9", NO_FLAGS)), "DONE", "api {api}: letters may be 4 long");

        d.assign_password_policies(vec![android_sim::PasswordPolicy {
            quality: android_sim::PasswordQuality::Alphanumeric,
            minimum_length: 8,
            ..Default::default()
        }]);
        let before = d.clone();
        assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "INVALID_VALUE", "api {api}: needs a letter");
        assert_eq!(d, before);
        assert_eq!(code(&reset(&mut d, "k3x9q2w8", NO_FLAGS)), "DONE", "api {api}");
    }
}

/// PLAT-6: the keyguard length after a reset, conforming and quirky.
#[test]
fn plat6_keyguard_pin_length() {
    let fixtures = [("google-pixel-8", true), ("google-pixel-9", true), ("acme-a14-stale-keyguard", false)];
    for (name, conforming) in fixtures {
        // 6 digits before, 8 after: the quirk auto-submits after 6.
        let mut d = in_use(fixture(name), FullyManaged, Some("135790"));
        assert_eq!(d.keyguard_auto_confirm_length(), Some(6));
        assert_eq!(code(&reset(&mut d, "86420864", LOCK_NOW)), "DONE");
        let entry = d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0);
        if conforming {
            assert_eq!(entry, Entry::Unlocked, "{name}");
        } else {
            assert!(matches!(entry, Entry::CutShort { at: 6, .. }), "{name}: {entry:?}");
            d.reboot();
            assert_eq!(
                d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0),
                Entry::Unlocked,
                "{name}"
            );
        }

        // 10 digits before, 8 after: the quirk waits for two more digits.
        let mut d = in_use(fixture(name), FullyManaged, Some("1357913579"));
        assert_eq!(code(&reset(&mut d, "86420864", LOCK_NOW)), "DONE");
        let entry = d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0);
        if conforming {
            assert_eq!(entry, Entry::Unlocked, "{name}");
        } else {
            assert_eq!(entry, Entry::AwaitingMoreDigits { typed: 8, expected: 10 }, "{name}");
        }
    }
}

/// PLAT-6: before Android 14 there is no auto-confirm; the OK key always works.
#[test]
fn plat6_no_auto_confirm_before_14() {
    for api in 26..34 {
        let mut d = in_use(generic(api, typical(api)), FullyManaged, Some("135790"));
        assert_eq!(d.keyguard_auto_confirm_length(), None, "api {api}");
        reset(&mut d, "86420864", LOCK_NOW);
        assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0), Entry::Unlocked, "api {api}");
    }
}

/// PLAT-7: what LOCK locks, and that it needs a passcode.
#[test]
fn plat7_lock_scope_and_effect() {
    for api in apis() {
        for mode in Ownership::ALL {
            let profile = generic(api, typical(api));
            if !profile.supports(mode) {
                continue;
            }
            let mut bare = in_use(profile.clone(), mode, None);
            assert_eq!(code(&Agent::on(&mut bare).apply(&AgentCommand::Lock, T0)), "DONE");
            assert!(!bare.screen_on(), "api {api} {mode}: the screen goes off");
            assert!(!bare.is_locked(CredentialHolder::DeviceUser), "api {api} {mode}: no passcode, no lock");

            let mut d = in_use(profile, mode, Some("135790"));
            if mode.has_work_profile() && api >= 26 {
                reset(&mut d, "86420864", NO_FLAGS); // a separate work challenge
            }
            Agent::on(&mut d).apply(&AgentCommand::Lock, T0);
            let profile_only =
                platform::lock_scope(api, mode, d.separate_work_challenge()) == android_sim::LockScope::WorkProfileOnly;
            assert_eq!(d.is_locked(CredentialHolder::DeviceUser), !profile_only, "api {api} {mode}");
            if mode.has_work_profile() {
                assert!(d.is_locked(CredentialHolder::WorkProfile), "api {api} {mode}");
            }
        }
    }
}

/// PLAT-8: REQUIRE_ENTRY blocks other admins until the user enters it.
#[test]
fn plat8_require_entry() {
    for api in [21, 23, 24, 26, 29, 34] {
        // A device admin and a device owner side by side, from the platform's view.
        let mut d = in_use(generic(api, typical(api)), FullyManaged, Some("135790"));
        let flags = ResetFlags { require_entry: true, ..NO_FLAGS };
        assert_eq!(code(&reset(&mut d, "86420864", flags)), "DONE", "api {api}");
        assert!(d.is_locked(CredentialHolder::DeviceUser), "api {api}: strong auth required");
        if api < 24 {
            // Before 7.0 another admin could reset; REQUIRE_ENTRY stops it.
            assert_eq!(
                d.reset_password(Admin::OtherAdmin, Some(&pass("11223344")), NO_FLAGS),
                Err(Refusal::PasswordOwnedByAnotherAdmin)
            );
        }
        assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0), Entry::Unlocked);
        if api < 24 {
            assert_eq!(d.reset_password(Admin::OtherAdmin, Some(&pass("11223344")), NO_FLAGS), Ok(()));
        }
    }
}

/// PLAT-8: LOCK_NOW locks right after the reset; without it the device stays in use.
#[test]
fn plat8_lock_now() {
    for api in apis() {
        let mut d = in_use(generic(api, typical(api)), FullyManaged, Some("135790"));
        assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "DONE");
        assert!(!d.is_locked(CredentialHolder::DeviceUser), "api {api}");
        assert_eq!(code(&reset(&mut d, "97531975", LOCK_NOW)), "DONE");
        assert!(d.is_locked(CredentialHolder::DeviceUser), "api {api}");
    }
}

/// PLAT-8: DO_NOT_ASK_CREDENTIALS_ON_BOOT only changes a full-disk device's boot.
#[test]
fn plat8_do_not_ask_credentials_on_boot() {
    let flags = ResetFlags { do_not_ask_credentials_on_boot: true, ..NO_FLAGS };
    let mut fde = in_use(fixture("nokia-7-plus"), FullyManaged, Some("135790"));
    reset(&mut fde, "86420864", flags);
    fde.reboot();
    assert_eq!(fde.boot_state(), BootState::Running);
    assert!(fde.is_locked(CredentialHolder::DeviceUser), "the keyguard still asks");

    let mut wp = in_use(fixture("nokia-7-plus"), WorkProfileCompanyOwned, Some("135790"));
    reset(&mut wp, "86420864", flags);
    wp.reboot();
    assert_eq!(wp.boot_state(), BootState::AwaitingBootPassword, "ignored for a profile owner");
}

/// AMAPI: REBOOT only on device-owner devices from Android 7.0.
#[test]
fn reboot_command_support() {
    for api in apis() {
        for mode in Ownership::ALL {
            let profile = generic(api, typical(api));
            if !profile.supports(mode) {
                continue;
            }
            let mut d = in_use(profile, mode, None);
            let got = code(&Agent::on(&mut d).apply(&AgentCommand::Reboot, T0));
            let want = match mode {
                FullyManaged | Dedicated if api >= 24 => "DONE",
                FullyManaged | Dedicated => "API_LEVEL",
                _ => "MANAGEMENT_MODE",
            };
            assert_eq!(got, want, "api {api} {mode}");
        }
    }
}

/// Offline devices hold commands; the agent answers once reachable.
#[test]
fn offline_devices_wait() {
    let mut d = in_use(fixture("google-pixel-8"), FullyManaged, Some("135790"));
    d.set_online(false);
    let before = d.clone();
    assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "WAITING_OFFLINE");
    assert_eq!(d, before);
    d.set_online(true);
    assert_eq!(code(&reset(&mut d, "86420864", NO_FLAGS)), "DONE");
}

/// Android 11 stores digits set by a reset as a password: full keyboard.
#[test]
fn api30_digits_become_a_password() {
    let mut d = in_use(fixture("google-pixel-5"), FullyManaged, Some("135790"));
    reset(&mut d, "86420864", LOCK_NOW);
    assert_eq!(d.credential_kind(CredentialHolder::DeviceUser), Some(android_sim::CredentialKind::Password));
    assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("86420864"), T0), Entry::Unlocked);
}

/// A temporary passcode of letters and digits cannot be typed on a PIN pad,
/// but a reset to one brings up the keyboard.
#[test]
fn letters_need_the_keyboard() {
    let mut d = in_use(fixture("google-pixel-8"), FullyManaged, Some("135790"));
    d.press_power();
    assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("k3x9q2"), T0), Entry::CannotType);
    d.enter_passcode(CredentialHolder::DeviceUser, &pass("135790"), T0);
    reset(&mut d, "k3x9q2w8", LOCK_NOW);
    assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass("k3x9q2w8"), T0), Entry::Unlocked);
}
