//! The Android platform rules, by API level: one function per rule, each
//! naming the section of the platform notes (docs/platform.md, in our
//! words, with the AOSP sources each section read) and the requirement it
//! implements.
//!
//! Nothing else in the crate compares API levels. Where the notes are silent
//! the choice is ours and the doc comment says "Our choice".

pub mod shell;

use crate::ownership::{ManagementMode, Ownership};
use crate::passcode::{CredentialKind, Passcode};
use crate::policy::{Constraint, PasswordQuality, Requirement};
use crate::profile::Encryption;
use std::fmt;
use std::time::Duration;

/// Android 5.0, the oldest release Lockstep simulates (HAR-2).
pub const LOWEST_API: u8 = 21;
/// Android 15, the newest.
pub const HIGHEST_API: u8 = 35;

/// The `ro.build.version.release` of each API level. API 32 (12L) reports "12".
pub fn android_version(api: u8) -> Option<&'static str> {
    Some(match api {
        21 => "5.0",
        22 => "5.1",
        23 => "6.0",
        24 => "7.0",
        25 => "7.1",
        26 => "8.0",
        27 => "8.1",
        28 => "9",
        29 => "10",
        30 => "11",
        31 | 32 => "12",
        33 => "13",
        34 => "14",
        35 => "15",
        _ => return None,
    })
}

/// §3: file-based encryption exists from Android 7.0.
pub fn file_based_encryption_exists(api: u8) -> bool {
    api >= 24
}

/// §3: full-disk encryption is gone from Android 13 (devices upgraded from 9
/// or lower could keep it through 12).
pub fn full_disk_encryption_exists(api: u8) -> bool {
    api <= 32
}

/// The first API level on which an ownership mode can exist.
///
/// Our choice for the company-owned work profile: API 26, the oldest release
/// AMAPI's LOCK documentation mentions for organisation-owned work profiles.
/// Every other mode exists on every simulated level.
pub fn first_api_of(ownership: Ownership) -> u8 {
    match ownership {
        Ownership::WorkProfileCompanyOwned => 26,
        _ => LOWEST_API,
    }
}

// ---------------------------------------------------------------------------
// Passcode length and credential type (PLAT-5, §2.3, §5)
// ---------------------------------------------------------------------------

/// §5, PLAT-5: `MIN_LOCK_PASSWORD_SIZE` is 4 on every release.
pub const MIN_PASSCODE_LENGTH: u8 = 4;

/// §5, PLAT-5: the floor every new PIN or password must clear, whoever sets it.
pub fn passcode_floor() -> Requirement {
    Requirement::MinimumLength(MIN_PASSCODE_LENGTH)
}

/// §2.3: the keyguard a passcode set through a reset brings up. Digits give a
/// PIN pad, except on Android 11 (API 30) where a token reset always stores a
/// password, so even digits get the full keyboard.
pub fn credential_kind_after_reset(api: u8, passcode: &Passcode) -> CredentialKind {
    if passcode.is_numeric() && api != 30 {
        CredentialKind::Pin
    } else {
        CredentialKind::Password
    }
}

/// Our choice: a person who sets an all-digit passcode in Settings picks a PIN.
pub fn credential_kind_from_settings(passcode: &Passcode) -> CredentialKind {
    if passcode.is_numeric() {
        CredentialKind::Pin
    } else {
        CredentialKind::Password
    }
}

/// AMAPI (docs/platform.md §8): a numeric RESET_PASSWORD `newPassword` on
/// Android 14 has at least this many digits.
pub const AMAPI_NUMERIC_MINIMUM: u8 = 6;

/// Our choice: AMAPI names Android 14 only; the 6-digit rule applies to 14
/// and later, since the auto-confirm minimum it likely comes from is in 15 too.
pub fn amapi_numeric_minimum_applies(api: u8) -> bool {
    api >= 34
}

