//! Device profiles: what a model of phone is (maker, Android version,
//! encryption, keyguard behaviour, firmware quirks), read from
//! `fixtures/devices/*.toml`. A profile that does not describe a possible
//! Android device is refused with the file, the field and the fix.

use crate::ownership::Ownership;
use crate::platform;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How user data is encrypted (docs/platform.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// File-based encryption: Direct Boot exists, the agent runs before the
    /// first unlock.
    FileBased,
    /// Full-disk encryption: nothing runs until the boot password is entered.
    FullDisk,
}

impl Encryption {
    pub fn as_str(self) -> &'static str {
        match self {
            Encryption::FileBased => "file-based",
            Encryption::FullDisk => "full-disk",
        }
    }
}

/// When the lock screen learns the length of a new PIN (PLAT-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinLengthRefresh {
    /// Conforming: the keyguard uses the new length at once.
    Immediate,
    /// Non-conforming: the keyguard keeps the length it read at start-up
    /// until the device restarts.
    OnRestart,
}

impl PinLengthRefresh {
    pub fn as_str(self) -> &'static str {
        match self {
            PinLengthRefresh::Immediate => "immediate",
            PinLengthRefresh::OnRestart => "on-restart",
        }
    }
}

/// How the lock screen takes a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyguardBehaviour {
    /// PIN auto-confirm is on: the keyguard submits as soon as the cached
    /// number of digits is typed and shows no OK key (Android 14+).
    #[serde(default)]
    pub pin_auto_confirm: bool,
    #[serde(default = "immediate")]
    pub pin_length_refresh: PinLengthRefresh,
}

fn immediate() -> PinLengthRefresh {
    PinLengthRefresh::Immediate
}

impl Default for KeyguardBehaviour {
    fn default() -> Self {
        KeyguardBehaviour { pin_auto_confirm: false, pin_length_refresh: PinLengthRefresh::Immediate }
    }
}

/// Firmware that departs from the platform, each as reported from the field.
/// All off on conforming devices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// `resetPasswordWithToken` fails while the user is locked after a boot,
    /// although the platform allows it (PLAT-3).
    #[serde(default)]
    pub refuses_direct_boot_reset: bool,
    /// `lockNow` turns the screen off without locking the keyguard (PLAT-7).
    #[serde(default)]
    pub lock_turns_screen_off_only: bool,
    /// `setResetPasswordToken` answers "Escrow token is disabled on the
    /// current user" even for the user an owner manages (PLAT-2; the
    /// TestDPC report of docs/platform.md §2.2).
    #[serde(default)]
    pub escrow_disabled: bool,
    /// `resetPasswordWithToken` reports success and changes nothing (PLAT-2).
    #[serde(default)]
    pub reset_succeeds_without_effect: bool,
    /// The lock screen's PIN pad takes at most this many digits, so a longer
    /// PIN set by an MDM cannot be entered (PLAT-5).
    #[serde(default)]
    pub max_pin_length: Option<u8>,
    /// Escrow tokens take secure-element (Weaver) slots that are never given
    /// back; once this many are used, activating another breaks the lock
    /// screen (PLAT-2; docs/platform.md §2.4).
    #[serde(default)]
    pub escrow_token_slots: Option<u8>,
    /// The assigned password policy is not applied: no passcode is refused
    /// for it, every passcode is "sufficient", and the setters take any
    /// constraint (PLAT-5). Our choice: a negative control for the policy
    /// rules, not a field report.
    #[serde(default)]
    pub ignores_password_policy: bool,
    /// lockNow(FLAG_EVICT_CREDENTIAL_ENCRYPTION_KEY) locks but leaves the
    /// profile's storage unlocked (PLAT-7). Our choice: a negative control.
    #[serde(default)]
    pub ignores_evict_flag: bool,
    /// isActivePasswordSufficient and getPasswordComplexity answer while the
    /// user is still locked instead of throwing (PLAT-3). Our choice: a
    /// negative control.
    #[serde(default)]
    pub answers_while_locked: bool,
    /// Wrong passcodes are counted but never lock the lock screen out: the
    /// 30 s throttle after every fifth is missing (PLAT-6). Our choice: a
    /// negative control.
    #[serde(default)]
    pub no_lockout: bool,
}

