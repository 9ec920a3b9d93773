//! One simulated device: its users and their credentials, the keyguard, boot
//! state, reset-password tokens, password policy and connectivity; the
//! `DevicePolicyManager` calls an admin makes; and what a person does with
//! the phone in hand.
//!
//! Every API-level decision is delegated to [`crate::platform`]. The calls
//! are split by who makes them: [`person`] (the phone in hand),
//! [`locksettings`] (the shell's `locksettings`), [`dpm`]
//! (`DevicePolicyManager`), with the shared bookkeeping in [`users`].

mod dpm;
mod facts;
mod locksettings;
mod person;
mod users;

use crate::clock::SimTime;
use crate::keyguard::{Keyguard, Submission};
use crate::metrics::{Complexity, PasswordMetrics};
use crate::ownership::{ManagementMode, Ownership};
use crate::passcode::{Credential, CredentialKind, Passcode};
use crate::platform;
use crate::policy::{Constraint, PasswordPolicy, PasswordQuality, PolicyScope, Requirement};
use crate::profile::DeviceProfile;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

pub use crate::platform::{CredentialHolder, LockScope, Refusal};

/// The state of a user's reset-password (escrow) token (PLAT-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenState {
    None,
    /// Set while a credential existed; activates at the next unlock.
    Pending,
    Active,
}

/// The state a stored token is in (`None`: no token).
fn token_state(token: Option<&EscrowToken>) -> TokenState {
    match token {
        None => TokenState::None,
        Some(t) if t.active => TokenState::Active,
        Some(_) => TokenState::Pending,
    }
}

/// The digest a token value is kept as.
fn token_digest(value: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"escrow-token");
    h.update(value);
    h.finalize().into()
}

/// Whether the device has finished booting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BootState {
    /// Full-disk encryption waits for the boot password: nothing runs.
    AwaitingBootPassword,
    /// The framework runs; each user may still be in Direct Boot.
    Running,
}

/// Who calls `DevicePolicyManager`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Admin {
    /// The MDM's agent, in the device's management mode.
    Agent,
    /// Another app holding plain device-admin rights. Our choice: every
    /// simulated device can have one, so REQUIRE_ENTRY ("no other admin may
    /// reset until the user enters it", PLAT-8) can be observed.
    OtherAdmin,
    /// Such an app built for an older SDK: the legacy reset answers it by
    /// its `targetSdkVersion` (§1.1).
    OtherAdminTargeting(u8),
}

/// Flags of `lockNow(int flags)` (§6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LockFlags {
    /// FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY: stop the managed profile and
    /// restart it with its credential-encrypted storage locked.
    pub evict_credential_key: bool,
}

/// `am get-started-user-state`: whether a user's credential-encrypted
/// storage is unlocked (§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunState {
    RunningLocked,
    RunningUnlocked,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::RunningLocked => "RUNNING_LOCKED",
            RunState::RunningUnlocked => "RUNNING_UNLOCKED",
        }
    }
}

/// Which log an event goes to (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventLog {
    /// The security log an owner can retrieve (`SecurityLog` tags).
    Security,
    /// The platform's stats events (`DevicePolicyEnums`).
    Stats,
}

/// One event the device recorded, as Android's security log or stats events
/// would carry it. It names no passcode.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceEvent {
    pub log: EventLog,
    /// The tag or event name, e.g. `RESET_PASSWORD_WITH_TOKEN`, `TAG_REMOTE_LOCK`.
    pub name: &'static str,
    pub holder: CredentialHolder,
    /// For authentication attempts: whether it succeeded.
    pub success: Option<bool>,
}

/// A reset-password token as LockSettingsService keeps it: a digest of its
/// value, who set it, and whether it is active yet (§2, §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
struct EscrowToken {
    digest: [u8; 32],
    owner: Admin,
    active: bool,
}

/// Flags of a passcode reset (PLAT-8). `lock_now` is AMAPI's; the platform has
/// no such flag and the agent locks after the reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResetFlags {
    pub require_entry: bool,
    pub do_not_ask_credentials_on_boot: bool,
    pub lock_now: bool,
}

/// What `LockSettingsService` answered to a credential check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The credential matched.
    Verified,
    /// The holder has no credential to check against.
    NoCredential,
    /// Wrong: counted as a failed attempt.
    Wrong { failed_attempts: u16, lockout: Option<Duration> },
    /// A lockout is running; nothing was checked.
    Throttled { remaining: Duration },
    /// A work profile that shares the device lock has no credential of its own.
    UnifiedChallenge,
    /// Nothing runs yet (full-disk encryption waits for the boot password).
    NotRunning,
}

