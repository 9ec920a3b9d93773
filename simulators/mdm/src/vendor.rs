//! Vendor profiles: what each seed product documents about passcode reset
//! and lock, as data (fixtures/vendors/*.toml). The MDM's behaviour
//! differs between vendors only through these fields.
//!
//! The three shipped profiles are compiled in, so the binary and the
//! library work from any directory; a profile file of the same schema can
//! be given instead.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// The alphabet of generated passcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alphabet {
    Digits,
    LettersAndDigits,
}

impl Alphabet {
    pub fn as_str(self) -> &'static str {
        match self {
            Alphabet::Digits => "digits",
            Alphabet::LettersAndDigits => "letters-and-digits",
        }
    }
}

/// Where a new passcode comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NewPasscode {
    /// The MDM generates one (Miradore, Intune).
    Generated,
    /// The admin may type one; without it the passcode is cleared (Iru).
    Optional,
}

/// Whose passcode a reset changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetScope {
    /// The device lock of a fully managed or dedicated device, the work
    /// challenge of a work-profile device (what the agent owns).
    Managed,
    /// Only the work challenge; devices without a work profile are refused (Iru).
    WorkProfile,
}

/// A device type the product refuses, with the sentence it shows.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Driver-protocol ownership: fully-managed, dedicated,
    /// work-profile-personal, work-profile-company-owned, legacy-device-admin.
    pub ownership: String,
    /// The refusal applies from this API level on (inclusive).
    #[serde(default)]
    pub min_api: u8,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasscodeSection {
    pub alphabet: Alphabet,
    pub length: u8,
    pub new_passcode: NewPasscode,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetSection {
    pub scope: ResetScope,
    /// Every reset carries LOCK_NOW (Miradore: "resets ... and locks the device").
    pub lock_after_reset: bool,
    /// The admin may ask for LOCK_NOW ("lock work profile immediately", Iru).
    pub lock_now_option: bool,
    /// The admin may send the passcode to the device user too.
    pub send_to_user_option: bool,
    /// The acting admin gets the passcode by mail.
    pub mail_to_admin: bool,
    /// A new passcode is checked against the assigned work-profile policy and
    /// Android's minimum, requirement by requirement.
    pub validate_new_passcode: bool,
    /// Admins may run the task on several devices at once.
    pub multi_device: bool,
    /// Roles that see the latest reset passcode on the device page.
    pub passcode_visible_to: Vec<String>,
    #[serde(default)]
    pub refusals: Vec<Refusal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSection {
    pub enabled: bool,
    /// How long after sign-in a portal reset is still allowed.
    pub reauthentication_window_seconds: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSection {
    pub name: String,
    pub product: String,
    /// The requirement ids this profile reproduces (DOMAIN.md).
    pub requirements: Vec<String>,
}

/// One vendor profile.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorProfile {
    pub vendor: VendorSection,
    pub passcode: PasscodeSection,
    pub reset: ResetSection,
    pub portal: PortalSection,
}

/// A profile that cannot be used, naming the file, the line and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: `{field}`: {problem}", path.display())]
pub struct ProfileError {
    pub path: PathBuf,
    pub line: usize,
    pub field: String,
    pub problem: String,
}

const BUILTIN: [(&str, &str); 3] = [
    ("miradore", include_str!("../../../fixtures/vendors/miradore.toml")),
    ("intune", include_str!("../../../fixtures/vendors/intune.toml")),
    ("iru", include_str!("../../../fixtures/vendors/iru.toml")),
];

const ROLES: [&str; 4] = ["site-admin", "admin", "helpdesk", "end-user"];
const OWNERSHIPS: [&str; 5] =
    ["fully-managed", "dedicated", "work-profile-personal", "work-profile-company-owned", "legacy-device-admin"];

impl VendorProfile {
    /// The names of the compiled-in profiles.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// A compiled-in profile by name.
    pub fn builtin(name: &str) -> Result<Self, ProfileError> {
        let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
            let names: Vec<_> = Self::builtin_names().collect();
            return Err(ProfileError {
                path: PathBuf::from(format!("fixtures/vendors/{name}.toml")),
                line: 0,
                field: "vendor".into(),
                problem: format!("no such vendor profile; the built-in ones are: {}", names.join(", ")),
            });
        };
        Self::parse(Path::new(&format!("fixtures/vendors/{name}.toml")), text)
    }

    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError {
            path: path.to_owned(),
            line: 0,
            field: "-".into(),
            problem: format!("cannot read the file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parse and check a profile. `path` is used in error messages only.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ProfileError> {
        let profile: VendorProfile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_at(text, s.start));
            let field = unknown_field(e.message()).unwrap_or_else(|| "-".into());
            ProfileError { path: path.to_owned(), line, field, problem: e.message().trim().to_owned() }
        })?;
        profile.check().map_err(|(section, key, problem)| ProfileError {
            path: path.to_owned(),
            line: line_of_key(text, section, key),
            field: format!("{section}.{key}"),
            problem,
        })?;
        Ok(profile)
    }

    fn check(&self) -> Result<(), (&'static str, &'static str, String)> {
        let p = &self.passcode;
        if !(4..=16).contains(&p.length) {
            return Err(("passcode", "length", format!("{} is outside 4..=16, the lengths Android accepts", p.length)));
        }
        for role in &self.reset.passcode_visible_to {
            if !ROLES.contains(&role.as_str()) {
                return Err((
                    "reset",
                    "passcode_visible_to",
                    format!("unknown role `{role}`; roles: {}", ROLES.join(", ")),
                ));
            }
        }
        for r in &self.reset.refusals {
            if !OWNERSHIPS.contains(&r.ownership.as_str()) {
                return Err((
                    "reset",
                    "refusals",
                    format!("unknown ownership `{}`; expected one of: {}", r.ownership, OWNERSHIPS.join(", ")),
                ));
            }
            if r.message.trim().is_empty() {
                return Err(("reset", "refusals", "a refusal needs a message for people".into()));
            }
        }
        if self.portal.enabled && self.portal.reauthentication_window_seconds == 0 {
            return Err(("portal", "reauthentication_window_seconds", "must be above 0 when the portal is on".into()));
        }
        if self.vendor.name.trim().is_empty() {
            return Err(("vendor", "name", "must not be empty".into()));
        }
        Ok(())
    }

    /// What the driver protocol calls the capabilities of this profile.
    pub fn capabilities(&self) -> Vec<&'static str> {
        let mut c = vec!["reset-passcode", "lock", "action-log", "device-page", "enrollment"];
        if self.passcode.new_passcode == NewPasscode::Generated {
            c.push("generated-passcode");
        }
        if self.reset.send_to_user_option {
            c.push("send-to-user");
        }
        if self.reset.lock_after_reset {
            c.push("lock-after-reset");
        }
        if self.reset.lock_now_option {
            c.push("lock-now-option");
        }
        if self.passcode.new_passcode == NewPasscode::Optional {
            c.push("new-passcode-option");
        }
        if self.reset.validate_new_passcode {
            c.push("passcode-requirements");
        }
        if self.reset.scope == ResetScope::WorkProfile {
            c.push("work-profile-only");
        }
        if self.reset.multi_device {
            c.push("multi-device");
        }
        if self.portal.enabled {
            c.push("portal");
        }
        c.push("preview");
        // Sessions end ServeConfig::session_lifetime after their sign-in.
        c.push("session-expiry");
        c
    }

    /// The refusal for a device of `ownership` at `api`, if the profile has one.
    pub fn refusal_for(&self, ownership: &str, api: u8) -> Option<&Refusal> {
        self.reset.refusals.iter().find(|r| r.ownership == ownership && api >= r.min_api)
    }
}

