//! Device-side firmware checks: scenarios tagged `@device` need no MDM, only
//! a device, so the same scenario runs on a simulated device in the embedded
//! suite and on a phone, an emulator or an adbd-sim device over adb
//! (`lockstep run --device adb:SERIAL`, `lockstep certify`).
//!
//! Which device `Given the device under test "<alias>" runs "<profile>" …`
//! gives a scenario:
//! - embedded (no `--device`): a new simulated device of that profile (after
//!   `--swap-profile`), enrolled fully managed, with no stack behind it;
//! - `--device profile:NAME`: a simulated device of NAME, whatever the step says;
//! - `--device adb:SERIAL` (through an adb server) or `tcp:HOST:PORT`
//!   (straight to adbd): that device. Our choice: the profile name is then
//!   only a label and the device's own facts count; the run goes on at any
//!   API level (on one without PIN auto-confirm the length checks pass
//!   trivially, which is what Android does there). The device must start
//!   without a screen lock; the step sets the passcode with `locksettings`,
//!   restarts the device (so its lock screen reads the PIN length at start,
//!   as on a phone in use) and unlocks it; the scenario's end clears the lock
//!   again.
//!
//! Other steps of these scenarios are the handset steps (power key,
//! restarts, "the new passcode unlocks …", "is locked", "is still before its
//! first unlock"), which act through `DeviceUnderTest` on either backend.

use super::StepDoc;
use crate::config::DeviceChoice;
use crate::device::adb::AdbDevice;
use crate::device::standalone::StandaloneDevice;
use crate::device::DeviceUnderTest;
use crate::passcodes::{Alphabet, Shape};
use crate::world::{Handset, LockstepWorld, StepResult};
use android_sim::{CredentialHolder, DeviceProfile, Entry, Ownership};
use cucumber::{given, then, when};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The tag of scenarios that need only a device.
pub use crate::tags::DEVICE_TAG;

pub const VOCABULARY: &[StepDoc] = &[
    StepDoc {
        keyword: "Given",
        pattern: "the device under test \"<alias>\" runs \"<profile>\" [with a <n>-digit passcode]",
        example: "Given the device under test \"phone\" runs \"google-pixel-8\" with a 6-digit passcode",
    },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" changes the passcode to a new <n>-digit PIN in Settings",
        example: "When the user of \"phone\" changes the passcode to a new 8-digit PIN in Settings",
    },
    StepDoc {
        keyword: "When",
        pattern: "the user of \"<alias>\" unlocks it with the passcode",
        example: "When the user of \"phone\" unlocks it with the passcode",
    },
    StepDoc {
        keyword: "Then",
        pattern: "a wrong passcode does not unlock \"<alias>\"",
        example: "Then a wrong passcode does not unlock \"phone\"",
    },
    StepDoc {
        keyword: "Then",
        pattern: "the credential-encrypted storage of \"<alias>\" is available",
        example: "Then the credential-encrypted storage of \"phone\" is available",
    },
];

pub fn anchor() {}

#[given(regex = r#"^the device under test "(\w+)" runs "([^"]+)"(?: with a (\d+)-digit passcode)?$"#)]
async fn device_under_test(w: &mut LockstepWorld, alias: String, profile: String, digits: String) -> StepResult {
    if w.handsets.contains_key(&alias) {
        return Err(w.fail(format!("a device \"{alias}\" is already in this scenario")));
    }
    let config = w.config.clone().ok_or_else(|| w.fail("the scenario has no configuration"))?;
    let passcode = match digits.parse::<usize>() {
        Ok(n) => Some(w.make_passcode(Shape { length: n, alphabet: Alphabet::Digits })),
        Err(_) => None,
    };
    let dut: Box<dyn DeviceUnderTest> = match &config.device {
        DeviceChoice::Adb(endpoint) => {
            let device = AdbDevice::connect(endpoint.clone()).await.map_err(|e| w.fail(e.to_string()))?;
            let serial = endpoint.to_string();
            tracing::info!(
                "device under test {serial}: {} {} (API {}); the scenario's profile \"{profile}\" is a label only",
                device.adb_facts().manufacturer,
                device.adb_facts().model,
                device.adb_facts().api_level
            );
            if let Some(p) = &passcode {
                device.set_passcode_in_settings(CredentialHolder::DeviceUser, None, p).await.map_err(|e| {
                    w.fail(format!(
                        "setting the scenario's passcode on {serial} (it must start without a screen lock): {e}"
                    ))
                })?;
                device.reboot().await.map_err(|e| w.fail(e.to_string()))?;
                let entry =
                    device.enter_passcode(CredentialHolder::DeviceUser, p).await.map_err(|e| w.fail(e.to_string()))?;
                if entry != Entry::Unlocked && entry != Entry::NotLocked {
                    let _ = device.clear_credential(p).await;
                    return Err(w.fail(format!(
                        "the passcode the scenario set does not unlock {serial} after a restart: {}",
                        super::handset::explain(&entry, p.len())
                    )));
                }
            }
            Box::new(device)
        }
        choice => {
            let name = match choice {
                DeviceChoice::Profile(name) => name.clone(),
                _ => config
                    .profile_swaps
                    .iter()
                    .find(|(twin, _)| *twin == profile)
                    .map_or(profile.clone(), |(_, s)| s.clone()),
            };
            let path = config.fixtures.join("devices").join(format!("{name}.toml"));
            let loaded = DeviceProfile::load(&path).map_err(|e| w.fail(e.to_string()))?;
            let salt = w.rng.as_mut().map_or(1, |r| r.next_u64());
            let device = StandaloneDevice::in_use(Arc::new(loaded), Ownership::FullyManaged, passcode.as_ref(), salt)
                .map_err(|e| w.fail(e.to_string()))?;
            Box::new(device)
        }
    };
    let ownership = dut.facts().ownership;
    w.handsets.insert(
        alias,
        Handset {
            dut,
            mdm_id: String::new(),
            amapi_name: String::new(),
            owner: String::new(),
            ownership,
            device_passcode: passcode,
            old_passcode: None,
            new_passcode: None,
            last_action: BTreeMap::new(),
        },
    );
    Ok(())
}

