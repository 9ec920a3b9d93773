//! Shared set-up for android-sim's integration tests.
#![allow(dead_code)]

use android_sim::profile::{Conformance, KeyguardBehaviour, Quirks};
use android_sim::{
    platform, Agent, AgentCommand, CommandOutcome, CredentialHolder, Device, DeviceProfile, Encryption, Ownership,
    Passcode, ResetFlags, SimTime,
};
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) const T0: SimTime = SimTime::ZERO;

pub(crate) fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/devices")
}

pub(crate) fn fixture(name: &str) -> Arc<DeviceProfile> {
    Arc::new(DeviceProfile::load(&fixtures_dir().join(format!("{name}.toml"))).expect("fixture parses"))
}

/// A conforming profile for any API level, every mode it can have.
pub(crate) fn generic(api: u8, encryption: Encryption) -> Arc<DeviceProfile> {
    Arc::new(DeviceProfile {
        name: format!("generic-{api}"),
        manufacturer: "Generic".into(),
        brand: "generic".into(),
        model: format!("API {api}"),
        android_version: platform::android_version(api).expect("known level").into(),
        api_level: api,
        build_id: "TEST".into(),
        security_patch: "2024-01-01".into(),
        encryption,
        ownership_modes: Ownership::ALL.into_iter().filter(|o| api >= platform::first_api_of(*o)).collect(),
        keyguard: KeyguardBehaviour { pin_auto_confirm: api >= 34, ..Default::default() },
        quirks: Quirks::default(),
        conformance: Conformance::default(),
    })
}

/// The encryption a typical device of that level has.
pub(crate) fn typical(api: u8) -> Encryption {
    if api >= 24 {
        Encryption::FileBased
    } else {
        Encryption::FullDisk
    }
}

pub(crate) fn pass(s: &str) -> Passcode {
    Passcode::new(s)
}

/// The credential holder an MDM's reset targets in this mode.
pub(crate) fn managed_holder(o: Ownership) -> CredentialHolder {
    if o.has_work_profile() {
        CredentialHolder::WorkProfile
    } else {
        CredentialHolder::DeviceUser
    }
}

/// A device set up by its user (with `passcode` on the device lock, if any),
/// restarted at least once since, enrolled, then used for a while: locked and
/// unlocked once, which activates a pending reset token.
pub(crate) fn in_use(profile: Arc<DeviceProfile>, ownership: Ownership, passcode: Option<&str>) -> Device {
    let mut d = Device::new(profile, ownership, 42).expect("mode supported");
    if let Some(p) = passcode {
        d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(&pass(p)), T0).expect("passcode accepted");
        d.reboot();
        assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass(p), T0), android_sim::Entry::Unlocked);
    }
    Agent::on(&mut d).provision();
    if let Some(p) = passcode {
        d.press_power();
        assert_eq!(d.enter_passcode(CredentialHolder::DeviceUser, &pass(p), T0), android_sim::Entry::Unlocked);
    }
    d
}

pub(crate) fn reset(d: &mut Device, new: &str, flags: ResetFlags) -> CommandOutcome {
    let new_password = (!new.is_empty()).then(|| pass(new));
    Agent::on(d).apply(&AgentCommand::ResetPassword { new_password, flags }, T0)
}

pub(crate) fn code(outcome: &CommandOutcome) -> &'static str {
    match outcome {
        CommandOutcome::Done => "DONE",
        CommandOutcome::Failed { code, .. } => code.amapi_name(),
        CommandOutcome::Waiting(android_sim::Waiting::Offline) => "WAITING_OFFLINE",
        CommandOutcome::Waiting(android_sim::Waiting::NotRunning) => "WAITING_NOT_RUNNING",
    }
}

/// Every profile in fixtures/devices.
pub(crate) fn profiles() -> Vec<Arc<DeviceProfile>> {
    DeviceProfile::load_dir(&fixtures_dir())
        .expect("the project's device profiles load")
        .into_iter()
        .map(Arc::new)
        .collect()
}

/// Every conforming profile in fixtures/devices that supports `ownership`,
/// and a generic one of every API level that can have it.
pub(crate) fn conforming(ownership: Ownership) -> Vec<Arc<DeviceProfile>> {
    let mut out: Vec<Arc<DeviceProfile>> =
        profiles().into_iter().filter(|p| !p.is_negative_control() && p.supports(ownership)).collect();
    out.extend(
        (platform::LOWEST_API..=platform::HIGHEST_API)
            .map(|api| generic(api, typical(api)))
            .filter(|p| p.supports(ownership)),
    );
    out
}

/// An enrolled device (agent provisioned) whose device user then set `passcode`.
pub(crate) fn device_with(profile: Arc<DeviceProfile>, ownership: Ownership, passcode: &Passcode) -> Device {
    let mut d = Device::new(profile, ownership, 42).expect("supported");
    Agent::on(&mut d).provision();
    d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(passcode), T0).expect("a passcode");
    d
}

/// Lock the device with the power key and unlock it with `passcode`.
pub(crate) fn unlock(d: &mut Device, passcode: &Passcode) -> android_sim::Entry {
    if !d.is_locked(CredentialHolder::DeviceUser) {
        if !d.screen_on() {
            d.press_power();
        }
        d.press_power();
    }
    d.enter_passcode(CredentialHolder::DeviceUser, passcode, T0)
}
