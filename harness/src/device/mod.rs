//! The device under test: what a step can observe and do on a phone. Steps
//! are written once against [`DeviceUnderTest`]; the simulated backend
//! drives an android-sim device inside the AMAPI mock, and an adb backend
//! can drive a real phone through the same calls.

pub mod adb;
pub mod simulated;
pub mod standalone;

use android_sim::{
    Complexity, Constraint, CredentialHolder, DeviceEvent, Entry, LockScope, Ownership, Passcode, PasswordMetrics,
    PasswordQuality, Refusal, RunState, TokenState,
};
use futures::future::BoxFuture;

/// Facts about the device that do not change during a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    pub profile: String,
    pub api_level: u8,
    pub ownership: Ownership,
}

/// What can be observed about the device right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceState {
    pub screen_on: bool,
    /// The device lock screen (or the boot password prompt) is up.
    pub locked: bool,
    /// The work profile's lock, when there is a work profile.
    pub work_profile_locked: Option<bool>,
    /// Running, but the user's encrypted storage not unlocked since boot.
    pub direct_boot: bool,
    /// Full-disk encryption waits for the boot password.
    pub awaiting_boot_password: bool,
}

/// A device that cannot do what a step asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DeviceError {
    #[error("the device is unreachable: {0}")]
    Unreachable(String),
    #[error("not possible with this device: {0}")]
    Unsupported(&'static str),
    /// The device was reached and said no (Settings refused a new passcode).
    #[error("{0}")]
    Refused(String),
}

pub type DeviceResult<T> = Result<T, DeviceError>;

/// What a step can do with a device in hand.
pub trait DeviceUnderTest: Send + Sync + std::fmt::Debug {
    fn facts(&self) -> &DeviceFacts;
    fn state(&self) -> BoxFuture<'_, DeviceResult<DeviceState>>;
    /// Type a passcode on the lock screen of `holder` (the device lock, or the
    /// work challenge) and submit it the way that lock screen does.
    fn enter_passcode<'a>(
        &'a self,
        holder: CredentialHolder,
        passcode: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Entry>>;
    fn press_power(&self) -> BoxFuture<'_, DeviceResult<()>>;
    fn reboot(&self) -> BoxFuture<'_, DeviceResult<()>>;
    /// Change the passcode in Settings (the holder must be unlocked).
    fn set_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: Option<&'a Passcode>,
        new: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<()>>;
    /// Controls only a simulated device has (connectivity, other admin apps).
    fn god_mode(&self) -> Option<&dyn GodMode>;
    /// The scenario is over: leave a shared device as the scenario found it
    /// (the adb backend clears the lock credential the scenario set, given
    /// the passcode in force). Simulated devices are simply dropped.
    fn release<'a>(&'a self, passcode: Option<&'a Passcode>) -> BoxFuture<'a, DeviceResult<()>> {
        let _ = passcode;
        Box::pin(futures::future::ready(Ok(())))
    }
}

/// Controls of a simulated device that no real phone offers a test.
pub trait GodMode: Send + Sync {
    fn set_online(&self, online: bool) -> BoxFuture<'_, DeviceResult<()>>;
    /// Another, plain device-admin app on the device tries the legacy reset.
    /// The inner error is the platform's refusal, in words.
    fn other_admin_reset<'a>(&'a self, new: &'a Passcode) -> BoxFuture<'a, DeviceResult<Result<(), String>>>;
    /// What `DevicePolicyManager`, `LockSettingsService` and `am` would
    /// answer about `holder` right now.
    fn probe(&self, holder: CredentialHolder) -> BoxFuture<'_, DeviceResult<Probe>>;
    /// The MDM's agent sets its reset token again `times` times, the user
    /// unlocking with `passcode` after each (what an agent that renews its
    /// token on every sync does, docs/platform.md §2.4).
    fn renew_reset_token<'a>(&'a self, times: u32, passcode: &'a Passcode) -> BoxFuture<'a, DeviceResult<()>>;
    /// The agent calls lockNow(FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY).
    fn lock_evicting_key(&self) -> BoxFuture<'_, DeviceResult<Result<LockScope, Refusal>>>;
    /// The agent sets `holder`'s password quality, then each minimum, through
    /// the `DevicePolicyManager` setters; stops at the first refusal.
    fn require<'a>(
        &'a self,
        holder: CredentialHolder,
        quality: PasswordQuality,
        minima: &'a [(Constraint, u8)],
    ) -> BoxFuture<'a, DeviceResult<Result<(), Refusal>>>;
    /// The person removes the passcode of `holder` in Settings.
    fn remove_passcode_in_settings<'a>(
        &'a self,
        holder: CredentialHolder,
        current: &'a Passcode,
    ) -> BoxFuture<'a, DeviceResult<Result<(), Refusal>>>;
}

/// A simulated device's answers about one credential holder.
#[derive(Debug, Clone)]
pub struct Probe {
    pub sufficient: Result<bool, Refusal>,
    pub complexity: Result<Complexity, Refusal>,
    pub token: TokenState,
    pub run_state: Option<RunState>,
    pub failed_attempts: u16,
    pub metrics: Option<PasswordMetrics>,
    pub events: Vec<DeviceEvent>,
}