impl fmt::Display for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `key = ...` inside `[section]` (or `[[section.x]]`), 0 if absent.
fn line_of_key(text: &str, section: &str, key: &str) -> usize {
    let mut current = String::new();
    let mut section_line = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[') {
            current = name.trim_matches(['[', ']']).trim().to_owned();
            if current == section {
                section_line = i + 1;
            }
            if current == format!("{section}.{key}") {
                return i + 1;
            }
            continue;
        }
        let k = t.split('=').next().unwrap_or("").trim();
        if current == section && k == key {
            return i + 1;
        }
    }
    section_line
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1).or_else(|| message.split("missing field `").nth(1))?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_load() {
        for name in VendorProfile::builtin_names() {
            let p = VendorProfile::builtin(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.vendor.name, name);
        }
        assert!(VendorProfile::builtin("acme").unwrap_err().to_string().contains("miradore"));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = include_str!("../../../fixtures/vendors/miradore.toml");
        let bad = text.replace("length = 8", "length = 3");
        let e = VendorProfile::parse(Path::new("x/miradore.toml"), &bad).unwrap_err();
        let line = bad.lines().position(|l| l.trim() == "length = 3").unwrap() + 1;
        assert_eq!((e.line, e.field.as_str()), (line, "passcode.length"), "{e}");
        assert!(e.to_string().starts_with(&format!("x/miradore.toml:{line}: `passcode.length`")), "{e}");

        let bad = text.replace("length = 8", "length = 8\ncolour = \"blue\"");
        let e = VendorProfile::parse(Path::new("m.toml"), &bad).unwrap_err();
        assert_eq!(e.field, "colour", "{e}");
        assert_eq!(e.line, line + 1, "{e}");

        let bad = text.replace("\"site-admin\"", "\"superuser\"");
        let e = VendorProfile::parse(Path::new("m.toml"), &bad).unwrap_err();
        assert_eq!(e.field, "reset.passcode_visible_to", "{e}");
        assert!(e.problem.contains("superuser"), "{e}");
    }
}
