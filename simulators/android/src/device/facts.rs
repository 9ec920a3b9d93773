//! What can be read off a device: its facts, locks, credentials, policies.

use super::users::floor_unmet;
#[allow(unused_imports)]
use super::*;

impl Device {
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
        token_state(self.user(holder).and_then(|u| u.token.as_ref()))
    }

    /// Who set `holder`'s reset-password token, if one is set.
    pub fn token_owner(&self, holder: CredentialHolder) -> Option<Admin> {
        self.user(holder).and_then(|u| u.token.as_ref()).map(|t| t.owner)
    }

    /// `am get-started-user-state`: `None` while nothing runs (full-disk
    /// encryption waiting for its boot password) or for a missing holder.
    pub fn run_state(&self, holder: CredentialHolder) -> Option<RunState> {
        if self.boot != BootState::Running {
            return None;
        }
        self.user(holder).map(|u| if u.storage_unlocked { RunState::RunningUnlocked } else { RunState::RunningLocked })
    }

    /// Android's metrics of the credential that answers for `holder` (never the passcode).
    pub fn credential_metrics(&self, holder: CredentialHolder) -> Option<PasswordMetrics> {
        self.effective(holder).and_then(|u| u.credential.as_ref()).map(|c| *c.metrics())
    }

    /// The security log and stats events, oldest first.
    pub fn events(&self) -> &[DeviceEvent] {
        &self.events
    }

    /// The 32 bytes the agent sets as its reset-password token. Our choice:
    /// derived from the device's salt, so each device's differs; a real
    /// agent draws random bytes.
    pub fn agent_token_value(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"agent reset-password token");
        h.update(self.salt.to_le_bytes());
        h.finalize().to_vec()
    }

    /// The reset-password token the agent keeps, if it set one.
    pub fn agent_token(&self) -> Option<&[u8]> {
        self.agent_token.as_deref()
    }

    /// Secure-element slots escrow tokens have used (§2.4).
    pub fn escrow_slots_used(&self) -> u8 {
        self.escrow_slots_used
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
        self.policies.iter().find(|p| self.scope_holder(p.scope) == holder)
    }

    /// Replace the assigned password policies.
    pub fn assign_password_policies(&mut self, policies: Vec<PasswordPolicy>) {
        self.policies = policies;
    }

    /// The policy for `holder`, created empty (scoped to it) if none is assigned.
    pub(super) fn policy_mut(&mut self, holder: CredentialHolder) -> &mut PasswordPolicy {
        let scope = match holder {
            CredentialHolder::DeviceUser => PolicyScope::ScopeDevice,
            CredentialHolder::WorkProfile => PolicyScope::ScopeProfile,
        };
        let index = match self.policies.iter().position(|p| self.scope_holder(p.scope) == holder) {
            Some(i) => i,
            None => {
                self.policies.push(PasswordPolicy { scope, ..Default::default() });
                self.policies.len() - 1
            }
        };
        &mut self.policies[index]
    }

    fn scope_holder(&self, scope: PolicyScope) -> CredentialHolder {
        match scope {
            PolicyScope::ScopeDevice => CredentialHolder::DeviceUser,
            PolicyScope::ScopeProfile => CredentialHolder::WorkProfile,
            PolicyScope::ScopeUnspecified if self.has_work_profile() => CredentialHolder::WorkProfile,
            PolicyScope::ScopeUnspecified => CredentialHolder::DeviceUser,
        }
    }

    /// What a new passcode for `holder` fails: the platform floor first,
    /// then the assigned policy. `None` (or empty) clears the passcode, which
    /// only a policy can forbid.
    pub fn unmet_requirements(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Vec<Requirement> {
        let mut unmet: Vec<Requirement> = floor_unmet(new).into_iter().collect();
        unmet.extend(self.policy_unmet(holder, new));
        unmet
    }

    pub(super) fn policy_unmet(&self, holder: CredentialHolder, new: Option<&Passcode>) -> Vec<Requirement> {
        let Some(policy) = self.policy_for(holder) else { return Vec::new() };
        match new.filter(|p| !p.is_empty()) {
            None if policy.quality != PasswordQuality::PasswordQualityUnspecified => vec![Requirement::NotEmpty],
            None => Vec::new(),
            Some(p) => {
                policy.check_on(self.api_level(), p).into_iter().filter(|c| !c.met).map(|c| c.requirement).collect()
            }
        }
    }
}
