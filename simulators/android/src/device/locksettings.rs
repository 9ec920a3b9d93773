//! `LockSettingsService` over the shell (`locksettings`).

#[allow(unused_imports)]
use super::*;

impl Device {
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
        if credential.matches(candidate, salt) && !self.lock_screen_broken() {
            // The same bookkeeping as an unlock on the lock screen, so both
            // paths bring up a work profile that shares the device lock.
            self.credential_verified(holder);
            Verification::Verified
        } else {
            let lockout = self.record_failure(holder, now);
            let failed_attempts = self.user(holder).map_or(0, |u| u.keyguard.failed_attempts());
            Verification::Wrong { failed_attempts, lockout }
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
}