/// What a profile says about its own conformance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conformance {
    /// The conforming profile this one is a deliberately broken copy of.
    pub negative_control_of: Option<String>,
    /// The requirement IDs this profile is expected to fail.
    #[serde(default)]
    pub breaks: Vec<String>,
    /// A sentence for people reading the device list.
    pub note: Option<String>,
}

/// One model of Android device.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// The profile's name: its file name without `.toml`.
    #[serde(skip)]
    pub name: String,
    pub manufacturer: String,
    pub brand: String,
    pub model: String,
    pub android_version: String,
    pub api_level: u8,
    pub build_id: String,
    pub security_patch: String,
    pub encryption: Encryption,
    pub ownership_modes: Vec<Ownership>,
    #[serde(default)]
    pub keyguard: KeyguardBehaviour,
    #[serde(default)]
    pub quirks: Quirks,
    #[serde(default)]
    pub conformance: Conformance,
}

impl DeviceProfile {
    /// The build fingerprint (`ro.build.fingerprint`) a device of this
    /// profile reports, in Android's shape
    /// `BRAND/PRODUCT/DEVICE:RELEASE/ID/INCREMENTAL:TYPE/TAGS`. Our choice:
    /// the profile's name stands for product and device (as in
    /// `ro.product.name`), the build id for the incremental, and every
    /// simulated build is a `user` build signed with `release-keys`.
    pub fn build_fingerprint(&self) -> String {
        format!(
            "{}/{}/{}:{}/{}/{}:user/release-keys",
            self.brand, self.name, self.name, self.android_version, self.build_id, self.build_id
        )
    }

    /// A profile is a negative control when it names the twin it breaks.
    pub fn is_negative_control(&self) -> bool {
        self.conformance.negative_control_of.is_some()
    }

    pub fn supports(&self, ownership: Ownership) -> bool {
        self.ownership_modes.contains(&ownership)
    }

    /// The quirks in force, by name, with their value where they have one
    /// (`max-pin-length=6`), for listings.
    pub fn quirk_labels(&self) -> Vec<String> {
        let value = |name: &str| match name {
            "max-pin-length" => self.quirks.max_pin_length,
            "escrow-token-slots" => self.quirks.escrow_token_slots,
            _ => None,
        };
        self.quirk_names().into_iter().map(|n| value(n).map_or_else(|| n.to_owned(), |v| format!("{n}={v}"))).collect()
    }

