//! The Android commands the simulated shell answers, each as the device's
//! API level would (docs/platform.md §7): `getprop`, `locksettings`, `dumpsys`
//! (`window`, `power`, `device_policy`), `input`, `wm`, `am`, plus `echo`,
//! `true`, `false` and `cat` of the boot id. A command the API level does not
//! have answers `/system/bin/sh: NAME: not found` with status 127.
//!
//! "Our choice" marks every answer the platform notes do not pin down.

use crate::shell::{Output, NOT_FOUND};
use crate::SimulatedAdbd;
use android_sim::platform::shell::{self, ShellFact};
use android_sim::{
    BootState, CredentialHolder, CredentialKind, Device, Encryption, Entry, Ownership, Passcode, RunState, SimTime,
    TokenState, Verification,
};

/// The package of the simulated management agent (Android Device Policy).
pub const AGENT_PACKAGE: &str = "com.google.android.apps.work.clouddpc";
/// Its device-admin receiver.
pub const AGENT_RECEIVER: &str = "com.google.android.apps.work.clouddpc.receivers.CloudDeviceAdminReceiver";
/// The user id of the work profile. Our choice: the first secondary user id
/// Android hands out.
pub const WORK_PROFILE_USER: u32 = 10;

/// Key codes `input keyevent` understands: android-sim's platform facts.
pub use android_sim::platform::shell::keycode;

pub fn execute(session: &SimulatedAdbd, argv: &[String]) -> Output {
    let Some(name) = argv.first() else { return Output::ok() };
    let args = &argv[1..];
    let api = session.api_level();
    // The last path component names the command: `/system/bin/getprop` works too.
    let base = name.rsplit('/').next().unwrap_or(name);
    match base {
        "echo" => echo(args),
        "true" => Output::ok(),
        "false" => Output::ok().code(1),
        "cat" => cat(session, args),
        "getprop" => getprop(session, args),
        "locksettings" if shell::has(api, ShellFact::Locksettings) => locksettings(session, args),
        "dumpsys" => dumpsys(session, args),
        "input" => input(session, args),
        "wm" => wm(session, args),
        "am" => am(session, args),
        _ => Output::ok().err(format!("/system/bin/sh: {name}: not found\n")).code(NOT_FOUND),
    }
}

fn echo(args: &[String]) -> Output {
    let (newline, args) = match args.first().map(String::as_str) {
        Some("-n") => (false, &args[1..]),
        _ => (true, args),
    };
    let mut text = args.join(" ");
    if newline {
        text.push('\n');
    }
    Output::ok().out(text)
}

/// The path the Lockstep adb backend reads to tell one boot from the next.
pub const BOOT_ID_PATH: &str = "/proc/sys/kernel/random/boot_id";

fn cat(session: &SimulatedAdbd, args: &[String]) -> Output {
    let mut out = Output::ok();
    for path in args {
        if path == BOOT_ID_PATH {
            out = out.out(format!("{}\n", session.boot_id()));
        } else {
            // Our choice: no other file exists on the simulated device.
            out = out.err(format!("cat: {path}: No such file or directory\n")).code(1);
        }
    }
    out
}

// ----- getprop ---------------------------------------------------------------

