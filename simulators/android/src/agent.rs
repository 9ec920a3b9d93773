//! The Android Device Policy agent: it receives Android Management API
//! commands for its device (LOCK, RESET_PASSWORD, REBOOT), carries them out
//! through `DevicePolicyManager` under the platform rules, and answers with
//! success, AMAPI's `CommandErrorCode`, or "not yet" when the device cannot
//! run anything now.
//!
//! The AMAPI-documented rules live here (docs/platform.md §8); the platform's
//! live in [`crate::platform`]. How a platform refusal maps to an AMAPI error
//! code is not documented anywhere: [`Refusal::error_code`] is our choice.

use crate::clock::SimTime;
use crate::device::{Admin, BootState, CredentialHolder, Device, Refusal, ResetFlags};
use crate::ownership::ManagementMode;
use crate::passcode::Passcode;
use crate::platform;
use crate::policy::Requirement;
use std::fmt;

/// A command as the agent receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentCommand {
    Lock,
    /// `newPassword` absent or empty clears the passcode (platform semantics).
    ResetPassword {
        new_password: Option<Passcode>,
        flags: ResetFlags,
    },
    Reboot,
}

/// AMAPI `CommandErrorCode` (the failures; success is the absence of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandErrorCode {
    Unknown,
    ApiLevel,
    ManagementMode,
    InvalidValue,
    Unsupported,
}

impl CommandErrorCode {
    pub fn amapi_name(self) -> &'static str {
        match self {
            CommandErrorCode::Unknown => "UNKNOWN",
            CommandErrorCode::ApiLevel => "API_LEVEL",
            CommandErrorCode::ManagementMode => "MANAGEMENT_MODE",
            CommandErrorCode::InvalidValue => "INVALID_VALUE",
            CommandErrorCode::Unsupported => "UNSUPPORTED",
        }
    }
}

impl fmt::Display for CommandErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.amapi_name())
    }
}

/// Why a command cannot run yet; it stays queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Waiting {
    /// The device is not connected.
    Offline,
    /// Full-disk encryption waits for the boot password; the agent is not running (PLAT-3).
    NotRunning,
}

/// The agent's answer to one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    Done,
    /// Failed; `refusal` says why in the platform's terms (for logs and journals).
    Failed {
        code: CommandErrorCode,
        refusal: Option<Refusal>,
    },
    /// Cannot run now; deliver again later.
    Waiting(Waiting),
}

/// The agent on one device.
#[derive(Debug)]
pub struct Agent<'d> {
    device: &'d mut Device,
}

impl<'d> Agent<'d> {
    pub fn on(device: &'d mut Device) -> Self {
        Agent { device }
    }

    /// Enrollment: from Android 8.0 an owner provisions a reset-password token
    /// for the user it manages (PLAT-2). It is pending until the next unlock
    /// if that user already has a passcode.
    pub fn provision(&mut self) {
        if let Some(holder) = managed_holder(self.device.ownership().management_mode()) {
            let token = self.device.agent_token_value();
            // Refused below API 26: those devices use the legacy reset.
            let _ = self.device.set_reset_password_token(Admin::Agent, holder, &token);
        }
    }

    /// Carry out one command.
    pub fn apply(&mut self, command: &AgentCommand, _now: SimTime) -> CommandOutcome {
        if !self.device.is_online() {
            return CommandOutcome::Waiting(Waiting::Offline);
        }
        if self.device.boot_state() == BootState::AwaitingBootPassword {
            return CommandOutcome::Waiting(Waiting::NotRunning);
        }
        match command {
            AgentCommand::Lock => {
                self.device.lock_now(Admin::Agent);
                CommandOutcome::Done
            }
            AgentCommand::Reboot => match reboot_support(self.device) {
                Ok(()) => {
                    self.device.reboot();
                    CommandOutcome::Done
                }
                Err(code) => CommandOutcome::Failed { code, refusal: None },
            },
            AgentCommand::ResetPassword { new_password, flags } => self.reset(new_password.as_ref(), *flags),
        }
    }