#[when(regex = r#"^the user of "(\w+)" changes the passcode to a new (\d+)-digit PIN in Settings$"#)]
async fn change_pin(w: &mut LockstepWorld, alias: String, digits: usize) -> StepResult {
    let current = w.handset(&alias)?.device_passcode.clone();
    let new = loop {
        let p = w.make_passcode(Shape { length: digits, alphabet: Alphabet::Digits });
        if Some(&p) != current.as_ref() {
            break p;
        }
    };
    w.handset(&alias)?
        .dut
        .set_passcode_in_settings(CredentialHolder::DeviceUser, current.as_ref(), &new)
        .await
        .map_err(|e| w.fail(e.to_string()))?;
    let h = w.handset_mut(&alias)?;
    h.old_passcode = current;
    h.new_passcode = Some(new.clone());
    h.device_passcode = Some(new);
    Ok(())
}

/// Enter the passcode in force (the lock must be up).
async fn unlock_with_passcode(w: &mut LockstepWorld, alias: String) -> StepResult {
    let p = w
        .handset(&alias)?
        .device_passcode
        .clone()
        .ok_or_else(|| w.fail(format!("\"{alias}\" has no passcode in this scenario")))?;
    let entry = w
        .handset(&alias)?
        .dut
        .enter_passcode(CredentialHolder::DeviceUser, &p)
        .await
        .map_err(|e| w.fail(e.to_string()))?;
    if entry != Entry::Unlocked {
        return Err(
            w.fail(format!("the passcode did not unlock \"{alias}\": {}", super::handset::explain(&entry, p.len())))
        );
    }
    Ok(())
}

#[when(regex = r#"^the user of "(\w+)" unlocks it with the passcode$"#)]
async fn unlocks_with_passcode(w: &mut LockstepWorld, alias: String) -> StepResult {
    unlock_with_passcode(w, alias).await
}

#[then(regex = r#"^a wrong passcode does not unlock "(\w+)"$"#)]
async fn wrong_passcode(w: &mut LockstepWorld, alias: String) -> StepResult {
    let current = w.handset(&alias)?.device_passcode.clone();
    let length = current.as_ref().map_or(6, |p| p.len());
    let wrong = loop {
        let p = w.make_passcode(Shape { length, alphabet: Alphabet::Digits });
        if Some(&p) != current.as_ref() {
            break p;
        }
    };
    let entry = w
        .handset(&alias)?
        .dut
        .enter_passcode(CredentialHolder::DeviceUser, &wrong)
        .await
        .map_err(|e| w.fail(e.to_string()))?;
    match entry {
        Entry::Unlocked => Err(w.fail(format!("a wrong passcode unlocked \"{alias}\""))),
        Entry::NotLocked => Err(w.fail(format!("\"{alias}\" was not locked, so nothing asked for its passcode"))),
        _ => Ok(()),
    }
}

#[then(regex = r#"^the credential-encrypted storage of "(\w+)" is available$"#)]
async fn ce_available(w: &mut LockstepWorld, alias: String) -> StepResult {
    let s = w.handset(&alias)?.dut.state().await.map_err(|e| w.fail(e.to_string()))?;
    if s.direct_boot || s.awaiting_boot_password {
        Err(w.fail(format!("the user storage of \"{alias}\" is still locked (Direct Boot) after the unlock")))
    } else {
        Ok(())
    }
}