/// Every system property of the device now, sorted by name.
pub fn properties(session: &SimulatedAdbd) -> Vec<(String, String)> {
    let serial = session.serial().to_owned();
    let boot_id = session.boot_id();
    let props = session.with(|d, _| {
        let p = d.profile();
        let api = p.api_level;
        let running = d.boot_state() == BootState::Running;
        let mut v: Vec<(&str, String)> = vec![
            ("ro.build.version.sdk", api.to_string()),
            ("ro.build.version.release", p.android_version.clone()),
            ("ro.build.id", p.build_id.clone()),
            ("ro.build.fingerprint", p.build_fingerprint()),
            ("ro.product.manufacturer", p.manufacturer.clone()),
            ("ro.product.brand", p.brand.clone()),
            ("ro.product.model", p.model.clone()),
            // Our choice: the profile's name stands for the product and device names.
            ("ro.product.name", p.name.clone()),
            ("ro.product.device", p.name.clone()),
            ("ro.serialno", serial.clone()),
            ("ro.boot.serialno", serial.clone()),
            ("ro.adb.secure", "0".into()),
            ("ro.crypto.state", "encrypted".into()),
            (
                "ro.crypto.type",
                match p.encryption {
                    Encryption::FileBased => "file".into(),
                    Encryption::FullDisk => "block".into(),
                },
            ),
            ("ro.kernel.boot_id", boot_id.clone()),
        ];
        if shell::has(api, ShellFact::SecurityPatchProperty) {
            v.push(("ro.build.version.security_patch", p.security_patch.clone()));
        }
        // sys.boot_completed is set when the framework finishes booting: on
        // file-based encryption before the user unlocks (§3). Our choice: a
        // full-disk device waiting for its boot password has not finished.
        if running {
            v.push(("sys.boot_completed", "1".into()));
        }
        if p.encryption == Encryption::FullDisk {
            let phase = if running { "trigger_restart_framework" } else { "trigger_restart_min_framework" };
            v.push(("vold.decrypt", phase.into()));
        }
        // Only from API 27, only for user 0, only once its CE storage is unlocked (§3).
        if shell::has(api, ShellFact::CeAvailableProperty) && running && !d.in_direct_boot(CredentialHolder::DeviceUser)
        {
            v.push(("sys.user.0.ce_available", "true".into()));
        }
        v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>()
    });
    let mut props = props.unwrap_or_default();
    props.sort();
    props
}

fn getprop(session: &SimulatedAdbd, args: &[String]) -> Output {
    let props = properties(session);
    match args {
        [] => {
            let mut text = String::new();
            for (k, v) in &props {
                text.push_str(&format!("[{k}]: [{v}]\n"));
            }
            Output::ok().out(text)
        }
        [key, rest @ ..] => {
            let value = props.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            let value = value.or_else(|| rest.first().cloned()).unwrap_or_default();
            Output::ok().out(format!("{value}\n"))
        }
    }
}

// ----- locksettings ----------------------------------------------------------

