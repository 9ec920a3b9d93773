//! Bookkeeping shared by every caller: users, credentials, locks.

#[allow(unused_imports)]
use super::*;

impl Device {
    // ----- internals ---------------------------------------------------

    pub(super) fn role_of(&self, admin: Admin) -> ManagementMode {
        match admin {
            Admin::Agent => self.ownership.management_mode(),
            Admin::OtherAdmin | Admin::OtherAdminTargeting(_) => ManagementMode::DeviceAdmin,
        }
    }

    pub(super) fn user(&self, holder: CredentialHolder) -> Option<&UserState> {
        match holder {
            CredentialHolder::DeviceUser => Some(&self.device_user),
            CredentialHolder::WorkProfile => self.work_profile.as_ref(),
        }
    }

    pub(super) fn user_mut(&mut self, holder: CredentialHolder) -> Option<&mut UserState> {
        match holder {
            CredentialHolder::DeviceUser => Some(&mut self.device_user),
            CredentialHolder::WorkProfile => self.work_profile.as_mut(),
        }
    }

    /// The state that answers for `holder`'s lock: a work profile without a
    /// separate challenge answers with the device user's.
    pub(super) fn effective(&self, holder: CredentialHolder) -> Option<&UserState> {
        match holder {
            CredentialHolder::WorkProfile if self.work_profile.is_some() && !self.separate_work_challenge => {
                Some(&self.device_user)
            }
            _ => self.user(holder),
        }
    }

    pub(super) fn users_mut(&mut self) -> impl Iterator<Item = (bool, &mut UserState)> {
        std::iter::once((false, &mut self.device_user)).chain(self.work_profile.as_mut().map(|w| (true, w)))
    }

    /// A holder is secure when it has a credential of its own or, for a work
    /// profile sharing the device lock, when the device has one.
    pub(super) fn is_secure(&self, holder: CredentialHolder) -> bool {
        self.effective(holder).is_some_and(|u| u.credential.is_some())
    }

    pub(super) fn salt_for(&self, holder: CredentialHolder) -> u64 {
        self.salt ^ u64::from(holder == CredentialHolder::WorkProfile)
    }

    pub(super) fn auto_confirm_available(&self, user: &UserState) -> bool {
        platform::has_pin_auto_confirm(self.api_level())
            && self.profile.keyguard.pin_auto_confirm
            && user.credential.as_ref().is_some_and(|c| c.kind() == CredentialKind::Pin)
    }

    pub(super) fn check_owner(&self, admin: Admin, holder: CredentialHolder) -> Result<(), Refusal> {
        match self.user(holder).and_then(|u| u.password_owner) {
            Some(owner) if owner != admin => Err(Refusal::PasswordOwnedByAnotherAdmin),
            _ => Ok(()),
        }
    }

    pub(super) fn check_new(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Result<(), Refusal> {
        if let Some(Requirement::MinimumLength(minimum)) = floor_unmet(new) {
            return Err(Refusal::TooShort { minimum });
        }
        let unmet =
            if self.profile.quirks.ignores_password_policy { Vec::new() } else { self.policy_unmet(holder, new) };
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(Refusal::PolicyNotMet(unmet))
        }
    }

