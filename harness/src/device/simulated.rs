//! Simulated backends: an android-sim device acted on in process. Two hosts
//! keep such a device: the AMAPI mock (embedded MDM scenarios), acted on
//! through the mock so that every change (a passcode typed, a restart, coming
//! online) makes the device sync and run its queued commands as a real one
//! would; and [`super::standalone`] (device-side checks, `lockstep sim serve`).
//! Both get their `DeviceUnderTest` and god-mode from the one implementation
//! here, over [`SimulatedHost`].

use super::{DeviceError, DeviceFacts, DeviceResult, DeviceState, DeviceUnderTest, GodMode, Probe};
use amapi_mock::Mock;
use android_sim::{
    Admin, BootState, Constraint, CredentialHolder, Device, Entry, LockFlags, LockScope, Passcode, PasswordQuality,
    Refusal, ResetFlags, SimTime,
};
use futures::future::{ready, BoxFuture, FutureExt};

/// Where a simulated device lives, and how to act on it there.
pub trait SimulatedHost: Send + Sync + std::fmt::Debug {
    fn facts(&self) -> &DeviceFacts;
    /// Run `f` on the device, then let the host react to what changed.
    fn act<R>(&self, f: impl FnOnce(&mut Device, SimTime) -> R) -> DeviceResult<R>;
    /// Connect the device or cut it off.
    fn set_online(&self, online: bool) -> DeviceResult<()>;
}

/// A device enrolled in the scenario's AMAPI mock.
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
}

impl SimulatedHost for SimulatedDevice {
    fn facts(&self) -> &DeviceFacts {
        &self.facts
    }

    fn act<R>(&self, f: impl FnOnce(&mut Device, SimTime) -> R) -> DeviceResult<R> {
        self.mock.with_device(&self.name, f).map_err(|e| DeviceError::Unreachable(e.to_string()))
    }

    fn set_online(&self, online: bool) -> DeviceResult<()> {
        self.mock.set_online(&self.name, online).map_err(|e| DeviceError::Unreachable(e.to_string()))
    }
}

fn now<T: Send + 'static>(r: DeviceResult<T>) -> BoxFuture<'static, DeviceResult<T>> {
    ready(r).boxed()
}

impl<H: SimulatedHost> DeviceUnderTest for H {
    fn facts(&self) -> &DeviceFacts {
        SimulatedHost::facts(self)
    }

    fn state(&self) -> BoxFuture<'_, DeviceResult<DeviceState>> {
        now(self.act(|d, _| DeviceState {
            screen_on: d.screen_on(),
            locked: d.is_locked(CredentialHolder::DeviceUser),
            work_profile_locked: d.has_work_profile().then(|| d.is_locked(CredentialHolder::WorkProfile)),
            direct_boot: d.in_direct_boot(CredentialHolder::DeviceUser),
            awaiting_boot_password: d.boot_state() == BootState::AwaitingBootPassword,
        }))
    }

    fn enter_passcode<'a>(
        &'a self,
        holder: CredentialHolder,
        passcode: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Entry>> {
        now(self.act(|d, t| d.enter_passcode(holder, passcode, t)))
    }

    fn press_power(&self) -> BoxFuture<'_, DeviceResult<()>> {
        now(self.act(|d, _| d.press_power()))
    }

    fn reboot(&self) -> BoxFuture<'_, DeviceResult<()>> {
        now(self.act(|d, _| d.reboot()))
    }

    fn set_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: Option<&'a Passcode>,
        new: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<()>> {
        let result = self.act(|d, t| d.set_passcode_in_settings(holder, current, Some(new), t));
        now(result.and_then(|r| {
            r.map_err(|refusal| DeviceError::Refused(format!("Settings refused the new passcode: {refusal}")))
        }))
    }

    fn god_mode(&self) -> Option<&dyn GodMode> {
        Some(self)
    }
}

impl<H: SimulatedHost> GodMode for H {
    fn set_online(&self, online: bool) -> BoxFuture<'_, DeviceResult<()>> {
        now(SimulatedHost::set_online(self, online))
    }

    fn other_admin_reset<'a>(&'a self, new: &'a Passcode) -> BoxFuture<'a, DeviceResult<Result<(), String>>> {
        now(self.act(|d, _| {
            d.reset_password(Admin::OtherAdmin, Some(new), ResetFlags::default()).map_err(|r| r.to_string())
        }))
    }

    fn probe(&self, holder: CredentialHolder) -> BoxFuture<'_, DeviceResult<Probe>> {
        now(self.act(|d, _| Probe {
            sufficient: d.is_active_password_sufficient(holder),
            complexity: d.password_complexity(holder),
            token: d.token_state(holder),
            run_state: d.run_state(holder),
            failed_attempts: d.failed_attempts(holder),
            metrics: d.credential_metrics(holder),
            events: d.events().to_vec(),
        }))
    }

    fn renew_reset_token<'a>(&'a self, times: u32, passcode: &'a Passcode) -> BoxFuture<'a, DeviceResult<()>> {
        now(self.act(|d, t| {
            for _ in 0..times {
                android_sim::Agent::on(d).provision();
                if !d.is_locked(CredentialHolder::DeviceUser) {
                    d.press_power();
                }
                d.enter_passcode(CredentialHolder::DeviceUser, passcode, t);
            }
        }))
    }

    fn lock_evicting_key(&self) -> BoxFuture<'_, DeviceResult<Result<LockScope, Refusal>>> {
        now(self.act(|d, _| d.lock_now_with(Admin::Agent, LockFlags { evict_credential_key: true })))
    }

    fn require<'a>(
        &'a self,
        holder: CredentialHolder,
        quality: PasswordQuality,
        minima: &'a [(Constraint, u8)],
    ) -> BoxFuture<'a, DeviceResult<Result<(), Refusal>>> {
        now(self.act(|d, _| {
            d.set_password_quality(Admin::Agent, holder, quality)?;
            for (constraint, value) in minima {
                d.set_password_minimum(Admin::Agent, holder, *constraint, *value)?;
            }
            Ok(())
        }))
    }

    fn remove_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Result<(), Refusal>>> {
        now(self.act(|d, t| d.set_passcode_in_settings(holder, Some(current), None, t)))
    }
}
