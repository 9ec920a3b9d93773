//! Property tests of the invariants every simulated device keeps, whatever
//! the API level, ownership mode, passcodes and flags.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use android_sim::{CommandOutcome, CredentialHolder, Entry, Ownership, ResetFlags};
use common::*;
use proptest::prelude::*;

fn passcode() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9]{0,12}", "[a-zA-Z0-9]{0,12}", "[a-z0-9!#]{3,10}",]
}

fn flags() -> impl Strategy<Value = ResetFlags> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(require_entry, do_not_ask_credentials_on_boot, lock_now)| ResetFlags {
            require_entry,
            do_not_ask_credentials_on_boot,
            lock_now,
        },
    )
}

fn setup() -> impl Strategy<Value = (u8, Ownership, bool, bool)> {
    (21u8..=35, prop::sample::select(Ownership::ALL.to_vec()), any::<bool>(), any::<bool>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A passcode set by a successful reset unlocks the device (or the work
    /// profile) until something else changes it, through locks and reboots.
    #[test]
    fn a_reset_passcode_unlocks_until_changed(
        (api, mode, rebooted, fde) in setup(),
        initial in proptest::option::of("[0-9]{4,10}"),
        new in passcode(),
        flags in flags(),
    ) {
        let enc = if fde && api <= 32 { android_sim::Encryption::FullDisk } else { typical(api) };
        let profile = generic(api, enc);
        prop_assume!(profile.supports(mode));
        let mut d = in_use(profile, mode, initial.as_deref());
        if rebooted {
            d.reboot();
        }
        let outcome = reset(&mut d, &new, flags);
        prop_assume!(outcome == CommandOutcome::Done && !new.is_empty());
        let holder = managed_holder(mode);
        for round in 0..3 {
            if round == 1 { d.press_power(); }
            if round == 2 { d.reboot(); }
            if holder == CredentialHolder::WorkProfile && d.is_locked(CredentialHolder::DeviceUser) {
                let device_code = initial.clone().unwrap_or_default();
                prop_assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass(&device_code), T0), Entry::Unlocked);
            }
            let entry = d.enter_passcode(holder, &pass(&new), T0);
            prop_assert!(
                matches!(entry, Entry::Unlocked | Entry::NotLocked),
                "round {round}: {entry:?}"
            );
            prop_assert!(!d.is_locked(holder));
        }
    }

    /// A reset that fails, or cannot run yet, changes nothing on the device.
    #[test]
    fn a_failed_reset_changes_nothing(
        (api, mode, rebooted, offline) in setup(),
        initial in proptest::option::of("[0-9]{4,10}"),
        new in passcode(),
        flags in flags(),
    ) {
        let profile = generic(api, typical(api));
        prop_assume!(profile.supports(mode));
        let mut d = in_use(profile, mode, initial.as_deref());
        if rebooted { d.reboot(); }
        d.set_online(!offline);
        let before = d.clone();
        let outcome = reset(&mut d, &new, flags);
        if outcome != CommandOutcome::Done {
            prop_assert_eq!(d, before, "{:?}", outcome);
        }
    }

    /// Wrong passcodes never unlock, and every fifth one starts a lockout.
    #[test]
    fn wrong_passcodes_never_unlock(api in 21u8..=35, wrong in proptest::collection::vec("[0-9]{4,10}", 1..12)) {
        let mut d = in_use(generic(api, typical(api)), Ownership::FullyManaged, Some("135790"));
        d.press_power();
        let mut now = T0;
        for w in wrong.iter().filter(|w| w.as_str() != "135790") {
            now = now.after(std::time::Duration::from_secs(31));
            let e = d.enter_passcode(CredentialHolder::DeviceUser, &pass(w), now);
            prop_assert_ne!(e, Entry::Unlocked);
            prop_assert!(d.is_locked(CredentialHolder::DeviceUser));
        }
    }
}
