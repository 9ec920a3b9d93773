//! One simulated device: its users and their credentials, the keyguard, boot
//! state, reset-password tokens, password policy and connectivity; the
//! `DevicePolicyManager` calls an admin makes; and what a person does with
//! the phone in hand.
//!
//! Every API-level decision is delegated to [`crate::platform`].

use crate::clock::SimTime;
use crate::keyguard::{Keyguard, Submission};
use crate::ownership::{ManagementMode, Ownership};
use crate::passcode::{Credential, CredentialKind, Passcode};
use crate::platform;
use crate::policy::{PasswordPolicy, PasswordQuality, PolicyScope, Requirement};
use crate::profile::DeviceProfile;
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
    token: TokenState,
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
            token: TokenState::None,
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
        })
    }

    // ----- facts ---------------------------------------------------------

    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn ownership(&self) -> Ownership {
        self.ownership
    }

    pub fn api_level(&self) -> u8 {
        self.profile.api_level
    }

    pub fn is_online(&self) -> bool {
        self.online
    }

    pub fn set_online(&mut self, online: bool) {
        self.online = online;
    }

    pub fn boot_state(&self) -> BootState {
        self.boot
    }

    pub fn screen_on(&self) -> bool {
        self.screen_on
    }

    pub fn separate_work_challenge(&self) -> bool {
        self.separate_work_challenge
    }

    pub fn has_work_profile(&self) -> bool {
        self.work_profile.is_some()
    }

    /// Whether `holder`'s lock is up. A work profile that shares the device
    /// lock is locked exactly when the device is.
    pub fn is_locked(&self, holder: CredentialHolder) -> bool {
        match self.effective(holder) {
            Some(u) => u.locked || self.boot == BootState::AwaitingBootPassword,
            None => false,
        }
    }

    /// Whether `holder` is in Direct Boot: running, but its credential-
    /// encrypted storage not unlocked since boot.
    pub fn in_direct_boot(&self, holder: CredentialHolder) -> bool {
        self.boot == BootState::Running && self.user(holder).is_some_and(|u| !u.storage_unlocked)
    }

    pub fn has_credential(&self, holder: CredentialHolder) -> bool {
        self.effective(holder).is_some_and(|u| u.credential.is_some())
    }

    /// The keyguard a holder's credential brings up, if any.
    pub fn credential_kind(&self, holder: CredentialHolder) -> Option<CredentialKind> {
        self.effective(holder).and_then(|u| u.credential.as_ref()).map(Credential::kind)
    }

    pub fn token_state(&self, holder: CredentialHolder) -> TokenState {
        self.user(holder).map_or(TokenState::None, |u| u.token)
    }

    /// The length at which the device keyguard auto-confirms a PIN now, or
    /// `None` when it shows an OK key.
    pub fn keyguard_auto_confirm_length(&self) -> Option<u8> {
        let u = &self.device_user;
        u.keyguard.auto_confirm_length(self.auto_confirm_available(u))
    }

    pub fn failed_attempts(&self, holder: CredentialHolder) -> u16 {
        self.effective(holder).map_or(0, |u| u.keyguard.failed_attempts())
    }

    /// How many times a credential was set, changed or cleared on this device.
    pub fn credential_changes(&self) -> u32 {
        self.credential_changes
    }

    pub fn do_not_ask_credentials_on_boot(&self) -> bool {
        self.do_not_ask_credentials_on_boot
    }

    /// The policy that governs `holder`'s passcode, if one is assigned
    /// (AMAPI: SCOPE_UNSPECIFIED means the work profile where there is one).
    pub fn policy_for(&self, holder: CredentialHolder) -> Option<&PasswordPolicy> {
        self.policies.iter().find(|p| {
            let scope_holder = match p.scope {
                PolicyScope::ScopeDevice => CredentialHolder::DeviceUser,
                PolicyScope::ScopeProfile => CredentialHolder::WorkProfile,
                PolicyScope::ScopeUnspecified if self.has_work_profile() => CredentialHolder::WorkProfile,
                PolicyScope::ScopeUnspecified => CredentialHolder::DeviceUser,
            };
            scope_holder == holder
        })
    }

    /// Replace the assigned password policies.
    pub fn assign_password_policies(&mut self, policies: Vec<PasswordPolicy>) {
        self.policies = policies;
    }

    /// What a new passcode for `holder` fails: the platform floor first,
    /// then the assigned policy. `None` (or empty) clears the passcode, which
    /// only a policy can forbid.
    pub fn unmet_requirements(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Vec<Requirement> {
        let mut unmet: Vec<Requirement> = floor_unmet(new).into_iter().collect();
        unmet.extend(self.policy_unmet(holder, new));
        unmet
    }

    fn policy_unmet(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Vec<Requirement> {
        let Some(policy) = self.policy_for(holder) else { return Vec::new() };
        match new.filter(|p| !p.is_empty()) {
            None if policy.quality != PasswordQuality::PasswordQualityUnspecified => vec![Requirement::NotEmpty],
            None => Vec::new(),
            Some(p) => policy.check(p).into_iter().filter(|c| !c.met).map(|c| c.requirement).collect(),
        }
    }

    // ----- what a person does ------------------------------------------

    /// The power key: turns the screen off (the keyguard locks at once where a
    /// credential is set; our choice of a zero lock timeout) or on.
    pub fn press_power(&mut self) {
        if self.screen_on {
            self.screen_on = false;
            self.lock_users(true);
        } else {
            self.screen_on = true;
        }
    }

    /// A restart (the REBOOT command, a forced restart, a battery pull).
    pub fn reboot(&mut self) {
        let fde = !platform::agent_runs_before_unlock(self.profile.encryption);
        self.boot = if platform::asks_credential_at_boot(
            self.profile.encryption,
            self.device_user.credential.is_some(),
            self.do_not_ask_credentials_on_boot,
        ) {
            BootState::AwaitingBootPassword
        } else {
            BootState::Running
        };
        self.screen_on = true;
        let separate = self.separate_work_challenge;
        let parent_secure = self.device_user.credential.is_some();
        for (is_profile, u) in self.users_mut() {
            if !platform::token_survives_reboot(u.token) {
                u.token = TokenState::None;
            }
            let secure = u.credential.is_some() || (is_profile && !separate && parent_secure);
            // FDE decrypts everything at once; FBE keeps a secure user's
            // credential-encrypted storage locked until its first unlock.
            u.storage_unlocked = if fde { true } else { !secure };
            u.locked = u.credential.is_some();
            u.keyguard.restart(u.stored_pin_length);
        }
        if self.boot == BootState::AwaitingBootPassword {
            for (_, u) in self.users_mut() {
                u.storage_unlocked = false;
            }
        }
    }

    /// Swipe away a keyguard that has no credential. Returns whether the
    /// device user is now unlocked.
    pub fn dismiss_keyguard(&mut self) -> bool {
        self.screen_on = true;
        if self.device_user.credential.is_none() && self.boot == BootState::Running {
            self.device_user.locked = false;
        }
        !self.device_user.locked
    }

    /// Type `typed` on `holder`'s lock screen (or the boot password prompt)
    /// and submit it the way that keyguard submits. Wakes the screen first.
    pub fn enter_passcode(&mut self, holder: CredentialHolder, typed: &Passcode, now: SimTime) -> Entry {
        self.screen_on = true;
        if holder == CredentialHolder::WorkProfile {
            if self.work_profile.is_none() {
                return Entry::NotLocked;
            }
            if !self.separate_work_challenge {
                return Entry::NotSeparate;
            }
            if self.is_locked(CredentialHolder::DeviceUser) {
                return Entry::UnlockDeviceFirst;
            }
        }
        let booting = self.boot == BootState::AwaitingBootPassword;
        let salt = self.salt_for(holder);
        let auto_confirm =
            !booting && holder == CredentialHolder::DeviceUser && self.auto_confirm_available(&self.device_user);
        let Some(user) = self.user_mut(holder) else { return Entry::NotLocked };
        if !user.locked && !booting {
            return Entry::NotLocked;
        }
        let Some(credential) = user.credential.clone() else { return Entry::NotLocked };
        // The boot prompt has its own plain entry field: no auto-confirm.
        let (candidate, cut_at) = match user.keyguard.submit(typed, credential.kind(), auto_confirm, now) {
            Submission::LockedOut { remaining } => return Entry::LockedOut { remaining },
            Submission::CannotType => return Entry::CannotType,
            Submission::AwaitingMoreDigits { typed, expected } => return Entry::AwaitingMoreDigits { typed, expected },
            Submission::Submit(s) => (s, None),
            Submission::CutShort { submitted, at } => (submitted, Some(at)),
        };
        if credential.matches(&Passcode::new(candidate), salt) {
            self.unlocked_by_credential(holder);
            return Entry::Unlocked;
        }
        let user = self.user_mut(holder).expect("holder exists: checked above");
        let lockout = user.keyguard.record_failure(now);
        let failed_attempts = user.keyguard.failed_attempts();
        match cut_at {
            Some(at) => Entry::CutShort { at, failed_attempts, lockout },
            None => Entry::Rejected { failed_attempts, lockout },
        }
    }

    /// Change the passcode in Settings: the holder must be unlocked, the
    /// current passcode confirmed, and the new one must pass the floors and
    /// the policy. `None` removes the passcode.
    pub fn set_passcode_in_settings(
        &mut self,
        holder: CredentialHolder,
        current: Option<&Passcode>,
        new: Option<&Passcode>,
        now: SimTime,
    ) -> Result<(), Refusal> {
        if self.boot != BootState::Running
            || self.is_locked(CredentialHolder::DeviceUser)
            || self.in_direct_boot(holder)
        {
            return Err(Refusal::UserLocked);
        }
        if holder == CredentialHolder::WorkProfile && self.work_profile.is_none() {
            return Err(Refusal::NotAnOwner);
        }
        let salt = self.salt_for(holder);
        let user = self.user_mut(holder).expect("holder exists: checked above");
        if let Some(existing) = &user.credential {
            if !current.is_some_and(|c| existing.matches(c, salt)) {
                user.keyguard.record_failure(now);
                return Err(Refusal::WrongCurrentPasscode);
            }
            // Confirming the current credential is a successful verification.
            self.unlocked_by_credential(holder);
        }
        self.check_new(holder, new)?;
        let kind = new.map(platform::credential_kind_from_settings);
        self.store_credential(holder, new, kind);
        Ok(())
    }

    // ----- LockSettingsService over the shell (`locksettings`) -----------

    /// Check `candidate` against `holder`'s credential the way
    /// `LockSettingsService` does for `locksettings ... --old X`: a match
    /// unlocks the credential-encrypted storage and activates a pending
    /// token (§2.1, §7) but leaves the lock screen up; a miss counts as a
    /// failed attempt.
    pub fn verify_credential(&mut self, holder: CredentialHolder, candidate: &Passcode, now: SimTime) -> Verification {
        if self.boot != BootState::Running {
            return Verification::NotRunning;
        }
        if holder == CredentialHolder::WorkProfile && self.work_profile.is_some() && !self.separate_work_challenge {
            return Verification::UnifiedChallenge;
        }
        let salt = self.salt_for(holder);
        let Some(user) = self.user_mut(holder) else { return Verification::NoCredential };
        let Some(credential) = user.credential.clone() else { return Verification::NoCredential };
        if let Some(remaining) = user.keyguard.lockout_remaining(now) {
            return Verification::Throttled { remaining };
        }
        if credential.matches(candidate, salt) {
            user.storage_unlocked = true;
            user.password_owner = None;
            if user.token == TokenState::Pending {
                user.token = TokenState::Active;
            }
            user.keyguard.record_success();
            Verification::Verified
        } else {
            let lockout = user.keyguard.record_failure(now);
            Verification::Wrong { failed_attempts: user.keyguard.failed_attempts(), lockout }
        }
    }

    /// Store (or, with `None`, clear) `holder`'s credential once the caller
    /// has verified the old one ([`Device::verify_credential`]), as
    /// `locksettings set-pin|set-password|clear` does. Unlike Settings this
    /// works with the lock screen up; the floors and the policy still apply.
    pub fn set_verified_credential(
        &mut self,
        holder: CredentialHolder,
        new: Option<&Passcode>,
        kind: CredentialKind,
    ) -> Result<(), Refusal> {
        if self.boot != BootState::Running {
            return Err(Refusal::NotRunning);
        }
        if self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        let new = new.filter(|p| !p.is_empty());
        self.check_new(holder, new)?;
        self.store_credential(holder, new, new.map(|_| kind));
        Ok(())
    }

    // ----- DevicePolicyManager -------------------------------------------

    /// `setResetPasswordToken` for `holder` (§2, PLAT-2, PLAT-4).
    pub fn set_reset_password_token(&mut self, admin: Admin, holder: CredentialHolder) -> Result<TokenState, Refusal> {
        if !platform::has_token_api(self.api_level()) {
            return Err(Refusal::NoTokenApi);
        }
        let role = self.role_of(admin);
        if role == ManagementMode::DeviceAdmin || self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        if !platform::escrow_allowed(role, holder) {
            return Err(Refusal::EscrowDisabled);
        }
        let secure = self.is_secure(holder);
        let state = platform::token_state_when_set(secure);
        self.user_mut(holder).expect("checked above").token = state;
        Ok(state)
    }

    /// `resetPasswordWithToken` (§2, PLAT-2, PLAT-3, PLAT-4, PLAT-8).
    pub fn reset_password_with_token(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        new: Option<&Passcode>,
        flags: ResetFlags,
    ) -> Result<(), Refusal> {
        let api = self.api_level();
        if !platform::has_token_api(api) {
            return Err(Refusal::NoTokenApi);
        }
        let role = self.role_of(admin);
        if !platform::escrow_allowed(role, holder) || self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        if self.boot == BootState::AwaitingBootPassword {
            return Err(Refusal::NotRunning);
        }
        let user = self.user(holder).expect("checked above");
        match user.token {
            TokenState::None => return Err(Refusal::NoToken),
            TokenState::Pending => return Err(Refusal::TokenNotActive),
            TokenState::Active => {}
        }
        let locked_user = !user.storage_unlocked;
        if locked_user {
            if !platform::token_reset_while_locked(api, self.profile.encryption) {
                return Err(Refusal::UserLocked);
            }
            if self.profile.quirks.refuses_direct_boot_reset {
                return Err(Refusal::FirmwareRefusedInDirectBoot);
            }
        }
        self.check_owner(admin, holder)?;
        self.check_new(holder, new)?;
        let kind = new.filter(|p| !p.is_empty()).map(|p| platform::credential_kind_after_reset(api, p));
        self.store_credential(holder, new, kind);
        let clearing = kind.is_none();
        if locked_user && platform::reset_unlocks_locked_user(clearing) {
            let u = self.user_mut(holder).expect("checked above");
            u.storage_unlocked = true;
            u.locked = false;
        }
        self.apply_flags(admin, holder, flags);
        Ok(())
    }

    /// The legacy `resetPassword` (§1.1, PLAT-1), on the caller's own user.
    pub fn reset_password(&mut self, admin: Admin, new: Option<&Passcode>, flags: ResetFlags) -> Result<(), Refusal> {
        if self.boot == BootState::AwaitingBootPassword {
            return Err(Refusal::NotRunning);
        }
        let role = self.role_of(admin);
        let holder = match role {
            ManagementMode::ProfileOwner => CredentialHolder::WorkProfile,
            _ => CredentialHolder::DeviceUser,
        };
        let user = self.user(holder).ok_or(Refusal::NotAnOwner)?;
        let clearing = new.is_none_or(Passcode::is_empty);
        platform::legacy_reset(
            self.api_level(),
            role,
            holder,
            user.credential.is_some(),
            user.storage_unlocked,
            clearing,
        )?;
        self.check_owner(admin, holder)?;
        self.check_new(holder, new)?;
        let kind = new.filter(|p| !p.is_empty()).map(platform::credential_kind_from_settings);
        self.store_credential(holder, new, kind);
        self.apply_flags(admin, holder, flags);
        Ok(())
    }

    /// `lockNow` (§6, PLAT-7). Returns what the platform meant to lock.
    pub fn lock_now(&mut self, admin: Admin) -> LockScope {
        let ownership = match admin {
            Admin::Agent => self.ownership,
            Admin::OtherAdmin => Ownership::LegacyDeviceAdmin,
        };
        let scope = platform::lock_scope(self.api_level(), ownership, self.separate_work_challenge);
        match scope {
            LockScope::WholeDevice => {
                self.screen_on = false;
                if !self.profile.quirks.lock_turns_screen_off_only {
                    self.lock_users(true);
                }
            }
            LockScope::WorkProfileOnly => {
                if let Some(w) = self.work_profile.as_mut() {
                    w.locked = platform::lock_is_effective(w.credential.is_some());
                }
            }
        }
        scope
    }

    // ----- internals ---------------------------------------------------

    fn role_of(&self, admin: Admin) -> ManagementMode {
        match admin {
            Admin::Agent => self.ownership.management_mode(),
            Admin::OtherAdmin => ManagementMode::DeviceAdmin,
        }
    }

    fn user(&self, holder: CredentialHolder) -> Option<&UserState> {
        match holder {
            CredentialHolder::DeviceUser => Some(&self.device_user),
            CredentialHolder::WorkProfile => self.work_profile.as_ref(),
        }
    }

    fn user_mut(&mut self, holder: CredentialHolder) -> Option<&mut UserState> {
        match holder {
            CredentialHolder::DeviceUser => Some(&mut self.device_user),
            CredentialHolder::WorkProfile => self.work_profile.as_mut(),
        }
    }

    /// The state that answers for `holder`'s lock: a work profile without a
    /// separate challenge answers with the device user's.
    fn effective(&self, holder: CredentialHolder) -> Option<&UserState> {
        match holder {
            CredentialHolder::WorkProfile if self.work_profile.is_some() && !self.separate_work_challenge => {
                Some(&self.device_user)
            }
            _ => self.user(holder),
        }
    }

    fn users_mut(&mut self) -> impl Iterator<Item = (bool, &mut UserState)> {
        std::iter::once((false, &mut self.device_user)).chain(self.work_profile.as_mut().map(|w| (true, w)))
    }

    /// A holder is secure when it has a credential of its own or, for a work
    /// profile sharing the device lock, when the device has one.
    fn is_secure(&self, holder: CredentialHolder) -> bool {
        self.effective(holder).is_some_and(|u| u.credential.is_some())
    }

    fn salt_for(&self, holder: CredentialHolder) -> u64 {
        self.salt ^ u64::from(holder == CredentialHolder::WorkProfile)
    }

    fn auto_confirm_available(&self, user: &UserState) -> bool {
        platform::has_pin_auto_confirm(self.api_level())
            && self.profile.keyguard.pin_auto_confirm
            && user.credential.as_ref().is_some_and(|c| c.kind() == CredentialKind::Pin)
    }

    fn check_owner(&self, admin: Admin, holder: CredentialHolder) -> Result<(), Refusal> {
        match self.user(holder).and_then(|u| u.password_owner) {
            Some(owner) if owner != admin => Err(Refusal::PasswordOwnedByAnotherAdmin),
            _ => Ok(()),
        }
    }

    fn check_new(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Result<(), Refusal> {
        if let Some(Requirement::MinimumLength(minimum)) = floor_unmet(new) {
            return Err(Refusal::TooShort { minimum });
        }
        let unmet = self.policy_unmet(holder, new);
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(Refusal::PolicyNotMet(unmet))
        }
    }

    /// Store (or clear) `holder`'s credential and tell the keyguard.
    fn store_credential(&mut self, holder: CredentialHolder, new: Option<&Passcode>, kind: Option<CredentialKind>) {
        let api = self.api_level();
        let auto_confirm = self.profile.keyguard.pin_auto_confirm;
        let refresh = self.profile.keyguard.pin_length_refresh;
        let salt = self.salt_for(holder);
        self.credential_changes = self.credential_changes.wrapping_add(1);
        if holder == CredentialHolder::WorkProfile {
            self.separate_work_challenge = kind.is_some() && platform::reset_separates_work_challenge(holder);
        }
        let user = self.user_mut(holder).expect("callers check the holder exists");
        match (new, kind) {
            (Some(p), Some(kind)) => {
                let c = Credential::derive(p, kind, salt);
                user.stored_pin_length = platform::stored_pin_length(api, auto_confirm, kind, c.length());
                user.credential = Some(c);
            }
            _ => {
                user.credential = None;
                user.stored_pin_length = None;
                user.locked = false;
            }
        }
        let stored = user.stored_pin_length;
        user.keyguard.credential_changed(stored, refresh);
    }

    fn apply_flags(&mut self, admin: Admin, holder: CredentialHolder, flags: ResetFlags) {
        if flags.require_entry {
            if let Some(u) = self.user_mut(holder) {
                u.password_owner = Some(admin);
            }
            // requireStrongAuth(USER_ALL): the credential is needed to go on.
            self.lock_users(false);
        }
        if flags.do_not_ask_credentials_on_boot
            && platform::do_not_ask_on_boot_applies(self.role_of(admin), self.profile.encryption)
        {
            self.do_not_ask_credentials_on_boot = true;
        }
    }

    /// Lock every user that has a credential; optionally turn the screen off.
    fn lock_users(&mut self, screen_off: bool) {
        if screen_off {
            self.screen_on = false;
        }
        let separate = self.separate_work_challenge;
        for (is_profile, u) in self.users_mut() {
            if !is_profile || separate {
                u.locked = platform::lock_is_effective(u.credential.is_some());
            }
        }
    }

    /// A successful verification of `holder`'s credential: unlock, activate
    /// pending tokens (§2.1), release REQUIRE_ENTRY, reset the keyguard
    /// counters. Unlocking the device also unlocks a profile sharing its lock.
    fn unlocked_by_credential(&mut self, holder: CredentialHolder) {
        if self.boot == BootState::AwaitingBootPassword {
            // Our choice: the boot password also dismisses the keyguard.
            self.boot = BootState::Running;
            for (_, u) in self.users_mut() {
                u.storage_unlocked = true;
            }
        }
        let also_profile = holder == CredentialHolder::DeviceUser && !self.separate_work_challenge;
        for (is_profile, u) in self.users_mut() {
            let target = if is_profile {
                holder == CredentialHolder::WorkProfile || also_profile
            } else {
                holder == CredentialHolder::DeviceUser
            };
            if target {
                u.locked = false;
                u.storage_unlocked = true;
                u.password_owner = None;
                if u.token == TokenState::Pending {
                    u.token = TokenState::Active;
                }
                u.keyguard.record_success();
            }
        }
    }
}

/// The platform floor a non-empty new passcode fails, if it does.
fn floor_unmet(new: Option<&Passcode>) -> Option<Requirement> {
    let floor = platform::passcode_floor();
    new.filter(|p| !p.is_empty() && !floor.is_met_by(p)).map(|_| floor)
}
