//! The shell services answered as each API level would, without sockets:
//! `SimulatedAdbd::run_shell` is what `shell:` and `exec:` run.

#![allow(clippy::unwrap_used)] // test set-up: a panic is the failure report

mod common;

use adbd_sim::{Channel, SimulatedAdbd};
use android_sim::CredentialHolder;
use std::sync::Arc;

fn adbd(profile: &str, pin: Option<&str>) -> (adbd_sim::SharedDevice, SimulatedAdbd) {
    let device = common::device(profile, pin);
    let adbd = SimulatedAdbd::new(Arc::new(device.clone()), "SIM1");
    (device, adbd)
}

fn out(a: &SimulatedAdbd, line: &str) -> (String, String, u8) {
    let o = a.run_shell(line);
    (o.text(Channel::Stdout), o.text(Channel::Stderr), o.code)
}

#[test]
fn getprop_answers_the_profile_and_the_boot_state() {
    let (_d, a) = adbd("google-pixel-8", None);
    assert_eq!(out(&a, "getprop ro.build.version.sdk").0, "34\n");
    assert_eq!(out(&a, "getprop ro.build.version.release").0, "14\n");
    assert_eq!(out(&a, "getprop ro.product.manufacturer").0, "Google\n");
    assert_eq!(out(&a, "getprop ro.product.model").0, "Pixel 8\n");
    assert_eq!(out(&a, "getprop ro.crypto.type").0, "file\n");
    assert_eq!(out(&a, "getprop sys.boot_completed").0, "1\n");
    assert_eq!(out(&a, "getprop sys.user.0.ce_available").0, "true\n");
    assert_eq!(out(&a, "getprop no.such.prop").0, "\n");
    assert_eq!(out(&a, "getprop no.such.prop fallback").0, "fallback\n");
    assert!(out(&a, "getprop").0.contains("[ro.build.version.sdk]: [34]\n"));

    // Before API 27 there is no sys.user.0.ce_available; full-disk devices say "block".
    let (_d, old) = adbd("samsung-galaxy-s7", None);
    assert_eq!(out(&old, "getprop sys.user.0.ce_available").0, "\n");
    assert_eq!(out(&old, "getprop ro.crypto.type").0, "block\n");
}

#[test]
fn direct_boot_shows_in_getprop_and_am_until_the_first_unlock() {
    let (d, a) = adbd("google-pixel-8", Some("123456"));
    a.reboot();
    assert_eq!(out(&a, "getprop sys.boot_completed").0, "1\n", "booted before the unlock (FBE)");
    assert_eq!(out(&a, "getprop sys.user.0.ce_available").0, "\n");
    assert_eq!(out(&a, "am get-started-user-state 0").0, "RUNNING_LOCKED\n");
    a.run_shell("input text 123456");
    assert!(!d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));
    assert_eq!(out(&a, "getprop sys.user.0.ce_available").0, "true\n");
    assert_eq!(out(&a, "am get-started-user-state 0").0, "RUNNING_UNLOCKED\n");
    assert_eq!(out(&a, "am get-current-user").0, "0\n");
}

#[test]
fn commands_appear_at_their_api_level() {
    let (_d, n) = adbd("google-pixel-c", None); // API 24
    assert_eq!(
        out(&n, "locksettings set-pin 1234"),
        ("".into(), "/system/bin/sh: locksettings: not found\n".into(), 127)
    );
    assert_eq!(out(&n, "am get-current-user").0, "0\n");
    assert_eq!(out(&n, "am get-started-user-state 0").2, 255);
    let (_d, l) = adbd("motorola-nexus-6", None); // API 21
    assert_eq!(out(&l, "wm dismiss-keyguard").2, 1);
    assert_eq!(out(&l, "am get-current-user").2, 255);
    assert_eq!(out(&l, "nosuchcmd"), ("".into(), "/system/bin/sh: nosuchcmd: not found\n".into(), 127));
    let (_d, o) = adbd("google-pixel", None); // API 26: set-pin but no verify yet
    assert_eq!(out(&o, "locksettings set-pin 1234").0, "Pin set to '1234'\n");
    assert_eq!(out(&o, "locksettings verify --old 1234").1, "Unknown command: verify\n");
}

#[test]
fn locksettings_checks_the_old_credential_and_counts_failures() {
    let (d, a) = adbd("google-pixel-8", None);
    assert_eq!(out(&a, "locksettings set-pin 123456"), ("Pin set to '123456'\n".into(), "".into(), 0));
    assert_eq!(out(&a, "locksettings verify --old 123456").0, "Lock credential verified successfully\n");
    assert_eq!(
        out(&a, "locksettings set-pin --old 999999 12345678"),
        ("Old password '999999' didn't match\n".into(), "".into(), 255)
    );
    assert_eq!(d.act(|d, _| d.failed_attempts(CredentialHolder::DeviceUser)), 1);
    assert_eq!(out(&a, "locksettings set-pin 12345678").0, "Old password '' didn't match\n");
    assert_eq!(out(&a, "locksettings set-password --old 123456 abcd1234").0, "Password set to 'abcd1234'\n");
    assert_eq!(out(&a, "locksettings set-pin --old abcd1234 123").2, 255, "shorter than the floor of 4");
    assert_eq!(out(&a, "locksettings clear --old abcd1234").0, "Lock credential cleared\n");
    assert_eq!(out(&a, "locksettings clear --old abcd1234").0, "Old password provided but user has no password\n");
    assert_eq!(out(&a, "locksettings get-disabled").0, "false\n");
    assert_eq!(out(&a, "locksettings frobnicate").1, "Unknown command: frobnicate\n");
}