/// The floors a RESET_PASSWORD `newPassword` must clear before the platform
/// sees it: the platform minimum of 4 (PLAT-5) and AMAPI's numeric minimum.
pub fn amapi_new_password_floor(api: u8, candidate: &Passcode) -> Vec<Requirement> {
    let mut floor = vec![passcode_floor()];
    if candidate.is_numeric() && amapi_numeric_minimum_applies(api) {
        floor.push(Requirement::MinimumLength(AMAPI_NUMERIC_MINIMUM));
    }
    floor
}

// ---------------------------------------------------------------------------
// The keyguard (PLAT-6, §4)
// ---------------------------------------------------------------------------

/// §4: PIN auto-confirm arrives in Android 14.
pub fn has_pin_auto_confirm(api: u8) -> bool {
    api >= 34
}

/// §4, `MIN_AUTO_PIN_REQUIREMENT_LENGTH`: auto-confirm only for PINs of 6+.
pub const MIN_AUTO_CONFIRM_LENGTH: u8 = 6;

/// §4, PLAT-6: the PIN length stored with a new credential, which the
/// keyguard reads when it starts. Stored only for a PIN of at least 6 digits
/// while auto-confirm is on; otherwise unknown, and the keyguard shows an OK key.
pub fn stored_pin_length(api: u8, auto_confirm: bool, kind: CredentialKind, length: u8) -> Option<u8> {
    (has_pin_auto_confirm(api) && auto_confirm && kind == CredentialKind::Pin && length >= MIN_AUTO_CONFIRM_LENGTH)
        .then_some(length)
}

/// §4: after this many wrong PINs auto-confirm is switched off and the OK
/// key comes back; the same count starts the lockout throttle.
pub const FAILED_ATTEMPTS_BEFORE_LOCKOUT: u16 = 5;

/// §4: the throttle after five wrong attempts is 30 seconds.
///
/// Our choice beyond the notes: every further fifth wrong attempt locks out
/// for another 30 seconds (real devices escalate; no scenario needs that).
pub fn lockout_after(failed_attempts: u16) -> Option<Duration> {
    (failed_attempts > 0 && failed_attempts % FAILED_ATTEMPTS_BEFORE_LOCKOUT == 0).then_some(Duration::from_secs(30))
}

// ---------------------------------------------------------------------------
// Who may reset (PLAT-1, PLAT-2, PLAT-4, §1.1, §2)
// ---------------------------------------------------------------------------

/// Whose credential a caller is acting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialHolder {
    /// User 0: the device lock screen.
    DeviceUser,
    /// The managed profile: the work challenge.
    WorkProfile,
}

/// One call of the legacy `resetPassword`, with what decides its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyResetCall {
    pub api: u8,
    pub role: ManagementMode,
    /// The caller's `targetSdkVersion`.
    pub target_sdk: u8,
    /// The caller's own user.
    pub holder: CredentialHolder,
    pub has_password: bool,
    pub user_unlocked: bool,
    /// The caller's user (the device user) has a managed profile.
    pub has_managed_profile: bool,
    pub clearing: bool,
}

/// §1.1, PLAT-1: the legacy `resetPassword`. Callers targeting Android 6.0
/// or older get `false` where newer ones get an exception
/// ([`Refusal::ReturnedFalse`]); from Android 8.0 an owner targeting 8.0+
/// is refused outright, from 11 everyone.
///
/// The order of the checks is the platform's: on 7.0-10 a device admin's
/// empty password is refused before its "a password is already set".
pub fn legacy_reset(c: LegacyResetCall) -> Result<(), Refusal> {
    use ManagementMode as M;
    let on_profile = c.holder == CredentialHolder::WorkProfile;
    let owner = matches!(c.role, M::DeviceOwner | M::ProfileOwner);
    let quiet_before = |first_loud: u8, r: Refusal| {
        if c.target_sdk < first_loud {
            Refusal::ReturnedFalse(Box::new(r))
        } else {
            r
        }
    };
    match c.api {
        21..=23 if on_profile => Err(Refusal::ManagedProfileLegacyReset),
        21..=23 => Ok(()),
        30.. if c.clearing && on_profile => Err(Refusal::CannotClearPassword),
        30.. if owner => Err(quiet_before(26, Refusal::LegacyResetDeprecated)),
        30.. => Err(quiet_before(24, Refusal::DeviceAdminCannotReset)),
        26.. if owner && c.target_sdk >= 26 => Err(Refusal::LegacyResetDeprecated),
        _ if c.clearing && on_profile => Err(Refusal::CannotClearPassword),
        _ if c.role == M::DeviceAdmin && c.clearing => Err(quiet_before(24, Refusal::CannotClearPassword)),
        _ if c.role == M::DeviceAdmin && c.has_password => Err(quiet_before(24, Refusal::AdminCannotChangePassword)),
        // API 24-29: these two run after the role checks, for every caller.
        _ if !on_profile && c.has_managed_profile => Err(quiet_before(24, Refusal::UserHasManagedProfile)),
        _ if !c.user_unlocked => Err(quiet_before(24, Refusal::UserLocked)),
        _ => Ok(()),
    }
}