/// `locksettings` (API 26+), after LockSettingsShellCommand: options, then
/// the old credential is checked for every subcommand, then the subcommand.
fn locksettings(session: &SimulatedAdbd, args: &[String]) -> Output {
    let api = session.api_level();
    let mut old = String::new();
    let mut user = 0u32;
    let mut rest: Vec<&String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--old" => {
                old = args.get(i + 1).cloned().unwrap_or_default();
                i += 2;
            }
            "--user" => {
                user = args.get(i + 1).and_then(|u| u.parse().ok()).unwrap_or(u32::MAX);
                i += 2;
            }
            _ => {
                rest.push(&args[i]);
                i += 1;
            }
        }
    }
    let Some(command) = rest.first().map(|s| s.as_str()) else {
        return Output::ok().out(locksettings_help(api));
    };
    if command == "help" && shell::has(api, ShellFact::LocksettingsHelp) {
        return Output::ok().out(locksettings_help(api));
    }
    let holder = match user {
        0 => CredentialHolder::DeviceUser,
        WORK_PROFILE_USER if session.with(|d, _| d.has_work_profile()).unwrap_or(false) => {
            CredentialHolder::WorkProfile
        }
        // Our choice: other users do not exist on the simulated device.
        other => {
            return Output::ok()
                .err(format!("Error while executing command: {command}\nUser {other} does not exist\n"))
                .code(255)
        }
    };
    // Every subcommand first checks the old credential.
    let has_credential = session.with(|d, _| d.has_credential(holder)).unwrap_or(false);
    if has_credential || !old.is_empty() {
        let check = session.with(|d, now| d.verify_credential(holder, &Passcode::new(old.clone()), now));
        match check {
            Ok(Verification::Verified) => {}
            Ok(Verification::NoCredential) if shell::has(api, ShellFact::LocksettingsNoPasswordMessage) => {
                return Output::ok().out("Old password provided but user has no password\n").code(255);
            }
            Ok(Verification::NoCredential) => {}
            Ok(Verification::Wrong { .. }) => {
                return Output::ok().out(format!("Old password '{old}' didn't match\n")).code(255);
            }
            Ok(Verification::Throttled { .. }) => return Output::ok().out("Request throttled\n").code(255),
            Ok(Verification::UnifiedChallenge) => {
                return Output::ok().out("Profile uses unified challenge\n").code(255)
            }
            Ok(Verification::NotRunning) | Err(_) => {
                return Output::ok().err(format!("Error while executing command: {command}\n")).code(255);
            }
        }
    }
    let new = rest.get(1).map(|s| Passcode::new(s.as_str()));
    match command {
        "set-pin" | "set-password" => {
            let Some(new) = new else {
                return Output::ok().err(format!("Error while executing command: {command}\n")).code(255);
            };
            let kind = if command == "set-pin" { CredentialKind::Pin } else { CredentialKind::Password };
            if kind == CredentialKind::Pin && !new.is_numeric() {
                // Our choice: a PIN must be digits; the platform throws here.
                return Output::ok().err(format!("Error while executing command: {command}\n")).code(255);
            }
            match session.with(|d, _| d.set_verified_credential(holder, Some(&new), kind)) {
                Ok(Ok(())) => {
                    session.clear_typed();
                    let what = if kind == CredentialKind::Pin { "Pin" } else { "Password" };
                    Output::ok().out(format!("{what} set to '{}'\n", new.expose()))
                }
                Ok(Err(refusal)) => {
                    Output::ok().out(format!("New credential doesn't satisfy admin policies: {refusal}\n")).code(255)
                }
                Err(e) => Output::ok().err(format!("Error while executing command: {command}\n{e}\n")).code(255),
            }
        }
        "clear" => match session.with(|d, _| d.set_verified_credential(holder, None, CredentialKind::Pin)) {
            Ok(Ok(())) => {
                session.clear_typed();
                Output::ok().out("Lock credential cleared\n")
            }
            Ok(Err(refusal)) => {
                Output::ok().out(format!("New credential doesn't satisfy admin policies: {refusal}\n")).code(255)
            }
            Err(e) => Output::ok().err(format!("Error while executing command: {command}\n{e}\n")).code(255),
        },
        "verify" if shell::has(api, ShellFact::LocksettingsVerify) => {
            Output::ok().out("Lock credential verified successfully\n")
        }
        "set-disabled" => {
            let disabled = rest.get(1).is_some_and(|v| v.as_str() == "true");
            session.set_lock_screen_disabled(disabled);
            Output::ok().out(format!("Lock screen disabled set to {disabled}\n"))
        }
        "get-disabled" if shell::has(api, ShellFact::LocksettingsVerify) => {
            Output::ok().out(format!("{}\n", session.lock_screen_disabled()))
        }
        // Our choice: patterns are not simulated.
        "set-pattern" => Output::ok().err("Error while executing command: set-pattern\n").code(255),
        // As LockSettingsShellCommand: an unknown subcommand is reported after
        // the credential check, with status 0.
        other => Output::ok().err(format!("Unknown command: {other}\n")),
    }
}

fn locksettings_help(api: u8) -> String {
    let mut text = String::from(
        "locksettings service commands:\n\n  set-pattern [--old OLD] [--user USER] NEW\n  set-pin [--old OLD] [--user USER] NEW\n  set-password [--old OLD] [--user USER] NEW\n  clear [--old OLD] [--user USER]\n  set-disabled [--old OLD] [--user USER] true|false\n",
    );
    if api >= 28 {
        text.push_str("  verify [--old OLD] [--user USER]\n  get-disabled [--old OLD] [--user USER]\n");
    }
    text
}

// ----- dumpsys ---------------------------------------------------------------

fn dumpsys(session: &SimulatedAdbd, args: &[String]) -> Output {
    match args.first().map(String::as_str) {
        Some("window") => Output::ok().out(dumpsys_window(session)),
        Some("power") => Output::ok().out(dumpsys_power(session)),
        Some("device_policy") => Output::ok().out(dumpsys_device_policy(session)),
        // Our choice: without arguments, the services the simulator knows.
        None => Output::ok().out(format!(
            "DUMP OF SERVICE device_policy:\n{}\nDUMP OF SERVICE power:\n{}\nDUMP OF SERVICE window:\n{}",
            dumpsys_device_policy(session),
            dumpsys_power(session),
            dumpsys_window(session)
        )),
        Some(other) => Output::ok().out(format!("Can't find service: {other}\n")),
    }
}