/// What happened when a person typed a passcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Accepted: the holder is unlocked.
    Unlocked,
    /// Submitted and wrong.
    Rejected { failed_attempts: u16, lockout: Option<Duration> },
    /// Auto-confirm submitted the first `at` digits by itself, which were wrong:
    /// a passcode of this length cannot be entered (PLAT-6).
    CutShort { at: u8, failed_attempts: u16, lockout: Option<Duration> },
    /// Auto-confirm waits for `expected` digits and there is no OK key: a
    /// passcode of this length cannot be entered (PLAT-6).
    AwaitingMoreDigits { typed: u8, expected: u8 },
    /// Non-conforming firmware: the PIN pad took only the first `at` digits,
    /// which were wrong; a longer PIN cannot be entered.
    Truncated { at: u8, failed_attempts: u16, lockout: Option<Duration> },
    /// The PIN pad has no key for some character of the passcode.
    CannotType,
    /// Too many failures; try again later.
    LockedOut { remaining: Duration },
    /// Nothing to unlock.
    NotLocked,
    /// The work profile shares the device lock; unlock the device instead.
    NotSeparate,
    /// The work challenge shows only once the device itself is unlocked.
    UnlockDeviceFirst,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct UserState {
    credential: Option<Credential>,
    token: Option<EscrowToken>,
    /// Credential-encrypted storage is available (false in Direct Boot).
    storage_unlocked: bool,
    /// The keyguard (device user) or work challenge (profile) is up.
    locked: bool,
    /// Who reset with REQUIRE_ENTRY, until the user enters the passcode.
    password_owner: Option<Admin>,
    /// The PIN length stored with the credential, read by the keyguard at start.
    stored_pin_length: Option<u8>,
    keyguard: Keyguard,
}

impl UserState {
    fn unlocked_without_credential() -> Self {
        UserState {
            credential: None,
            token: None,
            storage_unlocked: true,
            locked: false,
            password_owner: None,
            stored_pin_length: None,
            keyguard: Keyguard::start(None),
        }
    }
}

/// A simulated Android device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    profile: Arc<DeviceProfile>,
    ownership: Ownership,
    salt: u64,
    boot: BootState,
    screen_on: bool,
    online: bool,
    device_user: UserState,
    work_profile: Option<UserState>,
    /// The work profile has its own challenge, apart from the device lock.
    separate_work_challenge: bool,
    do_not_ask_credentials_on_boot: bool,
    policies: Vec<PasswordPolicy>,
    /// How many times any credential was set, changed or cleared: what an
    /// agent watching for "the user changed their passcode" would see.
    credential_changes: u32,
    /// The security log and stats events, oldest first.
    events: Vec<DeviceEvent>,
    /// The agent's reset-password token, as it keeps it in device-encrypted
    /// storage so it can reset in Direct Boot (§3, TestDPC's practice).
    agent_token: Option<Vec<u8>>,
    /// Secure-element (Weaver) slots escrow tokens have taken (§2.4).
    escrow_slots_used: u8,
    /// Non-conforming firmware ran out of slots; see [`Device::escrow_slots_used`].
    lock_screen_broken: bool,
}

/// The profile does not support the requested ownership mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device profile `{profile}` does not support ownership mode `{ownership}` (it supports: {supported})")]
pub struct UnsupportedOwnership {
    pub profile: String,
    pub ownership: Ownership,
    pub supported: String,
}

impl Device {
    /// A device in use: booted, screen on, unlocked, no passcode yet, online.
    /// `salt` makes credential digests differ between devices.
    pub fn new(profile: Arc<DeviceProfile>, ownership: Ownership, salt: u64) -> Result<Self, UnsupportedOwnership> {
        if !profile.supports(ownership) {
            let supported: Vec<_> = profile.ownership_modes.iter().map(|o| o.as_str()).collect();
            return Err(UnsupportedOwnership {
                profile: profile.name.clone(),
                ownership,
                supported: supported.join(", "),
            });
        }
        Ok(Device {
            work_profile: ownership.has_work_profile().then(UserState::unlocked_without_credential),
            profile,
            ownership,
            salt,
            boot: BootState::Running,
            screen_on: true,
            online: true,
            device_user: UserState::unlocked_without_credential(),
            separate_work_challenge: false,
            do_not_ask_credentials_on_boot: false,
            policies: Vec::new(),
            credential_changes: 0,
            events: Vec::new(),
            agent_token: None,
            escrow_slots_used: 0,
            lock_screen_broken: false,
        })
    }
}