/// §2, PLAT-2: the reset-password token API exists from Android 8.0.
pub fn has_token_api(api: u8) -> bool {
    api >= 26
}

/// §2.2, PLAT-4: whether a caller with `role` may hold an escrow token for
/// `holder`. A device owner's is the device user's; a profile owner's is the
/// work profile's (escrow is disabled on the personal user of BYOD and COPE);
/// a legacy admin has no token API.
pub fn escrow_allowed(role: ManagementMode, holder: CredentialHolder) -> bool {
    matches!(
        (role, holder),
        (ManagementMode::DeviceOwner, CredentialHolder::DeviceUser)
            | (ManagementMode::ProfileOwner, CredentialHolder::WorkProfile)
    )
}

/// §2.1, PLAT-2: a token set while the holder has a credential waits for the
/// next successful unlock; without one it is active at once.
pub fn token_state_when_set(holder_is_secure: bool) -> crate::device::TokenState {
    if holder_is_secure {
        crate::device::TokenState::Pending
    } else {
        crate::device::TokenState::Active
    }
}

/// §2.1, PLAT-2: an unactivated token lives only in memory and is lost on
/// reboot; an active one survives reboots and credential changes.
pub fn token_survives_reboot(state: crate::device::TokenState) -> bool {
    state == crate::device::TokenState::Active
}

/// §2 (h), PLAT-4: a token reset on a managed profile gives it a separate
/// challenge, distinct from the device lock.
pub fn reset_separates_work_challenge(holder: CredentialHolder) -> bool {
    holder == CredentialHolder::WorkProfile
}

// ---------------------------------------------------------------------------
// Direct Boot (PLAT-3, §3)
// ---------------------------------------------------------------------------

/// §3, PLAT-3: with file-based encryption the framework and direct-boot-aware
/// apps (the agent) run before the first unlock; with full-disk encryption
/// nothing runs until the boot password is entered.
pub fn agent_runs_before_unlock(encryption: Encryption) -> bool {
    encryption == Encryption::FileBased
}

/// §3, PLAT-3: `resetPasswordWithToken` works while the user is locked after
/// a boot, from API 26, on file-based encryption, with an active token. The
/// vendors' "Android 10+" is when FBE became mandatory, not a platform switch.
pub fn token_reset_while_locked(api: u8, encryption: Encryption) -> bool {
    has_token_api(api) && encryption == Encryption::FileBased
}

/// §3, PLAT-3: a reset with a new passcode leaves a locked user locked; a
/// reset that clears the passcode unlocks them.
pub fn reset_unlocks_locked_user(clearing: bool) -> bool {
    clearing
}

/// §1, PLAT-8: DO_NOT_ASK_CREDENTIALS_ON_BOOT counts only from a device owner
/// (ignored for others) and only full-disk encryption's secure start-up reads it.
pub fn do_not_ask_on_boot_applies(role: ManagementMode, encryption: Encryption) -> bool {
    role == ManagementMode::DeviceOwner && encryption == Encryption::FullDisk
}