/// The keyguard as `dumpsys window` (and `dumpsys window policy`) shows it
/// per API level (docs/platform.md §7): `mShowingLockscreen=` on 21–27,
/// `mDreamingLockscreen=` from 28, `isKeyguardShowing=` from 31, and the
/// KeyguardServiceDelegate block (`showing=`, `secure=`, `inputRestricted=`)
/// from 24. Our choice: the surrounding lines and their indentation.
fn dumpsys_window(session: &SimulatedAdbd) -> String {
    let (api, showing, secure, screen_on) = session
        .with(|d, _| {
            (
                d.api_level(),
                d.is_locked(CredentialHolder::DeviceUser),
                d.has_credential(CredentialHolder::DeviceUser),
                d.screen_on(),
            )
        })
        .unwrap_or((0, false, false, false));
    let mut s = String::from("WINDOW MANAGER POLICY STATE (dumpsys window policy)\n");
    s.push_str("    mSafeMode=false mSystemReady=true mSystemBooted=true\n");
    if shell::window_policy_prints_showing_lockscreen(api) {
        s.push_str(&format!("    mShowingLockscreen={showing} mDreamingLockscreen=false\n"));
    } else {
        s.push_str("    mDreamingLockscreen=false\n");
    }
    if shell::has(api, ShellFact::KeyguardShowingInDump) {
        s.push_str(&format!("    isKeyguardShowing={showing}\n"));
    }
    if shell::window_policy_prints_keyguard_delegate(api) {
        let screen = if screen_on { "SCREEN_STATE_ON" } else { "SCREEN_STATE_OFF" };
        s.push_str(&format!(
            "    KeyguardServiceDelegate\n      showing={showing}\n      inputRestricted={showing}\n      secure={secure}\n      screenState={screen}\n"
        ));
    }
    s
}

/// `dumpsys power`: `mWakefulness=Awake|Asleep` (our choice of the one line
/// the simulator prints from PowerManagerService's dump).
fn dumpsys_power(session: &SimulatedAdbd) -> String {
    let on = session.with(|d, _| d.screen_on()).unwrap_or(false);
    format!(
        "POWER MANAGER (dumpsys power)\n\nPower Manager State:\n  mWakefulness={}\n",
        if on { "Awake" } else { "Asleep" }
    )
}

/// `dumpsys device_policy`, after OwnersData/DevicePolicyData.dump
/// (docs/platform.md §7): a "Device Owner:" block, "Profile Owner (User N):"
/// blocks, "Enabled Device Admins", and from API 33 `mPasswordOwner=` and
/// `mPasswordTokenHandle=`. Our choice: the agent is Android Device Policy
/// and the other lines are left out.
fn dumpsys_device_policy(session: &SimulatedAdbd) -> String {
    let info = session.with(|d, _| {
        (
            d.api_level(),
            d.ownership(),
            d.token_state(CredentialHolder::DeviceUser),
            d.token_state(CredentialHolder::WorkProfile),
        )
    });
    let Ok((api, ownership, device_token, profile_token)) = info else { return String::new() };
    let component = format!("ComponentInfo{{{AGENT_PACKAGE}/{AGENT_RECEIVER}}}");
    let mut s = String::from("Current Device Policy Manager state:\n");
    let owner_block = |s: &mut String, org_owned: bool| {
        s.push_str(&format!("    admin={component}\n    name=Android Device Policy\n    package={AGENT_PACKAGE}\n"));
        if shell::has(api, ShellFact::OrganizationOwnedInDump) {
            s.push_str(&format!("    isOrganizationOwnedDevice={org_owned}\n"));
        }
    };
    match ownership {
        Ownership::FullyManaged | Ownership::Dedicated => {
            s.push_str("  Device Owner: \n");
            owner_block(&mut s, true);
            s.push_str("    User ID: 0\n\n");
        }
        Ownership::WorkProfilePersonal | Ownership::WorkProfileCompanyOwned => {
            s.push_str(&format!("  Profile Owner (User {WORK_PROFILE_USER}): \n"));
            owner_block(&mut s, ownership == Ownership::WorkProfileCompanyOwned);
            s.push('\n');
        }
        Ownership::LegacyDeviceAdmin => {}
    }
    let admin_user = if ownership.has_work_profile() { WORK_PROFILE_USER } else { 0 };
    let token = if admin_user == 0 { device_token } else { profile_token };
    s.push_str(&format!("  Enabled Device Admins (User {admin_user}, provisioningState: 3):\n"));
    s.push_str(&format!(
        "    {AGENT_PACKAGE}/{AGENT_RECEIVER}:\n      policies:\n        force-lock\n        reset-password\n"
    ));
    if shell::has(api, ShellFact::PasswordTokenHandleInDump) {
        s.push_str("    mPasswordOwner=-1\n");
        let handle = if token == TokenState::None { "0".to_owned() } else { "5b0e53d1f0c2a1e7".to_owned() };
        s.push_str(&format!("    mPasswordTokenHandle={handle}\n"));
    }
    s
}

