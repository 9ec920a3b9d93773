//! The `DevicePolicyManager` calls an admin makes: reset-password tokens,
//! the two resets, lockNow, the password-policy setters and the questions
//! about the active password.

use super::*;

/// §2 (a): a reset-password token is at least 32 bytes.
pub(super) const MIN_TOKEN_BYTES: usize = 32;

impl Device {
    /// `setResetPasswordToken` for `holder` (§2, PLAT-2, PLAT-4): replaces any
    /// token set before. Returns the state the new token is in.
    pub fn set_reset_password_token(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        token: &[u8],
    ) -> Result<TokenState, Refusal> {
        if !platform::has_token_api(self.api_level()) {
            return Err(Refusal::NoTokenApi);
        }
        let role = self.role_of(admin);
        if role == ManagementMode::DeviceAdmin || self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        if token.len() < MIN_TOKEN_BYTES {
            return Err(Refusal::TokenTooShort);
        }
        if !platform::escrow_allowed(role, holder) || self.profile.quirks.escrow_disabled {
            return Err(Refusal::EscrowDisabled);
        }
        let state = platform::token_state_when_set(self.is_secure(holder));
        let mut active = state == TokenState::Active;
        if active {
            // Created at once without a credential: it takes a slot now (§2.4).
            match self.profile.quirks.escrow_token_slots {
                Some(max) if self.escrow_slots_used >= max => {
                    self.lock_screen_broken = true;
                    active = false;
                }
                Some(_) => self.escrow_slots_used += 1,
                None => {}
            }
        }
        self.user_mut(holder).expect("checked above").token =
            Some(EscrowToken { digest: token_digest(token), owner: admin, active });
        if admin == Admin::Agent {
            self.agent_token = Some(token.to_vec());
        }
        Ok(token_state(self.user(holder).and_then(|u| u.token.as_ref())))
    }

    /// `clearResetPasswordToken` (§2): whether a token was removed.
    pub fn clear_reset_password_token(&mut self, admin: Admin, holder: CredentialHolder) -> Result<bool, Refusal> {
        self.check_token_caller(admin, holder)?;
        let user = self.user_mut(holder).expect("checked above");
        let removed = user.token.take().is_some();
        if admin == Admin::Agent {
            self.agent_token = None;
        }
        Ok(removed)
    }

    /// `isResetPasswordTokenActive` (§2): `false` when no token is set, as
    /// the code (not the javadoc) answers.
    pub fn is_reset_password_token_active(&self, admin: Admin, holder: CredentialHolder) -> Result<bool, Refusal> {
        self.check_token_caller(admin, holder)?;
        Ok(self.token_state(holder) == TokenState::Active)
    }