#[test]
fn shell_v1_exit_codes_through_echo() {
    let (_d, a) = adbd("google-pixel-8", None);
    assert_eq!(out(&a, "nosuchcmd; echo \"rc=$?\"").0, "rc=127\n");
    assert_eq!(out(&a, "true && echo yes || echo no").0, "yes\n");
    assert_eq!(out(&a, "false && echo yes || echo no").0, "no\n");
    assert_eq!(out(&a, "ls | wc").2, 2, "pipes are refused as a syntax the simulator lacks");
}

#[test]
fn dumpsys_window_prints_the_keyguard_as_each_level_does() {
    let (_d, a) = adbd("google-pixel-8", Some("123456"));
    a.run_shell("input keyevent KEYCODE_POWER");
    let w = out(&a, "dumpsys window policy").0;
    assert!(w.contains("isKeyguardShowing=true"), "{w}");
    assert!(w.contains("showing=true"), "{w}");
    assert!(!w.contains("mShowingLockscreen"), "{w}");
    assert!(out(&a, "dumpsys power").0.contains("mWakefulness=Asleep"));

    let (_d, o) = adbd("lge-nexus-5x", Some("123456")); // API 23
    o.run_shell("input keyevent 26");
    let w = out(&o, "dumpsys window").0;
    assert!(w.contains("mShowingLockscreen=true"), "{w}");
    assert!(!w.contains("KeyguardServiceDelegate"), "{w}");
    assert_eq!(out(&o, "dumpsys nosuch").0, "Can't find service: nosuch\n");
}

#[test]
fn dumpsys_device_policy_names_the_owner() {
    let (_d, a) = adbd("google-pixel-8", None);
    let p = out(&a, "dumpsys device_policy").0;
    assert!(p.contains("Device Owner:"), "{p}");
    assert!(p.contains("isOrganizationOwnedDevice=true"), "{p}");
    assert!(p.contains("mPasswordTokenHandle=0"), "{p}");
}

#[test]
fn typing_on_the_lock_screen_auto_confirms_at_the_cached_length() {
    // Conforming: the new 8-digit PIN is taken at once.
    let (d, a) = adbd("google-pixel-8", Some("123456"));
    a.run_shell("locksettings set-pin --old 123456 48151623");
    a.run_shell("input keyevent 26");
    a.run_shell("input keyevent 224");
    a.run_shell("input text 48151623");
    assert!(!d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)), "auto-confirm at 8 unlocked it");

    // Stale keyguard: it still submits after 6 digits, ENTER does nothing.
    let (d, a) = adbd("acme-a14-stale-keyguard", Some("123456"));
    a.run_shell("locksettings set-pin --old 123456 48151623");
    a.run_shell("input keyevent 26; input keyevent 224; input text 48151623; input keyevent 66");
    assert!(d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));
    assert_eq!(d.act(|d, _| d.failed_attempts(CredentialHolder::DeviceUser)), 1, "one early submission");
    // A restart makes it read the new length.
    a.reboot();
    a.run_shell("input text 48151623");
    assert!(!d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));

    // Without auto-confirm (API 33) the OK key (ENTER) submits.
    let (d, a) = adbd("google-pixel-7", Some("123456"));
    a.run_shell("input keyevent 26; input keyevent 224; input text 123456");
    assert!(d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)), "waits for OK");
    a.run_shell("input keyevent KEYCODE_ENTER");
    assert!(!d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));
}

#[test]
fn the_screen_must_be_on_for_typing_to_count() {
    let (d, a) = adbd("google-pixel-7", Some("123456"));
    a.run_shell("input keyevent 26");
    a.run_shell("input text 123456; input keyevent 66");
    assert!(d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));
    a.run_shell("input keyevent KEYCODE_WAKEUP; input text 123456; input keyevent 66");
    assert!(!d.act(|d, _| d.is_locked(CredentialHolder::DeviceUser)));
}

#[test]
fn the_boot_id_changes_with_each_restart() {
    let (_d, a) = adbd("google-pixel-8", None);
    let before = out(&a, "cat /proc/sys/kernel/random/boot_id").0;
    a.reboot();
    let after = out(&a, "cat /proc/sys/kernel/random/boot_id").0;
    assert_ne!(before, after);
    assert_eq!(out(&a, "cat /etc/hosts").2, 1);
}