// ----- input, wm, am ---------------------------------------------------------

fn input(session: &SimulatedAdbd, args: &[String]) -> Output {
    // An optional input source comes first: `input keyboard text 1234`.
    let args = match args.first().map(String::as_str) {
        Some("keyboard" | "touchscreen" | "touchpad" | "dpad" | "gamepad" | "trackball" | "stylus" | "mouse") => {
            &args[1..]
        }
        _ => args,
    };
    match args.first().map(String::as_str) {
        Some("text") => match args.get(1) {
            Some(text) => {
                // `input text` turns %s into a space.
                log_entry(session.type_text(&text.replace("%s", " ")));
                Output::ok()
            }
            None => input_usage(),
        },
        Some("keyevent") => {
            for key in args[1..].iter().filter(|a| !a.starts_with("--")) {
                match keycode_of(key) {
                    Some(code) => log_entry(session.key(code)),
                    // Our choice: an unknown key name is reported and ignored.
                    None => return Output::ok().err(format!("Error: Unknown keycode: {key}\n")).code(1),
                }
            }
            Output::ok()
        }
        // Our choice: taps and swipes are accepted and change nothing.
        Some("tap" | "swipe" | "draganddrop" | "roll" | "press" | "motionevent") => Output::ok(),
        _ => input_usage(),
    }
}

/// What the lock screen did with a submission, for the log (no passcode in it).
fn log_entry(entry: Option<Entry>) {
    if let Some(entry) = entry {
        let what = match entry {
            Entry::Unlocked => "unlocked",
            Entry::Rejected { .. } | Entry::CutShort { .. } | Entry::Truncated { .. } => "rejected",
            Entry::LockedOut { .. } => "locked out",
            _ => "not taken",
        };
        tracing::debug!("adbd-sim: the lock screen took a submission: {what}");
    }
}

fn input_usage() -> Output {
    Output::ok()
        .err("Usage: input [<source>] <command> [<arg>...]\n\nThe commands and default sources are:\n      text <string> (Default: touchscreen)\n      keyevent [--longpress] <key code number or name> ... (Default: keyboard)\n")
        .code(1)
}

fn keycode_of(key: &str) -> Option<u32> {
    if let Ok(n) = key.parse::<u32>() {
        return Some(n);
    }
    let name = key.strip_prefix("KEYCODE_").unwrap_or(key);
    Some(match name {
        "HOME" => keycode::HOME,
        "BACK" => keycode::BACK,
        "POWER" => keycode::POWER,
        "ENTER" => keycode::ENTER,
        "DEL" => keycode::DEL,
        "MENU" => keycode::MENU,
        "NUMPAD_ENTER" => keycode::NUMPAD_ENTER,
        "SLEEP" => keycode::SLEEP,
        "WAKEUP" => keycode::WAKEUP,
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => keycode::DIGIT_0 + u32::from(d.as_bytes()[0] - b'0'),
        _ => return None,
    })
}

fn wm(session: &SimulatedAdbd, args: &[String]) -> Output {
    let api = session.api_level();
    match args.first().map(String::as_str) {
        Some("dismiss-keyguard") if shell::has(api, ShellFact::WmDismissKeyguard) => {
            // Dismisses a keyguard without a credential; with one it brings
            // up the bouncer (our model types straight into it anyway).
            let _ = session.with(|d, _| d.dismiss_keyguard());
            Output::ok()
        }
        // Our choice: wm's usage error, status 1.
        Some(other) => Output::ok().err(format!("Error: unknown command '{other}'\n")).code(1),
        None => Output::ok().err("usage: wm [subcommand] [options]\n").code(1),
    }
}

