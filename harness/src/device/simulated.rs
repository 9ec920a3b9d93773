//! The simulated backend: an android-sim device living inside the AMAPI
//! mock, acted on through the mock so that every change (a passcode typed,
//! a restart, coming online) makes the device sync and run its queued
//! commands, as a real device would.

use super::{DeviceError, DeviceFacts, DeviceResult, DeviceState, DeviceUnderTest, GodMode};
use amapi_mock::Mock;
use android_sim::{Admin, BootState, CredentialHolder, Device, Entry, Passcode, ResetFlags, SimTime};
use futures::future::{ready, BoxFuture, FutureExt};

#[derive(Debug, Clone)]
pub struct SimulatedDevice {
    mock: Mock,
    /// `enterprises/E/devices/D`.
    name: String,
    facts: DeviceFacts,
}

impl SimulatedDevice {
    pub fn new(mock: Mock, name: String, facts: DeviceFacts) -> Self {
        SimulatedDevice { mock, name, facts }
    }

    fn act<R: Send + 'static>(&self, f: impl FnOnce(&mut Device, SimTime) -> R) -> BoxFuture<'_, DeviceResult<R>> {
        ready(self.mock.with_device(&self.name, f).map_err(|e| DeviceError::Unreachable(e.to_string()))).boxed()
    }
}

impl DeviceUnderTest for SimulatedDevice {
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
        let result = self.mock.with_device(&self.name, move |d, now| {
            d.set_passcode_in_settings(holder, current.as_ref(), Some(&new), now)
        });
        ready(match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(refusal)) => Err(DeviceError::Unreachable(format!("Settings refused the new passcode: {refusal}"))),
            Err(e) => Err(DeviceError::Unreachable(e.to_string())),
        })
        .boxed()
    }

    fn god_mode(&self) -> Option<&dyn GodMode> {
        Some(self)
    }
}

impl GodMode for SimulatedDevice {
    fn set_online(&self, online: bool) -> BoxFuture<'_, DeviceResult<()>> {
        ready(self.mock.set_online(&self.name, online).map_err(|e| DeviceError::Unreachable(e.to_string()))).boxed()
    }

    fn other_admin_reset<'a>(&'a self, new: &'a Passcode) -> BoxFuture<'a, DeviceResult<Result<(), String>>> {
        let p = new.clone();
        self.act(move |d, _| {
            d.reset_password(Admin::OtherAdmin, Some(&p), ResetFlags::default()).map_err(|r| r.to_string())
        })
    }
}