    /// The quirks in force, by name.
    pub fn quirk_names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.keyguard.pin_length_refresh == PinLengthRefresh::OnRestart {
            out.push("pin-length-refresh-on-restart");
        }
        if self.quirks.refuses_direct_boot_reset {
            out.push("refuses-direct-boot-reset");
        }
        if self.quirks.lock_turns_screen_off_only {
            out.push("lock-turns-screen-off-only");
        }
        if self.quirks.escrow_disabled {
            out.push("escrow-disabled");
        }
        if self.quirks.reset_succeeds_without_effect {
            out.push("reset-succeeds-without-effect");
        }
        if self.quirks.max_pin_length.is_some() {
            out.push("max-pin-length");
        }
        if self.quirks.escrow_token_slots.is_some() {
            out.push("escrow-token-slots");
        }
        if self.quirks.ignores_password_policy {
            out.push("ignores-password-policy");
        }
        if self.quirks.ignores_evict_flag {
            out.push("ignores-evict-flag");
        }
        if self.quirks.answers_while_locked {
            out.push("answers-while-locked");
        }
        if self.quirks.no_lockout {
            out.push("no-lockout");
        }
        out
    }

    /// Parse one profile. `path` names the file in errors; its stem becomes
    /// the profile's name.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ProfileError> {
        let mut profile: DeviceProfile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            ProfileError { path: path.to_owned(), line, field: None, problem: e.message().to_owned() }
        })?;
        profile.name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        profile.validate().map_err(|(field, problem)| ProfileError {
            path: path.to_owned(),
            line: line_of_key(text, field),
            field: Some(field.to_owned()),
            problem,
        })?;
        Ok(profile)
    }

    /// Read one profile from disk.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            path: path.to_owned(),
            line: None,
            field: None,
            problem: format!("cannot read the file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Every `*.toml` in `dir`, sorted by name. Negative controls must name a
    /// twin that exists in the same directory.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, ProfileError> {
        let entries = std::fs::read_dir(dir).map_err(|e| ProfileError {
            path: dir.to_owned(),
            line: None,
            field: None,
            problem: format!("cannot read the device profile directory: {e}"),
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let profiles = paths.iter().map(|p| Self::load(p)).collect::<Result<Vec<_>, _>>()?;
        for (p, path) in profiles.iter().zip(&paths) {
            if let Some(twin) = &p.conformance.negative_control_of {
                if !profiles.iter().any(|q| &q.name == twin && !q.is_negative_control()) {
                    return Err(ProfileError {
                        path: path.clone(),
                        line: std::fs::read_to_string(path)
                            .ok()
                            .and_then(|t| line_of_key(&t, "negative_control_of")),
                        field: Some("conformance.negative_control_of".into()),
                        problem: format!(
                            "`{twin}` is not a conforming profile in {}; name the file (without .toml) of the profile this one breaks",
                            dir.display()
                        ),
                    });
                }
            }
        }
        Ok(profiles)
    }

    /// Semantic checks serde cannot make. Returns the field and the problem.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let api = self.api_level;
        let Some(version) = platform::android_version(api) else {
            return Err((
                "api_level",
                format!(
                    "{api} is not an API level Lockstep simulates; use {}..={}",
                    platform::LOWEST_API,
                    platform::HIGHEST_API
                ),
            ));
        };
        if self.android_version != version {
            return Err((
                "android_version",
                format!("API {api} is Android {version}, not \"{}\"", self.android_version),
            ));
        }
        for (field, value) in [
            ("manufacturer", &self.manufacturer),
            ("brand", &self.brand),
            ("model", &self.model),
            ("build_id", &self.build_id),
        ] {
            if value.trim().is_empty() {
                return Err((field, "must not be empty".into()));
            }
        }
        if !is_date(&self.security_patch) {
            return Err(("security_patch", format!("\"{}\" is not a date like \"2024-08-05\"", self.security_patch)));
        }
        if self.encryption == Encryption::FullDisk && !platform::full_disk_encryption_exists(api) {
            return Err((
                "encryption",
                format!("full-disk encryption does not exist on API {api} (removed in Android 13); use \"file-based\""),
            ));
        }
        if self.encryption == Encryption::FileBased && !platform::file_based_encryption_exists(api) {
            return Err((
                "encryption",
                format!("file-based encryption arrived in Android 7.0 (API 24); API {api} uses \"full-disk\""),
            ));
        }
        if self.ownership_modes.is_empty() {
            return Err(("ownership_modes", "list at least one ownership mode".into()));
        }
        for mode in &self.ownership_modes {
            let first = platform::first_api_of(*mode);
            if api < first {
                return Err((
                    "ownership_modes",
                    format!("{mode} needs API {first} or later; this profile is API {api}"),
                ));
            }
        }
        if self.keyguard.pin_auto_confirm && !platform::has_pin_auto_confirm(api) {
            return Err((
                "pin_auto_confirm",
                format!("PIN auto-confirm arrived in Android 14 (API 34); this profile is API {api}"),
            ));
        }
        if self.keyguard.pin_length_refresh == PinLengthRefresh::OnRestart && !self.keyguard.pin_auto_confirm {
            return Err((
                "pin_length_refresh",
                "\"on-restart\" only matters with pin_auto_confirm = true; set both or neither".into(),
            ));
        }
        if let Some(max) = self.quirks.max_pin_length {
            if max < platform::MIN_PASSCODE_LENGTH {
                return Err((
                    "max_pin_length",
                    format!(
                        "{max} is below Android's minimum of {}; no PIN could be set",
                        platform::MIN_PASSCODE_LENGTH
                    ),
                ));
            }
        }
        if self.quirks.escrow_token_slots == Some(0) {
            return Err((
                "escrow_token_slots",
                "0 slots would break the lock screen at enrollment; use 1 or more".into(),
            ));
        }
        let has_quirk = !self.quirk_names().is_empty();
        if has_quirk != self.is_negative_control() {
            return Err((
                "negative_control_of",
                if has_quirk {
                    "a profile with non-conforming firmware must say which conforming profile it breaks".into()
                } else {
                    "a negative control must have at least one non-conforming setting".into()
                },
            ));
        }
        if self.is_negative_control() && self.conformance.breaks.is_empty() {
            return Err(("breaks", "list the requirement IDs this negative control must fail".into()));
        }
        Ok(())
    }
}

