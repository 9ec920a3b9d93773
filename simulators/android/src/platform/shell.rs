//! The adb shell surface of each API level (docs/platform.md §7): which
//! commands and properties exist from which level, what the keyguard dumps
//! print, and the key codes `input keyevent` takes. adbd-sim answers from
//! here and the harness's adb backend asks from here, so the two cannot
//! drift apart.

/// A shell command, subcommand or property whose presence depends on the level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShellFact {
    /// `ro.build.version.security_patch`.
    SecurityPatchProperty,
    /// `wm dismiss-keyguard`.
    WmDismissKeyguard,
    /// `am get-current-user`, and adbd's `shell_v2,cmd` features.
    AmGetCurrentUser,
    /// `locksettings set-pin|set-password|clear`, `set-disabled`.
    Locksettings,
    /// `am get-started-user-state N` (RUNNING_LOCKED / RUNNING_UNLOCKED).
    AmGetStartedUserState,
    /// `sys.user.0.ce_available`.
    CeAvailableProperty,
    /// `locksettings verify` and `get-disabled`.
    LocksettingsVerify,
    /// `locksettings help`.
    LocksettingsHelp,
    /// `isOrganizationOwnedDevice=` in `dumpsys device_policy`.
    OrganizationOwnedInDump,
    /// `isKeyguardShowing=` in `dumpsys window policy`.
    KeyguardShowingInDump,
    /// `mPasswordOwner=` and `mPasswordTokenHandle=` in `dumpsys device_policy`.
    PasswordTokenHandleInDump,
    /// "Old password provided but user has no password" from `locksettings`.
    LocksettingsNoPasswordMessage,
}

impl ShellFact {
    /// The first API level that has it.
    pub fn first_api(self) -> u8 {
        use ShellFact::*;
        match self {
            SecurityPatchProperty | WmDismissKeyguard => 23,
            AmGetCurrentUser => 24,
            Locksettings | AmGetStartedUserState => 26,
            CeAvailableProperty => 27,
            LocksettingsVerify => 28,
            LocksettingsHelp => 29,
            OrganizationOwnedInDump => 30,
            KeyguardShowingInDump => 31,
            PasswordTokenHandleInDump => 33,
            // Our choice: [SDK34] prints it; earlier levels are taken to accept silently.
            LocksettingsNoPasswordMessage => 34,
        }
    }
}

/// Whether `api` has `fact`.
pub fn has(api: u8, fact: ShellFact) -> bool {
    api >= fact.first_api()
}

/// §7: `dumpsys window policy` prints `mShowingLockscreen=` up to API 27.
pub fn window_policy_prints_showing_lockscreen(api: u8) -> bool {
    api <= 27
}

/// §7: KeyguardServiceDelegate (`showing=`, `secure=`) is dumped from API 24.
pub fn window_policy_prints_keyguard_delegate(api: u8) -> bool {
    api >= 24
}

/// Key codes `input keyevent` takes (§7 and Android's KeyEvent).
pub mod keycode {
    pub const HOME: u32 = 3;
    pub const BACK: u32 = 4;
    pub const DIGIT_0: u32 = 7;
    pub const DIGIT_9: u32 = 16;
    pub const POWER: u32 = 26;
    pub const ENTER: u32 = 66;
    pub const DEL: u32 = 67;
    /// Before `wm dismiss-keyguard` (API 23) MENU brings up the bouncer.
    pub const MENU: u32 = 82;
    pub const NUMPAD_ENTER: u32 = 160;
    pub const SLEEP: u32 = 223;
    pub const WAKEUP: u32 = 224;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locksettings_arrives_in_8_0_and_verify_in_9() {
        assert!(!has(25, ShellFact::Locksettings));
        assert!(has(26, ShellFact::Locksettings));
        assert!(!has(27, ShellFact::LocksettingsVerify));
        assert!(has(28, ShellFact::LocksettingsVerify));
        assert!(window_policy_prints_showing_lockscreen(27) && !window_policy_prints_showing_lockscreen(28));
    }
}
