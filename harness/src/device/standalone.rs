//! A simulated device on its own, with no MDM and no AMAPI mock behind it:
//! what the device-side firmware checks (@device) run on in the embedded
//! suite, and what `lockstep sim serve` puts behind adb. The device is an
//! [`adbd_sim::SharedDevice`], so the same device can be served over adb
//! while this backend acts on it directly.

use super::simulated::SimulatedHost;
use super::{DeviceFacts, DeviceResult};
use adbd_sim::SharedDevice;
use android_sim::{CredentialHolder, Device, DeviceProfile, Entry, Ownership, Passcode, UnsupportedOwnership};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct StandaloneDevice {
    device: SharedDevice,
    facts: DeviceFacts,
}

/// A device that could not be set up as asked.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Ownership(#[from] UnsupportedOwnership),
    #[error("the passcode could not be set in Settings: {0}")]
    Passcode(android_sim::Refusal),
    #[error("the device's own passcode did not unlock it after a restart: {0:?}")]
    Unlock(Entry),
}

impl StandaloneDevice {
    /// A device in use: enrolled in `ownership`, with `passcode` set in
    /// Settings (if any), restarted once since (so the lock screen read the
    /// passcode's length at start-up, as on a phone that has been used for
    /// a while) and unlocked by its user.
    pub fn in_use(
        profile: Arc<DeviceProfile>,
        ownership: Ownership,
        passcode: Option<&Passcode>,
        salt: u64,
    ) -> Result<Self, SetupError> {
        let mut d = Device::new(profile, ownership, salt)?;
        let device = SharedDevice::new(Device::clone(&d));
        if let Some(p) = passcode {
            let now = device.now();
            d.set_passcode_in_settings(CredentialHolder::DeviceUser, None, Some(p), now)
                .map_err(SetupError::Passcode)?;
            d.reboot();
            let entry = d.enter_passcode(CredentialHolder::DeviceUser, p, now);
            if entry != Entry::Unlocked {
                return Err(SetupError::Unlock(entry));
            }
        }
        let facts =
            DeviceFacts { profile: d.profile().name.clone(), api_level: d.api_level(), ownership: d.ownership() };
        device.act(|shared, _| *shared = d);
        Ok(StandaloneDevice { device, facts })
    }

    /// The shared device, to serve it over adb as well.
    pub fn shared(&self) -> &SharedDevice {
        &self.device
    }
}

impl SimulatedHost for StandaloneDevice {
    fn facts(&self) -> &DeviceFacts {
        &self.facts
    }

    fn act<R>(&self, f: impl FnOnce(&mut Device, android_sim::SimTime) -> R) -> DeviceResult<R> {
        Ok(self.device.act(f))
    }

    fn set_online(&self, online: bool) -> DeviceResult<()> {
        self.act(|d, _| d.set_online(online))
    }
}
