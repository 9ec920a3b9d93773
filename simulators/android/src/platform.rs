//! The Android platform rules, by API level: one function per rule, each
//! naming the section of the platform notes (`android.md`, kept with the
//! project's shared reference) and the requirement it implements.
//!
//! Nothing else in the crate compares API levels. Where the notes are silent
//! the choice is ours and the doc comment says "Our choice".

use crate::ownership::{ManagementMode, Ownership};
use crate::passcode::{CredentialKind, Passcode};
use crate::policy::Requirement;
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

/// §1.1, PLAT-1: the legacy `resetPassword` for a caller targeting the latest
/// SDK (the agent is a current app). `holder` is the caller's own user.
pub fn legacy_reset(
    api: u8,
    role: ManagementMode,
    holder: CredentialHolder,
    has_password: bool,
    user_unlocked: bool,
    clearing: bool,
) -> Result<(), Refusal> {
    use ManagementMode as M;
    let on_profile = holder == CredentialHolder::WorkProfile;
    match (api, role) {
        (21..=23, _) if on_profile => Err(Refusal::ManagedProfileLegacyReset),
        (21..=23, _) => Ok(()),
        (30.., M::DeviceAdmin) => Err(Refusal::DeviceAdminCannotReset),
        (26.., M::DeviceOwner | M::ProfileOwner) => Err(Refusal::LegacyResetDeprecated),
        (_, M::DeviceAdmin) if has_password => Err(Refusal::AdminCannotChangePassword),
        (_, M::DeviceAdmin) if clearing => Err(Refusal::CannotClearPassword),
        (_, M::ProfileOwner) if clearing => Err(Refusal::CannotClearPassword),
        // API 24-29: the locked-user check runs after the role checks.
        _ if !user_unlocked => Err(Refusal::UserLocked),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialHolder::{DeviceUser, WorkProfile};
    use ManagementMode::{DeviceAdmin as DA, DeviceOwner as DO, ProfileOwner as PO};

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
                legacy_reset(*api, *role, *holder, *has, *unlocked, *clearing),
                *want,
                "api {api} {role:?} {holder:?} has_password={has} unlocked={unlocked} clearing={clearing}"
            );
        }
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