    /// `resetPasswordWithToken` (§2, PLAT-2, PLAT-3, PLAT-4, PLAT-8). Every
    /// refusal that the platform answers with `false` leaves the device as
    /// it was.
    pub fn reset_password_with_token(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        new: Option<&Passcode>,
        token: &[u8],
        flags: ResetFlags,
    ) -> Result<(), Refusal> {
        let api = self.api_level();
        self.check_token_caller(admin, holder)?;
        if self.boot == BootState::AwaitingBootPassword {
            return Err(Refusal::NotRunning);
        }
        let user = self.user(holder).expect("checked above");
        match &user.token {
            None => return Err(Refusal::NoToken),
            Some(t) if !t.active => return Err(Refusal::TokenNotActive),
            Some(t) if t.digest != token_digest(token) => return Err(Refusal::WrongToken),
            Some(_) => {}
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
        if self.profile.quirks.reset_succeeds_without_effect {
            // Non-conforming firmware: reports success, changes nothing.
            return Ok(());
        }
        let kind = new.filter(|p| !p.is_empty()).map(|p| platform::credential_kind_after_reset(api, p));
        self.store_credential(holder, new, kind);
        let clearing = kind.is_none();
        if locked_user && platform::reset_unlocks_locked_user(clearing) {
            let u = self.user_mut(holder).expect("checked above");
            u.storage_unlocked = true;
            u.locked = false;
        }
        self.apply_flags(admin, holder, flags);
        // Our choice: stats events on every level that has the call, only
        // for calls that took effect (the notes name no first level).
        self.log(EventLog::Stats, "RESET_PASSWORD_WITH_TOKEN", holder, None);
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
        platform::legacy_reset(platform::LegacyResetCall {
            api: self.api_level(),
            role,
            target_sdk: self.target_sdk(admin),
            holder,
            has_password: user.credential.is_some(),
            user_unlocked: user.storage_unlocked,
            has_managed_profile: self.work_profile.is_some(),
            clearing: new.is_none_or(Passcode::is_empty),
        })?;
        self.check_owner(admin, holder)?;
        self.check_new(holder, new)?;
        let kind = new.filter(|p| !p.is_empty()).map(platform::credential_kind_from_settings);
        self.store_credential(holder, new, kind);
        self.apply_flags(admin, holder, flags);
        self.log(EventLog::Stats, "RESET_PASSWORD", holder, None);
        Ok(())
    }

    /// `lockNow()` (§6, PLAT-7). Returns what the platform meant to lock.
    pub fn lock_now(&mut self, admin: Admin) -> LockScope {
        match self.lock_now_with(admin, LockFlags::default()) {
            Ok(scope) => scope,
            // Without flags lockNow refuses nobody the simulator models.
            Err(_) => LockScope::WholeDevice,
        }
    }

    /// `lockNow(int flags)` (§6, PLAT-7).
    pub fn lock_now_with(&mut self, admin: Admin, flags: LockFlags) -> Result<LockScope, Refusal> {
        let role = self.role_of(admin);
        let ownership = match role {
            ManagementMode::DeviceAdmin => Ownership::LegacyDeviceAdmin,
            _ => self.ownership,
        };
        if flags.evict_credential_key {
            if !platform::has_evict_flag(self.api_level()) {
                return Err(Refusal::NotOnThisApiLevel { first_api: 26 });
            }
            platform::evict_allowed(role, ownership, self.profile.encryption)?;
        }
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
        if flags.evict_credential_key && !self.profile.quirks.ignores_evict_flag {
            // The profile stops and restarts RUNNING_LOCKED: its storage
            // waits for its challenge (or, unified, the device's).
            let secure = self.is_secure(CredentialHolder::WorkProfile);
            if let Some(w) = self.work_profile.as_mut() {
                w.storage_unlocked = !secure;
                if w.credential.is_some() {
                    w.locked = true;
                }
            }
        }
        self.log(EventLog::Stats, "LOCK_NOW", self.managed_holder(role), None);
        if platform::security_log_has_remote_lock(self.api_level()) {
            self.log(EventLog::Security, "TAG_REMOTE_LOCK", self.managed_holder(role), None);
        }
        Ok(scope)
    }

    // ----- the password policy ------------------------------------------

    /// `setPasswordQuality` (§5): replaces a required complexity.
    pub fn set_password_quality(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        quality: PasswordQuality,
    ) -> Result<(), Refusal> {
        self.check_policy_caller(admin, holder)?;
        if quality.dpm_constant().is_none() {
            return Err(Refusal::NotOnThisApiLevel { first_api: 31 });
        }
        self.policy_mut(holder).quality = quality;
        Ok(())
    }

    /// `setRequiredPasswordComplexity` (Android 12+, §5): replaces a quality.
    pub fn set_required_password_complexity(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        complexity: Complexity,
    ) -> Result<(), Refusal> {
        if !platform::has_required_complexity_setter(self.api_level()) {
            return Err(Refusal::NotOnThisApiLevel { first_api: 31 });
        }
        self.check_policy_caller(admin, holder)?;
        let quality = match complexity {
            Complexity::None => PasswordQuality::PasswordQualityUnspecified,
            Complexity::Low => PasswordQuality::ComplexityLow,
            Complexity::Medium => PasswordQuality::ComplexityMedium,
            Complexity::High => PasswordQuality::ComplexityHigh,
        };
        self.policy_mut(holder).quality = quality;
        Ok(())
    }

    /// `setPasswordMinimumLength`, `setPasswordMinimumUpperCase`, ... (§5):
    /// from Android 11 refused unless the quality uses the constraint.
    pub fn set_password_minimum(
        &mut self,
        admin: Admin,
        holder: CredentialHolder,
        constraint: Constraint,
        value: u8,
    ) -> Result<(), Refusal> {
        self.check_policy_caller(admin, holder)?;
        let quality = self.policy_for(holder).map_or(PasswordQuality::PasswordQualityUnspecified, |p| p.quality);
        if platform::setters_refuse_unused_constraints(self.api_level())
            && !platform::quality_uses(quality, constraint)
            && !self.profile.quirks.ignores_password_policy
        {
            return Err(Refusal::ConstraintUnusedByQuality(constraint));
        }
        self.policy_mut(holder).set(constraint, value);
        Ok(())
    }

    /// `isActivePasswordSufficient` (§1.2, §3): whether `holder`'s credential
    /// meets its policy, measured as this API level measures it.
    pub fn is_active_password_sufficient(&self, holder: CredentialHolder) -> Result<bool, Refusal> {
        let user = self.user(holder).ok_or(Refusal::NotAnOwner)?;
        let quirks = self.profile.quirks;
        if platform::sufficiency_needs_unlocked_user(self.api_level())
            && !user.storage_unlocked
            && !quirks.answers_while_locked
        {
            return Err(Refusal::UserLocked);
        }
        let Some(policy) = self.policy_for(holder).filter(|_| !quirks.ignores_password_policy) else { return Ok(true) };
        let credential = self.effective(holder).and_then(|u| u.credential.as_ref());
        Ok(sufficient(self.api_level(), credential, policy))
    }

    /// `getPasswordComplexity` (Android 10+, §5).
    pub fn password_complexity(&self, holder: CredentialHolder) -> Result<Complexity, Refusal> {
        if !platform::has_password_complexity(self.api_level()) {
            return Err(Refusal::NotOnThisApiLevel { first_api: 29 });
        }
        let user = self.user(holder).ok_or(Refusal::NotAnOwner)?;
        if !user.storage_unlocked && !self.profile.quirks.answers_while_locked {
            return Err(Refusal::UserLocked);
        }
        let credential = self.effective(holder).and_then(|u| u.credential.as_ref());
        Ok(credential.map_or(Complexity::None, |c| c.metrics().complexity()))
    }

    // ----- callers -------------------------------------------------------

    /// The token calls need the API, an owner of that user, and a user that exists.
    fn check_token_caller(&self, admin: Admin, holder: CredentialHolder) -> Result<(), Refusal> {
        if !platform::has_token_api(self.api_level()) {
            return Err(Refusal::NoTokenApi);
        }
        if !platform::escrow_allowed(self.role_of(admin), holder) || self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        // Our choice: a token belongs to the admin that set it.
        match self.token_owner(holder) {
            Some(owner) if owner != admin => Err(Refusal::NotAnOwner),
            _ => Ok(()),
        }
    }

    /// Our choice: the policy setters are the managing admin's, on the user
    /// it manages (the device user for a device owner or a device admin, the
    /// work profile for a profile owner).
    fn check_policy_caller(&self, admin: Admin, holder: CredentialHolder) -> Result<(), Refusal> {
        if self.managed_holder(self.role_of(admin)) != holder || self.user(holder).is_none() {
            return Err(Refusal::NotAnOwner);
        }
        Ok(())
    }

    fn managed_holder(&self, role: ManagementMode) -> CredentialHolder {
        match role {
            ManagementMode::ProfileOwner => CredentialHolder::WorkProfile,
            _ => CredentialHolder::DeviceUser,
        }
    }

    /// The caller's `targetSdkVersion`. Our choice: the agent and the other
    /// admin app are built for the newest SDK.
    fn target_sdk(&self, admin: Admin) -> u8 {
        match admin {
            Admin::OtherAdminTargeting(sdk) => sdk,
            Admin::Agent | Admin::OtherAdmin => platform::HIGHEST_API,
        }
    }
}

/// Whether a credential meets a policy (§1.2, §5). The COMPLEXITY_* buckets
/// compare complexity levels on every API level (our choice where the agent
/// applies them below Android 12). Otherwise Android 11+ measure metrics;
/// Android 5-10 the recorded quality, the length (from NUMERIC up) and the
/// per-class counts (COMPLEX only).
fn sufficient(api: u8, credential: Option<&Credential>, policy: &PasswordPolicy) -> bool {
    if let Some(level) = policy.quality.complexity() {
        return credential.map_or(Complexity::None, |c| c.metrics().complexity()) >= level;
    }
    if platform::sufficiency_by_metrics(api) {
        return policy.check_metrics(api, credential.map(Credential::metrics)).iter().all(|c| c.met);
    }
    let required = policy.quality.dpm_constant().unwrap_or(0);
    let Some(c) = credential else { return required == 0 };
    let have = c.quality().dpm_constant().unwrap_or(0);
    let m = c.metrics();
    let length_counts = required >= PasswordQuality::Numeric.dpm_constant().unwrap_or(0);
    if have < required || (length_counts && m.length < policy.minimum_length) {
        return false;
    }
    if policy.quality != PasswordQuality::Complex {
        return true;
    }
    m.letters >= policy.minimum_letters
        && m.lower_case >= policy.minimum_lower_case
        && m.upper_case >= policy.minimum_upper_case
        && m.non_letter >= policy.minimum_non_letter
        && m.numeric >= policy.minimum_numeric
        && m.symbols >= policy.minimum_symbols
}
