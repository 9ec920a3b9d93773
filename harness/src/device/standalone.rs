//! A simulated device on its own, with no MDM and no AMAPI mock behind it:
//! what the device-side firmware checks (@device) run on in the embedded
//! suite, and what `lockstep sim serve` puts behind adb. The device is an
//! [`adbd_sim::SharedDevice`], so the same device can be served over adb
//! while this backend acts on it directly.

use super::{DeviceError, DeviceFacts, DeviceResult, DeviceState, DeviceUnderTest, GodMode};
use adbd_sim::SharedDevice;
use android_sim::{
    Admin, BootState, CredentialHolder, Device, DeviceProfile, Entry, Ownership, Passcode, ResetFlags,
    UnsupportedOwnership,
};
use futures::future::{ready, BoxFuture, FutureExt};
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

    fn act<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Device, android_sim::SimTime) -> R,
    ) -> BoxFuture<'_, DeviceResult<R>> {
        ready(Ok(self.device.act(f))).boxed()
    }
}

impl DeviceUnderTest for StandaloneDevice {
    fn facts(&self) -> &DeviceFacts {
        &self.facts
    }

    fn state(&self) -> BoxFuture<'_, DeviceResult<DeviceState>> {
        self.act(|d, _| DeviceState {
            screen_on: d.screen_on(),
            locked: d.is_locked(CredentialHolder::DeviceUser),
            work_profile_locked: d.has_work_profile().then(|| d.is_locked(CredentialHolder::WorkProfile)),
            direct_boot: d.in_direct_boot(CredentialHolder::DeviceUser),
            awaiting_boot_password: d.boot_state() == BootState::AwaitingBootPassword,
        })
    }

    fn enter_passcode<'a>(
        &'a self,
        holder: CredentialHolder,
        passcode: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Entry>> {
        let p = passcode.clone();
        self.act(move |d, now| d.enter_passcode(holder, &p, now))
    }

    fn press_power(&self) -> BoxFuture<'_, DeviceResult<()>> {
        self.act(|d, _| d.press_power())
    }

    fn reboot(&self) -> BoxFuture<'_, DeviceResult<()>> {
        self.act(|d, _| d.reboot())
    }

    fn set_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: Option<&'a Passcode>,
        new: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<()>> {
        let (current, new) = (current.cloned(), new.clone());
        let result =
            self.device.act(move |d, now| d.set_passcode_in_settings(holder, current.as_ref(), Some(&new), now));
        ready(
            result.map_err(|refusal| DeviceError::Unreachable(format!("Settings refused the new passcode: {refusal}"))),
        )
        .boxed()
    }

    fn god_mode(&self) -> Option<&dyn GodMode> {
        Some(self)
    }
}

impl GodMode for StandaloneDevice {
    fn set_online(&self, online: bool) -> BoxFuture<'_, DeviceResult<()>> {
        self.act(move |d, _| d.set_online(online))
    }

    fn other_admin_reset<'a>(&'a self, new: &'a Passcode) -> BoxFuture<'a, DeviceResult<Result<(), String>>> {
        let p = new.clone();
        self.act(move |d, _| {
            d.reset_password(Admin::OtherAdmin, Some(&p), ResetFlags::default()).map_err(|r| r.to_string())
        })
    }
}
