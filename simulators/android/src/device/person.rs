//! What a person does with the phone in hand.

#[allow(unused_imports)]
use super::*;

impl Device {
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
            if !platform::token_survives_reboot(token_state(u.token.as_ref())) {
                u.token = None;
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
        let max_pin = self.profile.quirks.max_pin_length;
        let Some(user) = self.user_mut(holder) else { return Entry::NotLocked };
        if !user.locked && !booting {
            return Entry::NotLocked;
        }
        let Some(credential) = user.credential.clone() else { return Entry::NotLocked };
        // The boot prompt has its own plain entry field: no auto-confirm.
        // A non-conforming PIN pad that takes only so many digits (quirk).
        let truncated =
            max_pin.filter(|max| credential.kind() == CredentialKind::Pin && typed.len() > usize::from(*max));
        let shortened;
        let typed = match truncated {
            Some(max) => {
                shortened = Passcode::new(typed.expose().chars().take(usize::from(max)).collect::<String>());
                &shortened
            }
            None => typed,
        };
        let (candidate, cut_at) = match user.keyguard.submit(typed, credential.kind(), auto_confirm, now) {
            Submission::LockedOut { remaining } => return Entry::LockedOut { remaining },
            Submission::CannotType => return Entry::CannotType,
            Submission::AwaitingMoreDigits { typed, expected } => return Entry::AwaitingMoreDigits { typed, expected },
            Submission::Submit(s) => (s, None),
            Submission::CutShort { submitted, at } => (submitted, Some(at)),
        };
        let matched = credential.matches(&Passcode::new(candidate), salt) && !self.lock_screen_broken();
        self.log_auth_attempt(holder, matched);
        if matched {
            self.unlocked_by_credential(holder);
            return Entry::Unlocked;
        }
        let lockout = self.record_failure(holder, now);
        let failed_attempts = self.user(holder).map_or(0, |u| u.keyguard.failed_attempts());
        match (cut_at, truncated) {
            (Some(at), _) => Entry::CutShort { at, failed_attempts, lockout },
            (None, Some(at)) => Entry::Truncated { at, failed_attempts, lockout },
            (None, None) => Entry::Rejected { failed_attempts, lockout },
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
                self.record_failure(holder, now);
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
}