/// Our choice: a full-disk-encrypted device with a credential asks for it at
/// boot (secure start-up on), unless DO_NOT_ASK_CREDENTIALS_ON_BOOT was set.
pub fn asks_credential_at_boot(encryption: Encryption, has_credential: bool, do_not_ask: bool) -> bool {
    encryption == Encryption::FullDisk && has_credential && !do_not_ask
}

// ---------------------------------------------------------------------------
// Lock (PLAT-7, §6)
// ---------------------------------------------------------------------------

/// What a `lockNow` locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockScope {
    /// The screen goes off and every user locks.
    WholeDevice,
    /// Only the work profile locks; the screen stays on.
    WorkProfileOnly,
}

/// §6, PLAT-7: API 21-23 lock everything; from API 24 a profile owner whose
/// profile has a separate challenge locks only the profile. AMAPI's LOCK
/// documentation adds: on organisation-owned work profiles on Android 8-10 the
/// whole device locks.
pub fn lock_scope(api: u8, ownership: Ownership, separate_work_challenge: bool) -> LockScope {
    let profile_only = api >= 24
        && ownership.management_mode() == ManagementMode::ProfileOwner
        && separate_work_challenge
        && !(ownership == Ownership::WorkProfileCompanyOwned && (26..=29).contains(&api));
    if profile_only {
        LockScope::WorkProfileOnly
    } else {
        LockScope::WholeDevice
    }
}

/// §6, PLAT-7: with no credential, lockNow only puts the device to sleep.
pub fn lock_is_effective(has_credential: bool) -> bool {
    has_credential
}

// ---------------------------------------------------------------------------
// Password policy and metrics (§1.2, §3, §5)
// ---------------------------------------------------------------------------

/// §5: from Android 11 ALPHANUMERIC asks for a letter and a digit
/// (PasswordPolicy's minimum metrics); before, the quality LockPatternUtils
/// computes needs only a digit and a non-digit.
pub fn alphanumeric_needs_a_letter(api: u8) -> bool {
    api >= 30
}

/// §1.2: from Android 11 a credential is held to a policy by its metrics
/// (`PasswordMetrics.validatePasswordMetrics`); before, by the quality
/// recorded with it, its length and, for COMPLEX, the per-class counts.
pub fn sufficiency_by_metrics(api: u8) -> bool {
    api >= 30
}

/// §3: `isActivePasswordSufficient` throws IllegalStateException while the
/// user is locked from Android 8.1 (8.0 has no check).
pub fn sufficiency_needs_unlocked_user(api: u8) -> bool {
    api >= 27
}

/// §5: `getPasswordComplexity` exists from Android 10 and throws
/// IllegalStateException while the user is locked.
pub fn has_password_complexity(api: u8) -> bool {
    api >= 29
}

/// §5: `setRequiredPasswordComplexity` exists from Android 12.
pub fn has_required_complexity_setter(api: u8) -> bool {
    api >= 31
}

/// §5: from Android 11 the minimum-length and per-class setters throw
/// IllegalStateException unless the quality makes them count.
pub fn setters_refuse_unused_constraints(api: u8) -> bool {
    api >= 30
}

/// §5: whether a quality uses a constraint: the length from NUMERIC up, the
/// per-class minima only with COMPLEX.
pub fn quality_uses(quality: PasswordQuality, constraint: Constraint) -> bool {
    use PasswordQuality as Q;
    match constraint {
        Constraint::Length => {
            matches!(quality, Q::Numeric | Q::NumericComplex | Q::Alphabetic | Q::Alphanumeric | Q::Complex)
        }
        _ => quality == Q::Complex,
    }
}

// ---------------------------------------------------------------------------
// lockNow flags and the logs (§6)
// ---------------------------------------------------------------------------

/// §6: `FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY` exists from Android 8.0.
pub fn has_evict_flag(api: u8) -> bool {
    api >= 26
}

/// §6: only the profile owner of a managed profile may evict its key, and
/// only file-based encryption has a per-profile key to evict.
pub fn evict_allowed(role: ManagementMode, ownership: Ownership, encryption: Encryption) -> Result<(), Refusal> {
    if role != ManagementMode::ProfileOwner || !ownership.has_work_profile() {
        Err(Refusal::EvictNeedsProfileOwner)
    } else if encryption != Encryption::FileBased {
        Err(Refusal::EvictNeedsFileBasedEncryption)
    } else {
        Ok(())
    }
}