    fn reset(&mut self, new: Option<&Passcode>, flags: ResetFlags) -> CommandOutcome {
        let api = self.device.api_level();
        if let Some(p) = new.filter(|p| !p.is_empty()) {
            if new_password_floor(api, p).iter().any(|r| !r.is_met_by(p)) {
                return CommandOutcome::Failed { code: CommandErrorCode::InvalidValue, refusal: None };
            }
        }
        let role = self.device.ownership().management_mode();
        let result = match managed_holder(role) {
            Some(holder) if platform::has_token_api(api) => {
                let token = self.device.agent_token().map(<[u8]>::to_vec).unwrap_or_default();
                self.device.reset_password_with_token(Admin::Agent, holder, new, &token, flags)
            }
            // Before 8.0, and always for a legacy device admin.
            _ => self.device.reset_password(Admin::Agent, new, flags),
        };
        match result {
            Ok(()) => {
                if flags.lock_now {
                    self.device.lock_now(Admin::Agent);
                }
                CommandOutcome::Done
            }
            Err(refusal) => CommandOutcome::Failed { code: refusal.error_code(), refusal: Some(refusal) },
        }
    }
}

/// The user whose passcode an owner's reset changes: the device user for a
/// device owner, the work profile for a profile owner (PLAT-4).
fn managed_holder(role: ManagementMode) -> Option<CredentialHolder> {
    match role {
        ManagementMode::DeviceOwner => Some(CredentialHolder::DeviceUser),
        ManagementMode::ProfileOwner => Some(CredentialHolder::WorkProfile),
        ManagementMode::DeviceAdmin => None,
    }
}

/// The floors a RESET_PASSWORD `newPassword` must clear before the platform
/// sees it ([`platform::amapi_new_password_floor`]).
pub fn new_password_floor(api: u8, candidate: &Passcode) -> Vec<Requirement> {
    platform::amapi_new_password_floor(api, candidate)
}

/// AMAPI: REBOOT is "only supported on fully managed devices running Android
/// 7.0 (API level 24) or higher". Dedicated devices are device-owner managed
/// too, so they count as fully managed here (our reading).
fn reboot_support(device: &Device) -> Result<(), CommandErrorCode> {
    if device.ownership().management_mode() != ManagementMode::DeviceOwner {
        Err(CommandErrorCode::ManagementMode)
    } else if device.api_level() < 24 {
        Err(CommandErrorCode::ApiLevel)
    } else {
        Ok(())
    }
}

impl Refusal {
    /// The AMAPI error code the agent reports for a platform refusal.
    ///
    /// Our choice, as AMAPI documents no mapping: a caller role that cannot do
    /// it is MANAGEMENT_MODE; an API that does not exist at this level is
    /// API_LEVEL; a passcode the rules refuse is INVALID_VALUE; a state the
    /// device cannot reset in (locked user, firmware refusal) is UNSUPPORTED;
    /// token and REQUIRE_ENTRY states the agent cannot explain are UNKNOWN.
    pub fn error_code(&self) -> CommandErrorCode {
        use CommandErrorCode as C;
        match self {
            Refusal::ReturnedFalse(inner) => inner.error_code(),
            Refusal::NotAnOwner
            | Refusal::AdminCannotChangePassword
            | Refusal::CannotClearPassword
            | Refusal::DeviceAdminCannotReset
            | Refusal::ManagedProfileLegacyReset
            | Refusal::EscrowDisabled
            | Refusal::EvictNeedsProfileOwner => C::ManagementMode,
            Refusal::LegacyResetDeprecated | Refusal::NoTokenApi | Refusal::NotOnThisApiLevel { .. } => C::ApiLevel,
            Refusal::TooShort { .. } | Refusal::PolicyNotMet(_) | Refusal::ConstraintUnusedByQuality(_) => {
                C::InvalidValue
            }
            Refusal::UserLocked
            | Refusal::FirmwareRefusedInDirectBoot
            | Refusal::UserHasManagedProfile
            | Refusal::EvictNeedsFileBasedEncryption => C::Unsupported,
            Refusal::NoToken
            | Refusal::TokenNotActive
            | Refusal::WrongToken
            | Refusal::TokenTooShort
            | Refusal::PasswordOwnedByAnotherAdmin
            | Refusal::WrongCurrentPasscode
            | Refusal::NotRunning => C::Unknown,
        }
    }
}