fn am(session: &SimulatedAdbd, args: &[String]) -> Output {
    let api = session.api_level();
    match args.first().map(String::as_str) {
        Some("get-current-user") if shell::has(api, ShellFact::AmGetCurrentUser) => Output::ok().out("0\n"),
        Some("get-started-user-state") if shell::has(api, ShellFact::AmGetStartedUserState) => {
            let user: Option<u32> = args.get(1).and_then(|u| u.parse().ok());
            let state = session.with(|d, _| {
                let holder = match user {
                    Some(0) => Some(CredentialHolder::DeviceUser),
                    Some(WORK_PROFILE_USER) if d.has_work_profile() => Some(CredentialHolder::WorkProfile),
                    _ => None,
                };
                // Our choice: a full-disk device waiting for its boot password
                // reports its users RUNNING_LOCKED.
                holder.map(|h| d.run_state(h).map_or("RUNNING_LOCKED", RunState::as_str))
            });
            match (state, user) {
                (Ok(Some(s)), _) => Output::ok().out(format!("{s}\n")),
                // Our choice of wording for a user that is not running.
                (_, Some(u)) => Output::ok().out(format!("User is not started: {u}\n")),
                (_, None) => Output::ok().err("Error: no user id given\n").code(255),
            }
        }
        // Our choice: `am` (ActivityManagerShellCommand) on an unknown command.
        Some(other) => Output::ok().err(format!("Unknown command: {other}\n")).code(255),
        None => Output::ok().out("Activity manager (activity) commands:\n"),
    }
}

// ----- the lock screen's text field -------------------------------------------

/// What the lock screen does with typed characters: with PIN auto-confirm it
/// submits as soon as the field holds the cached number of digits (the rest
/// of that `input text` is dropped: our choice, the keyguard is busy
/// checking); otherwise they wait for ENTER. Returns the submission's
/// outcome, if something was submitted.
pub fn type_into_keyguard(d: &mut Device, typed: &mut String, text: &str, now: SimTime) -> Option<Entry> {
    if !d.screen_on() || !d.is_locked(CredentialHolder::DeviceUser) {
        // A dark screen or an app in front: not the lock screen's input.
        typed.clear();
        return None;
    }
    let booting = d.boot_state() == BootState::AwaitingBootPassword;
    let auto = if booting { None } else { d.keyguard_auto_confirm_length() };
    let pin_pad = d.credential_kind(CredentialHolder::DeviceUser) == Some(CredentialKind::Pin);
    for c in text.chars() {
        if pin_pad && !c.is_ascii_digit() {
            // The PIN pad has no such key.
            continue;
        }
        typed.push(c);
        if auto.is_some_and(|n| typed.chars().count() == usize::from(n)) {
            let entry = d.enter_passcode(CredentialHolder::DeviceUser, &Passcode::new(std::mem::take(typed)), now);
            return Some(entry);
        }
    }
    None
}

/// A key on the lock screen. ENTER submits the field when the keyguard shows
/// an OK key (no auto-confirm in force); with auto-confirm there is no OK key
/// and ENTER does nothing (our choice, matching android-sim's "awaiting more
/// digits").
pub fn press_key(d: &mut Device, typed: &mut String, code: u32, now: SimTime) -> Option<Entry> {
    match code {
        keycode::POWER => {
            d.press_power();
            typed.clear();
        }
        keycode::WAKEUP if !d.screen_on() => d.press_power(),
        keycode::SLEEP if d.screen_on() => {
            d.press_power();
            typed.clear();
        }
        keycode::DEL => {
            typed.pop();
        }
        keycode::DIGIT_0..=keycode::DIGIT_9 => {
            let digit = char::from(b'0' + u8::try_from(code - keycode::DIGIT_0).unwrap_or(0));
            return type_into_keyguard(d, typed, &digit.to_string(), now);
        }
        keycode::ENTER | keycode::NUMPAD_ENTER => {
            if !d.screen_on() || !d.is_locked(CredentialHolder::DeviceUser) || typed.is_empty() {
                return None;
            }
            let booting = d.boot_state() == BootState::AwaitingBootPassword;
            let auto = if booting { None } else { d.keyguard_auto_confirm_length() };
            if auto.is_none() {
                let entry = d.enter_passcode(CredentialHolder::DeviceUser, &Passcode::new(std::mem::take(typed)), now);
                return Some(entry);
            }
        }
        _ => {}
    }
    None
}