    /// Store (or clear) `holder`'s credential and tell the keyguard.
    /// `required` is the quality the policy asked for, which Android 5-10
    /// record with the credential when it is higher (§1.2).
    pub(super) fn store_credential(
        &mut self,
        holder: CredentialHolder,
        new: Option<&Passcode>,
        kind: Option<CredentialKind>,
    ) {
        let api = self.api_level();
        let auto_confirm = self.profile.keyguard.pin_auto_confirm;
        let refresh = self.profile.keyguard.pin_length_refresh;
        let salt = self.salt_for(holder);
        let required = self.policy_for(holder).map_or(PasswordQuality::PasswordQualityUnspecified, |p| p.quality);
        let parent_locked = self.device_user.locked;
        self.credential_changes = self.credential_changes.wrapping_add(1);
        let mut newly_separate = false;
        if holder == CredentialHolder::WorkProfile {
            let separate = kind.is_some() && platform::reset_separates_work_challenge(holder);
            newly_separate = separate && !self.separate_work_challenge;
            self.separate_work_challenge = separate;
        }
        let user = self.user_mut(holder).expect("callers check the holder exists");
        match (new, kind) {
            (Some(p), Some(kind)) => {
                let c = Credential::derive(p, kind, salt).raised_to(required);
                user.stored_pin_length = platform::stored_pin_length(api, auto_confirm, kind, c.length());
                user.credential = Some(c);
                // A challenge of its own is up while its storage is still
                // locked, and while the device lock it leaves is up.
                if !user.storage_unlocked || (newly_separate && parent_locked) {
                    user.locked = true;
                }
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

    pub(super) fn apply_flags(&mut self, admin: Admin, holder: CredentialHolder, flags: ResetFlags) {
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
    pub(super) fn lock_users(&mut self, screen_off: bool) {
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

    /// A credential check passed (the lock screen, confirm-credential,
    /// `locksettings verify`): unlock the credential-encrypted storage,
    /// activate pending tokens (§2.1), release REQUIRE_ENTRY, reset the
    /// keyguard counters. The device user's credential does this for a work
    /// profile that shares its lock too. The lock screen itself stays up.
    pub(super) fn credential_verified(&mut self, holder: CredentialHolder) {
        let also_profile = holder == CredentialHolder::DeviceUser && !self.separate_work_challenge;
        let slots = self.profile.quirks.escrow_token_slots;
        let mut used = self.escrow_slots_used;
        let mut broken = false;
        for (is_profile, u) in self.users_mut() {
            let target = if is_profile {
                holder == CredentialHolder::WorkProfile || also_profile
            } else {
                holder == CredentialHolder::DeviceUser
            };
            if !target {
                continue;
            }
            u.storage_unlocked = true;
            u.password_owner = None;
            if let Some(t) = u.token.as_mut().filter(|t| !t.active) {
                // Activating a token takes a secure-element slot (§2.4).
                match slots {
                    Some(max) if used >= max => broken = true,
                    Some(_) => {
                        used += 1;
                        t.active = true;
                    }
                    None => t.active = true,
                }
            }
            u.keyguard.record_success();
        }
        self.escrow_slots_used = used;
        self.lock_screen_broken |= broken;
    }

    /// A credential entered on the lock screen (or the boot prompt) passed:
    /// [`Device::credential_verified`], and the lock comes down.
    pub(super) fn unlocked_by_credential(&mut self, holder: CredentialHolder) {
        if self.boot == BootState::AwaitingBootPassword {
            // Our choice: the boot password also dismisses the keyguard.
            self.boot = BootState::Running;
            for (_, u) in self.users_mut() {
                u.storage_unlocked = true;
            }
        }
        self.credential_verified(holder);
        let also_profile = holder == CredentialHolder::DeviceUser && !self.separate_work_challenge;
        for (is_profile, u) in self.users_mut() {
            let target = if is_profile {
                holder == CredentialHolder::WorkProfile || also_profile
            } else {
                holder == CredentialHolder::DeviceUser
            };
            if target {
                u.locked = false;
            }
        }
    }

    /// Non-conforming firmware (§2.4): a token activation found no free
    /// secure-element slot and the lock screen no longer verifies anything.
    pub(super) fn lock_screen_broken(&self) -> bool {
        self.lock_screen_broken
    }

    /// A wrong credential for `holder`: counted, and every fifth starts the
    /// lockout ([`platform::lockout_after`]), unless the firmware has no
    /// throttle (the `no_lockout` quirk). Returns the lockout it started.
    pub(super) fn record_failure(&mut self, holder: CredentialHolder, now: SimTime) -> Option<std::time::Duration> {
        let no_lockout = self.profile.quirks.no_lockout;
        let keyguard = &mut self.user_mut(holder)?.keyguard;
        let lockout = keyguard.record_failure(now);
        if no_lockout {
            keyguard.forget_lockout();
            return None;
        }
        lockout
    }

    /// Record an event in the security log or the stats events.
    pub(super) fn log(&mut self, log: EventLog, name: &'static str, holder: CredentialHolder, success: Option<bool>) {
        self.events.push(DeviceEvent { log, name, holder, success });
    }

    /// A keyguard authentication attempt, in the security log (§6).
    pub(super) fn log_auth_attempt(&mut self, holder: CredentialHolder, success: bool) {
        if platform::has_security_log(self.api_level()) {
            self.log(EventLog::Security, "TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", holder, Some(success));
        }
    }
}

/// The platform floor a non-empty new passcode fails, if it does.
pub(super) fn floor_unmet(new: Option<&Passcode>) -> Option<Requirement> {
    let floor = platform::passcode_floor();
    new.filter(|p| !p.is_empty() && !floor.is_met_by(p)).map(|_| floor)
}