/// §6: the security log carries TAG_REMOTE_LOCK for a lockNow from Android 14.
pub fn security_log_has_remote_lock(api: u8) -> bool {
    api >= 34
}

/// Our choice: the security log exists from Android 7.0 (API 24, when
/// SecurityLog became public) and records each keyguard authentication
/// attempt there on every such level.
pub fn has_security_log(api: u8) -> bool {
    api >= 24
}

/// Why the platform refused an operation. The messages paraphrase the
/// platform's exceptions and return values (§1.1, §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The caller is not the device or profile owner of that user.
    NotAnOwner,
    /// API 24+: a device admin may only set a passcode when none is set.
    AdminCannotChangePassword,
    /// API 24+: only owners may clear a passcode, and not on a managed profile.
    CannotClearPassword,
    /// API 30+: device admins can no longer call resetPassword.
    DeviceAdminCannotReset,
    /// API 21-23: the legacy reset cannot target a managed profile.
    ManagedProfileLegacyReset,
    /// API 26+: resetPassword is deprecated for owners targeting 8.0 or later.
    LegacyResetDeprecated,
    /// API 24-29: the legacy reset needs an unlocked user.
    UserLocked,
    /// The token API does not exist before API 26.
    NoTokenApi,
    /// Escrow is disabled on this user (the personal side of a work-profile device).
    EscrowDisabled,
    /// No reset-password token was ever set.
    NoToken,
    /// The token waits for the user's next unlock.
    TokenNotActive,
    /// Shorter than a platform floor.
    TooShort { minimum: u8 },
    /// The assigned password policy is not met.
    PolicyNotMet(Vec<Requirement>),
    /// Another admin reset with REQUIRE_ENTRY and the user has not entered it yet.
    PasswordOwnedByAnotherAdmin,
    /// The current passcode given in Settings is wrong.
    WrongCurrentPasscode,
    /// Nothing runs yet: a full-disk-encrypted device waits for its boot password.
    NotRunning,
    /// Non-conforming firmware refused a reset before the first unlock.
    FirmwareRefusedInDirectBoot,
    /// API 24-29: the legacy reset on a user that has a managed profile.
    UserHasManagedProfile,
    /// The call returned `false` instead of throwing (a caller targeting an
    /// old SDK); the reason is what a newer caller would have been told.
    ReturnedFalse(Box<Refusal>),
    /// A reset-password token shorter than 32 bytes.
    TokenTooShort,
    /// The token given is not the one set.
    WrongToken,
    /// API 30+: a constraint the quality does not use.
    ConstraintUnusedByQuality(Constraint),
    /// The method does not exist on this API level.
    NotOnThisApiLevel { first_api: u8 },
    /// lockNow(FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY) from a caller other than
    /// a managed profile's profile owner.
    EvictNeedsProfileOwner,
    /// lockNow(FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY) without file-based encryption.
    EvictNeedsFileBasedEncryption,
}