/// A profile that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "device profile {}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line where `key` (the last part of a dotted field) is assigned.
fn line_of_key(text: &str, field: &str) -> Option<usize> {
    let key = field.rsplit('.').next().unwrap_or(field);
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
manufacturer = "Google"
brand = "google"
model = "Pixel 8"
android_version = "14"
api_level = 34
build_id = "AP2A.240805.005"
security_patch = "2024-08-05"
encryption = "file-based"
ownership_modes = ["fully-managed", "work-profile-personal"]

[keyguard]
pin_auto_confirm = true
"#;

    fn err(text: &str) -> ProfileError {
        DeviceProfile::parse(Path::new("fixtures/devices/x.toml"), text).unwrap_err()
    }

    #[test]
    fn a_good_profile_parses_with_its_file_name() {
        let p = DeviceProfile::parse(Path::new("fixtures/devices/google-pixel-8.toml"), GOOD).unwrap();
        assert_eq!(p.name, "google-pixel-8");
        assert!(p.keyguard.pin_auto_confirm);
        assert_eq!(p.keyguard.pin_length_refresh, PinLengthRefresh::Immediate);
        assert!(!p.is_negative_control());
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = err(&GOOD.replace("api_level = 34", "api_level = 19"));
        assert_eq!(e.field.as_deref(), Some("api_level"));
        assert_eq!(e.line, Some(6));
        let shown = e.to_string();
        assert!(shown.starts_with("device profile fixtures/devices/x.toml:6: field `api_level`"), "{shown}");

        let e = err(&GOOD.replace("\"14\"", "\"13\""));
        assert!(e.to_string().contains("API 34 is Android 14"), "{e}");

        let e = err(&GOOD.replace("encryption = \"file-based\"", "encryption = \"block\""));
        assert_eq!(e.line, Some(9), "{e}");
        assert!(e.problem.contains("unknown variant"), "{e}");

        let e = err(&format!("{GOOD}\ncolour = \"blue\"\n"));
        assert!(e.problem.contains("unknown field `colour`"), "{e}");

        let e = err(&GOOD.replace("\"work-profile-personal\"", "\"kiosk\""));
        assert!(e.problem.contains("unknown variant `kiosk`"), "{e}");
    }

    #[test]
    fn platform_impossibilities_are_refused() {
        let cases = [
            (GOOD.replace("\"file-based\"", "\"full-disk\""), "encryption"),
            (GOOD.replace("2024-08-05\"", "Aug 2024\""), "security_patch"),
            (GOOD.replace("api_level = 34", "api_level = 33").replace("\"14\"", "\"13\""), "pin_auto_confirm"),
            (GOOD.replace("pin_auto_confirm = true", "pin_length_refresh = \"on-restart\""), "pin_length_refresh"),
            (
                GOOD.replace("pin_auto_confirm = true", "pin_auto_confirm = true\npin_length_refresh = \"on-restart\""),
                "negative_control_of",
            ),
            (GOOD.replace("[\"fully-managed\", \"work-profile-personal\"]", "[]"), "ownership_modes"),
        ];
        for (text, field) in cases {
            assert_eq!(err(&text).field.as_deref(), Some(field), "{}", err(&text));
        }
    }
}
