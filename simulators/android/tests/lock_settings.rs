//! Credential checks and changes as `LockSettingsService` makes them for the
//! shell's `locksettings`: a verification unlocks the user's storage but not
//! the lock screen, a miss is a failed attempt, a lockout throttles, and a
//! change keeps the keyguard's length rule (stale on the quirky profile).

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

use android_sim::{
    CredentialHolder, CredentialKind, Device, DeviceProfile, Ownership, Passcode, SimTime, Verification,
};
use std::path::PathBuf;
use std::sync::Arc;

const USER: CredentialHolder = CredentialHolder::DeviceUser;

fn device(profile: &str, pin: &str) -> Device {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices");
    let p = Arc::new(DeviceProfile::load(&dir.join(format!("{profile}.toml"))).unwrap());
    let mut d = Device::new(p, Ownership::FullyManaged, 9).unwrap();
    d.set_verified_credential(USER, Some(&Passcode::new(pin)), CredentialKind::Pin).unwrap();
    d.reboot();
    d
}

#[test]
fn verifying_unlocks_storage_but_not_the_lock_screen() {
    let mut d = device("google-pixel-8", "135790");
    assert!(d.in_direct_boot(USER));
    assert_eq!(d.verify_credential(USER, &Passcode::new("135790"), SimTime::ZERO), Verification::Verified);
    assert!(!d.in_direct_boot(USER));
    assert!(d.is_locked(USER));
}

#[test]
fn misses_count_and_five_throttle() {
    let mut d = device("google-pixel-8", "135790");
    for n in 1..=5u16 {
        let v = d.verify_credential(USER, &Passcode::new("000000"), SimTime::ZERO);
        assert!(matches!(v, Verification::Wrong { failed_attempts, .. } if failed_attempts == n), "{v:?}");
    }
    assert!(matches!(
        d.verify_credential(USER, &Passcode::new("135790"), SimTime::ZERO),
        Verification::Throttled { .. }
    ));
    let later = SimTime::ZERO.after(std::time::Duration::from_secs(31));
    assert_eq!(d.verify_credential(USER, &Passcode::new("135790"), later), Verification::Verified);
}

#[test]
fn a_change_keeps_the_keyguard_length_rule() {
    let mut good = device("google-pixel-8", "135790");
    good.set_verified_credential(USER, Some(&Passcode::new("24680246")), CredentialKind::Pin).unwrap();
    assert_eq!(good.keyguard_auto_confirm_length(), Some(8));
    let mut stale = device("acme-a14-stale-keyguard", "135790");
    stale.set_verified_credential(USER, Some(&Passcode::new("24680246")), CredentialKind::Pin).unwrap();
    assert_eq!(stale.keyguard_auto_confirm_length(), Some(6));
    // The floor still applies, and clearing works.
    assert!(good.set_verified_credential(USER, Some(&Passcode::new("123")), CredentialKind::Pin).is_err());
    good.set_verified_credential(USER, None, CredentialKind::Pin).unwrap();
    assert_eq!(good.verify_credential(USER, &Passcode::new("x"), SimTime::ZERO), Verification::NoCredential);
}