impl Refusal {
    /// How a caller sees the refusal: the exception the platform throws, or
    /// `false` for the calls that return it (§1.1, §2, §5, §6).
    pub fn answer(&self) -> &'static str {
        match self {
            Refusal::ReturnedFalse(_)
            | Refusal::WrongToken
            | Refusal::NoToken
            | Refusal::TokenNotActive
            | Refusal::PolicyNotMet(_)
            | Refusal::TooShort { .. }
            | Refusal::PasswordOwnedByAnotherAdmin
            | Refusal::FirmwareRefusedInDirectBoot => "false",
            Refusal::UserLocked | Refusal::UserHasManagedProfile | Refusal::ConstraintUnusedByQuality(_) => {
                "IllegalStateException"
            }
            Refusal::TokenTooShort => "IllegalArgumentException",
            Refusal::EvictNeedsFileBasedEncryption => "UnsupportedOperationException",
            Refusal::NotOnThisApiLevel { .. } => "NoSuchMethodError",
            Refusal::WrongCurrentPasscode | Refusal::NotRunning => "not a DevicePolicyManager call",
            Refusal::NotAnOwner
            | Refusal::AdminCannotChangePassword
            | Refusal::CannotClearPassword
            | Refusal::DeviceAdminCannotReset
            | Refusal::ManagedProfileLegacyReset
            | Refusal::LegacyResetDeprecated
            | Refusal::NoTokenApi
            | Refusal::EscrowDisabled
            | Refusal::EvictNeedsProfileOwner => "SecurityException",
        }
    }

    /// The reason under a `false` answer.
    pub fn reason(&self) -> &Refusal {
        match self {
            Refusal::ReturnedFalse(inner) => inner.reason(),
            other => other,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAnOwner => write!(f, "the caller is not the owner of that user"),
            Refusal::AdminCannotChangePassword => {
                write!(f, "a device admin cannot change an existing passcode (Android 7.0+)")
            }
            Refusal::CannotClearPassword => write!(f, "this caller cannot clear the passcode"),
            Refusal::DeviceAdminCannotReset => write!(f, "device admins can no longer reset passcodes (Android 11+)"),
            Refusal::ManagedProfileLegacyReset => {
                write!(f, "the passcode of a managed profile cannot be reset before Android 7.0")
            }
            Refusal::LegacyResetDeprecated => {
                write!(f, "resetPassword is not available to owners on Android 8.0+; a reset token is needed")
            }
            Refusal::UserLocked => write!(f, "the user is locked (not yet unlocked since boot)"),
            Refusal::NoTokenApi => write!(f, "reset-password tokens need Android 8.0+"),
            Refusal::EscrowDisabled => write!(f, "escrow tokens are disabled on this user"),
            Refusal::NoToken => write!(f, "no reset-password token was set"),
            Refusal::TokenNotActive => write!(f, "the reset-password token is not active until the user unlocks once"),
            Refusal::TooShort { minimum } => write!(f, "shorter than the minimum of {minimum}"),
            Refusal::PolicyNotMet(unmet) => {
                let list: Vec<String> = unmet.iter().map(ToString::to_string).collect();
                write!(f, "the password policy is not met: {}", list.join(", "))
            }
            Refusal::PasswordOwnedByAnotherAdmin => {
                write!(f, "another admin reset it with REQUIRE_ENTRY and the user has not entered it yet")
            }
            Refusal::WrongCurrentPasscode => write!(f, "the current passcode is wrong"),
            Refusal::NotRunning => write!(f, "the device waits for its boot password; nothing runs"),
            Refusal::FirmwareRefusedInDirectBoot => write!(f, "the firmware refused a reset before the first unlock"),
            Refusal::UserHasManagedProfile => {
                write!(f, "cannot reset the passcode of a user that has a managed profile")
            }
            Refusal::ReturnedFalse(inner) => write!(f, "the call returned false ({inner})"),
            Refusal::TokenTooShort => write!(f, "a reset-password token must be at least 32 bytes long"),
            Refusal::WrongToken => write!(f, "the reset-password token given is not the one set"),
            Refusal::ConstraintUnusedByQuality(c) => {
                write!(f, "the password quality does not use the {c} constraint (Android 11+)")
            }
            Refusal::NotOnThisApiLevel { first_api } => write!(f, "the method exists from API {first_api}"),
            Refusal::EvictNeedsProfileOwner => {
                write!(f, "only the profile owner of a managed profile may evict its credential encryption key")
            }
            Refusal::EvictNeedsFileBasedEncryption => {
                write!(f, "evicting the credential encryption key needs file-based encryption")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialHolder::{DeviceUser, WorkProfile};
    use ManagementMode::{DeviceAdmin as DA, DeviceOwner as DO, ProfileOwner as PO};

    fn call(
        api: u8,
        role: ManagementMode,
        holder: CredentialHolder,
        has: bool,
        unlocked: bool,
        clearing: bool,
    ) -> LegacyResetCall {
        LegacyResetCall {
            api,
            role,
            target_sdk: HIGHEST_API,
            holder,
            has_password: has,
            user_unlocked: unlocked,
            has_managed_profile: false,
            clearing,
        }
    }

    #[test]
    fn legacy_reset_follows_the_table_in_section_1_1() {
        // (api, role, holder, has_password, unlocked, clearing, expected)
        type Row = (u8, ManagementMode, CredentialHolder, bool, bool, bool, Result<(), Refusal>);
        let table: &[Row] = &[
            (21, DA, DeviceUser, true, true, false, Ok(())),
            (23, DA, DeviceUser, true, true, true, Ok(())),
            (23, DO, DeviceUser, true, false, false, Ok(())),
            (22, PO, WorkProfile, true, true, false, Err(Refusal::ManagedProfileLegacyReset)),
            (24, DA, DeviceUser, true, true, false, Err(Refusal::AdminCannotChangePassword)),
            (24, DA, DeviceUser, false, true, false, Ok(())),
            (25, DA, DeviceUser, false, true, true, Err(Refusal::CannotClearPassword)),
            // The empty password is refused before "a password is already set".
            (24, DA, DeviceUser, true, true, true, Err(Refusal::CannotClearPassword)),
            (29, DA, DeviceUser, true, true, true, Err(Refusal::CannotClearPassword)),
            (29, DA, DeviceUser, true, true, false, Err(Refusal::AdminCannotChangePassword)),
            (29, DA, DeviceUser, false, false, false, Err(Refusal::UserLocked)),
            (30, DA, DeviceUser, false, true, false, Err(Refusal::DeviceAdminCannotReset)),
            (35, DA, DeviceUser, false, true, false, Err(Refusal::DeviceAdminCannotReset)),
            (24, DO, DeviceUser, true, true, false, Ok(())),
            (25, DO, DeviceUser, true, false, false, Err(Refusal::UserLocked)),
            (24, PO, WorkProfile, true, true, false, Ok(())),
            (24, PO, WorkProfile, true, true, true, Err(Refusal::CannotClearPassword)),
            (26, DO, DeviceUser, true, true, false, Err(Refusal::LegacyResetDeprecated)),
            (34, PO, WorkProfile, false, true, false, Err(Refusal::LegacyResetDeprecated)),
        ];
        for (api, role, holder, has, unlocked, clearing, want) in table {
            assert_eq!(
                legacy_reset(call(*api, *role, *holder, *has, *unlocked, *clearing)),
                *want,
                "api {api} {role:?} {holder:?} has_password={has} unlocked={unlocked} clearing={clearing}"
            );
        }
    }

    #[test]
    fn legacy_reset_by_the_callers_target_sdk() {
        let quiet = |r: Refusal| Err(Refusal::ReturnedFalse(Box::new(r)));
        // (api, role, target sdk, has_password, expected)
        type Row = (u8, ManagementMode, u8, bool, Result<(), Refusal>);
        let table: &[Row] = &[
            (24, DA, 23, true, quiet(Refusal::AdminCannotChangePassword)),
            (24, DA, 24, true, Err(Refusal::AdminCannotChangePassword)),
            (27, DO, 25, true, Ok(())),
            (27, DO, 26, true, Err(Refusal::LegacyResetDeprecated)),
            (30, DO, 25, true, quiet(Refusal::LegacyResetDeprecated)),
            (30, DO, 26, true, Err(Refusal::LegacyResetDeprecated)),
            (33, DA, 23, false, quiet(Refusal::DeviceAdminCannotReset)),
            (33, DA, 24, false, Err(Refusal::DeviceAdminCannotReset)),
            (22, DA, 21, true, Ok(())),
        ];
        for (api, role, target, has, want) in table {
            let c = LegacyResetCall { target_sdk: *target, ..call(*api, *role, DeviceUser, *has, true, false) };
            let got = legacy_reset(c);
            assert_eq!(got, *want, "api {api} {role:?} target {target}");
            if let Err(r) = got {
                let quiet = matches!(want, Err(Refusal::ReturnedFalse(_)));
                assert_eq!(r.answer(), if quiet { "false" } else { "SecurityException" }, "api {api} target {target}");
            }
        }
    }

    #[test]
    fn a_user_with_a_managed_profile_cannot_be_reset_on_7_to_10() {
        for api in 24..=29 {
            let c = LegacyResetCall { has_managed_profile: true, ..call(api, DA, DeviceUser, false, true, false) };
            assert_eq!(legacy_reset(c), Err(Refusal::UserHasManagedProfile), "api {api}");
        }
        let c = LegacyResetCall { has_managed_profile: true, ..call(23, DA, DeviceUser, false, true, false) };
        assert_eq!(legacy_reset(c), Ok(()));
    }

    #[test]
    fn escrow_only_on_the_owned_user() {
        assert!(escrow_allowed(DO, DeviceUser));
        assert!(escrow_allowed(PO, WorkProfile));
        assert!(!escrow_allowed(PO, DeviceUser), "PLAT-4: personal user of a work-profile device");
        assert!(!escrow_allowed(DA, DeviceUser));
        assert!(!escrow_allowed(DO, WorkProfile));
    }

    #[test]
    fn direct_boot_reset_needs_api_26_and_fbe() {
        for api in LOWEST_API..=HIGHEST_API {
            assert_eq!(token_reset_while_locked(api, Encryption::FileBased), api >= 26, "api {api}");
            assert!(!token_reset_while_locked(api, Encryption::FullDisk), "api {api}");
        }
    }

    #[test]
    fn floor_is_four_everywhere() {
        assert!(!passcode_floor().is_met_by(&Passcode::new("a1b")));
        assert!(passcode_floor().is_met_by(&Passcode::new("1357")));
    }

    #[test]
    fn credential_kind_per_api_level() {
        let digits = Passcode::new("48151623");
        for api in 26..=HIGHEST_API {
            let want = if api == 30 { CredentialKind::Password } else { CredentialKind::Pin };
            assert_eq!(credential_kind_after_reset(api, &digits), want, "api {api}");
            assert_eq!(credential_kind_after_reset(api, &Passcode::new("a8B2c9dE")), CredentialKind::Password);
        }
    }

    #[test]
    fn pin_length_is_stored_only_for_auto_confirm_pins_of_six_or_more() {
        assert_eq!(stored_pin_length(34, true, CredentialKind::Pin, 8), Some(8));
        assert_eq!(stored_pin_length(35, true, CredentialKind::Pin, 6), Some(6));
        assert_eq!(stored_pin_length(34, true, CredentialKind::Pin, 5), None);
        assert_eq!(stored_pin_length(34, false, CredentialKind::Pin, 8), None);
        assert_eq!(stored_pin_length(34, true, CredentialKind::Password, 8), None);
        assert_eq!(stored_pin_length(33, true, CredentialKind::Pin, 8), None);
    }

    #[test]
    fn lock_scope_per_api_and_mode() {
        use LockScope::*;
        use Ownership::*;
        // (api, ownership, separate challenge, scope)
        let table = [
            (23, WorkProfilePersonal, true, WholeDevice),
            (24, WorkProfilePersonal, true, WorkProfileOnly),
            (34, WorkProfilePersonal, false, WholeDevice),
            (29, WorkProfileCompanyOwned, true, WholeDevice),
            (30, WorkProfileCompanyOwned, true, WorkProfileOnly),
            (34, FullyManaged, false, WholeDevice),
            (34, Dedicated, false, WholeDevice),
            (34, LegacyDeviceAdmin, false, WholeDevice),
        ];
        for (api, o, sep, want) in table {
            assert_eq!(lock_scope(api, o, sep), want, "api {api} {o} separate={sep}");
        }
    }

    #[test]
    fn lockout_every_fifth_failure() {
        let locked: Vec<u16> = (1..=12).filter(|n| lockout_after(*n).is_some()).collect();
        assert_eq!(locked, vec![5, 10]);
    }
}
